"""Write pacing: one write at a time per key (installation), a minimum interval apart."""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, runtime_checkable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: GitHub asks integrations to make content-creating requests serially and about a second apart.
GITHUB_WRITE_INTERVAL = 1.0


@runtime_checkable
class Pacer(Protocol):
    """Hands out write slots: while a slot for `key` is held nobody else writes for `key`.

    The job queue may supply a cross-process implementation (e.g. a PostgreSQL advisory lock).
    """

    def slot(self, key: str) -> AbstractAsyncContextManager[None]:
        """Wait for our turn (and the interval since the previous write) and hold the slot."""
        ...


class InProcessPacer:
    """Pacer for one process: an asyncio lock per key, and at least `interval` s between writes.

    The interval is measured from the end of the previous write of the same key. `clock` and
    `sleep` are injectable so tests can assert on the waits (`waits`) instead of wall time.
    """

    def __init__(
        self,
        interval: float = GITHUB_WRITE_INTERVAL,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if interval < 0:
            raise ValueError("interval must be >= 0")
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_end: dict[str, float] = {}
        #: Every wait this pacer made, in order, as (key, seconds).
        self.waits: list[tuple[str, float]] = []

    def slot(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the write slot of `key` (serial, paced)."""
        return self._slot(key)

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
    """An in-process pacer `interval` s apart; by default 1 s for GitHub, 0 for a loopback `base_url`."""
    if interval is None:
        interval = 0.0 if is_loopback(base_url) else GITHUB_WRITE_INTERVAL
    return InProcessPacer(interval, sleep=sleep)
