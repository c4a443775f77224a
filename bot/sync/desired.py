"""The desired GitHub state of one plan, computed (purely) from the checked plan and what GitHub has now."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.analysis.markdown import escape_inline, plain_text
from bot.analysis.models import Diagnostic, PlanReport, Severity, Stream
from bot.conventions import (
    LABELS,
    MAX_AGENT_LABELS,
    MAX_BODY,
    MAX_LABEL_NAME,
    MAX_LINKED_ISSUES,
    MAX_SUB_ISSUES,
    MAX_TITLE,
    marker,
)
from bot.repoconfig.model import COPILOT_LOGIN, DEFAULT_CONFIG, DEFAULT_TITLE, RepoConfig
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
    #: Labels to take off when present (hand-off labels of a stream no longer ready, renamed bot labels).
    drop: list[str] = field(default_factory=list)
    #: People to assign (a hand-off now) and to unassign (a hand-off taken back: a blocker reopened).
    assign: list[str] = field(default_factory=list)
    unassign: list[str] = field(default_factory=list)
    #: The issue type to set (the repository offers it), else None.
    issue_type: str | None = None
    #: What the region is made of, to name sub-issues created in the same run once they exist.
    brief: Brief | None = None


@dataclass
class Records:
    """What the summary recorded last time: label names (None: the defaults), hand-offs, plan closed."""

    labelset: list[str] | None = None
    handoff: dict[str, list[str]] = field(default_factory=dict)
    done: bool = False


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
    #: The repository's configuration and the label set it gives.
    config: RepoConfig = DEFAULT_CONFIG
    labels: L.LabelSet = L.DEFAULT_LABELS
    #: Bot label names of an earlier configuration: taken off the bot's issues.
    stale_labels: list[str] = field(default_factory=list)
    #: The summary's records to write: label names (None: the defaults), hand-offs, plan closed.
    labelset: list[str] | None = None
    handoff: dict[str, list[str]] = field(default_factory=dict)
    done: bool = False
    #: Close the plan's issue now (every stream done, `close_plan_when_done`).
    close_parent: bool = False

    def all_labels(self, left_as_is: Collection[str] = ()) -> list[L.LabelSpec]:
        """Every label this state puts somewhere, each once: they must exist in the repository first.

        `left_as_is`: streams whose labels are not touched (their sub-issues are finished): theirs need not.
        """
        out: dict[str, L.LabelSpec] = {}
        for spec in self.parent_labels:
            out.setdefault(spec.name, spec)
        if self.structure:
            for ds in self.streams:
                if ds.id in left_as_is:
                    continue
                for spec in ds.labels:
                    out.setdefault(spec.name, spec)
            if self.conflicts:
                out.setdefault(self.labels.conflict.name, self.labels.conflict)
        return list(out.values())


def clean_title(text: str, limit: int = MAX_TITLE) -> str:
    """A single-line title within GitHub's length; words that look like references are put in backticks."""
    return plain_text(text, limit)


def stream_title(parent: int, stream: Stream, template: str = DEFAULT_TITLE) -> str:
    """`#4 · Stream A: Core Setup & Schema`: the plan's issue is the one live reference in it.

    `template`'s `{parent}` becomes `#N`; the rest (the stream's id and name, the template's own words) is
    cleaned like any document text, within GitHub's title length.
    """
    ref = f"#{parent}"
    try:
        pieces = [p.format(id=stream.id, name=stream.name) for p in template.split("{parent}")]
    except (ValueError, IndexError, KeyError):  # `{{parent}}` split apart: the default's form instead
        return stream_title(parent, stream)
    budget = MAX_TITLE - len(ref) * (len(pieces) - 1)
    out: list[str] = []
    for k, text in enumerate(pieces):
        cleaned = clean_title(text, max(1, budget - sum(map(len, out)) - 2)) if text.strip() else ""
        if cleaned and k > 0 and text[:1].isspace():
            cleaned = " " + cleaned
        if cleaned and k < len(pieces) - 1 and text[-1:].isspace():
            cleaned += " "
        out.append(cleaned)
    return ref.join(out)


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
    config: RepoConfig = DEFAULT_CONFIG,
    records: Records | None = None,
    user_token: bool = False,
    source_url: str | None = None,
) -> DesiredState:
    """Desired state from the plan: pure, so dry runs and real runs compute exactly the same thing.

    `dropped`: how many conflicts_with / depends_on issues were left out by `cap_links`; `config`: the
    repository's configuration; `records`: what the summary recorded last time; `user_token`: the client
    acts as a person (only then can GitHub's Copilot coding agent be assigned); `source_url`: where the
    plan was read from, for the sub-issues to link.
    """
    n = current.parent.number
    records = records or Records()
    labels = L.label_set(config)
    sub = config.sub_issues
    names_now, stale = label_record(config, labels, records)
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
    handed: dict[str, list[str]] = {}
    desired_streams: list[DesiredStream] = []
    unlink: list[str] = []
    # Agent labels are bounded per repository: past the cap a stream gets none (and the summary says so).
    prefix = labels.agent_prefix.lower()
    room = MAX_AGENT_LABELS - sum(1 for name in current.repo_labels if name.startswith(prefix))
    new_agents: set[str] = set()
    left_out: set[str] = set()
    agents: dict[str, str | None] = {}
    if structure:
        for s in streams:
            sid = markers.safe_id(s.id)
            agent = labels.agent(s.agent_type) if sub.agent_labels else None
            if (agent is not None and agent.name.lower() not in current.repo_labels
                    and agent.name not in new_agents):
                if len(new_agents) < room:
                    new_agents.add(agent.name)
                else:
                    left_out.add(agent.name)
                    agent = None
            deps_ids = [markers.safe_id(d) for d in s.depends_on]
            # A blocker is done when closed, unless the bot closed it as removed and it is back (reopened).
            ready = all((c := current.streams.get(d)) is not None and c.finished for d in deps_ids)
            specs = [labels.stream] + ([agent] if agent else [])
            specs += [labels.ready] if ready and sub.readiness_labels else []
            agents[s.id] = agent.name if agent else None
            ds = DesiredStream(sid, s, stream_title(n, s, sub.title), "", specs, deps_ids, ready)
            _hand_off(ds, config, labels, current, records, user_token, handed, notes)
            ds.drop += [x for x in stale if x.lower() not in {y.name.lower() for y in ds.labels}]
            desired_streams.append(ds)
        _issue_type(desired_streams, config, labels, current, notes)
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
    if not sub.enabled:
        desired_streams = []  # the summary only; sub-issues made earlier are left as they are
    parent_labels = [labels.plan] if report is not None else []
    if report is not None and not structure:
        parent_labels.append(labels.invalid)
    state = DesiredState(n, structure, parent_labels, desired_streams, notes=notes, record=previous,
                         config=config, labels=labels, labelset=records.labelset, handoff=records.handoff,
                         done=records.done)
    if not structure:
        return state  # nothing is undone either: the record is kept for when the plan is valid again
    state.stale_labels, state.labelset, state.handoff = stale, names_now, handed
    if sub.enabled:
        _plan_done(state, current, records)
    if report is not None and sub.enabled:
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
        state.parent_labels.append(labels.conflict)
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


def label_record(
    config: RepoConfig, labels: L.LabelSet, records: Records
) -> tuple[list[str] | None, list[str]]:
    """The label names to record (None for the defaults) and those of the last record no longer used."""
    now = list(dict.fromkeys([*labels.fixed().values(), *(x for r in config.handoff for x in r.labels)]))
    default = list(L.DEFAULT_LABELS.fixed().values())
    before = records.labelset if records.labelset is not None else default
    keep = {x.lower() for x in now}
    stale = [x for x in before if x.lower() not in keep]
    return (None if {x.lower() for x in now} == {x.lower() for x in default} else now), stale


def _hand_off(
    ds: DesiredStream, config: RepoConfig, labels: L.LabelSet, current: CurrentState, records: Records,
    user_token: bool, handed: dict[str, list[str]], notes: list[Diagnostic],
) -> None:
    """A ready stream gets its hand-off labels and people once; a stream no longer ready loses them."""
    names, people = config.handoff_for(ds.stream.agent_type)
    if not names and not people:
        return
    if COPILOT_LOGIN in people and not user_token:
        people = [p for p in people if p != COPILOT_LOGIN]
        if not any(d.code == "sync-handoff-copilot" for d in notes):
            notes.append(note("sync-handoff-copilot", "Assigning GitHub's Copilot coding agent needs a user "
                              "token: the App cannot, so it was left out (the CLI or the Action with a user "
                              "token can).", Severity.INFO))
    cur = current.streams.get(ds.id)
    before = records.handoff.get(ds.id, [])
    done_before = {p.lower() for p in before}
    if cur is not None and cur.finished:
        if before:
            handed[ds.id] = before  # finished: the summary still says who had it
        return
    text = "A ready stream handed off (parallel-work-bot)"
    specs = [L.LabelSpec(x, labels.ready.color, text) for x in names]
    if ds.ready:
        ds.labels += [x for x in specs if x.name.lower() not in {y.name.lower() for y in ds.labels}]
        have = cur.assignees if cur is not None else set()
        ds.assign = [p for p in people if p.lower() not in done_before and p.lower() not in have]
        kept = [p for p in before if p.lower() in {q.lower() for q in people}]
        if kept or ds.assign:
            handed[ds.id] = kept + ds.assign
        return
    wanted = {y.name.lower() for y in ds.labels}
    ds.drop += [x for x in names if x.lower() not in wanted]
    have = cur.assignees if cur is not None else set()
    ds.unassign = [p for p in before if p.lower() in have]


def _issue_type(
    streams: list[DesiredStream], config: RepoConfig, labels: L.LabelSet, current: CurrentState,
    notes: list[Diagnostic],
) -> None:
    """The configured issue type where the repository offers it; else a label of that name (said so)."""
    wanted = config.sub_issues.type
    if wanted is None or not streams:
        return
    offered = next((t for t in current.issue_types if t.casefold() == wanted.casefold()), None)
    if offered is not None:
        for ds in streams:
            ds.issue_type = offered
        return
    spec = L.LabelSpec((config.labels.prefix + wanted)[:MAX_LABEL_NAME],
                       labels.stream.color, f"Stream sub-issue ({wanted}): parallel-work-bot")
    for ds in streams:
        ds.labels.append(spec)
    notes.append(note("sync-type-label", f"The repository offers no issue type {wanted}: the stream "
                      f"sub-issues carry the label {spec.name} instead.", Severity.INFO))


def _plan_done(state: DesiredState, current: CurrentState, records: Records) -> None:
    """`close_plan_when_done`: every stream's sub-issue closed -> the plan's issue is closed, once."""
    subs = [current.streams.get(ds.id) for ds in state.streams]
    done = bool(subs) and all(c is not None and c.finished for c in subs)
    if not done:
        state.done = False
        return
    state.done = records.done or state.config.close_plan_when_done
    if state.config.close_plan_when_done and not records.done and not current.parent.closed:
        state.close_parent = True


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
