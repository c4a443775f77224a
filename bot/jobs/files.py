"""Push and scan jobs: which issues a push's plan files (or a default branch's) are for, and the plans to
sync again when a push changed the repository's configuration."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gidgethub.abc

from bot.analysis.planfiles import PlanPaths
from bot.conventions import CONFIG_PATH
from bot.jobs.request import JobRequest
from bot.repoconfig.github import plans_to_resync, read_config_at, read_repo_config
from bot.repoconfig.load import LoadedConfig
from bot.sync.files import RepoFiles

log = logging.getLogger("bot.jobs.files")


async def changed_paths(gh: gidgethub.abc.GitHubAPI, request: JobRequest) -> list[str]:
    """The files a push changed: from the payload, or (more than 20 commits) GitHub's compare API."""
    if not request.compare:
        return list(request.paths)
    url = f"/repos/{request.owner}/{request.repo}/compare/{request.before}...{request.ref}"
    answer: Any = await gh.getitem(url)
    found: set[str] = set()
    for item in answer.get("files") or []:
        for key in ("filename", "previous_filename"):
            path = item.get(key)
            if isinstance(path, str):
                found.add(path)
    return sorted(found)


async def plan_issues(gh: gidgethub.abc.GitHubAPI, request: JobRequest, paths: PlanPaths,
                      changed: list[str] | None = None) -> list[int]:
    """The issues to sync for a push job (its changed plan files) or a scan job (every plan file), plan
    files being what `paths` (the repository's `analysis_paths`) says.

    A file named after its issue needs no read; an analysis named without a number is read at the pushed
    commit (or, removed, at the one before) for the issue its frontmatter names.
    """
    patterns = paths.patterns
    if request.kind == "scan":
        return await RepoFiles(gh, request.owner, request.repo, ref=request.ref, patterns=patterns).issues()
    after = RepoFiles(gh, request.owner, request.repo, ref=request.ref, patterns=patterns)
    before = RepoFiles(gh, request.owner, request.repo, ref=request.before, patterns=patterns)
    changed = changed if changed is not None else await changed_paths(gh, request)
    found = await after.issues(changed, also=before)
    log.info("plan files of %s/%s name issues %s", request.owner, request.repo, found)
    return found


@dataclass(frozen=True)
class RepositoryWork:
    """What a push or scan job found: the issues to sync, whether the configuration changed (their syncs
    then read it afresh), and the configuration its plan paths came from."""

    issues: list[int]
    config_changed: bool
    config: LoadedConfig


async def repository_work(
    gh: gidgethub.abc.GitHubAPI, request: JobRequest, config: LoadedConfig | None = None
) -> RepositoryWork:
    """The issues a push or scan job syncs. A push changing `.github/parallel-work-bot.yml` (or a forced
    push, which may have) adds every open plan of the repository: those carrying the plan label of the new
    configuration, of the default one, or of the file as it was before the push, and every issue the
    branch has plan files for (new `analysis_paths` may name files the push did not touch). `config`: the
    configuration to take the plan paths from (the Action's checkout); None reads the repository's."""
    changed = await changed_paths(gh, request) if request.kind == "push" else []
    config_changed = CONFIG_PATH in changed or (request.kind == "scan" and request.ref is not None)
    again: list[int] = []
    if config_changed:
        earlier = (await read_config_at(gh, request.owner, request.repo, request.before)
                   if request.before else None)
        labels = [c.config.labels.spec("plan")[0] for c in (earlier, config) if c is not None]
        again = await plans_to_resync(gh, request.owner, request.repo, also_labels=labels)
        log.info("configuration of %s/%s changed: plans %s synced again", request.owner, request.repo, again)
    loaded = config if config is not None else await read_repo_config(gh, request.owner, request.repo)
    paths = PlanPaths.of(loaded.config.analysis_paths)
    numbers = await plan_issues(gh, request, paths, changed)
    if config_changed and request.kind == "push":
        scan = request.model_copy(update={"kind": "scan"})
        numbers = [*numbers, *await plan_issues(gh, scan, paths)]
    return RepositoryWork(sorted({*numbers, *again}), config_changed, loaded)
