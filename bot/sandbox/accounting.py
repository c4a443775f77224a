"""What the local GitHub counts: per caller reads, writes, 304s, points and rate limits; the request log."""

from __future__ import annotations

import bisect
import collections
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.auth import Identity

#: Primary rate limit of an installation per hour (GitHub's floor for App installations).
PRIMARY_LIMIT = 5000
#: Secondary-limit points GitHub charges: 1 for a read, 5 for a write (POST/PATCH/PUT/DELETE).
READ_POINTS = 1
WRITE_POINTS = 5
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Accounting:
    """Counters of one caller: an installation, the App's JWT (`app`) or a user token (`user:LOGIN`).

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

    def count(self, *, write: bool) -> None:
        """Count a request that reached the API (and so spends the primary limit)."""
        self.used += 1
        if write:
            self.writes += 1
            self.points += WRITE_POINTS
        else:
            self.reads += 1
            self.points += READ_POINTS

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
    #: A GraphQL request's operation type (`query`, `mutation`); None for REST (or a GraphQL request that
    #: did not parse).
    operation: str | None = None

    @property
    def is_write(self) -> bool:
        """POST/PATCH/PUT/DELETE; of GraphQL requests, those with mutations."""
        if self.operation is not None:
            return self.operation == "mutation"
        return self.method in WRITE_METHODS

    @property
    def is_content_write(self) -> bool:
        """A write to a repository's content (not an App's installation token, which creates nothing)."""
        return self.is_write and not self.path.startswith("/app/")


class Ledger:
    """Every caller's `Accounting`: the primary limit's hourly window, and GitHub's content-creation limits
    (at most `secondary_limit` POSTs a minute and `hourly_limit` an hour per caller; None: no limit).
    A GraphQL request with mutations is a POST that creates content; one with queries only is not."""

    def __init__(
        self, clock: Callable[[], float], secondary_limit: int | None = None, hourly_limit: int | None = None
    ) -> None:
        self.clock = clock
        self.secondary_limit = secondary_limit
        self.hourly_limit = hourly_limit
        self._accounts: dict[int | str, Accounting] = {}
        self._created: dict[int | str, collections.deque[float]] = {}
        #: Requests refused by a content-creation limit (any caller).
        self.refused = 0

    def account(self, key: int | str) -> Accounting:
        """The counters of `key` (see `account_key`), opened on first use."""
        if key not in self._accounts:
            self._accounts[key] = Accounting(reset=int(self.clock()) + 3600)
        return self._accounts[key]

    def current(self, key: int | str) -> Accounting:
        """The counters of `key`, the primary limit renewed when its hour is over."""
        acct = self.account(key)
        if self.clock() >= acct.reset:
            acct.used = 0
            acct.reset = int(self.clock()) + 3600
        return acct

    def content_creation_wait(self, key: int | str) -> int | None:
        """Seconds to wait when a POST now would exceed a content-creation limit (a minute's or an hour's),
        else None (and the POST is counted)."""
        if self.secondary_limit is None and self.hourly_limit is None:
            return None
        now = self.clock()
        times = self._created.setdefault(key, collections.deque())
        window = 3600 if self.hourly_limit is not None else 60
        while times and times[0] <= now - window:
            times.popleft()
        if self.hourly_limit is not None and len(times) >= self.hourly_limit:
            self.refused += 1
            return max(1, int(times[0] + 3600 - now + 0.999))
        if self.secondary_limit is not None:
            last_minute = len(times) - bisect.bisect_right(times, now - 60)
            if last_minute >= self.secondary_limit:
                self.refused += 1
                return max(1, int(times[len(times) - last_minute] + 60 - now + 0.999))
        times.append(now)
        return None


def account_key(identity: Identity | None) -> int | str:
    """Whose counters a request uses: its installation id, `user:LOGIN`, `app` (JWT) or `anonymous`."""
    if identity is None:
        return "anonymous"
    if identity.kind == "installation" and identity.installation_id is not None:
        return identity.installation_id
    if identity.kind == "user":
        return f"user:{identity.login}"
    return "app"
