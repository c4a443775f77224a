"""Where a sync's CPU-bound steps run: small inputs on the event loop, big ones in a thread."""

from __future__ import annotations

import threading

from bot.analysis.reader import read_analysis
from bot.sync.cpu import INLINE_CHARS, cpu_step
from tests.paths import SEED


def _where(text: str) -> tuple[int, bool]:
    return threading.get_ident(), read_analysis(text) is not None


async def test_a_small_plan_is_read_on_the_loop_and_a_big_one_in_a_thread() -> None:
    loop_thread = threading.get_ident()
    seed = SEED.read_text()
    assert len(seed) <= INLINE_CHARS
    where, found = await cpu_step(len(seed), _where, seed)
    assert (where, found) == (loop_thread, True)
    big = seed + "\n" + "Notes that go on. " * (INLINE_CHARS // 10)
    where, found = await cpu_step(len(big), _where, big)
    assert where != loop_thread and found
