"""Executing planned writes one at a time; a write with an unknown outcome stops the run for a re-read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import gidgethub
import gidgethub.abc

from bot.github import graphql
from bot.github.errors import OutcomeUnknown
from bot.sync.current import read_issue_raw, read_repo_labels
from bot.sync.diff import PlannedWrite, Refs, Write
from bot.sync.labels import LABEL_CACHE, auto_created, names
from bot.sync.locks import SharedLock, held


class Progress:
    """What a run has written so far (kept across the rounds of one sync)."""

    def __init__(self) -> None:
        self.writes = 0
        self.done: list[PlannedWrite] = []
        #: Responses of tagged writes.
        self.results: dict[str, Any] = {}


async def send(gh: gidgethub.abc.GitHubAPI, method: str, path: str, data: Any) -> Any:
    """One REST write through the client; transport failures after sending become `OutcomeUnknown`."""
    try:
        if method == "POST":
            return await gh.post(path, data=data)
        if method == "PATCH":
            return await gh.patch(path, data=data)
        if method == "PUT":
            return await gh.put(path, data=data)
        if method == "DELETE":
            await (gh.delete(path, data=data) if isinstance(data, dict) else gh.delete(path))
            return None
    except (TimeoutError, aiohttp.ClientError) as exc:
        # A bare gidgethub client (no retry layer): the request may have reached GitHub.
        raise OutcomeUnknown(method, path, reason=repr(exc)) from exc
    raise ValueError(f"not a write method: {method}")


class _NodeIds:
    """The repository's and labels' node ids a linked create needs: from what REST answers already gave
    (LABEL_CACHE), else read once per run when first needed (after the run's label writes, so labels it
    created are found)."""

    def __init__(self, key: str, owner: str, repo: str, writes: list[Write]) -> None:
        self.key, self.owner, self.repo = key, owner, repo
        names = [n for w in writes if w.link_to is not None for n in w.data.get("labels", [])]
        self.names = list(dict.fromkeys(names))
        self.repository: str | None = None
        self.labels: dict[str, str] = {}
        self.cached = False

    async def get(self, gh: gidgethub.abc.GitHubAPI) -> tuple[str, dict[str, str]]:
        if self.repository is None:
            known = LABEL_CACHE.node_ids(self.key, self.names)
            self.cached = known is not None
            if known is not None:
                self.repository, self.labels = known
                return known
            self.repository, found = await graphql.repository_ids(gh, self.owner, self.repo, self.names)
            self.labels = {name.lower(): node for name, node in found.items()}
            LABEL_CACHE.learn_node_ids(self.key, self.repository, self.labels)
        return self.repository, self.labels

    def forget(self) -> None:
        """A create was refused, perhaps for a stale id: ids from the cache are read afresh for the next
        create (ids just read are kept: the refusal has another cause, and REST goes on as before)."""
        LABEL_CACHE.forget_node_ids(self.key)
        if self.cached:
            self.repository, self.labels = None, {}


async def apply(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, writes: list[Write], refs: Refs, progress: Progress,
    *, lock: SharedLock | None = None,
) -> None:
    """Run the writes in order, serially; `OutcomeUnknown` propagates (the caller re-reads first).

    `lock`: the cross-process lock, held while this repository's labels are created."""
    key = LABEL_CACHE.key(gh.base_url, owner, repo)
    ids = _NodeIds(key, owner, repo, writes)
    i = 0
    while i < len(writes):
        write = writes[i]
        if write.creates_label is not None:
            j = i
            while j < len(writes) and writes[j].creates_label is not None:
                j += 1
            await _create_labels(gh, owner, repo, writes[i:j], refs, progress, lock)
            i = j
            continue
        i += 1
        if write.link_to is not None:
            await _create_linked(gh, write, refs, progress, ids)
            continue
        if write.labels_other is not None:
            # Not the issue's own sync lock ("issue:…", held by a sync of that issue's plan, which may be
            # waiting to label this one): this lock is taken last and holds no other, so no two syncs wait on
            # each other.
            async with held(f"issue-labels:{key}#{write.labels_other}", lock):
                if await _labelled(gh, owner, repo, write.labels_other, write.data["labels"]):
                    continue  # another plan's sync labelled it since this one read it
                result = await _run(gh, write, refs, progress)
            await _heal_labels(gh, owner, repo, result, progress)
            continue
        result = await _run(gh, write, refs, progress)
        await _heal_labels(gh, owner, repo, result, progress)


async def _labelled(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, number: int, wanted: list[str]
) -> bool:
    """Whether issue `number` carries every label of `wanted` now (read again: a free 304 when it has not
    changed since the sync read it)."""
    try:
        raw = await read_issue_raw(gh, owner, repo, number)
    except gidgethub.BadRequest:
        raw = None
    if raw is None:
        return False  # gone or hidden: the write itself then says so
    return {w.lower() for w in wanted} <= names(raw.get("labels"))


async def _create_labels(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, writes: list[Write], refs: Refs, progress: Progress,
    lock: SharedLock | None,
) -> None:
    """Labels the repository lacks, created under its labels' lock: jobs of other issues of this repository
    (in this process or another) may be creating the same ones. With the lock held the list is read again
    when any is still missing (conditional: a 304 when nothing changed since the sync read it), so labels
    another process made meanwhile are not asked for; one that exists all the same (422: made by someone
    not taking the lock) has the list read again too."""
    key = LABEL_CACHE.key(gh.base_url, owner, repo)
    async with held(f"labels:{key}", lock):
        if lock is not None and any(not LABEL_CACHE.has(key, str(w.creates_label)) for w in writes):
            await read_repo_labels(gh, owner, repo, fresh=True)
        for write in writes:
            assert write.creates_label is not None
            if LABEL_CACHE.has(key, write.creates_label):
                continue
            result = await _run(gh, write, refs, progress)
            if result is None:  # already there: someone else is creating the bot's labels
                await read_repo_labels(gh, owner, repo, fresh=True)
            LABEL_CACHE.learn_labels(key, result)
            LABEL_CACHE.add(key, write.creates_label)


async def _run(gh: gidgethub.abc.GitHubAPI, write: Write, refs: Refs, progress: Progress) -> Any:
    """One planned write; its result is kept for the writes that depend on it, and returned."""
    path = write.resolve_path(refs)
    data = write.resolve_data(refs)
    try:
        result = await send(gh, write.method, path, data)
    except gidgethub.BadRequest as exc:
        if exc.status_code.value not in write.ok_statuses:
            raise
        result = None
    progress.writes += 1
    progress.done.append(write.planned())
    if write.tag is not None:
        progress.results[write.tag] = result
    if write.produces is not None and isinstance(result, dict):
        refs[write.produces] = (int(result["number"]), int(result["id"]))
    return result


async def _create_linked(
    gh: gidgethub.abc.GitHubAPI, write: Write, refs: Refs, progress: Progress, ids: _NodeIds
) -> None:
    """A sub-issue created already linked to its parent: one GraphQL `createIssue`; on a host without
    `parentIssueId` (or with a label that has no node id yet) REST's create, then its link."""
    assert write.link_to is not None and write.produces is not None
    number, parent_node = write.link_to
    if graphql.creates_linked(gh.base_url):
        repository, labels = await ids.get(gh)
        data = write.resolve_data(refs)
        names = list(data.get("labels", []))
        if all(n.lower() in labels for n in names):
            try:
                result = await graphql.create_sub_issue(
                    gh, repository, parent_node, data["title"], data["body"],
                    [labels[n.lower()] for n in names])
            except graphql.ParentUnsupported:
                pass  # nothing was created: REST's two writes (a host without parentIssueId is remembered)
            except graphql.NotCreated:
                ids.forget()  # nothing was created, perhaps for a stale node id: REST's two writes
            except graphql.CreatedWithErrors as exc:
                # It exists, maybe unlinked: the next round finds it by its marker (and links it).
                raise OutcomeUnknown("POST", "/graphql", reason=str(exc)) from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise OutcomeUnknown("POST", "/graphql", reason=repr(exc)) from exc
            else:
                progress.writes += 1
                progress.done.append(write.planned())
                refs[write.produces] = (result["number"], result["id"])
                return
    create = Write(write.method, write.path, write.data, write.description, produces=write.produces)
    await _run(gh, create, refs, progress)
    owner_repo = write.path[0]
    assert isinstance(owner_repo, str)
    link = Write("POST", (f"{owner_repo}/{number}/sub_issues",), {"sub_issue_id": refs[write.produces][1]},
                 f"link stream {write.produces} as a sub-issue of #{number}")
    await _run(gh, link, refs, progress)


async def _heal_labels(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, result: Any, progress: Progress
) -> None:
    """A bot label GitHub auto-created (someone deleted it after the cache saw it) gets its colour back."""
    labels = result.get("labels") if isinstance(result, dict) else result
    for spec in auto_created(labels):
        path = f"/repos/{owner}/{repo}/labels/{quote(spec.name, safe='')}"
        healed = await send(gh, "PATCH", path, {"color": spec.color, "description": spec.description})
        LABEL_CACHE.learn_labels(LABEL_CACHE.key(gh.base_url, owner, repo), healed)
        progress.writes += 1
        progress.done.append(
            PlannedWrite(method="PATCH", path=path, description=f"restore label {spec.name}")
        )
