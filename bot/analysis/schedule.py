"""The schedule with unlimited agents: earliest start and finish, total, wall, speed-up, critical path."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from bot.analysis.graph import sccs
from bot.analysis.models import HourRange, PlanReport, Stream

_EPS = 1e-9


def stream_hours(s: Stream) -> HourRange:
    """The stream's hours for figures: unknown, negative or non-finite values count as 0."""
    if s.hours is None:
        return (0.0, 0.0)
    lo, hi = (x if math.isfinite(x) and x > 0 else 0.0 for x in s.hours)
    return (min(lo, hi), max(lo, hi))


def schedule(
    comps: Sequence[Sequence[int]], deps: Sequence[Sequence[int]], hours: Sequence[HourRange]
) -> tuple[list[HourRange | None], list[HourRange | None]]:
    """Earliest start/finish with unlimited agents; None for streams in or behind a cycle."""
    n = len(hours)
    start: list[HourRange | None] = [None] * n
    finish: list[HourRange | None] = [None] * n
    for comp in comps:
        if len(comp) > 1:
            continue
        v = comp[0]
        lo = hi = 0.0
        blocked = False
        for d in deps[v]:
            f = finish[d]
            if f is None:
                blocked = True
                break
            lo = max(lo, f[0])
            hi = max(hi, f[1])
        if blocked:
            continue
        start[v] = (lo, hi)
        finish[v] = (lo + hours[v][0], hi + hours[v][1])
    return start, finish


def _ratio_pair(a: HourRange, b: HourRange) -> HourRange | None:
    """a / b, low by low and high by high, as an ordered range; None when b may be zero."""
    if b[0] <= _EPS or b[1] <= _EPS:
        return None
    x, y = a[0] / b[0], a[1] / b[1]
    return (min(x, y), max(x, y))


def fill_figures(
    report: PlanReport,
    streams: Sequence[Stream],
    hours: Sequence[HourRange],
    deps: Sequence[Sequence[int]],
    finish: Sequence[HourRange | None],
) -> None:
    """Total, wall, speed-up, efficiency gain and the critical path (high estimates; ties by stream order)."""
    if not streams:
        return
    if any(s.hours is not None for s in streams):
        report.total_hours = (sum(h[0] for h in hours), sum(h[1] for h in hours))
    scheduled = [i for i, f in enumerate(finish) if f is not None]
    if not scheduled:
        return
    done = [f for f in finish if f is not None]
    report.wall_hours = _latest(done)
    if report.total_hours is not None:
        report.speedup = _ratio_pair(report.total_hours, report.wall_hours)
        share = _ratio_pair(report.wall_hours, report.total_hours)  # the part of the work on the wall clock
        if share is not None:
            report.efficiency_gain = ((1 - share[1]) * 100, (1 - share[0]) * 100)
    path = _critical_path(scheduled, deps, hours, finish)
    report.critical_path = [streams[i].id for i in path]
    for i in path:
        report.schedule[i].on_critical_path = True


def _critical_path(
    scheduled: Sequence[int],
    deps: Sequence[Sequence[int]],
    hours: Sequence[HourRange],
    finish: Sequence[HourRange | None],
) -> list[int]:
    """The chain ending at the latest (high) finish, each stream after the dependency that holds it up.

    Ties go to the earlier stream, both for the end and for each predecessor.
    """

    def hi(i: int) -> float:
        f = finish[i]
        return f[1] if f is not None else -1.0

    end = scheduled[0]
    for i in scheduled:  # scheduled is in stream order: the first of equal finishes wins
        if hi(i) > hi(end) + _EPS:
            end = i
    path = [end]
    v = end
    while True:
        start_v = hi(v) - hours[v][1]
        preds = sorted(d for d in deps[v] if abs(hi(d) - start_v) <= _EPS)
        if not preds:
            break
        v = preds[0]
        path.append(v)
    path.reverse()
    return path


def remaining_wall(report: PlanReport, done: Iterable[str]) -> HourRange | None:
    """Wall time still ahead when the `done` streams are finished (their hours count as 0); None with a cycle.

    The renderer shows this as the remaining critical path of a plan in progress.
    """
    streams = [ss.stream for ss in report.schedule]
    index = {s.id: i for i, s in enumerate(streams)}
    finished = set(done)
    deps = [[index[d] for d in s.depends_on if d in index and d != s.id] for s in streams]
    hours = [(0.0, 0.0) if s.id in finished else stream_hours(s) for s in streams]
    comps = sccs(len(streams), deps)
    if any(len(c) > 1 for c in comps):
        return None
    _, finish = schedule(comps, deps, hours)
    values = [f for f in finish if f is not None]
    return _latest(values) if values else None


def _latest(finishes: Sequence[HourRange]) -> HourRange:
    """The wall time: the latest finish, low and high."""
    return (max(f[0] for f in finishes), max(f[1] for f in finishes))
