"""sync_issue and report_failure: read, compute the desired state, diff, apply; one sync per issue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import gidgethub.abc
from pydantic import BaseModel, Field

from bot.analysis.checker import MAX_SUB_ISSUES, check_plan
from bot.analysis.markdown import code_span, escape_inline
from bot.analysis.models import Diagnostic, LiveStatus, PlanReport, Severity, StreamStatus
from bot.analysis.render import render_summary
from bot.conventions import DEFAULT_IDENTITY, MAX_RECORDED_STREAMS, Identity
from bot.conventions import MAX_BODY as MAX_COMMENT
from bot.github.errors import OutcomeUnknown
from bot.github.graphql import creates_linked
from bot.github.permissions import WriteCheck, writer_check
from bot.repoconfig.github import read_repo_config
from bot.repoconfig.load import LoadedConfig
from bot.sync import budget, markers
from bot.sync.apply import Progress, apply, send
from bot.sync.cpu import cpu_step
from bot.sync.current import CurrentState, IssueState, read_comments, read_current, read_issue
from bot.sync.desired import DesiredState, Records, build_desired, cap_links, note
from bot.sync.diff import (
    PlannedWrite,
    Refs,
    Write,
    brief_link_writes,
    brief_links,
    comment_path,
    comment_writes,
    deletion,
    diff,
)
from bot.sync.files import PlanFile, PlanFiles, recorded_source, source_marker
from bot.sync.labels import label_set as run_labels
from bot.sync.locks import SharedLock, held
from bot.sync.prune import prune_label
from bot.sync.source import Source, pick_source, task_numbers

#: Rounds of read -> diff -> apply; a new round starts only after a write whose outcome is unknown.
MAX_ROUNDS = 4


class SyncResult(BaseModel):
    """What one sync did (or, in a dry run, would do)."""

    #: The issue synced (the parent, when a stream sub-issue was named).
    issue: int
    #: The writes made, in order (in a dry run: the writes it would make; `{new A}` = a sub-issue to create).
    planned: list[PlannedWrite] = Field(default_factory=list)
    writes: int = 0
    found_analysis: bool = False
    #: The issue body's CCPM task frontmatter names other issues (depends_on / conflicts_with).
    found_task_links: bool = False
    summary_url: str | None = None
    #: The plan has errors or breaks a limit: only the summary and the issue's labels were written.
    errors: bool = False
    dry_run: bool = False
    #: The sync's own findings (missing conflicts_with issues, limits...), also shown in the summary.
    notes: list[Diagnostic] = Field(default_factory=list)
    #: Read -> write rounds taken (more than 1 after a write whose outcome was unknown).
    rounds: int = 0
    #: Writes left for later by GitHub's content limits or the job's slice, and when (Unix time) they fit:
    #: the job is rescheduled then (the summary says so meanwhile).
    deferred: int = 0
    resume_at: float | None = None


#: How a sync holds one issue: given the issue's key, a context manager held for the whole sync. In-process
#: (`named_lock`) by default; with PostgreSQL the job handler passes an advisory lock (bot.store.locks), so
#: two processes -- or a stalled job and its re-run -- never interleave one plan's writes.
IssueLock = SharedLock


@asynccontextmanager
async def issue_lock(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int, lock: IssueLock | None = None,
) -> AsyncIterator[None]:
    """Hold the lock of one issue: two syncs of one plan never interleave their writes."""
    async with held(f"issue:{gh.base_url}/{owner}/{repo}#{number}".lower(), lock):
        yield


async def sync_issue(
    gh: gidgethub.abc.GitHubAPI,
    owner: str,
    repo: str,
    number: int,
    *,
    dry_run: bool = False,
    me: Identity = DEFAULT_IDENTITY,
    may_write: WriteCheck | None = None,
    lock: IssueLock | None = None,
    files: PlanFiles | None = None,
    config: LoadedConfig | None = None,
    command: bool = False,
    user_token: bool = False,
) -> SyncResult:
    """Make GitHub show issue #number's newest plan; writes only the difference (none when `dry_run`).

    A stream sub-issue written by us syncs its parent instead (its close/reopen changes readiness there).
    `me`: who the bot is (only its own comments and sub-issues are its own); `may_write`: whether a plan's
    author has write access (default: OWNER, else the cached collaborator-permission API, at the
    repository's `trigger_permission`); `lock`: the cross-process lock of an issue (see IssueLock), held
    for the whole sync; `files`: where the issue's plan files are (the repository's default branch, or a
    checkout); a plan file wins over comments. `config`: the repository's configuration (the CLI and the
    Action read it from the checkout; by default it is read from GitHub, once per sync); `command`: an
    `/analyze` asked for this sync (with `automatic: false` nothing else syncs); `user_token`: the client
    acts as a person.
    """
    loaded = config if config is not None else await read_repo_config(gh, owner, repo)
    if not loaded.config.automatic and not command:
        return SyncResult(issue=number, dry_run=dry_run, notes=[note(
            "sync-not-automatic", "The repository's configuration turns automatic runs off: `/analyze` syncs",
            Severity.INFO)])
    check = may_write or writer_check(gh, owner, repo, loaded.config.trigger_permission)
    run = _Run(loaded, user_token, lock)
    async with issue_lock(gh, owner, repo, number, lock):
        # Read under the issue's own lock: when it is the plan's issue this read is the sync's first read.
        issue = await read_issue(gh, owner, repo, number, me)
        if issue is None or issue.marker is None or issue.marker.parent == number:
            return await _sync_locked(gh, owner, repo, number, dry_run=dry_run, me=me, may_write=check,
                                      first_read=issue, files=files, run=run)
    parent = issue.marker.parent
    async with issue_lock(gh, owner, repo, parent, lock):
        return await _sync_locked(gh, owner, repo, parent, dry_run=dry_run, me=me, may_write=check,
                                  files=files, run=run)


class _Run:
    """What one sync knows besides GitHub's state: the repository's configuration, the kind of token."""

    def __init__(self, loaded: LoadedConfig, user_token: bool, lock: IssueLock | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.user_token = user_token
        #: The cross-process lock: also held while a repository's labels are created.
        self.lock = lock


async def _sync_locked(
    gh: gidgethub.abc.GitHubAPI,
    owner: str,
    repo: str,
    number: int,
    *,
    dry_run: bool,
    me: Identity,
    may_write: WriteCheck,
    first_read: IssueState | None = None,
    files: PlanFiles | None = None,
    run: _Run | None = None,
) -> SyncResult:
    """The sync, its lock held; `first_read`: the issue as just read under that lock (spares a read)."""
    run = run or _Run(LoadedConfig(), False)
    cfg = run.config
    progress = Progress()
    result = SyncResult(issue=number, dry_run=dry_run)
    for round_ in range(1, MAX_ROUNDS + 1):
        result.rounds = round_
        if round_ == 1 and first_read is not None:
            parent: IssueState | None = first_read
        else:
            parent = await read_issue(gh, owner, repo, number, me)
        if parent is None or parent.is_pr:
            return result
        comments = await read_comments(gh, owner, repo, number)
        # Reading and checking is the CPU-bound part: a big plan is worked on off the event loop (so is each
        # big candidate pick_source reads), so heartbeats and acks go on.
        plan_files = await files.for_issue(number) if files is not None else []
        source = await pick_source(parent.raw, comments, may_write, me, plan_files)
        analysis = source.analysis
        report = await cpu_step(len(analysis.source), check_plan, analysis) if analysis is not None else None
        size = len(analysis.source) if analysis is not None else 0
        conflicts = list(
            dict.fromkeys(
                (report.analysis.conflicts_with if report is not None else [])
                + task_numbers(source.task, "conflicts_with")
            )
        )
        deps = task_numbers(source.task, "depends_on")
        if not cfg.conflict_notes:
            conflicts = []  # switched off: none made, and those of earlier syncs are undone
        conflicts, dropped_conflicts = cap_links(conflicts)
        deps, dropped_deps = cap_links(deps)
        result.found_analysis = report is not None
        result.found_task_links = bool(deps or task_numbers(source.task, "conflicts_with"))
        if report is None and not conflicts and not deps:
            await _file_removed(gh, owner, repo, number, comments, me, result, progress)
            return result
        previous = markers.previous_links(comments, me)
        streams = report.analysis.streams if report is not None else []
        structure = report is None or (not report.has_errors and len(streams) <= MAX_SUB_ISSUES)
        current = await read_current(
            gh,
            owner,
            repo,
            parent,
            comments,
            stream_ids=[s.id for s in streams],
            conflict_numbers=list(dict.fromkeys(conflicts + previous[0])),
            dep_numbers=list(dict.fromkeys(deps + previous[1])),
            structure=structure,
            me=me,
            stream_label=run_labels(cfg).stream.name,
            want_type=cfg.sub_issues.type if report is not None else None,
        )
        records = Records(markers.previous_labelset(comments, me), markers.previous_handoff(comments, me),
                          markers.previously_done(comments, me))
        desired = build_desired(
            report,
            current,
            conflicts=conflicts,
            deps=deps,
            previous=previous,
            dropped=(dropped_conflicts, dropped_deps),
            config=cfg,
            records=records,
            user_token=run.user_token,
            source_url=source_link(source, current),
        )
        # Plans for other issues passed over, and what is wrong in the configuration file: said so.
        findings = run.loaded.findings if report is not None else []  # a plan's summary says them
        desired.notes = [*findings, *source.ignored, *desired.notes]
        result.notes = desired.notes
        # An invalid plan, or one over a limit: only the summary and the issue's labels are written.
        result.errors = report is not None and not desired.structure
        # New sub-issues are created already linked (one GraphQL write each) unless the host lacks that.
        writes = diff(current, desired, owner, repo, linked=creates_linked(gh.base_url))
        refs: Refs = {sid: (s.number, s.id) for sid, s in current.streams.items()}
        if dry_run:
            for i, w in enumerate(writes):
                if w.produces is not None:
                    refs[w.produces] = (0, -1 - i)
            result.planned = [w.planned() for w in writes]
            result.planned += [w.planned() for w in brief_link_writes(desired, current, refs, owner, repo)]
            final = await cpu_step(
                size, _summary_writes, report, conflicts, current, desired, refs, owner, repo, source)
            result.planned += [w.planned() for w in final]
            return result
        try:
            # What GitHub's content limits (and one job's slice) leave room for now; the rest waits.
            # A new sub-issue's brief naming one created after it is edited once that one exists.
            linking = brief_links(desired, current)
            space = await budget.room(gh, len(writes) + linking + budget.SUMMARY_RESERVE)
            writes, later = budget.split(writes, space, after=linking)
            if space is not None and later and space.writes == 0:
                result.writes, result.planned = progress.writes, list(progress.done)
                result.deferred, result.resume_at = len(later), space.resume_at
                break
            await apply(gh, owner, repo, writes, refs, progress, lock=run.lock)
            desired.notes += _read_back(desired, progress.results)
            result.notes = desired.notes
            building = ""
            if later and space is not None:
                made = sum(1 for ds in desired.streams if refs.get(ds.id, (0, 0))[0] > 0)
                building = budget.building_line(made, len(desired.streams), len(later), space.resume_at)
                result.deferred, result.resume_at = len(later), space.resume_at
            # Rendering the summary is CPU-bound too: off the event loop when the plan is big.
            final = await cpu_step(size, _summary_writes, report, conflicts, current, desired, refs, owner,
                                   repo, source, building)
            if not later:  # else the run that makes the rest writes the briefs with every number known
                final = brief_link_writes(desired, current, refs, owner, repo) + final
            await apply(gh, owner, repo, final, refs, progress, lock=run.lock)
        except OutcomeUnknown:
            result.writes, result.planned = progress.writes, list(progress.done)
            if round_ == MAX_ROUNDS:
                raise
            continue  # GitHub may or may not have done it: read again before writing anything else
        result.writes, result.planned = progress.writes, list(progress.done)
        result.summary_url = _summary_url(current, progress.results.get("summary"))
        agents = desired.labels.agent_prefix.lower()
        dropped = sorted({w.drops_label for w in writes if w.drops_label
                          and w.drops_label.lower().startswith(agents)})
        for name in dropped:
            result.writes += await prune_label(gh, owner, repo, name, labels=desired.labels)
        break
    return result


def _summary_url(current: CurrentState, written: Any) -> str | None:
    if isinstance(written, dict) and written.get("html_url"):
        return str(written["html_url"])
    if current.summary is not None:
        return str(current.summary.get("html_url") or "") or None
    return None


def _stream_url(parent_url: str, number: int) -> str:
    return f"{parent_url.rsplit('/', 1)[0]}/{number}" if parent_url else f"#{number}"


def live_status(
    report: PlanReport | None, current: CurrentState, desired: DesiredState, refs: Refs
) -> LiveStatus:
    """Where each stream lives and its state, as it will be once the writes of this run are made."""
    status = LiveStatus(notes=list(desired.notes), blocked_by_issues=list(desired.issue_deps))
    ready = {ds.id: ds.ready for ds in desired.streams}
    for stream in report.analysis.streams if report is not None else []:
        sid = markers.safe_id(stream.id)
        if sid not in refs:
            continue
        num = refs[sid][0]
        cur = current.streams.get(sid)
        reopened = cur is not None and cur.closed and markers.REMOVED_MARKER in cur.body and sid in ready
        if cur is not None and cur.closed and not reopened:
            state = "not_planned" if cur.state_reason == "not_planned" else "closed"
        elif sid in ready:
            state = "ready" if ready[sid] else "open"
        else:
            state = "open"
        status.streams[stream.id] = StreamStatus(
            number=num, url=_stream_url(current.parent.url, num), state=state
        )
    return status


def _summary_writes(
    report: PlanReport | None,
    conflicts: list[int],
    current: CurrentState,
    desired: DesiredState,
    refs: Refs,
    owner: str,
    repo: str,
    source: Source | None = None,
    building: str = "",
) -> list[Write]:
    """The summary, created or edited in place only when its text changes; stray duplicates removed;
    `building`: the line saying what waits for GitHub's content limits (a plan built across jobs).

    Without an analysis (task links only) a short summary is written only when there is something to say
    (a listed issue that is missing, a pull request, or this issue), and kept up to date once it exists.
    """
    n = current.parent.number
    source_url = source.url if source is not None else None
    record = ""
    said, shown_file = "", None
    if source is not None and report is not None:
        said, record, shown_file = _source_line(source, current)
    if desired.record[0] or desired.record[1]:
        record += "\n" + markers.links_marker(*desired.record) + "\n"
    numbers = _recorded(refs, desired)
    if numbers:
        record += ("" if record else "\n") + markers.streams_marker(numbers) + "\n"
    extra = [markers.labelset_marker(desired.labelset)] if desired.labelset is not None else []
    extra += [markers.handoff_marker(desired.handoff)] if any(desired.handoff.values()) else []
    extra += [markers.DONE_MARKER] if desired.done else []
    if extra:
        record += ("" if record else "\n") + "\n".join(extra) + "\n"
    if report is not None:
        shown = report
        # Live references only to the issues the plan flags (capped); one it names that is missing, a pull
        # request or this issue is listed in the findings instead, as text.
        conflicts = desired.conflicts if desired.structure else desired.record[0]
        if conflicts != report.analysis.conflicts_with:
            shown = report.model_copy(
                update={"analysis": report.analysis.model_copy(update={"conflicts_with": conflicts})}
            )
        status = live_status(report, current, desired, refs)
        if source is None or source.file is None:
            # A comment or the issue body: the summary's "Read from" line links it, with its edit time.
            status.source_url = source_url
            status.source_edited = _edited(current, source_url)
        status.issue = n
        closed = removed_note(current, desired, source_url, shown_file)
        closed = "\n\n".join(t for t in (building, closed, said) if t)
        handed = handoff_note(desired, refs)
        closed = f"{closed}\n\n{handed}" if closed and handed else closed or handed
        text = render_summary(shown, status, limit=MAX_COMMENT - len(record) - len(closed) - 2,
                              diagram=desired.config.diagram)
        text = text.rstrip("\n") + "\n\n" + closed + "\n" if closed else text
    elif desired.notes or _is_bare(current.summary, n):
        text = task_summary(n, desired)
    else:
        return []
    text = text.rstrip("\n") + "\n" + record if record else text
    writes = comment_writes(owner, repo, n, current.summary, text, "summary", tag="summary")
    writes += [
        deletion(comment_path(owner, repo, extra), "delete duplicate summary")
        for extra in current.extra_summaries
    ]
    return writes


def _edited(current: CurrentState, source_url: str | None) -> str | None:
    """When the comment the plan was read from was last edited (a stable time: re-runs render the same).

    Not for an issue body: the issue's updated_at moves with every label and comment, the bot's own too.
    """
    if not source_url:
        return None
    when = next((c.get("updated_at") for c in current.comments if c.get("html_url") == source_url), None)
    if not isinstance(when, str) or len(when) < 16:
        return None
    return when[:10] + " " + when[11:16] + " UTC"


def shown_file(source: Source, current: CurrentState) -> PlanFile | None:
    """The plan file as the summary and the briefs link it: a file whose text is unchanged keeps the commit
    the summary already links, so a push that changes other files (or another door's checkout of the same
    text) rewrites nothing."""
    file = source.file
    if file is None:
        return None
    known = recorded_source(str((current.summary or {}).get("body") or ""))
    if known is not None and known.path == file.path and known.blob == file.blob and known.commit:
        file = file.at(known.commit)
    return file


def source_link(source: Source, current: CurrentState) -> str | None:
    """Where the briefs say the plan was read: the comment or body, or the file as the summary links it."""
    file = shown_file(source, current)
    return source.url if file is None else file.url


def _source_line(source: Source, current: CurrentState) -> tuple[str, str, PlanFile | None]:
    """For a plan read from a file: the summary's line naming (and linking) it, the hidden record of the
    file, and the file as linked.

    A file whose text is unchanged keeps the commit the summary already links, so a push that changes
    other files rewrites nothing.
    """
    file = shown_file(source, current)
    if file is None:
        return "", "", None  # a comment or the issue body: the summary's own "Read from" line says it
    name = code_span(file.path)
    record = "\n" + source_marker(file) + "\n"
    if file.url is None:
        return f"_Plan read from the file {name} (a local file, not committed as it is)._", record, file
    assert file.commit is not None
    return (f"_Plan read from the file [{name}]({file.url}) at {code_span(file.commit[:7])}"
            " (a plan file wins over comments)._", record, file)


async def _file_removed(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int, comments: list[dict[str, Any]],
    me: Identity, result: SyncResult, progress: Progress,
) -> None:
    """The plan file a summary was read from is gone, and no other plan is left: the structure stays as it
    is (nothing is closed for a removed file), and the summary says so once."""
    summary = next((c for c in comments if markers.is_summary(c, me)), None)
    body = str((summary or {}).get("body") or "")
    known = recorded_source(body)
    if summary is None or known is None or FILE_REMOVED in body:
        return
    note = (f"> {FILE_REMOVED}: {code_span(known.path)} is no longer there and no other plan is left, so the "
            "structure is left as it was. Push the file again, or post a plan, to change it.")
    text = body.rstrip("\n") + "\n\n" + note + "\n"
    writes = comment_writes(owner, repo, number, summary, text, "summary", tag="summary")
    if result.dry_run:
        result.planned += [w.planned() for w in writes]
        return
    await apply(gh, owner, repo, writes, {}, progress)
    result.writes, result.planned = progress.writes, list(progress.done)


#: The note a summary gets when its plan file was removed (written once).
FILE_REMOVED = "**The plan file was removed**"


def removed_note(
    current: CurrentState, desired: DesiredState, source_url: str | None, file: PlanFile | None = None,
) -> str:
    """The line naming sub-issues closed because their streams left the plan, linking the plan's source.

    Closing is the one destructive thing the bot does, so the summary says which and why, and how to undo it.
    """
    # Those unlinked to make room under GitHub's limit are not listed: the next sync no longer sees them as
    # removed sub-issues of this issue, and the line must read the same then.
    unlinked = set(desired.unlink) | set(current.unlinked)
    gone = [f"#{current.streams[sid].number} (Stream {escape_inline(sid)})"
            for sid in desired.removed if sid not in unlinked]
    if not gone:
        return ""
    shown = gone[:MAX_SUB_ISSUES]
    where = f"[this comment]({source_url})" if source_url else "the plan"
    if source_url and source_url.rstrip("/") == current.parent.url.rstrip("/"):
        where = f"[the issue body]({source_url})"
    again = "Post"
    if file is not None:
        name = f"the file {code_span(file.path)}"
        where = f"[{name}]({file.url})" if file.url else name
        again = "Push"
    return (
        f"_Closed as not planned because their streams are not in the plan read from {where}: "
        f"{', '.join(shown)}. {again} the earlier plan again to reopen them._"
    )


def handoff_note(desired: DesiredState, refs: Refs) -> str:
    """Who has which stream (the hand-off), logins as code: the summary never pings anyone."""
    parts = []
    for sid, people in sorted(desired.handoff.items()):
        if people and sid in refs and refs[sid][0] > 0:
            who = ", ".join(map(code_span, people))
            parts.append(f"Stream {escape_inline(sid)} (#{refs[sid][0]}): {who}")
    return f"**Handed off**: {'; '.join(parts[:MAX_SUB_ISSUES])}" if parts else ""


def _read_back(desired: DesiredState, results: dict[str, Any]) -> list[Diagnostic]:
    """What GitHub left out without a word: an issue type it could not set, a person it could not assign.

    Read back from the answers to the writes (GitHub answers 201 and drops what it cannot do)."""
    wanted = desired.config.sub_issues.type or ""
    by_id = {ds.id: ds for ds in desired.streams}
    untyped: list[str] = []
    unassigned: list[str] = []
    for tag, answer in results.items():
        kind, _, sid = tag.partition(":")
        ds = by_id.get(sid)
        if ds is None or kind not in ("new", "typed", "assigned"):
            continue
        data = answer if isinstance(answer, dict) else {}
        if kind in ("new", "typed") and ds.issue_type:
            got = data.get("type")
            if not (isinstance(got, dict) and str(got.get("name", "")).casefold() == wanted.casefold()):
                untyped.append(sid)
        if kind in ("new", "assigned") and ds.assign:
            people = data.get("assignees") or []
            have = {str(a.get("login", "")).lower() for a in people if isinstance(a, dict)}
            unassigned += [f"{login} (stream {sid})" for login in ds.assign if login.lower() not in have]
    out = []
    if untyped:
        out.append(note("sync-type-dropped", f"GitHub did not set the issue type {wanted} on the "
                        f"sub-issue(s) of stream(s) {', '.join(untyped)}."))
    if unassigned:
        out.append(note("sync-handoff-dropped", "GitHub did not assign " + ", ".join(unassigned)
                        + ": only the repository's collaborators (and, with a user token, Copilot) can be."))
    return out


def _recorded(refs: Refs, desired: DesiredState) -> dict[str, int]:
    """What the summary records: every stream of the plan, then removed ones (newest first) up to the cap."""
    planned = {ds.id for ds in desired.streams}
    known = {sid: num for sid, (num, _id) in refs.items() if num > 0}
    kept = {sid: num for sid, num in known.items() if sid in planned}
    removed = sorted((num, sid) for sid, num in known.items() if sid not in planned)
    room = max(0, MAX_RECORDED_STREAMS - len(kept))
    kept.update({sid: num for num, sid in removed[len(removed) - room:]} if room else {})
    return kept


def _is_bare(summary: dict[str, Any] | None, number: int) -> bool:
    """True for a summary the bot wrote without a plan (task links or a failure note)."""
    return summary is not None and str(summary.get("body") or "").startswith(
        markers.bare_summary_marker(number)
    )


def task_summary(number: int, desired: DesiredState) -> str:
    """The short summary of an issue with CCPM task links and no analysis: its links and the findings."""
    lines = [markers.bare_summary_marker(number), "### Task links", ""]
    if desired.issue_deps:
        lines.append("**Blocked by:** " + ", ".join(f"#{d}" for d in desired.issue_deps))
    if desired.conflicts:
        lines.append("**Conflicts with:** " + ", ".join(f"#{m}" for m in desired.conflicts))
    if not desired.issue_deps and not desired.conflicts:
        lines.append("No issue this task names could be linked.")
    if desired.notes:
        lines += ["", "### Findings", ""]
        lines += [f"- ⚠️ {code_span(d.code)}: {escape_inline(d.message)}" for d in desired.notes]
    lines += ["", "_From the `depends_on` / `conflicts_with` frontmatter of this issue's body._", ""]
    return "\n".join(lines)


async def report_failure(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int, message: str,
    *, me: Identity = DEFAULT_IDENTITY, may_write: WriteCheck | None = None, lock: IssueLock | None = None,
    files: PlanFiles | None = None,
) -> None:
    """Put a failure note in the issue's summary; the next sync clears it.

    With no summary yet, a bare one is written only when the issue holds a plan by a writer: a stranger's
    text, or a failed permission check, never leaves a summary on an issue that has no plan.
    """
    text = " ".join(message.split())
    note = f"> **The last sync failed**: {escape_inline(text[:1000])}"
    check = may_write or writer_check(gh, owner, repo)

    async def known_writer(login: str, association: Any) -> bool:
        try:
            return await check(login, association)
        except Exception:  # the check itself failing is no proof of write access
            return False

    async with issue_lock(gh, owner, repo, number, lock):
        comments = await read_comments(gh, owner, repo, number)
        summary: dict[str, Any] | None = next((c for c in comments if markers.is_summary(c, me)), None)
        if summary is None:
            issue = await read_issue(gh, owner, repo, number, me)
            if issue is None or issue.is_pr:
                return
            plan_files = await files.for_issue(number) if files is not None else []
            source = await pick_source(issue.raw, comments, known_writer, me, plan_files)
            if source.analysis is None and not task_numbers(source.task, "depends_on") \
                    and not task_numbers(source.task, "conflicts_with"):
                return
            body = markers.with_failure(markers.bare_summary_marker(number) + "\n", note)
            await send(gh, "POST", f"/repos/{owner}/{repo}/issues/{number}/comments", {"body": body})
            return
        old = str(summary.get("body") or "")
        body = markers.with_failure(old, note)
        if body != old:
            await send(gh, "PATCH", f"/repos/{owner}/{repo}/issues/comments/{summary['id']}", {"body": body})
