"""In-process locks by name (one issue's sync, one repository's label creation), gone when unused."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


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
