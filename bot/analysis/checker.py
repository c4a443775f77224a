"""Checks a read analysis: dependency errors, stated-vs-computed warnings, file overlaps, and the schedule.

Near-linear in streams + edges + files: reachability is a bitset per stream (a Python int), and file
overlaps are found through an index of paths and directory prefixes, never by comparing all pairs.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Sequence

from bot.analysis import globs
from bot.analysis.models import (
    Analysis,
    Diagnostic,
    HourRange,
    PlanReport,
    ScheduledStream,
    Severity,
    Stream,
)

#: GitHub allows at most this many sub-issues under one issue.
MAX_SUB_ISSUES = 100
#: Relative tolerance when comparing stated and computed figures (authors round).
REL_TOLERANCE = 0.05
#: Absolute tolerance for efficiency gain, in percentage points.
GAIN_TOLERANCE = 5.0
#: Above this many concurrent pairs on one path, report the path once with its streams instead of each pair.
MAX_PAIRS_PER_PATH = 10
#: At most this many file-overlap warnings; the rest are counted in one last warning.
MAX_OVERLAP_WARNINGS = 100
_EPS = 1e-9
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
            own.append(
                _error(
                    "duplicate-stream",
                    f"Stream {s.id} is defined twice (first on line {first.line}); "
                    "the first definition is used",
                    s.line,
                )
            )
            continue
        index[s.id] = len(streams)
        streams.append(s)

    deps = _resolve_deps(streams, index, own)
    n = len(streams)
    comps = _sccs(n, deps)
    comp_of = [0] * n
    for ci, comp in enumerate(comps):
        for v in comp:
            comp_of[v] = ci
    for comp in comps:
        if len(comp) > 1:
            cycle = _name_cycle(comp, deps, streams)
            own.append(
                _error(
                    "dependency-cycle",
                    f"Dependency cycle: {cycle} (each depends on the next)",
                    streams[min(comp)].line,
                )
            )

    hours = [_hours(s) for s in streams]
    start, finish = _schedule(comps, deps, hours)
    report = PlanReport(analysis=analysis)
    report.schedule = [
        ScheduledStream(stream=s, start=start[i], finish=finish[i]) for i, s in enumerate(streams)
    ]
    _figures(report, streams, hours, deps, finish)

    own.extend(_stated_warnings(analysis, report))
    own.extend(_stream_warnings(streams))
    if n > MAX_SUB_ISSUES:
        own.append(
            _warning(
                "too-many-streams",
                f"The plan has {n} streams; GitHub allows at most {MAX_SUB_ISSUES} sub-issues per issue",
                streams[MAX_SUB_ISSUES].line,
            )
        )
    if n == 0:
        own.append(_warning("no-streams", "No streams found in the analysis", None))
    elif n > 1:
        own.extend(_overlap_warnings(analysis, streams, _Related(comps, comp_of, deps)))

    report.diagnostics = _merge(analysis.diagnostics, own)
    return report


# --- dependencies ---------------------------------------------------------------------------------


def _resolve_deps(streams: Sequence[Stream], index: dict[str, int], out: list[Diagnostic]) -> list[list[int]]:
    """Stream indices each stream depends on; self and unknown dependencies are reported and left out."""
    deps: list[list[int]] = []
    for s in streams:
        seen: set[int] = set()
        mine: list[int] = []
        for d in s.depends_on:
            if d == s.id:
                out.append(_error("self-dependency", f"Stream {s.id} depends on itself", s.line))
                continue
            j = index.get(d)
            if j is None:
                out.append(
                    _error(
                        "unknown-dependency",
                        f"Stream {s.id} depends on Stream {d}, which is not in the plan",
                        s.line,
                    )
                )
                continue
            if j not in seen:
                seen.add(j)
                mine.append(j)
        deps.append(mine)
    return deps


def _sccs(n: int, deps: Sequence[Sequence[int]]) -> list[list[int]]:
    """Strongly connected components, dependencies before their dependents.

    Kahn's topological sort first (fast, and all there is without cycles); Tarjan only on what is left over.
    """
    indegree = [len(d) for d in deps]
    dependents: list[list[int]] = [[] for _ in range(n)]
    for v, dv in enumerate(deps):
        for d in dv:
            dependents[d].append(v)
    order = [v for v in range(n) if indegree[v] == 0]
    for v in order:  # the list grows while we walk it
        for w in dependents[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                order.append(w)
    comps = [[v] for v in order]
    if len(order) < n:
        done = set(order)
        rest = [v for v in range(n) if v not in done]
        comps.extend(_tarjan(rest, deps, done))
    return comps


def _tarjan(nodes: Sequence[int], deps: Sequence[Sequence[int]], skip: set[int]) -> list[list[int]]:
    """Iterative Tarjan over `nodes` (edges into `skip` ignored), dependencies first."""
    n = len(deps)
    dv_of = {v: [w for w in deps[v] if w not in skip] for v in nodes}
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, pi = work[-1]
            dv = dv_of[v]
            if pi < len(dv):
                work[-1] = (v, pi + 1)
                w = dv[pi]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                comp.sort()
                out.append(comp)
    return out


def _name_cycle(comp: Sequence[int], deps: Sequence[Sequence[int]], streams: Sequence[Stream]) -> str:
    """The shortest cycle through the component's first stream, as `A → B → A`."""
    members = set(comp)
    start = comp[0]
    parent: dict[int, int] = {}
    queue = deque([start])
    end = start
    while queue:
        u = queue.popleft()
        nxt = sorted(w for w in deps[u] if w in members)
        if start in nxt:
            end = u
            break
        for w in nxt:
            if w not in parent and w != start:
                parent[w] = u
                queue.append(w)
    path = [end]
    while path[-1] != start:
        path.append(parent[path[-1]])
    path.reverse()
    return " → ".join(streams[i].id for i in [*path, start])


# --- schedule and figures -------------------------------------------------------------------------


def _hours(s: Stream) -> HourRange:
    """The stream's hours for figures: unknown, negative or non-finite values count as 0."""
    if s.hours is None:
        return (0.0, 0.0)
    lo, hi = (x if math.isfinite(x) and x > 0 else 0.0 for x in s.hours)
    return (min(lo, hi), max(lo, hi))


def _schedule(
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


def _ratio_pair(a: HourRange, b: HourRange, scale: float = 1.0) -> HourRange | None:
    if b[0] <= _EPS or b[1] <= _EPS:
        return None
    x, y = a[0] / b[0] * scale, a[1] / b[1] * scale
    return (min(x, y), max(x, y))


def _figures(
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
    done = [f for f in finish if f is not None]
    if not done:
        return
    report.wall_hours = (max(f[0] for f in done), max(f[1] for f in done))
    if report.total_hours is not None:
        report.speedup = _ratio_pair(report.total_hours, report.wall_hours)
        if report.total_hours[0] > _EPS and report.total_hours[1] > _EPS:
            gains = (
                (1 - report.wall_hours[0] / report.total_hours[0]) * 100,
                (1 - report.wall_hours[1] / report.total_hours[1]) * 100,
            )
            report.efficiency_gain = (min(gains), max(gains))
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
    hours = [(0.0, 0.0) if s.id in finished else _hours(s) for s in streams]
    comps = _sccs(len(streams), deps)
    if any(len(c) > 1 for c in comps):
        return None
    _, finish = _schedule(comps, deps, hours)
    values = [f for f in finish if f is not None]
    if not values:
        return None
    return (max(f[0] for f in values), max(f[1] for f in values))


# --- warnings -------------------------------------------------------------------------------------


def fmt_hours(value: HourRange | float | None, unit: str = "") -> str:
    """A figure or range for messages: `2.0`, `1.67`, `2.0–3.0`; `?` when unknown."""
    if value is None:
        return "?"
    if isinstance(value, tuple):
        lo, hi = value
        if abs(lo - hi) <= 0.005:
            return _num(lo) + unit
        return f"{_num(lo)}–{_num(hi)}{unit}"
    return _num(value) + unit


def _num(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    r = round(x, 2)
    if abs(r - round(r)) < 1e-9:
        return f"{r:.1f}"
    return f"{r:.2f}".rstrip("0")


def _agrees(stated: HourRange, computed: HourRange, *, absolute: float = 0.0) -> bool:
    """Stated and computed ranges agree when they overlap, allowing for rounding."""
    slack_hi = max(computed[1] * REL_TOLERANCE, absolute, 0.01)
    slack_lo = max(stated[1] * REL_TOLERANCE, absolute, 0.01)
    return stated[0] <= computed[1] + slack_hi and computed[0] <= stated[1] + slack_lo


def _key_line(analysis: Analysis, key: str) -> int | None:
    """The input line of a frontmatter key, found in the located source; else the frontmatter's line."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:", re.M)
    head = analysis.source[:4000]
    m = pattern.search(head)
    if m is None:
        return analysis.frontmatter.line
    return analysis.source_line + head.count("\n", 0, m.start())


def _stated_warnings(analysis: Analysis, report: PlanReport) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    fm = analysis.frontmatter
    tl = analysis.timeline
    total, wall, speedup, gain = report.total_hours, report.wall_hours, report.speedup, report.efficiency_gain
    if fm.estimated_hours is not None and total is not None and not _agrees(fm.estimated_hours, total):
        out.append(
            _warning(
                "estimated-hours-mismatch",
                f"Stated estimated_hours {fmt_hours(fm.estimated_hours)} differs from the sum of "
                f"stream hours {fmt_hours(total)}",
                _key_line(analysis, "estimated_hours"),
            )
        )
    if fm.parallelization_factor is not None and speedup is not None:
        pf = (fm.parallelization_factor, fm.parallelization_factor)
        if not _agrees(pf, speedup):
            out.append(
                _warning(
                    "parallelization-factor-mismatch",
                    f"Stated parallelization_factor {fmt_hours(fm.parallelization_factor)} differs "
                    f"from the computed speed-up {fmt_hours(speedup)}",
                    _key_line(analysis, "parallelization_factor"),
                )
            )
    if tl.wall_hours is not None and wall is not None and not _agrees(tl.wall_hours, wall):
        out.append(
            _warning(
                "wall-time-mismatch",
                f"Stated wall time {fmt_hours(tl.wall_hours)} h differs from the computed "
                f"{fmt_hours(wall)} h",
                tl.line,
            )
        )
    if tl.total_hours is not None and total is not None and not _agrees(tl.total_hours, total):
        out.append(
            _warning(
                "total-work-mismatch",
                f"Stated total work {fmt_hours(tl.total_hours)} h differs from the computed "
                f"{fmt_hours(total)} h",
                tl.line,
            )
        )
    if tl.efficiency_gain is not None and gain is not None:
        eg = (tl.efficiency_gain, tl.efficiency_gain)
        if not _agrees(eg, gain, absolute=GAIN_TOLERANCE):
            out.append(
                _warning(
                    "efficiency-gain-mismatch",
                    f"Stated efficiency gain {fmt_hours(tl.efficiency_gain)}% differs from the "
                    f"computed {fmt_hours(gain)}%",
                    tl.line,
                )
            )
    return out


def _stream_warnings(streams: Sequence[Stream]) -> list[Diagnostic]:
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
                _warning(
                    "can-start-contradiction",
                    f"Stream {s.id} says it can start {s.can_start.strip()[:80]!r} but depends on "
                    f"{', '.join(s.depends_on)}",
                    s.line,
                )
            )
    missing = [s for s in streams if s.hours is None]
    if len(missing) <= 5:
        for s in missing:
            out.append(
                _warning("missing-hours", f"Stream {s.id} has no estimated hours; counted as 0", s.line)
            )
    else:
        ids = ", ".join(s.id for s in missing[:20]) + (", …" if len(missing) > 20 else "")
        out.append(
            _warning(
                "missing-hours",
                f"{len(missing)} streams have no estimated hours ({ids}); counted as 0",
                missing[0].line,
            )
        )
    return out


# --- concurrency and file overlaps ----------------------------------------------------------------


class _Related:
    """Per stream, a bitset of the streams ordered with it (ancestors, descendants, itself, its cycle).

    Built on first use and per stream on demand: plans whose streams share no file never pay for it.
    """

    def __init__(self, comps: Sequence[Sequence[int]], comp_of: Sequence[int], deps: Sequence[Sequence[int]]):
        self._comps, self._comp_of, self._deps = comps, comp_of, deps
        self._tables: tuple[list[int], list[int], list[int]] | None = None
        self._cache: dict[int, int] = {}

    def _build(self) -> tuple[list[int], list[int], list[int]]:
        comps, comp_of, deps = self._comps, self._comp_of, self._deps
        anc = [0] * len(comps)
        desc = [0] * len(comps)
        bits = [0] * len(comps)
        for ci, comp in enumerate(comps):
            b = 0
            for v in comp:
                b |= 1 << v
            bits[ci] = b
        for ci, comp in enumerate(comps):  # dependencies first
            a = 0
            for v in comp:
                for d in deps[v]:
                    dc = comp_of[d]
                    if dc != ci:
                        a |= anc[dc] | bits[dc]
            anc[ci] = a
        for ci in range(len(comps) - 1, -1, -1):  # dependents first
            mine = desc[ci] | bits[ci]
            for v in comps[ci]:
                for d in deps[v]:
                    dc = comp_of[d]
                    if dc != ci:
                        desc[dc] |= mine
        return anc, desc, bits

    def __getitem__(self, v: int) -> int:
        found = self._cache.get(v)
        if found is None:
            if self._tables is None:
                self._tables = self._build()
            anc, desc, bits = self._tables
            c = self._comp_of[v]
            found = self._cache[v] = anc[c] | desc[c] | bits[c]
        return found


class _FileIndex:
    """Stream file entries indexed by literal path, by directory prefix, and globs by their directory."""

    def __init__(self, streams: Sequence[Stream]) -> None:
        self.literal: dict[str, list[int]] = {}
        self.globs: list[tuple[str, int]] = []
        for i, s in enumerate(streams):
            seen: set[str] = set()
            for raw in s.files:
                path = globs.normalize_path(raw)
                if not path or path in seen:
                    continue
                seen.add(path)
                if globs.is_glob(path):
                    self.globs.append((path, i))
                else:
                    self.literal.setdefault(path, []).append(i)
        self._under: dict[str, list[str]] | None = None
        self._glob_at: dict[str, list[tuple[str, int]]] = {}
        self._glob_under: dict[str, list[tuple[str, int]]] = {}
        for entry in self.globs:
            d = globs.glob_dir(entry[0])
            self._glob_at.setdefault(d, []).append(entry)
            for a in globs.ancestors(d):
                self._glob_under.setdefault(a, []).append(entry)
            if d:
                self._glob_under.setdefault(d, []).append(entry)

    def literals_under(self, directory: str) -> list[str]:
        """Literal paths inside `directory` (built on first use: only plans with globs pay for it)."""
        if self._under is None:
            under: dict[str, list[str]] = {}
            for path in self.literal:
                for a in globs.ancestors(path):
                    under.setdefault(a, []).append(path)
            self._under = under
        return self._under.get(directory, [])

    def globs_near(self, pattern: str) -> list[tuple[str, int]]:
        """Glob entries that could overlap `pattern`: those in its directory, above it or below it."""
        d = globs.glob_dir(pattern)
        out = list(self._glob_under.get(d, []))
        for a in globs.ancestors(d):
            if a != d:
                out.extend(self._glob_at.get(a, []))
        return out

    def touching(self, pattern: str) -> dict[int, str]:
        """Streams with an entry overlapping `pattern`, each with that entry."""
        out: dict[int, str] = {}
        if globs.is_glob(pattern):
            for path in self.literals_under(globs.glob_dir(pattern)):
                if globs.overlaps(pattern, path):
                    for i in self.literal[path]:
                        out.setdefault(i, path)
        else:
            for i in self.literal.get(pattern, []):
                out.setdefault(i, pattern)
        for g, i in self.globs_near(pattern):
            if globs.overlaps(pattern, g):
                out.setdefault(i, g)
        return out


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _overlap_warnings(analysis: Analysis, streams: Sequence[Stream], related: _Related) -> list[Diagnostic]:
    idx = _FileIndex(streams)
    pairs: dict[tuple[int, int], list[str]] = {}
    crowded: list[tuple[str, list[int]]] = []

    def add_pair(a: int, b: int, what: str) -> None:
        key = (a, b) if a < b else (b, a)
        found = pairs.setdefault(key, [])
        if what not in found:
            found.append(what)

    for path, users in idx.literal.items():
        if len(users) < 2:
            continue
        mask = 0
        for i in users:
            mask |= 1 << i
        found: list[tuple[int, int]] = []
        involved_bits = 0
        for i in users:
            partners = mask & ~related[i]
            if partners:
                involved_bits |= (1 << i) | partners
                if len(found) <= MAX_PAIRS_PER_PATH:
                    found.extend((i, j) for j in _bits(partners) if j > i)
        if len(found) > MAX_PAIRS_PER_PATH:
            crowded.append((path, list(_bits(involved_bits))))
        else:
            for a, b in found:
                add_pair(a, b, f'"{path}"')

    for g, i in idx.globs:
        for path in idx.literals_under(globs.glob_dir(g)):
            users = [j for j in idx.literal[path] if j != i and not (related[i] >> j) & 1]
            if users and globs.overlaps(g, path):
                for j in users:
                    add_pair(i, j, _pair_desc(g, i, path, j, streams))
        for h, j in idx.globs_near(g):
            if j != i and not (related[i] >> j) & 1 and globs.overlaps(g, h):
                add_pair(i, j, _pair_desc(g, i, h, j, streams))

    out: list[Diagnostic] = []
    found_pairs = sorted(pairs.items())
    extra = max(0, len(found_pairs) + len(crowded) - MAX_OVERLAP_WARNINGS)
    for (a, b), files in found_pairs[:MAX_OVERLAP_WARNINGS]:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        out.append(
            _warning(
                "file-overlap",
                f"Streams {streams[a].id} and {streams[b].id} can run at the same "
                f"time and both touch {shown}",
                streams[b].line,
            )
        )
    for path, crowd in crowded[: max(0, MAX_OVERLAP_WARNINGS - len(found_pairs))]:
        ids = ", ".join(streams[i].id for i in crowd[:12]) + (", …" if len(crowd) > 12 else "")
        out.append(
            _warning(
                "file-overlap",
                f'"{path}" is touched by {len(crowd)} streams that can run at the same time: {ids}',
                streams[crowd[0]].line,
            )
        )
    if extra:
        out.append(
            _warning("file-overlap", f"… and {extra} more file overlaps between concurrent streams", None)
        )

    for raw in analysis.coordination.shared_files:
        shared = globs.normalize_path(raw)
        if not shared:
            continue
        touching = idx.touching(shared)
        involved_mask = 0
        mask = 0
        for i in touching:
            mask |= 1 << i
        for i in touching:
            partners = mask & ~related[i]
            if partners:
                involved_mask |= (1 << i) | partners
        if involved_mask:
            involved = list(_bits(involved_mask))
            ids = _join_ids([streams[i].id for i in involved[:12]]) + (", …" if len(involved) > 12 else "")
            out.append(
                _warning(
                    "shared-file-concurrent",
                    f'Shared file "{shared}" (Coordination Points) is touched by streams {ids}, '
                    "which can run at the same time",
                    analysis.coordination.line,
                )
            )
    return out


def _pair_desc(p: str, i: int, q: str, j: int, streams: Sequence[Stream]) -> str:
    if p == q:
        return f'"{p}"'
    if i > j:
        p, i, q, j = q, j, p, i
    return f'"{p}" ({streams[i].id}) ~ "{q}" ({streams[j].id})'


def _join_ids(ids: Sequence[str]) -> str:
    if len(ids) == 2:
        return f"{ids[0]} and {ids[1]}"
    return ", ".join(ids)


# --- diagnostics ----------------------------------------------------------------------------------


def _error(code: str, message: str, line: int | None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, line=line)


def _warning(code: str, message: str, line: int | None) -> Diagnostic:
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, line=line)


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
