"""The desired GitHub state of one plan, computed (purely) from the checked plan and what GitHub has now."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis.markdown import escape_inline, plain_text
from bot.analysis.models import Diagnostic, PlanReport, Severity, Stream
from bot.conventions import (
    AGENT_LABEL_PREFIX,
    LABELS,
    MAX_AGENT_LABELS,
    MAX_BODY,
    MAX_LINKED_ISSUES,
    MAX_SUB_ISSUES,
    MAX_TITLE,
    marker,
)
from bot.sync import labels as L
from bot.sync import markers
from bot.sync.brief import Brief, briefs, numbers_of, render_region
from bot.sync.current import CurrentState

_AGENT_RE = re.compile(re.escape(marker(LABELS, "")[:-4]) + r" (\S+) -->")


@dataclass
class DesiredStream:
    """One stream's sub-issue as it should be: title, bot-owned region, labels, blockers, readiness."""

    id: str
    stream: Stream
    title: str
    region: str
    labels: list[L.LabelSpec]
    deps: list[str]
    ready: bool
    #: What the region is made of, to name sub-issues created in the same run once they exist.
    brief: Brief | None = None


@dataclass
class DesiredState:
    """What the sync wants GitHub to show for issue #number."""

    number: int
    #: False when the plan has errors or breaks a limit: only the summary and the issue's labels are written.
    structure: bool
    parent_labels: list[L.LabelSpec]
    streams: list[DesiredStream] = field(default_factory=list)
    #: Stream ids with a sub-issue that are no longer in the plan.
    removed: list[str] = field(default_factory=list)
    #: Removed streams' sub-issues (ours) unlinked from the parent to make room under GitHub's limit.
    unlink: list[str] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)
    issue_deps: list[int] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    #: Flags and links of earlier syncs the plan no longer asks for: undone.
    stale_conflicts: list[int] = field(default_factory=list)
    stale_deps: list[int] = field(default_factory=list)
    #: What the summary records as made by the bot (conflicts, issue-level deps), to undo later.
    record: tuple[list[int], list[int]] = ([], [])

    def all_labels(self) -> list[L.LabelSpec]:
        """Every label this state puts somewhere, each once: they must exist in the repository first."""
        out: dict[str, L.LabelSpec] = {}
        for spec in self.parent_labels:
            out.setdefault(spec.name, spec)
        if self.structure:
            for ds in self.streams:
                for spec in ds.labels:
                    out.setdefault(spec.name, spec)
            if self.conflicts:
                out.setdefault(L.PLAN_CONFLICT.name, L.PLAN_CONFLICT)
        return list(out.values())


def clean_title(text: str, limit: int = MAX_TITLE) -> str:
    """A single-line title within GitHub's length; words that look like references are put in backticks."""
    return plain_text(text, limit)


def stream_title(parent: int, stream: Stream) -> str:
    """`#4 · Stream A: Core Setup & Schema`: the plan's issue is the one live reference in it."""
    prefix = f"#{parent} · "
    return prefix + clean_title(f"Stream {stream.id}: {stream.name}", MAX_TITLE - len(prefix))


def removed_region(current_region: str | None, parent: int, stream_id: str) -> str:
    """The region of a sub-issue whose stream left the plan: a short note, then what it said before."""
    if current_region and markers.REMOVED_MARKER in current_region:
        return current_region
    inner = ""
    if current_region:
        inner = current_region.split("\n", 1)[1] if "\n" in current_region else ""
        inner = inner.replace(markers.STREAM_CLOSE, "").strip()
    note = f"Stream {escape_inline(stream_id)} is no longer in the plan of #{parent}: closed as not planned."
    parts = [
        markers.stream_open(parent, stream_id),
        markers.REMOVED_MARKER,
        f"> {note}",
        "",
        inner,
        markers.STREAM_CLOSE,
    ]
    return "\n".join(parts)


def previous_agent(body: str) -> str | None:
    """The agent label the bot last put on a sub-issue (kept in its region): the only one it may remove."""
    region = markers.region_of(body) or ""
    m = _AGENT_RE.search(region)
    return m.group(1).lower() if m else None


def note(code: str, message: str, severity: Severity = Severity.WARNING) -> Diagnostic:
    """A finding of the sync itself, shown with the summary's warnings."""
    return Diagnostic(severity=severity, code=code, message=message)


def cap_links(numbers: list[int]) -> tuple[list[int], int]:
    """The first MAX_LINKED_ISSUES issue numbers, and how many were left out."""
    return numbers[:MAX_LINKED_ISSUES], max(0, len(numbers) - MAX_LINKED_ISSUES)


def build_desired(
    report: PlanReport | None,
    current: CurrentState,
    *,
    conflicts: list[int],
    deps: list[int],
    previous: tuple[list[int], list[int]] = ([], []),
    dropped: tuple[int, int] = (0, 0),
    source_url: str | None = None,
) -> DesiredState:
    """Desired state from the plan: pure, so dry runs and real runs compute exactly the same thing.

    `dropped`: how many conflicts_with / depends_on issues were left out by `cap_links`; `source_url`: where
    the plan was read from, for the sub-issues to link.
    """
    n = current.parent.number
    notes: list[Diagnostic] = [
        note(
            "sync-links-capped",
            f"The plan names {count} more {what} issues than the bot links ({MAX_LINKED_ISSUES} at most); "
            "only the first ones are flagged.",
        )
        for count, what in zip(dropped, ("conflicts_with", "depends_on"), strict=True)
        if count
    ]
    invalid = report is not None and report.has_errors
    streams = report.analysis.streams if report is not None else []
    if report is not None and report.analysis.issue is not None and report.analysis.issue != n:
        notes.append(
            note(
                "sync-issue-mismatch",
                f"The analysis is for issue #{report.analysis.issue}; it is synced on #{n}.",
            )
        )
    if len(streams) > MAX_SUB_ISSUES:
        notes.append(
            note(
                "sync-limit-streams",
                f"The plan has {len(streams)} streams; GitHub allows {MAX_SUB_ISSUES} sub-issues per issue. "
                "Nothing was created: split the plan.",
                Severity.ERROR,
            )
        )
    structure = not invalid and not notes_have_errors(notes)
    desired_streams: list[DesiredStream] = []
    unlink: list[str] = []
    # Agent labels are bounded per repository: past the cap a stream gets none (and the summary says so).
    room = MAX_AGENT_LABELS - sum(1 for name in current.repo_labels if name.startswith(AGENT_LABEL_PREFIX))
    new_agents: set[str] = set()
    left_out: set[str] = set()
    agents: dict[str, str | None] = {}
    if structure:
        for s in streams:
            sid = markers.safe_id(s.id)
            agent = L.agent_label(s.agent_type)
            if agent is not None and agent.name not in current.repo_labels and agent.name not in new_agents:
                if len(new_agents) < room:
                    new_agents.add(agent.name)
                else:
                    left_out.add(agent.name)
                    agent = None
            deps_ids = [markers.safe_id(d) for d in s.depends_on]
            # A blocker is done when closed, unless the bot closed it as removed and it is back (reopened).
            ready = all(
                (c := current.streams.get(d)) is not None
                and c.closed
                and markers.REMOVED_MARKER not in c.body
                for d in deps_ids
            )
            specs = [L.STREAM] + ([agent] if agent else []) + ([L.STREAM_READY] if ready else [])
            agents[s.id] = agent.name if agent else None
            desired_streams.append(DesiredStream(sid, s, stream_title(n, s), "", specs, deps_ids, ready))
        if report is not None:
            made = briefs(report, n, agents, source_url)
            numbers = numbers_of(current)
            for ds in desired_streams:
                ds.brief = made.get(ds.stream.id)
                ds.region = render_region(ds.brief, numbers) if ds.brief else ""
        if left_out:
            notes.append(note(
                "sync-agent-labels-capped",
                f"The repository would pass {MAX_AGENT_LABELS} `agent:*` labels: {len(left_out)} agent "
                "type(s) of this plan got no label.",
            ))
        new = [d for d in desired_streams if d.id not in current.streams or d.id in current.unlinked]
        excess = current.sub_issue_count + len(new) - MAX_SUB_ISSUES
        # Our sub-issues of streams that left the plan make room first: unlinked (closed, kept), never reused.
        kept = {d.id for d in desired_streams}
        leaving = [sid for sid in current.streams if sid not in kept and sid not in current.unlinked]
        if 0 < excess <= len(leaving):
            unlink = leaving[:excess]
        elif excess > 0:
            notes.append(
                note(
                    "sync-limit-sub-issues",
                    f"#{n} has {current.sub_issue_count} sub-issues (closed ones count) and the plan needs "
                    f"{len(new)} more; "
                    f"GitHub allows {MAX_SUB_ISSUES}. Nothing was created.",
                    Severity.ERROR,
                )
            )
        too_big = [
            d.id
            for d in desired_streams
            if len(
                markers.replace_region(
                    current.streams[d.id].body if d.id in current.streams else "", d.region
                )
            )
            > MAX_BODY
        ]
        if too_big:
            notes.append(
                note(
                    "sync-limit-body",
                    f"The sub-issue body of stream(s) {', '.join(too_big)} would pass GitHub's limit of "
                    f"{MAX_BODY} characters. "
                    "Nothing was created.",
                    Severity.ERROR,
                )
            )
        if notes_have_errors(notes):
            structure = False
            desired_streams = []
    parent_labels = [L.PARALLEL_PLAN] if report is not None else []
    if report is not None and not structure:
        parent_labels.append(L.PLAN_INVALID)
    state = DesiredState(n, structure, parent_labels, desired_streams, notes=notes, record=previous)
    if not structure:
        return state  # nothing is undone either: the record is kept for when the plan is valid again
    if report is not None:
        wanted = {d.id for d in desired_streams}
        state.removed = [sid for sid in current.streams if sid not in wanted]
        state.unlink = unlink
    for m in conflicts:
        if m == n:
            notes.append(
                note("sync-conflict-self", f"conflicts_with lists #{m}, this issue itself: ignored.")
            )
            continue
        target = current.conflicts.get(m)
        if target is None or target.issue is None:
            notes.append(
                note("sync-conflict-missing", f"conflicts_with lists #{m}, which does not exist: ignored.")
            )
        elif target.issue.is_pr:
            notes.append(
                note("sync-conflict-pr", f"conflicts_with lists #{m}, which is a pull request: ignored.")
            )
        else:
            state.conflicts.append(m)
    if state.conflicts:
        state.parent_labels.append(L.PLAN_CONFLICT)
    for d in deps:
        if d == n:
            notes.append(note("sync-dep-self", f"depends_on lists #{d}, this issue itself: ignored."))
            continue
        dep = current.issue_deps.get(d)
        if dep is None:
            notes.append(note("sync-dep-missing", f"depends_on lists #{d}, which does not exist: ignored."))
        elif dep.is_pr:
            notes.append(note("sync-dep-pr", f"depends_on lists #{d}, which is a pull request: ignored."))
        else:
            state.issue_deps.append(d)
    for m in previous[0]:
        target = current.conflicts.get(m)
        if m not in state.conflicts and target is not None and target.issue is not None:
            state.stale_conflicts.append(m)
    state.stale_deps = [d for d in previous[1] if d not in state.issue_deps and current.issue_deps.get(d)]
    state.record = (list(state.conflicts), list(state.issue_deps))
    return state


def notes_have_errors(notes: list[Diagnostic]) -> bool:
    """True when a finding of the sync stops structure writes."""
    return any(d.severity is Severity.ERROR for d in notes)


def conflict_comment(parent: int, target: int) -> str:
    """The bot's one comment on an issue named in #parent's conflicts_with."""
    return (
        f"{markers.conflict_marker(parent)}\n"
        f"**Possible conflict with #{parent}.** Its parallel work plan lists this issue in `conflicts_with`: "
        f"work on #{target} and #{parent} at the same time may touch the same code. "
        "Coordinate before starting both.\n"
    )
