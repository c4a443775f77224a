"""Push and scan jobs: which issues a push's plan files (or a default branch's) are for."""

from __future__ import annotations

import logging
from typing import Any

import gidgethub.abc

from bot.analysis.planfiles import plan_path
from bot.jobs.request import JobRequest
from bot.sync.files import RepoFiles, named_issue

log = logging.getLogger("bot.jobs.files")


async def changed_paths(gh: gidgethub.abc.GitHubAPI, request: JobRequest) -> list[str]:
    """The plan files a push changed: from the payload, or (more than 20 commits) GitHub's compare API."""
    if not request.compare:
        return list(request.paths)
    url = f"/repos/{request.owner}/{request.repo}/compare/{request.before}...{request.ref}"
    answer: Any = await gh.getitem(url)
    found: set[str] = set()
    for item in answer.get("files") or []:
        for key in ("filename", "previous_filename"):
            path = item.get(key)
            if isinstance(path, str) and plan_path(path) is not None:
                found.add(path)
    return sorted(found)


async def plan_issues(gh: gidgethub.abc.GitHubAPI, request: JobRequest) -> list[int]:
    """The issues to sync for a push job (its changed plan files) or a scan job (every plan file).

    A file named after its issue needs no read; an analysis named without a number is read at the pushed
    commit (or, removed, at the one before) for the issue its frontmatter names.
    """
    if request.kind == "scan":
        return await RepoFiles(gh, request.owner, request.repo, ref=request.ref).issues()
    after = RepoFiles(gh, request.owner, request.repo, ref=request.ref)
    before = RepoFiles(gh, request.owner, request.repo, ref=request.before)
    found: set[int] = set()
    for path in await changed_paths(gh, request):
        kind = plan_path(path)
        if kind is None:
            continue
        if kind.number is not None:
            found.add(kind.number)
            continue
        for files in (after, before):
            got = await files.file(path)
            named = named_issue(got.text) if got is not None else None
            if named is not None:
                found.add(named)
                break
    log.info("plan files of %s/%s name issues %s", request.owner, request.repo, sorted(found))
    return sorted(found)
