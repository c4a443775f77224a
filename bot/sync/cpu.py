"""CPU-bound steps of a sync (reading, checking, rendering a plan): inline when small, else in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

#: Text up to this many characters is read, checked and rendered on the event loop: even a hostile document
#: that size holds the loop for less than a thread hand-off's own cost would matter. Bigger ones go to a
#: thread, so that acknowledgements and heartbeats keep going while they are worked on.
INLINE_CHARS = 8_192

P = ParamSpec("P")
R = TypeVar("R")


async def cpu_step(size: int, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)`, run where its input's `size` (in characters) says (see INLINE_CHARS)."""
    if size <= INLINE_CHARS:
        return fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)
