"""`installation` and `installation_repositories` deliveries: logged, never an error (nothing to set up)."""

from __future__ import annotations

import logging

from gidgethub import routing, sansio

from bot.events.common import Intake

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
    intake.ignore(f"installation_repositories {data.get('action')}")
