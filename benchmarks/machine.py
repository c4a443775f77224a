"""How fast this machine runs Python right now, printed beside the time figures it qualifies.

A virtual machine's speed can change by half from one minute to the next (its host's other load): a
benchmark prints this before and after its figures, so figures from two runs are compared fairly.
"""

from __future__ import annotations

import time

LOOP = 3_000_000


def loop_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop (best of three)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(LOOP):
            total += i
        best = min(best, time.process_time() - started)
    return best


def speed_line(when: str) -> str:
    """One line for the benchmark's output: `when` (before / after) and the loop's CPU time."""
    return f"machine speed {when}: {LOOP:,} additions in {loop_seconds():.3f} s of CPU (smaller is faster)"
