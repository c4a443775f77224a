"""`ping` deliveries: GitHub's hello when the hook is created; logged and answered."""

from __future__ import annotations

import logging

from gidgethub import routing, sansio

from bot.events.common import Intake

router = routing.Router()
log = logging.getLogger("bot.events.ping")


@router.register("ping")
async def ping(event: sansio.Event, intake: Intake) -> None:
    """Log the hook and its zen; nothing to do."""
    data = event.data
    hook = data.get("hook") or {}
    log.info("ping", extra={"hook_id": data.get("hook_id"), "app_id": hook.get("app_id"),
                            "zen": data.get("zen")})
    intake.ignore("pong")
