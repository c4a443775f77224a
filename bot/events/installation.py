"""`installation` and `installation_repositories` deliveries: a scan job for each repository installed on."""

from __future__ import annotations

import logging
from typing import Any

from gidgethub import routing, sansio

from bot.events.common import Intake, installation_of
from bot.jobs.request import JobRequest

router = routing.Router()
log = logging.getLogger("bot.events.installation")


@router.register("installation")
async def installation(event: sansio.Event, intake: Intake) -> None:
    """The App was installed, removed, suspended...: tokens are minted on demand, so only log it."""
    data = event.data
    inst = data.get("installation") or {}
    repos = data.get("repositories") or []
    log.info("installation %s", data.get("action"), extra={
        "installation": inst.get("id"), "account": (inst.get("account") or {}).get("login"),
        "repositories": len(repos)})
    if data.get("action") == "created":
        await _scan(data, repos, intake, "installed")
    else:
        intake.ignore(f"installation {data.get('action')}")


@router.register("installation_repositories")
async def installation_repositories(event: sansio.Event, intake: Intake) -> None:
    """Repositories added to or removed from an installation: log them."""
    data = event.data
    inst = data.get("installation") or {}
    log.info("installation repositories %s", data.get("action"), extra={
        "installation": inst.get("id"),
        "added": [r.get("full_name") for r in data.get("repositories_added") or []],
        "removed": [r.get("full_name") for r in data.get("repositories_removed") or []]})
    if data.get("action") == "added":
        await _scan(data, data.get("repositories_added") or [], intake, "added to the installation")
    else:
        intake.ignore(f"installation_repositories {data.get('action')}")


async def _scan(data: dict[str, Any], repos: Any, intake: Intake, why: str) -> None:
    """One scan job per repository: the job lists its default branch's plan files once and syncs each issue
    (a job, not the web: the web never calls GitHub)."""
    installation = installation_of(data)
    for item in repos if isinstance(repos, list) else []:
        owner, _, name = str((item or {}).get("full_name") or "").partition("/")
        if owner and name:
            await intake.submit(JobRequest(kind="scan", installation_id=installation, owner=owner,
                                           repo=name, number=0, reason=f"repository {why}"))
    if not intake.requests:
        intake.ignore("no repository to scan")
