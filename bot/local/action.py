"""The GitHub Action's entry: the workflow's event through the App's own handlers and jobs, with its token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from gidgethub import sansio

from bot.conventions import ACTIONS_LOGIN, is_bot_account
from bot.events import Intake, router
from bot.events.shapes import shape_problem
from bot.github.client import GitHubClient
from bot.github.paths import api_path
from bot.jobs.handler import perform
from bot.jobs.request import Accepted, JobRequest
from bot.local.context import GITHUB_COM_API, LocalError, checkout_config, identity
from bot.repoconfig.github import read_repo_config
from bot.repoconfig.model import DEFAULT_CONFIG
from bot.sync.files import RepoFiles

#: Events the Action runs for; anything else is a workflow set up for something else: said, and exit 0.
ACTION_EVENTS = frozenset({"push", "issue_comment", "issues", "workflow_dispatch"})


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise LocalError(f"{name} is not set (the Action runs inside a GitHub Actions workflow)")
    return value


async def requests_for(
    name: str, data: dict[str, Any], owner: str, repo: str, out: TextIO,
) -> list[JobRequest]:
    """The jobs the App would queue for this event (workflow_dispatch: a scan of the default branch)."""
    if name == "workflow_dispatch":
        return [JobRequest(kind="scan", owner=owner, repo=repo, number=0, reason="workflow_dispatch")]
    collected: list[JobRequest] = []

    async def collect(request: JobRequest) -> Accepted:
        collected.append(request)
        return "queued"

    intake = Intake(enqueue=collect, bot_login=ACTIONS_LOGIN)
    await router.dispatch(sansio.Event(data, event=name, delivery_id="action"), intake)
    if not collected:
        print(f"nothing to do: {intake.why or 'not for this bot'}", file=out)
    return collected


async def run_action(env: Mapping[str, str], *, out: TextIO) -> int:
    """Handle GITHUB_EVENT_NAME's payload (GITHUB_EVENT_PATH) for GITHUB_REPOSITORY with GITHUB_TOKEN.

    The same rules as the App: only writers' plans count (`/analyze` by others gets the polite reply), a
    plan file on the default branch wins, nothing sent by a bot is followed. workflow_dispatch syncs every
    issue the default branch has plan files for, and every open issue already labelled `parallel-plan`
    (or the configuration's plan label). The configuration is the checkout's (GITHUB_WORKSPACE, when the
    workflow checked the repository out), else the repository's as the App reads it; the workflow's token
    is not a person's (Copilot cannot be assigned with it).
    """
    name = _need(env, "GITHUB_EVENT_NAME")
    owner, _, repo = _need(env, "GITHUB_REPOSITORY").partition("/")
    token = _need(env, "GITHUB_TOKEN")
    api_url = (env.get("GITHUB_API_URL") or GITHUB_COM_API).rstrip("/")
    peers = [p.strip() for p in env.get("PWB_PEERS", "").split(",") if p.strip()]
    try:
        data = json.loads(await asyncio.to_thread(Path(_need(env, "GITHUB_EVENT_PATH")).read_text, "utf-8"))
    except (OSError, ValueError) as exc:
        raise LocalError(f"cannot read the event payload: {exc}") from exc
    if name not in ACTION_EVENTS:
        print(f"nothing to do for a {name} event (push, issue_comment, issues, workflow_dispatch)", file=out)
        return 0
    if not isinstance(data, dict) or (name != "workflow_dispatch" and shape_problem(name, data)):
        raise LocalError(f"the {name} payload is not GitHub's shape")
    if is_bot_account(data.get("sender"), ACTIONS_LOGIN):
        print("nothing to do: sent by a bot", file=out)
        return 0
    me = identity(ACTIONS_LOGIN, peers)
    workspace = env.get("GITHUB_WORKSPACE", "").strip()
    config = await asyncio.to_thread(checkout_config, Path(workspace)) if workspace else None
    requests = await requests_for(name, data, owner, repo, out)
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient(session, base_url=api_url, oauth_token=token)
        if name == "workflow_dispatch":
            loaded = config or await read_repo_config(gh, owner, repo)
            files = await RepoFiles(gh, owner, repo, patterns=loaded.config.analysis_paths).issues()
            labelled: set[int] = set()
            for label in dict.fromkeys(c.labels.spec("plan")[0] for c in (loaded.config, DEFAULT_CONFIG)):
                url = api_path("/repos/{owner}/{repo}/issues?labels={label}&state=open&per_page=100",
                               owner=owner, repo=repo, label=label)
                async for i in gh.getiter(url):
                    if not i.get("pull_request"):
                        labelled.add(int(i["number"]))
            numbers = sorted(set(files) | labelled)
            requests = [JobRequest(owner=owner, repo=repo, number=n, reason="workflow_dispatch")
                        for n in numbers]
        for request in requests:
            outcome, found = await perform(gh, request, me=me, config=config)
            writes = sum(found.get("sync_writes") or [])
            issues = found.get("issues", [request.number])
            names = ", ".join(f"#{n}" for n in issues) or "no issue"
            print(f"{request.kind} {names} ({request.reason}): {outcome}, {writes} writes", file=out)
    return 0
