"""What happens on `/analyze` (and on a plan whose author must first be checked), from the job's side.

The web intake queued a command job for the comment (bot/events/issue_comment.py). When it runs:

1. read the comment again (the newest text wins; a deleted comment ends the job);
2. ignore bots; check that its author may write (else one polite reply, nothing else);
3. put 👀 on the comment, then by sub-command: `help` replies with the usage, an unknown one says so,
   `dry-run` replies with the writes a sync would make, bare `/analyze` runs the sync (bot/sync/engine.py:
   read GitHub → desired state → diff → write the difference);
4. 👍 when the sync found a plan without errors, else 😕.
"""

from __future__ import annotations

from typing import Any

import gidgethub.abc
from gidgethub import BadRequest

from bot.analysis.markdown import truncate
from bot.conventions import DEFAULT_IDENTITY, MAX_BODY, Identity, is_bot_account
from bot.github.permissions import writer_check
from bot.jobs.commands import parse_command
from bot.jobs.replies import REFUSAL, USAGE, render_dry_run, render_unknown, reply_marker
from bot.jobs.request import JobRequest
from bot.sync.engine import sync_issue


class Analyze:
    """One `/analyze` job: the client acting as the installation, the request, and who the bot is."""

    def __init__(
        self, gh: gidgethub.abc.GitHubAPI, request: JobRequest, *, me: Identity = DEFAULT_IDENTITY
    ) -> None:
        self.gh = gh
        self.request = request
        self.me = me
        self.bot_login = me.login
        self.base = f"/repos/{request.owner}/{request.repo}/issues"
        #: OWNER from author_association, everyone else the collaborator-permission API (cached).
        self.check = writer_check(gh, request.owner, request.repo)

    async def run(self) -> str:
        """Answer the command; returns the outcome for metrics (ok, unhappy, refused, ignored, gone)."""
        gh, request = self.gh, self.request
        n = request.number
        try:
            if request.comment_id is not None:
                item = await gh.getitem(f"{self.base}/comments/{request.comment_id}")
            else:
                item = await gh.getitem(f"{self.base}/{n}")
        except BadRequest as exc:
            if exc.status_code.value in (404, 410):
                return "gone"
            raise
        author = item.get("user") or {}
        if is_bot_account(author, self.bot_login):
            return "ignored"
        login = str(author.get("login") or "")
        if not await self.may_write(login, item.get("author_association")):
            await self.refuse(login)
            return "refused"
        is_command = request.comment_id is not None and parse_command(item.get("body")) is not None
        name = request.command or "analyze"
        if is_command:
            await self.react("eyes")
        ok = True
        if name == "help":
            await self.reply(USAGE)
        elif name == "unknown":
            await self.reply(render_unknown(request.command_text))
            ok = False
        elif name == "dry-run":
            result = await sync_issue(gh, request.owner, request.repo, n, dry_run=True,
                                      me=self.me, may_write=self.check)
            await self.reply(render_dry_run(result, n))
        else:
            result = await sync_issue(gh, request.owner, request.repo, n, me=self.me, may_write=self.check)
            found = result.found_analysis or result.found_task_links
            ok = found and not result.errors
            if is_command and not found:
                await self.reply(f"No parallel work analysis found on #{n}, so there is "
                                 "nothing to sync. `/analyze help` shows what the bot reads.")
        if is_command:
            await self.react("+1" if ok else "confused")
        return "ok" if ok else "unhappy"

    async def refuse_a_readers_plan(self) -> bool:
        """A plan comment's author without write access gets the one polite reply (the sync skips it)."""
        try:
            item = await self.gh.getitem(f"{self.base}/comments/{self.request.comment_id}")
        except BadRequest as exc:
            if exc.status_code.value in (404, 410):
                return False
            raise
        author = item.get("user") or {}
        if is_bot_account(author, self.bot_login) or self.is_us(item):
            return False
        login = str(author.get("login") or "")
        if await self.may_write(login, item.get("author_association")):
            return False
        await self.refuse(login)
        return True

    async def may_write(self, login: str, association: Any) -> bool:
        """Write access (admin, maintain, write): OWNER from `author_association`, else the permission API."""
        return await self.check(login, association)

    def is_us(self, item: Any) -> bool:
        """This App's own comment (a person or another App quoting our marker must not steer the bot)."""
        return self.me.owns(item)

    async def refuse(self, login: str) -> None:
        """One polite reply per person and issue; nothing else is written."""
        await self.reply(REFUSAL, key=f"refused user={_safe(login)}", once=True)

    async def react(self, content: str) -> None:
        """Put a reaction on the command comment (GitHub answers 200 for one already there)."""
        await self.gh.post(f"{self.base}/comments/{self.request.comment_id}/reactions",
                           data={"content": content})

    async def reply(self, text: str, *, key: str | None = None, once: bool = False) -> None:
        """Reply on the issue, edited in place when a reply for the same command (key) already exists."""
        key = key or f"comment={self.request.comment_id}"
        marker = reply_marker(key)
        body = truncate(f"{marker}\n{text}", MAX_BODY)
        async for comment in self.gh.getiter(f"{self.base}/{self.request.number}/comments"):
            if self.is_us(comment) and str(comment.get("body") or "").startswith(marker):
                if once or comment.get("body") == body:
                    return
                await self.gh.patch(f"{self.base}/comments/{comment['id']}", data={"body": body})
                return
        await self.gh.post(f"{self.base}/{self.request.number}/comments", data={"body": body})


def _safe(login: str) -> str:
    """A login as it may appear in a marker."""
    return "".join(c for c in login if c.isalnum() or c in "-_[]")[:60] or "-"
