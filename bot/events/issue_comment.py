"""`issue_comment` deliveries: an analysis in a comment syncs the issue; `/analyze …` is a command."""

from __future__ import annotations

from gidgethub import routing, sansio

from bot.conventions import MARKER_PREFIX, is_bot_account
from bot.events.common import (
    Intake,
    issue_job,
    login_of,
    may_hold_plan,
    plan_job,
    previous_body,
)
from bot.jobs.commands import parse_command

router = routing.Router()

#: Our summary comment starts with this marker (bot.sync.markers writes it).
SUMMARY_MARKER = MARKER_PREFIX + "summary"


@router.register("issue_comment", action="created")
@router.register("issue_comment", action="edited")
async def comment_written(event: sansio.Event, intake: Intake) -> None:
    """A new or edited comment: a command, an analysis (sync), or nothing for us.

    The web never reads a plan: a cheap bounded test decides whether the job should look (the job reads the
    text and stays silent when it holds no plan, so nobody is refused for a comment without one).
    """
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
    before_text = previous_body(data) if action == "edited" else None
    if body.lstrip().startswith(MARKER_PREFIX) and (action == "created" or (before_text or "").lstrip()
                                                     .startswith(MARKER_PREFIX)):
        # The bot's own text (a summary, a note) posted by another door (the CLI, the Action): never a plan.
        return intake.ignore("the bot's own text")
    command = parse_command(body)
    if command is not None:
        if action == "edited" and parse_command(previous_body(data)) == command:
            return intake.ignore("edit kept the same command")
        name, text = command
        # The job parses the comment again when it runs: an edit while it waits changes what it does.
        await intake.submit(issue_job(
            data, f"/analyze {text}".strip() + f" by {login}", kind="command", command=name,
            command_text=text or None, comment_id=int(comment["id"]), author=login,
        ))
        return None
    before = previous_body(data) if action == "edited" else None
    if not (may_hold_plan(body) or may_hold_plan(before)):
        return intake.ignore("no analysis and no command")
    job = plan_job(data, comment, f"analysis in comment {action} by {login}", comment_id=int(comment["id"]))
    if job.plan is not None and job.plan != job.number and may_hold_plan(body):
        # A plan on a stream's sub-issue: the job reads it and, if it is one, says where the plan lives.
        job = job.model_copy(update={"kind": "command", "command": "analyze", "plan_check": True,
                                     "author": login, "reason": job.reason + " on a sub-issue"})
    await intake.submit(job)
    return None


@router.register("issue_comment", action="deleted")
async def comment_deleted(event: sansio.Event, intake: Intake) -> None:
    """A deleted analysis comment: the next newest analysis (or none) now wins, so re-sync.

    Our own summary deleted by hand is written again by this event's sync (the bot's own deletions, of
    duplicate summaries, come with our login as sender and are ignored like every event we cause).
    """
    data = event.data
    comment = data["comment"]
    if data["issue"].get("pull_request") or is_bot_account(data.get("sender"), intake.bot_login):
        return intake.ignore("not ours to follow")
    body = comment.get("body") or ""
    author = comment.get("user") or {}
    if author.get("login") == intake.bot_login and body.startswith(SUMMARY_MARKER):
        await intake.submit(issue_job(data, f"summary deleted by {login_of(data.get('sender') or {})}"))
        return None
    if is_bot_account(author, intake.bot_login) or not may_hold_plan(body):
        return intake.ignore("deleted comment held no analysis")
    await intake.submit(issue_job(data, "analysis comment deleted"))
    return None
