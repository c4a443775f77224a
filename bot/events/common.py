"""What every event handler shares: the per-delivery intake, who may trigger the bot, and command parsing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.analysis.reader import maybe_analysis, read_analysis, read_task
from bot.jobrequest import CommandName, JobKind, JobRequest

log = logging.getLogger("bot.events")

#: author_association values that mean write access without asking the API (as bot.sync.source reads them;
#: events stay independent of the sync, so the set is stated here too).
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})

COMMAND = "/analyze"
#: Longest echo of an unknown sub-command kept in the job (the reply quotes it, escaped).
MAX_COMMAND_TEXT = 100

Enqueue = Callable[[JobRequest], Awaitable[bool]]


@dataclass
class Intake:
    """Given to every handler of one delivery: how to enqueue, and what the handlers decided."""

    enqueue: Enqueue
    delivery_id: str | None = None
    bot_login: str = "parallel-work-bot[bot]"
    #: "ignored" until a handler queues something: then "queued" (or "coalesced" into a waiting job).
    outcome: str = "ignored"
    why: str = ""
    requests: list[JobRequest] = field(default_factory=list)

    async def submit(self, request: JobRequest) -> None:
        """Enqueue one job for this delivery and remember the outcome."""
        request = request.model_copy(update={"delivery_id": self.delivery_id})
        queued = await self.enqueue(request)
        self.requests.append(request)
        if queued:
            self.outcome = "queued"
        elif self.outcome != "queued":
            self.outcome = "coalesced"
        log.info("job %s", self.outcome, extra={"delivery": self.delivery_id, "issue": request.issue_key,
                                                 "kind": request.kind, "command": request.command,
                                                 "reason": request.reason})

    def ignore(self, why: str) -> None:
        """Record why nothing was queued (logged and returned in the response)."""
        self.why = why


def is_bot(user: dict[str, Any] | None, bot_login: str = "") -> bool:
    """True for bot accounts (GitHub Apps, including this one): their comments never trigger anything."""
    if not user:
        return False
    login = str(user.get("login") or "")
    return user.get("type") == "Bot" or login.endswith("[bot]") or (bool(bot_login) and login == bot_login)


def is_trusted(association: str | None) -> bool:
    """Write access is certain from `author_association` alone (else the job asks the permission API)."""
    return (association or "").upper() in TRUSTED_ASSOCIATIONS


def repo_of(data: dict[str, Any]) -> tuple[str, str]:
    """(owner, name) of the delivery's repository."""
    repository = data["repository"]
    return str(repository["owner"]["login"]), str(repository["name"])


def installation_of(data: dict[str, Any]) -> int | None:
    """The App installation the delivery is for (absent on repository webhooks)."""
    installation = data.get("installation") or {}
    value = installation.get("id")
    return int(value) if isinstance(value, int) else None


def issue_job(data: dict[str, Any], reason: str, *, kind: JobKind = "sync", **fields: Any) -> JobRequest:
    """A job about the delivery's issue: repository, installation and number come from the payload."""
    owner, repo = repo_of(data)
    return JobRequest(kind=kind, installation_id=installation_of(data), owner=owner, repo=repo,
                      number=int(data["issue"]["number"]), reason=reason, **fields)


def plan_job(data: dict[str, Any], item: dict[str, Any], reason: str, **fields: Any) -> JobRequest:
    """The job for a plan in `item` (a comment or the issue): a sync when its author surely has write access.

    Otherwise a command job that asks the collaborator-permission API first (and, without write access,
    replies once politely): a job of its own, so it can never coalesce with, or stand in for, a trusted sync.
    """
    association = item.get("author_association")
    if is_trusted(association):
        return issue_job(data, reason, **fields)
    return issue_job(data, f"{reason} ({association}): check permission", kind="command", command="analyze",
                     **fields)


def login_of(item: dict[str, Any]) -> str:
    """The login of a comment's or issue's author, for logs."""
    return str((item.get("user") or {}).get("login") or "?")


def parse_command(body: str | None) -> tuple[CommandName, str] | None:
    """The `/analyze …` command of a comment: the first line (outside code fences) that starts with it.

    Returns (command, text after /analyze) or None. A mention inside prose or a quote is not a command.
    """
    if not body or COMMAND not in body:
        return None
    fence: str | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if fence is not None:
            if line.startswith(fence):
                fence = None
            continue
        if line.startswith("```") or line.startswith("~~~"):
            fence = line[:3]
            continue
        if line != COMMAND and not (line.startswith(COMMAND) and line[len(COMMAND)].isspace()):
            continue
        rest = line[len(COMMAND):].strip()
        word = rest.lower()
        if word == "":
            return "analyze", ""
        if word == "help":
            return "help", rest
        if word in ("dry-run", "dryrun", "dry run", "--dry-run"):
            return "dry-run", rest
        return "unknown", rest[:MAX_COMMAND_TEXT]
    return None


def has_plan(text: str | None) -> bool:
    """Cheap test: does this text hold a parallel work analysis?"""
    if not text or not text.strip():
        return False
    return read_analysis(text) is not None


def may_hold_plan(text: str | None) -> bool:
    """Cheapest conservative test, for trusted authors: False only if the text surely holds no analysis.

    The job reads the issue again anyway, so a burst of plan edits costs one full read per job, not per
    delivery (coalescing); a false positive costs one sync that finds nothing to change.
    """
    return bool(text and text.strip()) and maybe_analysis(text or "")


def has_task_links(text: str | None) -> bool:
    """Does this body start with CCPM task frontmatter naming other issues (depends_on, conflicts_with)?"""
    if not text or not text.lstrip().startswith("---"):
        return False
    task = read_task(text)
    return task is not None and bool(task.depends_on or task.conflicts_with)


def previous_body(data: dict[str, Any]) -> str | None:
    """The body before an edit (`changes.body.from`), when the edit changed it."""
    changes = data.get("changes") or {}
    body = changes.get("body") or {}
    value = body.get("from")
    return value if isinstance(value, str) else None
