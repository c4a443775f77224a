"""What every event handler shares: the per-delivery intake, who may trigger the bot, cheap plan tests."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.analysis.reader import maybe_analysis
from bot.conventions import (
    DEFAULT_BOT_LOGIN,
    MARKER_PREFIX,
    is_bot_account,
    may_be_writer,
)
from bot.jobs.request import Accepted, JobKind, JobRequest

log = logging.getLogger("bot.events")

#: Look for our stream marker this far into a body (GitHub's body limit): one linear scan for a literal.
MAX_MARKER_SCAN = 65_536


#: The queue's `accept`: queue a request and record its delivery id together.
Enqueue = Callable[[JobRequest], Awaitable[Accepted]]


@dataclass
class Intake:
    """Given to every handler of one delivery: how to enqueue, and what the handlers decided."""

    enqueue: Enqueue
    delivery_id: str | None = None
    bot_login: str = DEFAULT_BOT_LOGIN
    #: "ignored" until a handler queues something: then "queued" (or "coalesced" into a waiting job), or
    #: "duplicate" when the delivery id was accepted before (a redelivery: nothing done).
    outcome: str = "ignored"
    why: str = ""
    requests: list[JobRequest] = field(default_factory=list)

    async def submit(self, request: JobRequest) -> None:
        """Enqueue one job for this delivery and remember the outcome.

        The delivery id goes with the first job only, recorded in the same transaction (every handler
        submits at most one job a delivery; a second one is queued without the id, so not deduplicated).
        """
        delivery_id = None if self.requests else self.delivery_id
        request = request.model_copy(update={"delivery_id": delivery_id})
        accepted = await self.enqueue(request)
        if accepted == "duplicate":
            self.outcome = "duplicate"
            return
        self.requests.append(request)
        if accepted == "queued":
            self.outcome = "queued"
        elif self.outcome != "queued":
            self.outcome = "coalesced"
        log.debug("job %s", accepted, extra={"delivery": self.delivery_id, "issue": request.issue_key,
                                              "kind": request.kind, "command": request.command,
                                              "reason": request.reason})

    def ignore(self, why: str) -> None:
        """Record why nothing was queued (logged and returned in the response)."""
        self.why = why


def repo_of(data: dict[str, Any]) -> tuple[str, str]:
    """(owner, name) of the delivery's repository."""
    repository = data["repository"]
    return str(repository["owner"]["login"]), str(repository["name"])


def installation_of(data: dict[str, Any]) -> int | None:
    """The App installation the delivery is for (absent on repository webhooks)."""
    installation = data.get("installation") or {}
    value = installation.get("id")
    return int(value) if isinstance(value, int) else None


#: Our stream marker at the top of a sub-issue's region (bot.sync.markers writes it; events stay apart from
#: the sync, so the pattern is repeated here, bounded and linear).
_STREAM_MARKER = re.compile(
    re.escape(MARKER_PREFIX) + r"stream parent=(\d{1,10}) id=[A-Za-z0-9_.-]{1,40} -->")
_PARENT_URL = re.compile(r"/repos/([^/]{1,100})/([^/]{1,100})/issues/(\d{1,10})$")


def plan_of(data: dict[str, Any]) -> int | None:
    """The plan's issue when the delivery's issue is a stream's sub-issue, from the payload alone.

    Our stream marker in a body written by a bot account names the parent; else GitHub's `parent_issue_url`
    (same repository). Only the job's key and lock depend on this: the sync decides again from GitHub.
    """
    issue = data["issue"]
    number = int(issue["number"])
    body = issue.get("body")
    if isinstance(body, str) and is_bot_account(issue.get("user")):
        m = _STREAM_MARKER.search(body[:MAX_MARKER_SCAN])
        if m and int(m.group(1)) != number:
            return int(m.group(1))
    url = issue.get("parent_issue_url")
    if isinstance(url, str):
        m = _PARENT_URL.search(url)
        owner, repo = repo_of(data)
        if m and (m.group(1).lower(), m.group(2).lower()) == (owner.lower(), repo.lower()):
            parent = int(m.group(3))
            return parent if parent != number else None
    return None


def issue_job(data: dict[str, Any], reason: str, *, kind: JobKind = "sync", **fields: Any) -> JobRequest:
    """A job about the delivery's issue: repository, installation, number and plan come from the payload."""
    owner, repo = repo_of(data)
    return JobRequest(kind=kind, installation_id=installation_of(data), owner=owner, repo=repo,
                      number=int(data["issue"]["number"]), reason=reason, plan=plan_of(data), **fields)


def plan_job(data: dict[str, Any], item: dict[str, Any], reason: str, **fields: Any) -> JobRequest:
    """The job for a plan in `item` (a comment or the issue): a sync when its author may have write access
    (the sync asks the cached permission API for each plan author and passes over readers' text).

    Otherwise a command job that asks the collaborator-permission API first (and, without write access,
    replies once politely): a job of its own, so it can never coalesce with, or stand in for, a trusted sync.
    """
    association = item.get("author_association")
    if may_be_writer(association):
        return issue_job(data, reason, **fields)
    return issue_job(data, f"{reason} ({association}): check permission", kind="command", command="analyze",
                     plan_check=True, author=login_of(item), **fields)


def login_of(item: dict[str, Any]) -> str:
    """The login of a comment's or issue's author, for logs."""
    return str((item.get("user") or {}).get("login") or "?")


def may_hold_plan(text: str | None) -> bool:
    """The web's only test of text, for every author: False only if the text surely holds no analysis.

    The job reads the issue again anyway, so a burst of plan edits costs one full read per job, not per
    delivery (coalescing); a false positive costs one sync that finds nothing to change.
    """
    return bool(text and text.strip()) and maybe_analysis(text or "")


def previous_body(data: dict[str, Any]) -> str | None:
    """The body before an edit (`changes.body.from`), when the edit changed it."""
    changes = data.get("changes") or {}
    body = changes.get("body") or {}
    value = body.get("from")
    return value if isinstance(value, str) else None
