"""Errors the GitHub client raises on top of gidgethub's own HTTP exceptions."""

from __future__ import annotations

from gidgethub import (
    BadRequest,
    GitHubBroken,
    GitHubException,
    HTTPException,
    InvalidField,
    RateLimitExceeded,
    ValidationError,
)

__all__ = [
    "BadRequest",
    "ConnectionFailed",
    "GitHubBroken",
    "GitHubException",
    "HTTPException",
    "InvalidField",
    "OutcomeUnknown",
    "RateLimitExceeded",
    "RateLimitWait",
    "ValidationError",
]


class OutcomeUnknown(GitHubException):
    """A write whose result is unknown (connection dropped, or a 5xx to a POST).

    GitHub may or may not have done it: re-read the state before writing again,
    never repeat the write blindly (that is how duplicate comments and sub-issues happen).
    """

    def __init__(self, method: str, url: str, *, status: int | None = None, reason: str = "") -> None:
        self.method = method
        self.url = url
        self.status = status
        what = f"HTTP {status}" if status is not None else (reason or "connection lost")
        super().__init__(f"outcome of {method} {url} unknown ({what}); re-read before writing again")


class RateLimitWait(GitHubException):
    """GitHub asks us to wait longer than the configured bound: reschedule the work for `reset_at`.

    `reset_at` is a Unix time (seconds), as in GitHub's `x-ratelimit-reset` header.
    """

    def __init__(self, reset_at: float, *, reason: str = "rate limit") -> None:
        self.reset_at = reset_at
        self.reason = reason
        super().__init__(f"{reason}: wait until {reset_at:.0f} (Unix time)")


class ConnectionFailed(GitHubException):
    """A read that could not reach GitHub after all retries (connection refused, reset, timed out)."""

    def __init__(self, method: str, url: str, cause: BaseException) -> None:
        self.method = method
        self.url = url
        super().__init__(f"{method} {url} failed after retries: {cause!r}")
