"""Retry policy: which failures are retried, how long to back off, and GitHub's rate-limit signals."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

#: Methods that change nothing: always safe to repeat.
READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries (stamina does the backoff with jitter) and for rate-limit waits."""

    #: Attempts (first try included) for 5xx and connection errors of reads and idempotent writes.
    attempts: int = 4
    #: Give up retrying after this many seconds in all.
    timeout: float = 45.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    #: A rate-limit wait longer than this raises RateLimitWait (the job is rescheduled instead).
    max_rate_limit_wait: float = 120.0
    #: Wait when a secondary limit says nothing about how long (GitHub: "at least one minute").
    secondary_default_wait: float = 60.0
    #: How often one request may be retried after rate-limit answers.
    max_rate_limit_retries: int = 3


class RetryableResponse(Exception):
    """Internal: a 5xx answer that may be retried; carries the response for when retries run out."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.response = (status, headers, body)
        super().__init__(f"HTTP {status}")


class RetryableConnection(Exception):
    """Internal: a connection failure that may be retried."""

    def __init__(self, cause: BaseException, *, sent: bool) -> None:
        self.cause = cause
        #: False when the request never left (connection refused): safe to repeat any method.
        self.sent = sent
        super().__init__(repr(cause))


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached GitHub (we never got a connection)."""
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def is_connection_error(exc: BaseException) -> bool:
    """Failures of the transport rather than answers from GitHub."""
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


def primary_limit_reset(status: int, headers: Mapping[str, str]) -> float | None:
    """The reset time (Unix s) when this answer says the primary rate limit is exhausted, else None."""
    if status not in (403, 429) or headers.get("x-ratelimit-remaining") != "0":
        return None
    if "retry-after" in headers:
        return None  # a secondary limit that happens to coincide: Retry-After wins
    try:
        return float(headers["x-ratelimit-reset"])
    except (KeyError, ValueError):
        return None


def secondary_limit_wait(
    status: int, headers: Mapping[str, str], message: str, default: float
) -> float | None:
    """Seconds to wait when this answer is a secondary rate limit, else None.

    A 403 is a secondary limit only when it says so (Retry-After or a "rate limit" message): a plain
    403 ("Resource not accessible by integration") is a permission error and must not be retried.
    """
    retry_after = headers.get("retry-after")
    lowered = message.lower()
    limited = status == 429 or (
        status == 403 and (retry_after is not None or "rate limit" in lowered or "abuse" in lowered)
    )
    if not limited:
        return None
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return default
    return default
