"""The plan's Mermaid diagram: a layout chosen to stay legible at GitHub's comment width, and its legend.

An arrow always points from a stream to one that waits for it (the plan's one arrow convention: "A → B" reads
"A, then B"). The layout is picked by an estimate of its width, because GitHub shrinks a wider diagram to the
comment (about 900 px) and labels become unreadable below about 0.6× (tests/test_rendering.py measures the
real scale): top-down when the plan is wider than deep, left-right when deeper than wide, labels shortened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.analysis.figures import fmt_hours
from bot.analysis.graph import sccs
from bot.analysis.markdown import mermaid_label, one_line, truncate
from bot.analysis.models import HourRange, PlanReport

#: GitHub's comment body on a desktop browser, in px.
COMMENT_WIDTH = 900
#: The estimated width a layout may take: the comment width over the smallest comfortable scale.
MAX_ESTIMATED_WIDTH = COMMENT_WIDTH / 0.7
#: Mermaid's flowchart text, as an average px per character (16 px font), and a node's padding.
_CHAR_PX = 8.5
_NODE_PAD = 34
_NODE_SPACING = 24
_RANK_SPACING = 36
#: Node label lengths tried, longest first (characters of "id: name"; 0: the id alone).
_LABEL_LENGTHS = (36, 22, 0)
_ID_LIMIT = 24

_CRITICAL = "#d73a49"
_PROBLEM = "#bc4c00"


@dataclass(frozen=True)
class Marks:
    """What the diagram marks: done streams, problems (cycles, unknown or self dependencies), the path."""

    done: frozenset[str] = frozenset()
    critical: tuple[str, ...] = ()
    errors: bool = False


def _hours(value: HourRange | None) -> str:
    # A no-break hyphen: "1.5-3.0" never splits across lines (nor "1.0 h": see _node).
    return "" if value is None else fmt_hours(value).replace("–", "\u2011") + " h"


def levels(report: PlanReport) -> list[int]:
    """Each stream's rank: the length of the longest chain of dependencies before it (a cycle shares one)."""
    ids = [ss.stream.id for ss in report.schedule]
    index = {sid: i for i, sid in enumerate(ids)}
    deps = [
        [j for d in dict.fromkeys(ss.stream.depends_on) if (j := index.get(d)) is not None and j != i]
        for i, ss in enumerate(report.schedule)
    ]
    level = [0] * len(ids)
    if all(j < i for i, mine in enumerate(deps) for j in mine):
        # Every stream waits only for earlier ones (most plans): no cycle, and document order is an order
        # of dependencies before dependents, so one pass in that order gives every rank.
        for i, mine in enumerate(deps):
            level[i] = max((level[j] + 1 for j in mine), default=0)
        return level
    for comp in sccs(len(ids), deps):  # dependencies before dependents
        members = set(comp)
        rank = max((level[j] + 1 for i in comp for j in deps[i] if j not in members), default=0)
        for i in comp:
            level[i] = rank
    return level


def cycle_members(report: PlanReport) -> set[str]:
    """Ids of the streams in a dependency cycle."""
    ids = [ss.stream.id for ss in report.schedule]
    index = {sid: i for i, sid in enumerate(ids)}
    deps = [
        [j for d in ss.stream.depends_on if (j := index.get(d)) is not None and j != i]
        for i, ss in enumerate(report.schedule)
    ]
    return {ids[i] for comp in sccs(len(ids), deps) if len(comp) > 1 for i in comp}


class _Labels:
    """Each stream's node label at each length tried, worked out once per stream (its id and hours once)."""

    def __init__(self, report: PlanReport) -> None:
        self._parts: list[tuple[str, str | None, str]] = []
        for ss in report.schedule:
            s = ss.stream
            head = truncate(one_line(s.id), _ID_LIMIT)
            self._parts.append((head, one_line(f"{head}: {s.name}") if s.name else None, _hours(s.hours)))
        self._by_length: dict[int, list[str]] = {}

    def at(self, length: int) -> list[str]:
        """Every stream's label with "id: name" cut to `length` characters (0: the id alone)."""
        found = self._by_length.get(length)
        if found is None:
            found = self._by_length[length] = [
                _with_hours(head if length == 0 or full is None else truncate(full, length), h)
                for head, full, h in self._parts
            ]
        return found


def _with_hours(text: str, h: str) -> str:
    return f"{text} ({h})" if h else text


def _node(label: str) -> str:
    """The quoted label, its "N h" joined by a no-break space (Mermaid's `#160;`: labels are one line)."""
    quoted = mermaid_label(label, 80)
    if quoted.endswith(' h)"'):
        return quoted[: -len(' h)"')] + '#160;h)"'
    return quoted


def _estimate(labels: Sequence[str], rank: Sequence[int], down: bool) -> float:
    """The diagram's width in px, roughly as Mermaid's layout would draw it."""
    widths = [len(label) * _CHAR_PX + _NODE_PAD for label in labels]
    per_rank: dict[int, list[float]] = {}
    for r, w in zip(rank, widths, strict=True):
        per_rank.setdefault(r, []).append(w)
    if down:  # ranks are rows: the widest row
        return max(sum(ws) + _NODE_SPACING * (len(ws) - 1) for ws in per_rank.values())
    # ranks are columns: the sum of each column's widest node
    return sum(max(ws) for ws in per_rank.values()) + _RANK_SPACING * (len(per_rank) - 1)


@dataclass(frozen=True)
class Layout:
    """The layout chosen for a plan, with the node labels it draws (one per stream, in schedule order)."""

    direction: str
    length: int
    px: float
    labels: tuple[str, ...]


def choose_layout(report: PlanReport) -> Layout:
    """The longest labels whose layout fits, else the narrowest; the summary asks once, then draws it."""
    rank = levels(report)
    labels = _Labels(report)
    best: tuple[float, str, int] | None = None
    for length in _LABEL_LENGTHS:
        at = labels.at(length)
        for down in (False, True):
            px = _estimate(at, rank, down)
            choice = (px, "TD" if down else "LR", length)
            if best is None or px < best[0]:
                best = choice
        if best is not None and best[0] <= MAX_ESTIMATED_WIDTH:
            break
    assert best is not None
    return Layout(best[1], best[2], best[0], tuple(labels.at(best[2])))


def layout(report: PlanReport) -> tuple[str, int, float]:
    """(direction, label length, estimated px): the longest labels whose layout fits, else the narrowest."""
    chosen = choose_layout(report)
    return chosen.direction, chosen.length, chosen.px


def fits(report: PlanReport, chosen: Layout | None = None) -> bool:
    """Whether some layout of the plan stays legible at comment width (`chosen`: its layout, if known)."""
    return (chosen or choose_layout(report)).px <= COMMENT_WIDTH / 0.6


def diagram(report: PlanReport, marks: Marks, chosen: Layout | None = None) -> tuple[list[str], list[str]]:
    """(the ```` ```mermaid ```` block's lines, the legend's parts); `chosen`: the plan's layout, if known."""
    chosen = chosen or choose_layout(report)
    direction, length = chosen.direction, chosen.length
    index = {ss.stream.id: i for i, ss in enumerate(report.schedule)}
    lines = [
        "```mermaid",
        f'%%{{init: {{"flowchart": {{"nodeSpacing": {_NODE_SPACING}, "rankSpacing": {_RANK_SPACING}}}}}}}%%',
        f"graph {direction}",
    ]
    for i, label in enumerate(chosen.labels):
        lines.append(f"  s{i}[{_node(label)}]")
    in_cycle = cycle_members(report) if marks.errors else set()
    critical = set(zip(marks.critical, marks.critical[1:], strict=False)) if not marks.errors else set()
    edge = 0
    red: list[int] = []
    dashed: list[int] = []
    unknown: dict[str, int] = {}
    problem: set[int] = set()
    for i, ss in enumerate(report.schedule):
        s = ss.stream
        for d in dict.fromkeys(s.depends_on):
            j = index.get(d)
            if j is None or j == i:
                continue
            lines.append(f"  s{j} --> s{i}")
            if (d, s.id) in critical:
                red.append(edge)
            if d in in_cycle and s.id in in_cycle:
                dashed.append(edge)
                problem.update((i, j))
            edge += 1
        bad = [d for d in s.depends_on if d == s.id or d not in index] + s.unknown_deps
        for d in dict.fromkeys(bad):
            problem.add(i)
            if d == s.id:
                continue
            if d not in unknown:
                unknown[d] = len(unknown)
                label = mermaid_label(f"{truncate(one_line(d), _ID_LIMIT)}: not in the plan", 60)
                lines.append(f"  u{unknown[d]}[{label}]")
            lines.append(f"  u{unknown[d]} -.-> s{i}")
            edge += 1
    legend = ["an arrow points from a stream to one that waits for it"]
    crit_nodes = [f"s{i}" for i, ss in enumerate(report.schedule) if ss.on_critical_path and not marks.errors]
    if crit_nodes:
        lines.append(f"  classDef critical stroke:{_CRITICAL},stroke-width:3px")
        lines.append(f"  class {','.join(crit_nodes)} critical")
        legend.append("red: the critical path")
    if red:
        lines.append(f"  linkStyle {','.join(map(str, red))} stroke:{_CRITICAL},stroke-width:3px")
    done = [f"s{i}" for i, ss in enumerate(report.schedule) if ss.stream.id in marks.done]
    if done:
        # Text colour set too: GitHub's dark theme draws light text, unreadable on a pale fill.
        lines.append("  classDef done fill:#dafbe1,stroke:#1a7f37,color:#1f2328")
        lines.append(f"  class {','.join(done)} done")
        legend.append("green: done")
    if problem or unknown:
        lines.append(f"  classDef problem fill:#fff1e5,stroke:{_PROBLEM},stroke-width:2px,"
                     "stroke-dasharray:5 3,color:#1f2328")
        nodes = [f"s{i}" for i in sorted(problem)] + [f"u{k}" for k in unknown.values()]
        lines.append(f"  class {','.join(nodes)} problem")
        legend.append("dashed orange: a dependency cycle or a stream that is not in the plan")
    if dashed:
        lines.append(f"  linkStyle {','.join(map(str, dashed))} stroke:{_PROBLEM},stroke-width:2px,"
                     "stroke-dasharray:5 3")
    if length < _LABEL_LENGTHS[0]:
        legend.append("names shortened to fit (the table has them whole)")
    lines.append("```")
    return lines, legend


def edge_count(report: PlanReport) -> int:
    """Arrows the diagram would draw (Mermaid caps a flowchart's edges)."""
    return sum(len(ss.stream.depends_on) + len(ss.stream.unknown_deps) for ss in report.schedule)


def unknown_of(report: PlanReport) -> dict[str, list[str]]:
    """Per stream id, the dependencies it names that are not (other) streams of the plan."""
    known = {ss.stream.id for ss in report.schedule}
    out: dict[str, list[str]] = {}
    for ss in report.schedule:
        s = ss.stream
        bad = [d for d in s.depends_on if d == s.id or d not in known] + s.unknown_deps
        if bad:
            out[s.id] = list(dict.fromkeys(bad))
    return out
