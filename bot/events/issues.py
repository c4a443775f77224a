"""`issues` deliveries: a plan (or task links) in the body syncs it; a closed stream syncs its parent."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.conventions import LABEL_DEFAULTS, MARKER_PREFIX, REMOVED, is_bot_account, marker
from bot.events.common import (
    Intake,
    issue_job,
    login_of,
    may_hold_plan,
    plan_job,
    plan_of,
    previous_body,
)

router = routing.Router()

#: Text every bot-written issue body holds (its region's marker), and the labels the bot puts on issues
#: (bot.sync.markers and bot.sync.labels; events stay independent of the sync).
MARKER = MARKER_PREFIX
OUR_LABELS = tuple(LABEL_DEFAULTS)


#: In a sub-issue the bot closed because its stream left the plan (bot.sync.markers writes it).
REMOVED_MARK = marker(REMOVED)


def _bot_text(body: Any) -> bool:
    """Text that opens with the bot's marker: the bot's own (never a plan), whichever door posted it."""
    return isinstance(body, str) and body.lstrip().startswith(MARKER_PREFIX)


def _ours(issue: dict[str, Any]) -> bool:
    """Does the bot have anything on this issue (its marker in the body, or one of its labels)?"""
    if MARKER in (issue.get("body") or ""):
        return True
    names = [str(label.get("name", "")) for label in issue.get("labels") or [] if isinstance(label, dict)]
    return any(name.startswith(OUR_LABELS) for name in names)


@router.register("issues", action="opened")
@router.register("issues", action="edited")
async def issue_written(event: sansio.Event, intake: Intake) -> None:
    """An issue body with an analysis or CCPM task links (or that just lost them) is synced."""
    data = event.data
    issue = data["issue"]
    if is_bot_account(data.get("sender"), intake.bot_login):
        return intake.ignore("issue written by a bot")
    body = issue.get("body")
    if data.get("action") == "opened" and _bot_text(body):
        # A sub-issue another door of the bot (the CLI, the Action) opened: that door is syncing this plan.
        return intake.ignore("opened with the bot's own text")
    before = previous_body(data) if data.get("action") == "edited" else None
    # A cheap bounded test for every author (it also passes any body opening with task frontmatter); the
    # job reads the body, and says nothing when it holds no plan.
    plan = may_hold_plan(body) or may_hold_plan(before)
    login = login_of(issue)
    if plan and plan_of(data) is not None:
        # A stream's sub-issue (its region names streams) edited or opened: its plan's sync refreshes it.
        await intake.submit(issue_job(data, f"planned issue edited by {login}"))
        return None
    if not plan:
        if data.get("action") == "edited" and _ours(issue):
            # A person edited a stream's sub-issue or a planned issue: refresh (links, progress); no new plan.
            await intake.submit(issue_job(data, f"planned issue edited by {login}"))
            return None
        return intake.ignore("no analysis or task links in the body")
    await intake.submit(plan_job(data, issue, f"issue {data.get('action')} by {login}"))
    return None


@router.register("issues", action="closed")
@router.register("issues", action="reopened")
async def issue_state(event: sansio.Event, intake: Intake) -> None:
    """A stream's sub-issue closed or reopened: the sync (of its parent) moves readiness and progress."""
    data = event.data
    issue = data["issue"]
    if is_bot_account(data.get("sender"), intake.bot_login):
        return intake.ignore("closed or reopened by a bot")
    if data.get("action") == "closed" and REMOVED_MARK in (issue.get("body") or ""):
        # Closed by a door of the bot because its stream left the plan: that door's sync is on it.
        return intake.ignore("closed by the bot: its stream left the plan")
    if not (_ours(issue) or may_hold_plan(issue.get("body"))):
        return intake.ignore("issue unrelated to any plan")
    await intake.submit(issue_job(data, f"issue {data.get('action')}"))
    return None
