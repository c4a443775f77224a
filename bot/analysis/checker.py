"""Checks a read analysis: dependency errors, stated-vs-computed warnings, file overlaps, and the schedule.

The pieces: graph.py (dependencies, cycles), schedule.py (figures), stated.py (stated vs computed),
overlaps.py (files touched by concurrent streams). Near-linear in streams + edges + files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.analysis import diagnostics
from bot.analysis.figures import fmt_hours
from bot.analysis.graph import name_cycle, resolve_deps, sccs
from bot.analysis.models import Analysis, Diagnostic, PlanReport, ScheduledStream, Stream
from bot.analysis.overlaps import Related, overlap_warnings
from bot.analysis.schedule import fill_figures, remaining_wall, schedule, stream_hours
from bot.analysis.stated import stated_warnings
from bot.conventions import MAX_SUB_ISSUES

__all__ = ["MAX_SUB_ISSUES", "check_plan", "fmt_hours", "remaining_wall"]

#: Codes about the whole document: reported once even when reader and checker both find them.
_DOCUMENT_CODES = frozenset({"no-streams", "too-many-streams"})

_IMMEDIATE = re.compile(
    r"^\W*(immediately|now|yes\b|right away|at once|立即|马上|immédiatement|tout de suite)", re.I
)
_AFTER = re.compile(r"\b(after|once|when|following|until|depends|blocked)\b|之后|完成后|après|dès que", re.I)


def check_plan(analysis: Analysis) -> PlanReport:
    """Check the plan and compute its figures; never raises: streams in or behind a cycle get None."""
    own: list[Diagnostic] = []
    streams: list[Stream] = []
    index: dict[str, int] = {}
    for s in analysis.streams:
        if s.id in index:
            first = streams[index[s.id]]
            message = (
                f"Stream {s.id} is defined twice (first on line {first.line}); the first definition is used"
            )
            own.append(diagnostics.error("duplicate-stream", message, s.line))
            continue
        index[s.id] = len(streams)
        streams.append(s)

    deps = resolve_deps(streams, index, own)
    n = len(streams)
    comps = sccs(n, deps)
    for comp in comps:
        if len(comp) > 1:
            cycle = name_cycle(comp, deps, streams)
            message = f"Dependency cycle: {cycle} (each waits for the one before it)"
            own.append(diagnostics.error("dependency-cycle", message, streams[min(comp)].line))

    hours = [stream_hours(s) for s in streams]
    start, finish = schedule(comps, deps, hours)
    report = PlanReport(analysis=analysis)
    report.schedule = [
        ScheduledStream(stream=s, start=start[i], finish=finish[i]) for i, s in enumerate(streams)
    ]
    fill_figures(report, streams, hours, deps, finish)

    own.extend(stated_warnings(analysis, report))
    own.extend(_stream_warnings(streams))
    if n > MAX_SUB_ISSUES:
        message = f"The plan has {n} streams; GitHub allows at most {MAX_SUB_ISSUES} sub-issues per issue"
        own.append(diagnostics.warning("too-many-streams", message, streams[MAX_SUB_ISSUES].line))
    if n == 0:
        own.append(diagnostics.warning("no-streams", "No streams found in the analysis"))
    elif n > 1:
        own.extend(overlap_warnings(analysis, streams, Related(comps, deps)))

    report.diagnostics = _merge(analysis.diagnostics, own)
    return report


def _stream_warnings(streams: Sequence[Stream]) -> list[Diagnostic]:
    """A "Can Start: immediately" that its dependencies contradict; streams without hours."""
    out: list[Diagnostic] = []
    for s in streams:
        if (
            s.can_start
            and s.depends_on
            and s.depends_source != "can_start"
            and _IMMEDIATE.search(s.can_start)
            and not _AFTER.search(s.can_start)
        ):
            out.append(
                diagnostics.warning(
                    "can-start-contradiction",
                    f"Stream {s.id} says it can start {s.can_start.strip()[:80]!r} but depends on "
                    f"{', '.join(s.depends_on)}",
                    s.line,
                )
            )
    missing = [s for s in streams if s.hours is None]
    if len(missing) <= 5:
        for s in missing:
            message = f"Stream {s.id} has no estimated hours; counted as 0"
            out.append(diagnostics.warning("missing-hours", message, s.line))
    else:
        ids = diagnostics.id_list([s.id for s in missing], 20)
        out.append(
            diagnostics.warning(
                "missing-hours",
                f"{len(missing)} streams have no estimated hours ({ids}); counted as 0",
                missing[0].line,
            )
        )
    return out


def _merge(reader: Sequence[Diagnostic], own: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The reader's diagnostics, then the checker's the reader did not already report (same code + line)."""
    out = list(reader)
    seen_reader = {(d.code, d.line) for d in reader}
    # Whole-document findings the reader may report on another line (or none).
    seen_reader |= {(d.code, None) for d in reader if d.code in _DOCUMENT_CODES}
    seen_own: set[tuple[str, int | None, str]] = set()
    for d in own:
        key = (d.code, d.line, d.message)
        if (d.code, d.line) in seen_reader or (d.code, None) in seen_reader or key in seen_own:
            continue
        seen_own.add(key)
        out.append(d)
    return out
