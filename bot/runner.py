"""What a job does: act as the installation, check who asked, answer `/analyze …`, and run the sync."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from gidgethub import BadRequest

from bot.analysis.markdown import code_span, escape_inline, truncate
from bot.config import Settings
from bot.events.common import is_bot, is_trusted, parse_command
from bot.github.auth import AppAuth
from bot.github.client import GitHubClient
from bot.github.errors import RateLimitWait
from bot.github.pacing import Pacer
from bot.github.retry import RetryPolicy
from bot.jobrequest import JobRequest
from bot.metrics import DEFAULT, Metrics, status_class
from bot.sync.engine import SyncResult, report_failure, sync_issue

log = logging.getLogger("bot.runner")

USER_AGENT = "parallel-work-bot"
#: Collaborator permission levels (and role names) that may trigger the bot.
WRITE_LEVELS = frozenset({"admin", "maintain", "write"})
REPLY_PREFIX = "<!-- parallel-work-bot:reply"
#: GitHub's limit on a comment body.
MAX_COMMENT = 65536
MAX_LISTED_WRITES = 200

USAGE = """\
**parallel-work-bot** turns a parallel work analysis into GitHub structure: one summary comment, labels, \
one sub-issue per stream and the *blocked by* links between them.

| Command (on its own line in a comment) | What it does |
|---|---|
| `/analyze` | Sync this issue from the newest analysis in its body or comments. |
| `/analyze dry-run` | List the writes a sync would make, and make none. |
| `/analyze help` | Show this help. |

Posting or editing a comment that holds an analysis (YAML frontmatter, then `### Stream A: Name` \
sections with **Files**, **Estimated Hours** and **Dependencies**) syncs the issue by itself; so does \
closing or reopening one of its stream sub-issues. Only people with write access to the repository \
can trigger the bot."""

REFUSAL = """\
Thank you for this! parallel-work-bot only acts on plans and `/analyze` commands from people with write \
access to this repository, so it has not created or changed anything here. Someone with write access can \
post or re-post the plan to have it synced."""


def reply_marker(key: str) -> str:
    """The hidden marker of the bot's reply to one command comment (or refusal), so a retry edits it."""
    return f"{REPLY_PREFIX} {key} -->"


def render_dry_run(result: SyncResult, number: int) -> str:
    """The reply to `/analyze dry-run`: the writes a sync would make, as a numbered list."""
    if not (result.found_analysis or result.found_task_links):
        return (f"**Dry run**: no parallel work analysis found on #{number} (nor task links), "
                "so a sync would write nothing. `/analyze help` shows what the bot reads.")
    planned = list(result.planned)
    if not planned:
        return f"**Dry run**: #{number} is already in sync; a sync would make **no writes**."
    lines = [f"**Dry run**: a sync of #{result.issue} would make **{len(planned)}** "
             f"write{'s' if len(planned) != 1 else ''} (none was made):", ""]
    for i, write in enumerate(planned[:MAX_LISTED_WRITES], 1):
        desc = escape_inline(write.description)
        lines.append(f"{i}. {code_span(f'{write.method} {write.path}')} {desc}".rstrip())
    if len(planned) > MAX_LISTED_WRITES:
        lines.append(f"\n… and {len(planned) - MAX_LISTED_WRITES} more.")
    if result.errors:
        lines.append("\nThe plan has errors: only the summary (with the errors) would be written.")
    return "\n".join(lines)


def render_unknown(text: str | None) -> str:
    """The reply to `/analyze <something unknown>`."""
    shown = escape_inline(text or "")[:100]
    return (f"I don't know the command **/analyze {shown}**. The commands are `/analyze`, "
            f"`/analyze dry-run` and `/analyze help`; nothing was changed.")


class JobHandler:
    """The job handler (`build_handler`): one instance per process, one aiohttp session, cached tokens."""

    def __init__(
        self, settings: Settings, *, metrics: Metrics | None = None, pacer: Pacer | None = None,
        auth: AppAuth | None = None, policy: RetryPolicy | None = None,
    ) -> None:
        settings.require_app()
        self.settings = settings
        self.metrics = metrics if metrics is not None else DEFAULT
        key = settings.private_key_pem()
        assert key is not None and settings.github_app_id is not None
        self.auth = auth or AppAuth(
            settings.github_app_id, key, base_url=settings.github_api_url, requester=USER_AGENT,
            pacer=pacer, write_interval=settings.pacing_seconds, policy=policy,
        )
        self._session: aiohttp.ClientSession | None = None
        self.metrics.github_client.observe(self.auth.stats.events)

    # ---- plumbing -----------------------------------------------------------------------------------------

    def _trace(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()
        counter, errors = self.metrics.github_requests, self.metrics.github_errors
        duration = self.metrics.github_request_duration

        def kind(method: str, url: Any) -> str:
            if str(url).endswith("/graphql"):
                return "graphql"
            return "read" if method.upper() in ("GET", "HEAD") else "write"

        async def on_start(_s: Any, ctx: Any, _p: aiohttp.TraceRequestStartParams) -> None:
            ctx.started = time.perf_counter()

        async def on_end(_s: Any, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
            status = params.response.status
            duration.observe(time.perf_counter() - ctx.started, kind=kind(params.method, params.url),
                             status_class=status_class(status))
            if status == 304:
                counter.inc(kind="not_modified")
            elif params.method.upper() in ("GET", "HEAD"):
                counter.inc(kind="read")
            else:
                counter.inc(kind="write")
            if status >= 400:
                errors.inc(status=str(status))

        async def on_exception(_s: Any, ctx: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
            duration.observe(time.perf_counter() - ctx.started, kind=kind(params.method, params.url),
                             status_class=status_class(None))
            errors.inc(status="connection")

        trace.on_request_start.append(on_start)
        trace.on_request_end.append(on_end)
        trace.on_request_exception.append(on_exception)
        return trace

    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session (made on first use, inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                trace_configs=[self._trace()], timeout=aiohttp.ClientTimeout(total=60, connect=10))
        return self._session

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def client(self, request: JobRequest) -> GitHubClient:
        """A client acting as the request's installation (looked up from the repository when absent)."""
        session = self.session()
        installation = request.installation_id
        if installation is None:
            installation = await self.auth.installation_id(session, request.owner, request.repo)
        return await self.auth.client(session, installation)

    def _note_rate_limit(self, gh: GitHubClient, request: JobRequest) -> None:
        remaining = gh.rate_limit_snapshot().get("remaining")
        if remaining is not None:
            self.metrics.rate_limit_remaining.set(float(remaining), installation=str(request.installation_id))

    # ---- the job ------------------------------------------------------------------------------------------

    async def __call__(self, request: JobRequest) -> None:
        """Run one job. Exceptions propagate (the queue retries; RateLimitWait re-schedules)."""
        started = time.perf_counter()
        self.metrics.jobs_running.inc()
        outcome = "failed"
        extra: dict[str, Any] = {"issue": request.issue_key, "kind": request.kind,
                                 "command": request.command, "delivery": request.delivery_id}
        try:
            gh = await self.client(request)
            try:
                if request.kind == "command":
                    outcome = await self._command(gh, request)
                else:
                    result = await sync_issue(gh, request.owner, request.repo, request.number)
                    outcome = "ok"
                    extra |= {"synced": result.issue, "writes": result.writes, "errors": result.errors}
                    self.metrics.sync_writes.observe(result.writes)
            finally:
                self._note_rate_limit(gh, request)
        except RateLimitWait as exc:
            outcome = "deferred"
            log.info("job deferred until %s", exc.reset_at, extra=extra)
            raise
        except Exception as exc:
            log.warning("job failed: %s", exc, extra=extra)
            raise
        finally:
            self.metrics.jobs_running.inc(-1)
            elapsed = time.perf_counter() - started
            self.metrics.jobs.inc(kind=request.kind, outcome=outcome)
            self.metrics.job_duration.observe(elapsed, kind=request.kind, outcome=outcome)
            extra["ms"] = round(elapsed * 1000, 1)
            if outcome not in ("failed", "deferred"):
                log.info("job %s", outcome, extra=extra)

    async def give_up(self, request: JobRequest, exc: BaseException) -> None:
        """The job failed for the last time: say so in the summary comment (and 😕 on a command)."""
        self.metrics.jobs.inc(kind=request.kind, outcome="reported")
        gh = await self.client(request)
        message = (f"The bot could not finish syncing this issue after several attempts "
                   f"({type(exc).__name__}: {truncate(str(exc), 200)}). Nothing was lost: "
                   "comment `/analyze` to try again once GitHub is reachable, or edit the plan.")
        await report_failure(gh, request.owner, request.repo, request.number, message)
        if request.kind == "command" and request.comment_id is not None:
            await self._react(gh, request, "confused")

    # ---- commands -----------------------------------------------------------------------------------------

    async def _command(self, gh: GitHubClient, request: JobRequest) -> str:
        """`/analyze …`, or a plan whose author must first be checked: returns the outcome for metrics."""
        o, r, n = request.owner, request.repo, request.number
        try:
            if request.comment_id is not None:
                item = await gh.getitem(f"/repos/{o}/{r}/issues/comments/{request.comment_id}")
            else:
                item = await gh.getitem(f"/repos/{o}/{r}/issues/{n}")
        except BadRequest as exc:
            if exc.status_code.value in (404, 410):
                return "gone"
            raise
        author = item.get("user") or {}
        if is_bot(author, self.settings.bot_login):
            return "ignored"
        login = str(author.get("login") or "")
        if not await self._may_write(gh, request, login, item.get("author_association")):
            await self._refuse(gh, request, login)
            return "refused"
        is_command = request.comment_id is not None and parse_command(item.get("body")) is not None
        name = request.command or "analyze"
        if is_command:
            await self._react(gh, request, "eyes")
        ok = True
        if name == "help":
            await self._reply(gh, request, USAGE)
        elif name == "unknown":
            await self._reply(gh, request, render_unknown(request.command_text))
            ok = False
        elif name == "dry-run":
            result = await sync_issue(gh, o, r, n, dry_run=True, trusted_logins=[login])
            await self._reply(gh, request, render_dry_run(result, n))
        else:
            result = await sync_issue(gh, o, r, n, trusted_logins=[login])
            found = result.found_analysis or result.found_task_links
            ok = found and not result.errors
            if is_command and not found:
                await self._reply(gh, request, f"No parallel work analysis found on #{n}, so there is "
                                  "nothing to sync. `/analyze help` shows what the bot reads.")
        if is_command:
            await self._react(gh, request, "+1" if ok else "confused")
        return "ok" if ok else "unhappy"

    async def _may_write(self, gh: GitHubClient, request: JobRequest, login: str, association: Any) -> bool:
        """Write access: OWNER/MEMBER/COLLABORATOR from GitHub, else the collaborator-permission API."""
        if is_trusted(association if isinstance(association, str) else None):
            return True
        if not login:
            return False
        try:
            data = await gh.getitem(f"/repos/{request.owner}/{request.repo}/collaborators/{login}/permission")
        except BadRequest as exc:
            if exc.status_code.value in (403, 404):
                return False
            raise
        levels = {str(data.get("permission") or "").lower(), str(data.get("role_name") or "").lower()}
        return bool(levels & WRITE_LEVELS)

    def _is_us(self, user: Any) -> bool:
        """This App's bot account (a person quoting our marker must not steer the bot)."""
        return (isinstance(user, dict) and user.get("type") == "Bot"
                and user.get("login") == self.settings.bot_login)

    async def _refuse(self, gh: GitHubClient, request: JobRequest, login: str) -> None:
        """One polite reply per person and issue; nothing else is written."""
        await self._reply(gh, request, REFUSAL, key=f"refused user={_safe(login)}", once=True)

    async def _react(self, gh: GitHubClient, request: JobRequest, content: str) -> None:
        """Put a reaction on the command comment (GitHub answers 200 for one already there)."""
        await gh.post(f"/repos/{request.owner}/{request.repo}/issues/comments/{request.comment_id}/reactions",
                      data={"content": content})

    async def _reply(
        self, gh: GitHubClient, request: JobRequest, text: str, *, key: str | None = None, once: bool = False,
    ) -> None:
        """Reply on the issue, edited in place when a reply for the same command (key) already exists."""
        key = key or f"comment={request.comment_id}"
        marker = reply_marker(key)
        body = truncate(f"{marker}\n{text}", MAX_COMMENT)
        base = f"/repos/{request.owner}/{request.repo}/issues"
        async for comment in gh.getiter(f"{base}/{request.number}/comments"):
            if self._is_us(comment.get("user")) and str(comment.get("body") or "").startswith(marker):
                if once or comment.get("body") == body:
                    return
                await gh.patch(f"{base}/comments/{comment['id']}", data={"body": body})
                return
        await gh.post(f"{base}/{request.number}/comments", data={"body": body})


def _safe(login: str) -> str:
    return "".join(c for c in login if c.isalnum() or c in "-_[]")[:60] or "-"


def build_handler(
    settings: Settings, *, metrics: Metrics | None = None, pacer: Pacer | None = None,
    auth: AppAuth | None = None, policy: RetryPolicy | None = None,
) -> JobHandler:
    """The job handler for this App: call it with a JobRequest; `give_up` reports a job's last failure."""
    return JobHandler(settings, metrics=metrics, pacer=pacer, auth=auth, policy=policy)
