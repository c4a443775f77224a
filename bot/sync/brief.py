"""A stream's sub-issue as a complete brief: the bot-owned region of its body, and its links once known.

An agent assigned to the sub-issue reads that issue alone, so the region carries what the plan says of the
stream: its section as written (sanitised like all document text), its files and which streams that may run
at the same time touch them, the streams it waits for and that wait for it (as issue links), the plan's shared
files and coordination points naming it, and where the plan was read from. It stays within GitHub's body limit
by shortening, most expendable first, and says so. Sub-issues created in the same run learn each other's
numbers after they exist: `bot.sync.diff.brief_link_writes` fills those in before the run ends, so a
re-run writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis.figures import fmt_hours
from bot.analysis.globs import is_glob, normalize_path, overlaps_within
from bot.analysis.graph import sccs
from bot.analysis.markdown import (
    code_span,
    escape_inline,
    inline_markdown,
    markdown_block,
    one_line,
    truncate,
)
from bot.analysis.models import PlanReport, Stream
from bot.conventions import LABELS, MAX_BODY, marker
from bot.sync import markers
from bot.sync.current import CurrentState

#: Room left in the body for text a person adds outside the region.
_ROOM_OUTSIDE = 4000
#: Files listed before the rest are counted; streams named per shared file.
_MAX_FILES = 200
_MAX_NAMED = 8
#: States of glob comparisons per plan for the "also touched by" notes and the shared files (beyond it,
#: literal paths only): a plan of adversarial globs costs a bounded time.
_GLOB_BUDGET = 30_000
_MAX_STATES = 2_000


class _Budget:
    """Glob overlap tests, each paid for by the states it visits and the length of the two patterns (their
    literal ends are compared first), until the plan's budget is spent."""

    def __init__(self, states: int = _GLOB_BUDGET) -> None:
        self.left = states

    def overlaps(self, p: str, q: str) -> bool:
        if p == q:
            return True
        if self.left <= 0:
            return False
        got, used = overlaps_within(p, q, min(_MAX_STATES, self.left))
        self.left -= used + (len(p) + len(q)) // 8
        return got is True


@dataclass(frozen=True)
class Brief:
    """What one stream's region is made of (numbers of sub-issues apart: they may not exist yet)."""

    parent: int
    stream: Stream
    agent_label: str | None
    #: (id, name) of the streams it waits for and that wait for it, in plan order.
    waits_for: list[tuple[str, str]] = field(default_factory=list)
    unblocks: list[tuple[str, str]] = field(default_factory=list)
    #: Per file of the stream (as written), the ids of streams that may run at the same time and touch it.
    shared: dict[str, list[str]] = field(default_factory=dict)
    #: The plan's coordination points naming it: shared files it touches, sequential requirements.
    coordination: list[str] = field(default_factory=list)
    source_url: str | None = None
    #: The stream's section as the region copies it, by length limit: a run renders a region up to twice
    #: (before and after its new sub-issues have numbers), the section being its costliest part.
    _sections: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def section(self, limit: int) -> str:
        """The stream's section, sanitised and cut to `limit` characters."""
        got = self._sections.get(limit)
        if got is None:
            got = self._sections[limit] = markdown_block(self.stream.section, limit)
        return got

    def refers_to(self) -> set[str]:
        """The (safe) ids of the streams whose sub-issue numbers the region shows."""
        ids = [sid for sid, _ in self.waits_for] + [sid for sid, _ in self.unblocks]
        ids += [sid for others in self.shared.values() for sid in others]
        return {markers.safe_id(sid) for sid in ids}


def _names(report: PlanReport) -> dict[str, str]:
    return {ss.stream.id: ss.stream.name for ss in report.schedule}


def _related(report: PlanReport) -> list[set[int]]:
    """Per stream, the streams ordered with it (its ancestors and descendants): the others may run with it."""
    streams = [ss.stream for ss in report.schedule]
    index = {s.id: i for i, s in enumerate(streams)}
    deps = [
        [j for d in s.depends_on if (j := index.get(d)) is not None and j != i] for i, s in enumerate(streams)
    ]
    anc: list[set[int]] = [set() for _ in streams]
    for comp in sccs(len(streams), deps):  # dependencies first
        members = set(comp)
        got: set[int] = set(members)
        for i in comp:
            for j in deps[i]:
                if j not in members:
                    got |= anc[j] | {j}
        for i in comp:
            anc[i] = got
    related = [set(a) for a in anc]
    for i, a in enumerate(anc):
        for j in a:
            related[j].add(i)
    return related


def _shared_files(report: PlanReport, budget: _Budget) -> list[dict[str, list[str]]]:
    """Per stream, its files that streams able to run at the same time touch too (glob-aware, budgeted)."""
    streams = [ss.stream for ss in report.schedule]
    out: list[dict[str, list[str]]] = [{} for _ in streams]
    if sum(len(s.files) for s in streams) == 0:
        return out
    related = _related(report)
    literal: dict[str, list[tuple[int, str]]] = {}
    globs: list[tuple[int, str, str]] = []
    for i, s in enumerate(streams):
        for f in s.files[:_MAX_FILES]:
            p = normalize_path(f)
            if not p:
                continue
            if is_glob(p):
                globs.append((i, f, p))
            literal.setdefault(p, []).append((i, f))

    def note(i: int, f: str, j: int) -> None:
        if j != i and j not in related[i]:
            ids = out[i].setdefault(f, [])
            if streams[j].id not in ids:
                ids.append(streams[j].id)

    for users in literal.values():
        if len(users) > 1:
            for i, f in users:
                for j, _g in users:
                    note(i, f, j)
    for i, f, p in globs:
        for q, users in literal.items():
            if budget.left <= 0:
                return out
            if q != p and budget.overlaps(p, q):
                for j, g in users:
                    note(i, f, j)
                    note(j, g, i)
    return out


def _mentions(text: str, sid: str) -> bool:
    """Whether a coordination line names the stream: "Stream A", "A →", "→ A", "A before B"."""
    s = re.escape(sid)
    pattern = rf"(?i:stream|流)\s*{s}(?![\w])|(?<![\w]){s}\s*(?:→|->)|(?:→|->)\s*{s}(?![\w])"
    return re.search(pattern, text) is not None


def briefs(
    report: PlanReport, parent: int, agents: dict[str, str | None], source_url: str | None
) -> dict[str, Brief]:
    """The brief of every stream of a plan, by stream id (`agents`: the agent label each stream gets)."""
    names = _names(report)
    dependents: dict[str, list[str]] = {}
    for ss in report.schedule:
        for d in dict.fromkeys(ss.stream.depends_on):
            if d in names and d != ss.stream.id:
                dependents.setdefault(d, []).append(ss.stream.id)
    budget = _Budget()
    shared = _shared_files(report, budget)
    coord = report.analysis.coordination
    shared_paths = [(f, normalize_path(f)) for f in coord.shared_files[:_MAX_FILES]]
    out: dict[str, Brief] = {}
    for i, ss in enumerate(report.schedule):
        s = ss.stream
        mine = {normalize_path(f) for f in s.files[:_MAX_FILES]}
        own_globs = [m for m in mine if is_glob(m)]

        def touches(p: str, mine: set[str] = mine, own_globs: list[str] = own_globs) -> bool:
            if p in mine:
                return True
            candidates = mine if is_glob(p) else own_globs
            return any(budget.overlaps(p, m) for m in candidates)

        points = [f"shared file {_code(f)}" for f, p in shared_paths if p and touches(p)]
        points += [inline_markdown(r, 400) for r in coord.sequential_requirements if _mentions(r, s.id)][:50]
        out[s.id] = Brief(
            parent=parent,
            stream=s,
            agent_label=agents.get(s.id),
            waits_for=[(d, names[d]) for d in dict.fromkeys(s.depends_on) if d in names and d != s.id],
            unblocks=[(d, names[d]) for d in dependents.get(s.id, [])],
            shared=shared[i],
            coordination=points,
            source_url=source_url,
        )
    return out


def _code(text: str) -> str:
    """A path or agent type in a code span, as written; as text when it holds `<!--` (a marker look-alike
    raw in the region would be read as the bot's own: the agent label it may remove)."""
    return code_span(text) if "<!--" not in text else escape_inline(text)


def _ref(sid: str, name: str, numbers: dict[str, int]) -> str:
    number = numbers.get(markers.safe_id(sid))
    label = f"Stream {escape_inline(truncate(sid, 24))}"
    if name:
        label += f" · {inline_markdown(one_line(name), 80)}"
    return f"#{number} ({label})" if number else label


def _refs(items: list[tuple[str, str]], numbers: dict[str, int], limit: int) -> str:
    shown = ", ".join(_ref(sid, name, numbers) for sid, name in items[:limit])
    return shown + (f", … ({len(items)} streams)" if len(items) > limit else "")


def render_region(b: Brief, numbers: dict[str, int], limit: int = MAX_BODY - _ROOM_OUTSIDE) -> str:
    """The region's text with the sub-issue numbers known so far (`numbers` by safe stream id)."""
    for section, files, named in ((20000, _MAX_FILES, 50), (8000, 50, 20), (2000, 20, 8), (0, 5, 3)):
        text = _compose(b, numbers, section, files, named)
        if len(text) <= limit:
            return text
    return _compose(b, numbers, 0, 0, 0)


def _compose(b: Brief, numbers: dict[str, int], section_limit: int, max_files: int, max_named: int) -> str:
    s = b.stream
    lines = [markers.stream_open(b.parent, s.id)]
    if b.agent_label is not None:
        lines.append(marker(LABELS, b.agent_label))
    head = f"**Stream {escape_inline(truncate(s.id, 24))}"
    head += f" · {inline_markdown(one_line(s.name), 200)}**" if s.name else "**"
    where = ""
    if b.source_url:
        what = "this comment" if "#issuecomment-" in b.source_url else "the issue body"
        where = f" ([read from {what}]({b.source_url}))"
    lines += [f"{head}: one stream of the parallel work plan in #{b.parent}{where}.", ""]
    facts = [
        f"**Estimate:** {escape_inline(fmt_hours(s.hours, ' h')) if s.hours is not None else 'not given'}",
        f"**Agent type:** {_code(s.agent_type) if s.agent_type else 'not given'}",
    ]
    lines.append(" · ".join(facts) + "  ")
    if b.waits_for:
        lines.append(f"**Waits for:** {_refs(b.waits_for, numbers, max(max_named, 1))}  ")
    else:
        lines.append("**Waits for:** nothing: it can start now  ")
    if s.external_deps:
        shown_ext = s.external_deps[: max(max_named, 1)]
        ext = "; ".join(inline_markdown(e, 200) for e in shown_ext)
        if len(s.external_deps) > len(shown_ext):
            ext += f"; … ({len(s.external_deps)} in all: see the plan)"
        lines.append(f"**Also waits for:** {ext}  ")
    if b.unblocks:
        lines.append(f"**Then unblocks:** {_refs(b.unblocks, numbers, max(max_named, 1))}")
    else:
        lines.append("**Then unblocks:** no other stream")
    lines.append("")
    if s.files:
        shown = s.files[:max_files]
        lines += [f"**Files** ({len(s.files)}):", ""]
        for f in shown:
            item = f"- {_code(f)}"
            others = b.shared.get(f)
            if others:
                who = ", ".join(_ref(o, "", numbers) for o in others[:max_named])
                more = f" and {len(others) - max_named} more" if len(others) > max_named else ""
                item += f": also touched by {who}{more}, which may run at the same time"
            lines.append(item)
        if len(s.files) > len(shown):
            lines.append(f"- … and {len(s.files) - len(shown)} more (see the plan)")
        lines.append("")
    else:
        lines += ["**Files:** not given", ""]
    if b.coordination:
        lines += ["**Coordination** (from the plan's coordination points):", ""]
        lines += [f"- {p}" for p in b.coordination[: max(max_named * 4, 3)]]
        lines.append("")
    if s.section.strip() and section_limit:
        lines += ["#### From the analysis", "", b.section(section_limit), ""]
    elif s.scope:
        lines += [f"**Scope:** {inline_markdown(s.scope, 2000)}", ""]
    if section_limit == 0 and s.section.strip():
        lines += ["_This stream's section of the plan is too long to copy here: read it in the plan._", ""]
    lines.append(
        f"_Part of #{b.parent}. parallel-work-bot keeps this part in sync with the plan; write outside it._"
    )
    lines.append(markers.STREAM_CLOSE)
    return "\n".join(lines)


def numbers_of(current: CurrentState) -> dict[str, int]:
    """Sub-issue numbers by safe stream id, as GitHub has them now."""
    return {sid: cs.number for sid, cs in current.streams.items()}
