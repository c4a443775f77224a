"""What the long-running processes (`serve`, `worker`) run on: uvloop or asyncio's loop, a settled heap."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop (its transports and polling cost the web intake and the worker a fraction of asyncio's
    own CPU a request), or None for asyncio's default where uvloop is not installed (Windows)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], *, fair_accept: bool = False) -> T:
    """Run `main` to completion on a new loop, as `asyncio.run` does.

    `fair_accept`: asyncio's own loop even where uvloop is installed, for a web process that also runs
    syncs (no database). libuv accepts one new connection a loop iteration, and a busy iteration (syncs
    beside the intake) then left a new connection's delivery waiting for seconds behind the open ones;
    asyncio's loop accepts every waiting connection at once.
    """
    with asyncio.Runner(loop_factory=None if fair_accept else loop_factory()) as runner:
        return runner.run(main)


def settle_heap() -> None:
    """Move everything start-up made (modules, classes, the app) out of the collector's sight.

    A full (oldest-generation) collection walks every tracked object, the imports' many among them: under
    load that stalled the event loop and every acknowledgement with it.
    Frozen objects are never walked again (they live as long as the process anyway).
    """
    gc.collect()
    gc.freeze()
