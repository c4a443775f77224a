"""Reading the current GitHub state of a plan: issue, summary, stream sub-issues, links, labels, conflicts."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import gidgethub
import gidgethub.abc

from bot.conventions import Identity
from bot.github.paths import api_path
from bot.sync import markers
from bot.sync.labels import LABEL_CACHE, STREAM, LabelCache, names


@dataclass
class IssueState:
    """What the sync needs of one issue as GitHub has it."""

    number: int
    id: int
    title: str
    body: str
    state: str
    state_reason: str | None
    labels: set[str]
    url: str
    is_pr: bool
    by_bot: bool
    #: GitHub's issue object as read, for what only some callers need (author, association).
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Lower-cased logins of its assignees, and its issue type's name (None: no type).
    assignees: set[str] = field(default_factory=set)
    type_name: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any], me: Identity) -> IssueState:
        """From GitHub's issue object; `by_bot` only when written by us (our login or our App)."""
        return cls(
            number=int(raw["number"]),
            id=int(raw["id"]),
            title=str(raw.get("title") or ""),
            body=str(raw.get("body") or ""),
            state=str(raw.get("state") or "open"),
            state_reason=raw.get("state_reason"),
            labels=names(raw.get("labels")),
            url=str(raw.get("html_url") or ""),
            is_pr=bool(raw.get("pull_request")),
            by_bot=markers.is_bot(raw, me),
            raw=raw,
            assignees={str(a.get("login")).lower() for a in raw.get("assignees") or []
                       if isinstance(a, dict)},
            type_name=_type_name(raw.get("type")),
        )

    @property
    def marker(self) -> markers.StreamMarker | None:
        """The stream marker, when the bot wrote this issue as a stream sub-issue."""
        return markers.parse_stream_marker(self.body) if self.by_bot else None

    @property
    def closed(self) -> bool:
        """True when the issue is closed (for any reason)."""
        return self.state == "closed"

    @property
    def finished(self) -> bool:
        """Closed, and not by the bot as a removed stream's: done. It stays closed, its labels as they are."""
        return self.closed and markers.REMOVED_MARKER not in self.body


def _type_name(value: Any) -> str | None:
    return str(value["name"]) if isinstance(value, dict) and value.get("name") else None


@dataclass
class ConflictTarget:
    """An issue named in conflicts_with: None when it does not exist, plus the bot's comment on it if any."""

    issue: IssueState | None
    comment: dict[str, Any] | None = None
    #: True when the bot's conflict notes of other plans are on it too (then its label stays).
    others: bool = False


@dataclass
class CurrentState:
    """Everything the diff compares against, read fresh at the start of each round."""

    parent: IssueState
    comments: list[dict[str, Any]]
    summary: dict[str, Any] | None
    extra_summaries: list[dict[str, Any]]
    #: The bot's stream sub-issues of this parent by stream id (linked ones first, then found unlinked).
    streams: dict[str, IssueState] = field(default_factory=dict)
    #: Stream ids whose sub-issue exists but is not linked to the parent (a create whose link never happened).
    unlinked: set[str] = field(default_factory=set)
    #: How many sub-issues the parent has in all (any author, open or closed): GitHub allows 100.
    sub_issue_count: int = 0
    #: Sub-issue number -> ids of the issues it is blocked by.
    blocked_by: dict[int, set[int]] = field(default_factory=dict)
    #: Repository labels known to exist (lower case).
    repo_labels: set[str] = field(default_factory=set)
    conflicts: dict[int, ConflictTarget] = field(default_factory=dict)
    #: Issue-level depends_on targets (None = does not exist) and the parent's own blocked-by ids.
    issue_deps: dict[int, IssueState | None] = field(default_factory=dict)
    parent_blocked_by: set[int] = field(default_factory=set)
    #: Other plans whose conflict note (ours) is on this issue: its plan:conflict label stays for them.
    flagged_by: set[int] = field(default_factory=set)
    #: Issue type names the repository offers (read only when the configuration asks for a type).
    issue_types: list[str] = field(default_factory=list)


async def read_issue(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int, me: Identity
) -> IssueState | None:
    """One issue, or None when it does not exist (or is not visible)."""
    raw = await read_issue_raw(gh, owner, repo, number)
    return IssueState.of(raw, me) if raw is not None else None


async def read_issue_raw(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int
) -> dict[str, Any] | None:
    """GitHub's answer for one issue (conditional: a free 304 when unchanged), or None when it does not exist
    (or is not visible)."""
    try:
        raw: dict[str, Any] = await gh.getitem(api_path("/repos/{owner}/{repo}/issues/{number}", owner=owner,
                                                        repo=repo, number=number))
    except gidgethub.BadRequest as exc:
        if exc.status_code.value in (404, 410):
            return None
        raise
    return raw


async def read_comments(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int
) -> list[dict[str, Any]]:
    """All comments of an issue, oldest first."""
    url = api_path("/repos/{owner}/{repo}/issues/{number}/comments?per_page=100", owner=owner, repo=repo,
                   number=number)
    return [c async for c in gh.getiter(url)]


async def read_blocked_by(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, issue: IssueState) -> set[int]:
    """Database ids of the issues blocking this one; none asked for when the issue, as read, says nothing
    blocks it (GitHub's `issue_dependencies_summary`; where it is missing, they are listed)."""
    summary = issue.raw.get("issue_dependencies_summary")
    if isinstance(summary, dict) and summary.get("total_blocked_by") == 0:
        return set()
    url = api_path("/repos/{owner}/{repo}/issues/{number}/dependencies/blocked_by?per_page=100",
                   owner=owner, repo=repo, number=issue.number)
    return {int(i["id"]) async for i in gh.getiter(url)}


async def read_repo_labels(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, cache: LabelCache = LABEL_CACHE, *,
    fresh: bool = False,
) -> set[str]:
    """Label names of the repository, read once per repository per process (`fresh`: read again)."""
    key = cache.key(gh.base_url, owner, repo)
    known = cache.get(key)
    if known is None or fresh:
        url = api_path("/repos/{owner}/{repo}/labels?per_page=100", owner=owner, repo=repo)
        listed = [lab async for lab in gh.getiter(url)]
        cache.put(key, {str(lab["name"]) for lab in listed})
        cache.learn_labels(key, listed)
        known = cache.get(key) or set()
    return set(known)


async def read_current(
    gh: gidgethub.abc.GitHubAPI,
    owner: str,
    repo: str,
    parent: IssueState,
    comments: list[dict[str, Any]],
    *,
    stream_ids: list[str],
    conflict_numbers: list[int],
    dep_numbers: list[int],
    structure: bool,
    me: Identity,
    stream_label: str = STREAM.name,
    want_type: str | None = None,
) -> CurrentState:
    """Read what the diff needs; `structure` False (invalid plan) skips links and conflicts (untouched).

    A sub-issue is ours by author (our identity), never by a marker alone; one whose region a person removed
    is still found by its title (`#N · Stream X:`) when linked, or by the summary's record when unlinked.
    """
    summaries = [c for c in comments if markers.is_summary(c, me)]
    state = CurrentState(
        parent=parent,
        comments=comments,
        summary=summaries[0] if summaries else None,
        extra_summaries=summaries[1:],
    )
    state.repo_labels = await read_repo_labels(gh, owner, repo)
    n = parent.number
    state.flagged_by = {of for c in comments if (of := markers.conflict_of(c, me)) is not None and of != n}
    url = api_path("/repos/{owner}/{repo}/issues/{number}/sub_issues?per_page=100", owner=owner, repo=repo,
                   number=n)
    wanted = [markers.safe_id(s) for s in stream_ids]
    linked: set[int] = set()
    recorded = markers.previous_streams(comments, me)
    async for raw in _sub_issues(gh, url, parent, recorded=bool(recorded)):
        state.sub_issue_count += 1
        sub = IssueState.of(raw, me)
        linked.add(sub.number)
        sid = _stream_of(sub, n, wanted)
        if sid is not None and sid not in state.streams:
            state.streams[sid] = sub
    if structure:
        await _find_recorded(gh, owner, repo, state, recorded, linked, me)
    missing = [s for s in wanted if s not in state.streams]
    if missing and structure:
        await _find_unlinked(gh, owner, repo, n, state, me, stream_label)
    if structure and want_type is not None:
        state.issue_types = await read_issue_types(gh, owner, repo)
    if structure:
        for sub in state.streams.values():
            if sub.closed and markers.REMOVED_MARKER in sub.body:
                continue  # removed by the bot: its links went before it was closed
            state.blocked_by[sub.number] = await read_blocked_by(gh, owner, repo, sub)
        for m in conflict_numbers:
            if m == n:
                continue
            target = await read_issue(gh, owner, repo, m, me)
            state.conflicts[m] = ConflictTarget(target)
            if target is not None and not target.is_pr:
                target_comments = await read_comments(gh, owner, repo, m)
                for comment in target_comments:
                    of = markers.conflict_of(comment, me)
                    if of == n and state.conflicts[m].comment is None:
                        state.conflicts[m].comment = comment
                    elif of is not None and of != n:
                        state.conflicts[m].others = True
                # Its own plan flags other issues: it carries plan:conflict for that too.
                if markers.previous_links(target_comments, me)[0]:
                    state.conflicts[m].others = True
        for d in dep_numbers:
            if d != n:
                state.issue_deps[d] = await read_issue(gh, owner, repo, d, me)
        if any(v is not None for v in state.issue_deps.values()):
            state.parent_blocked_by = await read_blocked_by(gh, owner, repo, parent)
    return state


async def _sub_issues(
    gh: gidgethub.abc.GitHubAPI, url: str, parent: IssueState, *, recorded: bool
) -> AsyncIterator[dict[str, Any]]:
    """The parent's sub-issues. None are asked for when the parent, as just read, says it has none and the bot
    has recorded no sub-issue of its own for it (a new plan's first sync: one request less); once it has,
    they are always listed, so a count GitHub were slow to update could never hide them. Where GitHub gives
    no `sub_issues_summary`, they are listed."""
    summary = parent.raw.get("sub_issues_summary")
    if not recorded and isinstance(summary, dict) and summary.get("total") == 0:
        return
    async for raw in gh.getiter(url):
        yield raw


def _stream_of(sub: IssueState, parent: int, wanted: list[str]) -> str | None:
    """The stream id of our sub-issue of `parent`: from its marker, else (region gone) from its title."""
    if not sub.by_bot:
        return None
    mark = markers.parse_stream_marker(sub.body)
    if mark is not None:
        return mark.stream_id if mark.parent == parent else None
    for sid in wanted:
        if sub.title.startswith(f"#{parent} · Stream {sid}:"):
            return sid
    return None


async def _find_recorded(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, state: CurrentState, record: dict[str, int],
    linked: set[int], me: Identity,
) -> None:
    """Recorded sub-issues not found among the linked ones (unlinked, relabelled, rewritten): read each."""
    n = state.parent.number
    for sid, number in record.items():
        if sid in state.streams or number == n:
            continue
        sub = await read_issue(gh, owner, repo, number, me)
        if sub is None or sub.is_pr or not sub.by_bot:
            continue
        mark = markers.parse_stream_marker(sub.body)
        if mark is not None and (mark.parent != n or mark.stream_id != sid):
            continue  # ours, but another plan's or stream's: the record is stale
        state.streams[sid] = sub
        if number not in linked:
            state.unlinked.add(sid)


async def read_issue_types(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str) -> list[str]:
    """The names of the issue types the repository offers (none where it has no issue types)."""
    try:
        found = await gh.getitem(api_path("/repos/{owner}/{repo}/issue-types", owner=owner, repo=repo))
    except gidgethub.BadRequest as exc:
        if exc.status_code.value in (403, 404):
            return []
        raise
    if not isinstance(found, list):
        return []
    return [str(t["name"]) for t in found if isinstance(t, dict) and t.get("name")]


async def _find_unlinked(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, parent: int, state: CurrentState, me: Identity,
    stream_label: str = STREAM.name,
) -> None:
    """Sub-issues the bot created for this parent but never linked (the link failed): by label + marker.

    Only issues updated since the parent was created (less a margin for GitHub's clocks) can be its
    sub-issues, so a repository's older streams are not read again for every new plan.
    """
    url = api_path("/repos/{owner}/{repo}/issues?state=all&labels={label}&per_page=100", owner=owner,
                   repo=repo, label=stream_label)
    since = _since(state.parent.raw.get("created_at"))
    if since is not None:
        url = api_path("/repos/{owner}/{repo}/issues?state=all&labels={label}&since={since}&per_page=100",
                       owner=owner, repo=repo, label=stream_label, since=since)
    async for raw in gh.getiter(url):
        if raw.get("pull_request"):
            continue
        sub = IssueState.of(raw, me)
        mark = sub.marker
        if mark is not None and mark.parent == parent and mark.stream_id not in state.streams:
            state.streams[mark.stream_id] = sub
            state.unlinked.add(mark.stream_id)


#: How far before the parent's creation `_find_unlinked` looks (clock differences inside GitHub).
SINCE_MARGIN = datetime.timedelta(hours=1)


def _since(created_at: object) -> str | None:
    """GitHub's `since` (ISO 8601, UTC): `created_at` less the margin; None when unknown."""
    if not isinstance(created_at, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return (when - SINCE_MARGIN).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
