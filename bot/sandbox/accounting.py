"""What the local GitHub counts: per-installation reads, writes, 304s, rate-limit points; the request log."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Primary rate limit of an installation per hour (GitHub's floor for App installations).
PRIMARY_LIMIT = 5000
#: Secondary-limit points GitHub charges: 1 for a read, 5 for a write (POST/PATCH/PUT/DELETE).
READ_POINTS = 1
WRITE_POINTS = 5
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Accounting:
    """Counters of one installation (or of `0` for the App's JWT and of user tokens by login hash).

    `reads`/`writes` count requests that reached the API (whatever their status, except 304s, which are
    `not_modified` and free); `points` are secondary-limit points (1 per read, 5 per write); `used` is the
    primary limit used in the current window, reported in `x-ratelimit-used`.
    """

    reads: int = 0
    writes: int = 0
    not_modified: int = 0
    points: int = 0
    faults: int = 0
    secondary_limited: int = 0
    limit: int = PRIMARY_LIMIT
    used: int = 0
    reset: int = 0

    @property
    def remaining(self) -> int:
        """Primary-limit requests left in this window."""
        return max(0, self.limit - self.used)

    def as_dict(self) -> dict[str, int]:
        """Plain numbers for reports."""
        return {
            "reads": self.reads,
            "writes": self.writes,
            "not_modified": self.not_modified,
            "points": self.points,
            "faults": self.faults,
            "secondary_limited": self.secondary_limited,
            "used": self.used,
            "remaining": self.remaining,
        }


@dataclass
class LogEntry:
    """One request as the local GitHub saw it; `start`/`end` are `time.monotonic()` readings."""

    seq: int
    method: str
    path: str
    query: str
    start: float
    end: float = 0.0
    status: int = 0
    installation_id: int | None = None
    actor: str = ""
    fault: str | None = None
    api_version: str | None = None
    request_body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_write(self) -> bool:
        """POST/PATCH/PUT/DELETE."""
        return self.method in WRITE_METHODS
