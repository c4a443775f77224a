"""Executing planned writes one at a time; a write with an unknown outcome stops the run for a re-read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import gidgethub
import gidgethub.abc

from bot.github.errors import OutcomeUnknown
from bot.sync.diff import PlannedWrite, Refs, Write
from bot.sync.labels import LABEL_CACHE, auto_created
from bot.sync.locks import named_lock


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


async def apply(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, writes: list[Write], refs: Refs, progress: Progress
) -> None:
    """Run the writes in order, serially; `OutcomeUnknown` propagates (the caller re-reads first)."""
    key = LABEL_CACHE.key(gh.base_url, owner, repo)
    for write in writes:
        if write.creates_label is None:
            result = await _run(gh, write, refs, progress)
            await _heal_labels(gh, owner, repo, result, progress)
            continue
        # Jobs of other issues of this repository may be creating the same label at this moment.
        async with named_lock(f"labels:{key}"):
            if not LABEL_CACHE.has(key, write.creates_label):
                await _run(gh, write, refs, progress)
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


async def _heal_labels(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, result: Any, progress: Progress
) -> None:
    """A bot label GitHub auto-created (someone deleted it after the cache saw it) gets its colour back."""
    labels = result.get("labels") if isinstance(result, dict) else result
    for spec in auto_created(labels):
        path = f"/repos/{owner}/{repo}/labels/{quote(spec.name, safe='')}"
        await send(gh, "PATCH", path, {"color": spec.color, "description": spec.description})
        progress.writes += 1
        progress.done.append(
            PlannedWrite(method="PATCH", path=path, description=f"restore label {spec.name}")
        )
