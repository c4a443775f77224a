"""How fast this machine runs right now, printed beside the time figures it qualifies.

A virtual machine's speed can change by half from one minute to the next (its host's other load), and not
for every kind of work alike: a benchmark prints these three before and after its figures, so that figures
from two runs are compared fairly.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

LOOP = 3_000_000
TRIPS = 20_000
ITEMS = 20_000


def _best(work: Callable[[], object]) -> float:
    """CPU seconds of `work`, best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _additions() -> None:
    total = 0
    for i in range(LOOP):
        total += i


def _round_trips() -> None:
    """One-byte round trips over a local socket pair: the system calls every request and statement pays."""
    a, b = socket.socketpair()
    with a, b:
        for _ in range(TRIPS):
            a.send(b"x")
            b.recv(1)
            b.send(b"y")
            a.recv(1)


def _json() -> None:
    """Many small objects made, walked and freed: the memory-heavy work that parsing GitHub's answers is."""
    data = [{"id": i, "name": "x" * 20, "labels": [{"name": f"l{j}", "color": "ededed"} for j in range(5)]}
            for i in range(ITEMS)]
    json.loads(json.dumps(data))


def speed_line(when: str) -> str:
    """One line for the output: `when` (before / after) and the CPU seconds of the three (smaller: faster)."""
    return (f"machine speed {when}: {LOOP:,} additions {_best(_additions):.3f} s, {TRIPS:,} socket"
            f" round trips {_best(_round_trips):.3f} s, JSON of {ITEMS:,} objects {_best(_json):.3f} s"
            " of CPU")
