"""What happens on `/analyze` (and on a plan whose author must first be checked), from the job's side.

The web intake queued a command job for the comment (bot/events/issue_comment.py). When it runs:

1. read the comment again and parse its command again (the newest text wins: `/analyze` edited into
   `/analyze dry-run` while the job waited runs the dry run; a command edited away, or a deleted comment,
   ends the job). A plan whose author must be checked is read first (off the event loop): no plan, no word;
2. ignore bots; check that its author may write (else one polite reply, nothing else);
3. on a stream's sub-issue, reply where the plan lives (a plan there is not read; `/analyze` syncs the plan);
4. put 👀 on the comment, then by sub-command: `help` replies with the usage, an unknown one says so,
   `dry-run` replies with the writes a sync would make, bare `/analyze` runs the sync (bot/sync/engine.py:
   read GitHub → desired state → diff → write the difference);
5. 👍 when the sync found a plan without errors, else 😕.
"""

from __future__ import annotations

from typing import Any

import gidgethub.abc
from gidgethub import BadRequest

from bot.analysis.markdown import truncate
from bot.analysis.reader import read_analysis, read_task
from bot.conventions import DEFAULT_IDENTITY, MAX_BODY, Identity, is_bot_account
from bot.github.permissions import writer_check
from bot.jobs.commands import parse_command
from bot.jobs.replies import REFUSAL, USAGE, render_dry_run, render_unknown, reply_marker
from bot.jobs.request import JobRequest
from bot.repoconfig.github import read_repo_config
from bot.repoconfig.load import LoadedConfig
from bot.sync.cpu import cpu_step
from bot.sync.engine import IssueLock, sync_issue
from bot.sync.files import RepoFiles


class Analyze:
    """One `/analyze` job: the client acting as the installation, the request, and who the bot is."""

    def __init__(
        self, gh: gidgethub.abc.GitHubAPI, request: JobRequest, *, me: Identity = DEFAULT_IDENTITY,
        lock: IssueLock | None = None, config: LoadedConfig | None = None,
    ) -> None:
        self.gh = gh
        self.lock = lock
        self.request = request
        self.me = me
        self.bot_login = me.login
        self.base = f"/repos/{request.owner}/{request.repo}/issues"
        #: OWNER from author_association, everyone else the collaborator-permission API (cached), at the
        #: repository's `trigger_permission` once its configuration is read.
        self.check = writer_check(gh, request.owner, request.repo)
        #: The repository's configuration: given (the Action's checkout), else read from GitHub once.
        self.config: LoadedConfig | None = None
        #: When the sync left writes for later (GitHub's content limits): the job comes back then.
        self.resume_at: float | None = None
        self._given = config

    async def configure(self) -> LoadedConfig:
        """Read the repository's configuration (once): it says who may trigger the bot."""
        if self.config is None:
            owner, repo = self.request.owner, self.request.repo
            self.config = self._given or await read_repo_config(self.gh, owner, repo)
            self.check = writer_check(self.gh, self.request.owner, self.request.repo,
                                      self.config.config.trigger_permission)
        return self.config

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
        body = str(item.get("body") or "")
        # The command the comment says now (it may have been edited while the job waited), not at intake.
        command = parse_command(body) if request.comment_id is not None else None
        if request.plan_check:
            # The web only ran a cheap test: read the text (off the event loop) before saying anything.
            if not await cpu_step(len(body), _holds_plan, body, request.comment_id is None):
                return "ignored"
        elif command is None:
            return "ignored"  # the command was edited away, or the comment never held one
        config = await self.configure()
        if not await self.may_write(login, item.get("author_association")):
            await self.refuse(login)
            return "refused"
        is_command = command is not None
        name = command[0] if command is not None else "analyze"
        elsewhere = request.plan is not None and request.plan != n
        if elsewhere and not is_command:
            await self.reply(_lives_on(request.plan or n))
            return "elsewhere"
        if is_command:
            await self.react("eyes")
        if elsewhere and name == "analyze":
            await self.reply(_lives_on(request.plan or n))
        ok = True
        if name == "help":
            await self.reply(USAGE)
        elif name == "unknown":
            await self.reply(render_unknown(command[1] if command is not None else request.command_text))
            ok = False
        elif name == "dry-run":
            result = await sync_issue(gh, request.owner, request.repo, n, dry_run=True,
                                      me=self.me, may_write=self.check, lock=self.lock, config=config,
                                      command=True, files=self.files())
            await self.reply(render_dry_run(result, n))
        else:
            result = await sync_issue(gh, request.owner, request.repo, n, me=self.me, may_write=self.check,
                                      lock=self.lock, config=config, command=is_command,
                                      files=self.files())
            found = result.found_analysis or result.found_task_links
            ok = found and not result.errors
            self.resume_at = result.resume_at
            if is_command and not found:
                await self.reply(f"No parallel work analysis found on #{n}, so there is "
                                 "nothing to sync. `/analyze help` shows what the bot reads.")
        if is_command:
            await self.react("+1" if ok else "confused")
        return "ok" if ok else "unhappy"

    def files(self) -> RepoFiles:
        """The repository's plan files, as its configuration's `analysis_paths` name them (read first)."""
        patterns = self.config.config.analysis_paths if self.config is not None else None
        return RepoFiles(self.gh, self.request.owner, self.request.repo, patterns=patterns)

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
        await self.configure()
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


def _holds_plan(text: str, is_issue_body: bool) -> bool:
    """Does the text really hold a plan (in an issue body: or CCPM task links)? The full read, in a thread."""
    if not text.strip():
        return False
    if read_analysis(text) is not None:
        return True
    task = read_task(text) if is_issue_body else None
    return task is not None and bool(task.depends_on or task.conflicts_with)


def _lives_on(plan: int) -> str:
    """The reply to a plan or `/analyze` on a stream's sub-issue: the plan lives on its parent."""
    return (f"This issue is a stream's sub-issue: its plan lives on #{plan}. Post or edit the plan "
            "there (and comment `/analyze` there); a plan posted here is not read.")


def _safe(login: str) -> str:
    """A login as it may appear in a marker."""
    return "".join(c for c in login if c.isalnum() or c in "-_[]")[:60] or "-"
