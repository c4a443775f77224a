"""Write pacing: one write at a time per key (installation), a minimum interval apart, within GitHub's
content limits (80 writes a minute, 500 an hour)."""

from __future__ import annotations

import asyncio
import bisect
import collections
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.conventions import CONTENT_PER_HOUR, CONTENT_PER_MINUTE

from .errors import RateLimitWait

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: GitHub asks integrations to make content-creating requests serially and about a second apart.
GITHUB_WRITE_INTERVAL = 1.0
#: One job writes for about this long at most, then hands the worker back and resumes in a new job.
SLICE_SECONDS = 60.0
#: A write waits in its slot at most this long for a content limit; a longer wait defers the job instead.
MAX_BUDGET_WAIT = 60.0


def default_budget(interval: float) -> Budget:
    """GitHub's content limits when writes are paced; none without pacing (interval 0: the local GitHub of
    tests and the demo, where a test that wants limits gives a `Budget`)."""
    return Budget() if interval > 0 else Budget(None, None)


class BudgetWait(RateLimitWait):
    """GitHub's hourly content limit (as counted here) leaves no room now: resume at `reset_at`."""


@dataclass(frozen=True)
class Room:
    """What a job may write now: `writes` (None: no bound), and when the rest fits (`resume_at`, Unix time;
    equal to now when only the job's slice is the bound)."""

    writes: int | None
    resume_at: float


@dataclass(frozen=True)
class Budget:
    """GitHub's content limits over sliding windows of write times (Unix seconds, sorted); every write
    counts (GitHub does not list which of its writes create content, so none is assumed free)."""

    per_minute: int | None = CONTENT_PER_MINUTE
    per_hour: int | None = CONTENT_PER_HOUR

    def fits_at(self, times: Sequence[float], now: float, n: int = 1) -> float:
        """The earliest time (>= now) at which `n` more writes fit both windows, all made then."""
        at = now
        for limit, span in ((self.per_minute, 60.0), (self.per_hour, 3600.0)):
            if limit is None:
                continue
            if n > limit:
                n = limit  # the rest waits for later windows; this is when the first `limit` fit
            first = bisect.bisect_right(times, at - span)  # the oldest write still in the window
            over = len(times) - first + n - limit
            if over > 0:
                at = max(at, times[first + over - 1] + span)
        return at

    def left(self, times: Sequence[float], now: float) -> int | None:
        """Writes the hour window still takes now (None: no hourly limit)."""
        if self.per_hour is None:
            return None
        return max(0, self.per_hour - (len(times) - bisect.bisect_right(times, now - 3600.0)))

    def room(
        self, times: Sequence[float], now: float, want: int, interval: float,
        slice_seconds: float = SLICE_SECONDS,
    ) -> Room:
        """How much of `want` writes a job makes now: what the hour leaves, at most a slice's worth
        (`slice_seconds` of writes `interval` apart), and when the rest fits."""
        cap = max(1, int(slice_seconds / interval)) if interval > 0 else None
        left = self.left(times, now)
        bounds = [b for b in (left, cap) if b is not None]
        writes = min(bounds) if bounds else None
        if writes is None or writes >= want:
            return Room(writes, now)
        if left is not None and left <= writes:
            later = [*times, *(now + i * max(interval, 0.0) for i in range(writes))]
            return Room(writes, self.fits_at(sorted(later), now, want - writes))
        return Room(writes, now)


@runtime_checkable
class Pacer(Protocol):
    """Hands out write slots: while a slot for `key` is held nobody else writes for `key`.

    The job queue may supply a cross-process implementation (e.g. a PostgreSQL advisory lock).
    """

    def slot(self, key: str) -> AbstractAsyncContextManager[None]:
        """Wait for our turn (and the interval since the previous write) and hold the slot."""
        ...


@runtime_checkable
class BudgetedPacer(Pacer, Protocol):
    """A pacer that also keeps GitHub's content limits for each key, so a sync can plan what fits."""

    async def room(self, key: str, want: int) -> Room:
        """What of `want` writes for `key` may go now, and when the rest fits."""
        ...


class InProcessPacer:
    """Pacer for one process: an asyncio lock per key, at least `interval` s between writes, and GitHub's
    content limits (`budget`) per key.

    The interval is measured from the end of the previous write of the same key. A write that a content
    limit holds back waits in its slot up to `MAX_BUDGET_WAIT`, else raises `BudgetWait` (the job is
    rescheduled); `room` bounds a job to `slice_seconds` of writes. `clock` (intervals), `wall` (the limits'
    windows, Unix time) and `sleep` are injectable so tests can assert on the waits (`waits`) instead of
    wall time.
    """

    def __init__(
        self,
        interval: float = GITHUB_WRITE_INTERVAL,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        budget: Budget | None = None,
        wall: Clock = time.time,
        slice_seconds: float = SLICE_SECONDS,
    ) -> None:
        if interval < 0:
            raise ValueError("interval must be >= 0")
        self.interval = interval
        self.budget = budget if budget is not None else default_budget(interval)
        #: How long one job writes before it hands the worker back (see `Budget.room`).
        self.slice_seconds = slice_seconds
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_end: dict[str, float] = {}
        self._times: dict[str, collections.deque[float]] = {}
        #: Every wait this pacer made, in order, as (key, seconds).
        self.waits: list[tuple[str, float]] = []

    def slot(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the write slot of `key` (serial, paced, within the content limits)."""
        return self._slot(key)

    def _window(self, key: str) -> collections.deque[float]:
        times = self._times.setdefault(key, collections.deque())
        while times and times[0] <= self._wall() - 3600.0:
            times.popleft()
        return times

    async def room(self, key: str, want: int) -> Room:
        """What of `want` writes for `key` may go now, and when the rest fits."""
        return self.budget.room(self._window(key), self._wall(), want, self.interval, self.slice_seconds)

    @asynccontextmanager
    async def _slot(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            last = self._last_end.get(key)
            if last is not None and self.interval > 0:
                wait = last + self.interval - self._clock()
                if wait > 0:
                    self.waits.append((key, wait))
                    await self._sleep(wait)
            now = self._wall()
            at = self.budget.fits_at(self._window(key), now)
            if at - now > MAX_BUDGET_WAIT:
                raise BudgetWait(at, reason="GitHub's hourly content limit")
            if at > now:
                self.waits.append((key, at - now))
                await self._sleep(at - now)
            self._window(key).append(self._wall())
            try:
                yield
            finally:
                self._last_end[key] = self._clock()


def is_loopback(base_url: str) -> bool:
    """True for a GitHub served on this machine (the local GitHub), where pacing is pointless."""
    host = urllib.parse.urlsplit(base_url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


def default_pacer(
    base_url: str, interval: float | None = None, *, sleep: Sleep = asyncio.sleep
) -> InProcessPacer:
    """An in-process pacer `interval` s apart; by default 1 s for GitHub, 0 for a loopback `base_url`.
    GitHub's content limits are kept whenever writes are paced (see `default_budget`)."""
    if interval is None:
        interval = 0.0 if is_loopback(base_url) else GITHUB_WRITE_INTERVAL
    return InProcessPacer(interval, sleep=sleep)
