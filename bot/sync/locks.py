"""In-process locks by name (one issue's sync, one repository's label creation), gone when unused."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

#: A lock by name held across processes (given a key, a context manager): PostgreSQL's advisory locks when the
#: job queue has PostgreSQL (bot.store.locks), else none (`named_lock` alone then).
SharedLock = Callable[[str], AbstractAsyncContextManager[None]]


class _Held:
    """A lock and how many tasks hold or wait for it (the entry goes when the last one leaves)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


# Per event loop: an asyncio.Lock belongs to the loop that first waits on it.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Held]] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def named_lock(key: str) -> AsyncIterator[None]:
    """Hold the lock called `key` in this process; across processes the job queue's lock takes over."""
    locks = _LOCKS.setdefault(asyncio.get_running_loop(), {})
    held = locks.get(key)
    if held is None:
        held = locks[key] = _Held()
    held.users += 1
    try:
        async with held.lock:
            yield
    finally:
        held.users -= 1
        if held.users == 0:
            locks.pop(key, None)


@asynccontextmanager
async def held(key: str, shared: SharedLock | None = None) -> AsyncIterator[None]:
    """Hold `key` in this process and, with `shared`, across processes too."""
    async with named_lock(key):
        if shared is None:
            yield
            return
        async with shared(key):
            yield
