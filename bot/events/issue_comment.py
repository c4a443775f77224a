"""`issue_comment` deliveries: an analysis in a comment syncs the issue; `/analyze …` is a command."""

from __future__ import annotations

from gidgethub import routing, sansio

from bot.events.common import (
    Intake,
    has_plan,
    installation_of,
    is_bot,
    is_trusted,
    may_hold_plan,
    parse_command,
    previous_body,
    repo_of,
)
from bot.jobrequest import JobRequest

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
    if is_bot(data.get("sender"), intake.bot_login) or is_bot(comment.get("user"), intake.bot_login):
        return intake.ignore("comment by a bot")
    owner, repo = repo_of(data)
    base = {"installation_id": installation_of(data), "owner": owner, "repo": repo,
            "number": int(issue["number"])}
    body = comment.get("body") or ""
    login = (comment.get("user") or {}).get("login", "?")
    command = parse_command(body)
    if command is not None:
        if action == "edited" and parse_command(previous_body(data)) == command:
            return intake.ignore("edit kept the same command")
        name, text = command
        await intake.submit(JobRequest(
            kind="command", command=name, command_text=text or None, comment_id=int(comment["id"]),
            reason=f"/analyze {text}".strip() + f" by {login}", **base,
        ))
        return None
    before = previous_body(data) if action == "edited" else None
    trusted = is_trusted(comment.get("author_association"))
    # Trusted authors: a cheap test, the job reads the plan. Others: a full read, so that nobody is
    # refused for a comment that holds no plan at all.
    test = may_hold_plan if trusted else has_plan
    if not (test(body) or test(before)):
        return intake.ignore("no analysis and no command")
    if trusted:
        await intake.submit(JobRequest(
            kind="sync", comment_id=int(comment["id"]), reason=f"analysis in comment {action} by {login}",
            **base,
        ))
    else:
        # Not known to have write access: the job asks the permission API about the comment's author, in a
        # job of its own (a command job), so it can never coalesce with, or stand in for, a trusted sync.
        await intake.submit(JobRequest(
            kind="command", command="analyze", comment_id=int(comment["id"]),
            reason=f"analysis in comment {action} by {login} "
                   f"({comment.get('author_association')}): check permission",
            **base,
        ))
    return None


@router.register("issue_comment", action="deleted")
async def comment_deleted(event: sansio.Event, intake: Intake) -> None:
    """A deleted analysis comment: the next newest analysis (or none) now wins, so re-sync."""
    data = event.data
    comment = data["comment"]
    if data["issue"].get("pull_request") or is_bot(data.get("sender"), intake.bot_login):
        return intake.ignore("not ours to follow")
    if not has_plan(comment.get("body")) or not is_trusted(comment.get("author_association")):
        return intake.ignore("deleted comment held no trusted analysis")
    owner, repo = repo_of(data)
    await intake.submit(JobRequest(
        kind="sync", installation_id=installation_of(data), owner=owner, repo=repo,
        number=int(data["issue"]["number"]), reason="analysis comment deleted",
    ))
    return None
