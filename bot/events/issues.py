"""`issues` deliveries: a plan (or task links) in the body syncs it; a closed stream syncs its parent."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from bot.events.common import (
    Intake,
    has_plan,
    has_task_links,
    installation_of,
    is_bot,
    is_trusted,
    may_hold_plan,
    previous_body,
    repo_of,
)
from bot.jobrequest import JobRequest

router = routing.Router()

#: Text every bot-written issue body holds (its region's marker), and the labels the bot puts on issues.
MARKER = "<!-- parallel-work-bot:"
OUR_LABELS = ("parallel-plan", "stream", "plan:")


def _ours(issue: dict[str, Any]) -> bool:
    """Does the bot have anything on this issue (its marker in the body, or one of its labels)?"""
    if MARKER in (issue.get("body") or ""):
        return True
    names = [str(label.get("name", "")) for label in issue.get("labels") or [] if isinstance(label, dict)]
    return any(name == prefix or name.startswith(prefix) for name in names for prefix in OUR_LABELS)


@router.register("issues", action="opened")
@router.register("issues", action="edited")
async def issue_written(event: sansio.Event, intake: Intake) -> None:
    """An issue body with an analysis or CCPM task links (or that just lost them) is synced."""
    data = event.data
    issue = data["issue"]
    if is_bot(data.get("sender"), intake.bot_login):
        return intake.ignore("issue written by a bot")
    body = issue.get("body")
    before = previous_body(data) if data.get("action") == "edited" else None
    # Trusted authors: a cheap test (the job reads the body); others: a full read before anything is said.
    test = may_hold_plan if is_trusted(issue.get("author_association")) else has_plan
    plan = test(body) or has_task_links(body) or test(before) or has_task_links(before)
    owner, repo = repo_of(data)
    base = {"installation_id": installation_of(data), "owner": owner, "repo": repo,
            "number": int(issue["number"])}
    login = (issue.get("user") or {}).get("login", "?")
    if not plan:
        if data.get("action") == "edited" and _ours(issue):
            # A person edited a stream's sub-issue or a planned issue: refresh (links, progress); no new plan.
            await intake.submit(JobRequest(kind="sync", reason=f"planned issue edited by {login}", **base))
            return None
        return intake.ignore("no analysis or task links in the body")
    if is_trusted(issue.get("author_association")):
        await intake.submit(JobRequest(kind="sync", reason=f"issue {data.get('action')} by {login}", **base))
    else:
        await intake.submit(JobRequest(
            kind="command", command="analyze",
            reason=f"plan in issue body by {login} ({issue.get('author_association')}): check permission",
            **base,
        ))
    return None


@router.register("issues", action="closed")
@router.register("issues", action="reopened")
async def issue_state(event: sansio.Event, intake: Intake) -> None:
    """A stream's sub-issue closed or reopened: the sync (of its parent) moves readiness and progress."""
    data = event.data
    issue = data["issue"]
    if is_bot(data.get("sender"), intake.bot_login):
        return intake.ignore("closed or reopened by a bot")
    if not (_ours(issue) or has_plan(issue.get("body")) or has_task_links(issue.get("body"))):
        return intake.ignore("issue unrelated to any plan")
    owner, repo = repo_of(data)
    await intake.submit(JobRequest(
        kind="sync", installation_id=installation_of(data), owner=owner, repo=repo,
        number=int(issue["number"]),
        reason=f"issue {data.get('action')}",
    ))
    return None
