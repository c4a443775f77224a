"""`issue_comment` deliveries: an analysis in a comment syncs the issue; `/analyze …` is a command."""

from __future__ import annotations

from gidgethub import routing, sansio

from bot.conventions import is_bot_account, is_trusted_association
from bot.events.common import (
    Intake,
    has_plan,
    issue_job,
    login_of,
    may_hold_plan,
    plan_job,
    previous_body,
)
from bot.jobs.commands import parse_command

router = routing.Router()


@router.register("issue_comment", action="created")
@router.register("issue_comment", action="edited")
async def comment_written(event: sansio.Event, intake: Intake) -> None:
    """A new or edited comment: a command, an analysis (sync), or nothing for us."""
    data = event.data
    issue = data["issue"]
    comment = data["comment"]
    action = data.get("action")
    if issue.get("pull_request"):
        return intake.ignore("comment on a pull request")
    if any(is_bot_account(user, intake.bot_login) for user in (data.get("sender"), comment.get("user"))):
        return intake.ignore("comment by a bot")
    body = comment.get("body") or ""
    login = login_of(comment)
    command = parse_command(body)
    if command is not None:
        if action == "edited" and parse_command(previous_body(data)) == command:
            return intake.ignore("edit kept the same command")
        name, text = command
        await intake.submit(issue_job(
            data, f"/analyze {text}".strip() + f" by {login}", kind="command", command=name,
            command_text=text or None, comment_id=int(comment["id"]),
        ))
        return None
    before = previous_body(data) if action == "edited" else None
    # Trusted authors: a cheap test, the job reads the plan. Others: a full read, so that nobody is
    # refused for a comment that holds no plan at all.
    test = may_hold_plan if is_trusted_association(comment.get("author_association")) else has_plan
    if not (test(body) or test(before)):
        return intake.ignore("no analysis and no command")
    await intake.submit(plan_job(data, comment, f"analysis in comment {action} by {login}",
                                 comment_id=int(comment["id"])))
    return None


@router.register("issue_comment", action="deleted")
async def comment_deleted(event: sansio.Event, intake: Intake) -> None:
    """A deleted analysis comment: the next newest analysis (or none) now wins, so re-sync."""
    data = event.data
    comment = data["comment"]
    if data["issue"].get("pull_request") or is_bot_account(data.get("sender"), intake.bot_login):
        return intake.ignore("not ours to follow")
    if not has_plan(comment.get("body")):  # whether its author could write is the job's question
        return intake.ignore("deleted comment held no analysis")
    await intake.submit(issue_job(data, "analysis comment deleted"))
    return None
