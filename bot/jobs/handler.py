"""Running one job: act as the installation, then sync the issue or answer the command (bot.jobs.analyze)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import gidgethub.abc

from bot.analysis.markdown import truncate
from bot.config import Settings
from bot.conventions import USER_AGENT, Identity
from bot.github.auth import AppAuth
from bot.github.client import GitHubClient
from bot.github.errors import RateLimitWait
from bot.github.pacing import BudgetWait, Pacer
from bot.github.retry import RetryPolicy
from bot.jobs.analyze import Analyze
from bot.jobs.files import repository_work
from bot.jobs.request import JobRequest
from bot.metrics import DEFAULT, Metrics, status_class
from bot.repoconfig.github import OWNER_REPO, forget, read_repo_config
from bot.repoconfig.load import LoadedConfig
from bot.store import PgIssueLocks
from bot.sync.engine import IssueLock, report_failure, sync_issue
from bot.sync.files import RepoFiles

log = logging.getLogger("bot.jobs")


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
        #: Who the bot is: its own comments and sub-issues are recognised by this, never by "some bot".
        self.identity = Identity(settings.bot_login, settings.github_app_id, settings.peers)
        self._session: aiohttp.ClientSession | None = None
        #: With PostgreSQL, every sync holds its plan's advisory lock (one sync per plan across processes).
        self._pg_locks = PgIssueLocks(settings.database_url) if settings.database_url else None
        self.lock: IssueLock | None = self._pg_locks
        self.metrics.github_client.observe(self.auth.stats.events)
        self.auth.observer = self._observe
        #: Where push and scan jobs queue the sync of each issue they find (the server sets the queue's);
        #: None runs those syncs inside the job itself.
        self.enqueue: Enqueue | None = None

    # ---- plumbing -----------------------------------------------------------------------------------------

    def _observe(self, method: str, url: str, status: int | None, seconds: float) -> None:
        """One exchange with GitHub, for the operator's metrics (its latency by kind, counts, errors)."""
        graphql = url.endswith("/graphql")
        read = method in ("GET", "HEAD")
        kind = "graphql" if graphql else "read" if read else "write"
        self.metrics.github_request_duration.observe(seconds, kind=kind, status_class=status_class(status))
        if status is None:
            self.metrics.github_errors.inc(status="connection")
            return
        self.metrics.github_requests.inc(kind=kind if graphql or status != 304 else "not_modified")
        if status >= 400:
            self.metrics.github_errors.inc(status=str(status))

    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session (made on first use, inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=10))
        return self._session

    async def close(self) -> None:
        """Close the HTTP session and the plan locks' idle connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        if self._pg_locks is not None:
            await self._pg_locks.close()

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
                outcome, found = await perform(gh, request, me=self.identity, lock=self.lock,
                                               enqueue=self.enqueue)
                extra |= found
                for writes in found.get("sync_writes", []):
                    self.metrics.sync_writes.observe(writes)
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
        """The job failed for the last time: say so in the summary comment (and 😕 on a command).

        A permission check of a plan's author leaves no note: the issue may have no plan at all.
        """
        if request.plan_check or request.kind in ("push", "scan"):
            log.warning("%s job gave up: %s", request.kind, exc, extra={"issue": request.issue_key})
            return
        self.metrics.jobs.inc(kind=request.kind, outcome="reported")
        gh = await self.client(request)
        loaded = await read_repo_config(gh, request.owner, request.repo)
        message = (f"The bot could not finish syncing this issue after several attempts "
                   f"({type(exc).__name__}: {truncate(str(exc), 200)}). Nothing was lost: "
                   "comment `/analyze` to try again once GitHub is reachable, or edit the plan.")
        await report_failure(gh, request.owner, request.repo, request.number, message, me=self.identity,
                             lock=self.lock, files=RepoFiles(gh, request.owner, request.repo,
                                                             patterns=loaded.config.analysis_paths))
        if request.kind == "command" and request.comment_id is not None:
            await Analyze(gh, request, me=self.identity, lock=self.lock).react("confused")


Enqueue = Callable[[JobRequest], Awaitable[bool]]


async def perform(
    gh: gidgethub.abc.GitHubAPI, request: JobRequest, *, me: Identity, lock: IssueLock | None = None,
    enqueue: Enqueue | None = None, config: LoadedConfig | None = None,
) -> tuple[str, dict[str, Any]]:
    """What one job does with a client acting for it (the App's installation, or the Action's token):
    returns its outcome and what to log (`sync_writes`: the writes of each sync it ran).

    Push and scan jobs queue one sync per issue found through `enqueue` (coalesced and locked per plan like
    any other), or run them here without one; a push that changed the configuration file adds the
    repository's open plans. Every sync reads the default branch's plan files, as the repository's
    `analysis_paths` name them. `config`: the configuration to use (the Action's checkout); None reads
    the repository's from GitHub.
    """
    if request.kind == "command":
        command = Analyze(gh, request, me=me, lock=lock, config=config)
        outcome = await command.run()
        if command.resume_at is not None:
            raise BudgetWait(command.resume_at, reason="writes wait for room")
        return outcome, {}
    numbers = [request.number]
    found: dict[str, Any] = {"sync_writes": []}
    if request.kind in ("push", "scan"):
        work = await repository_work(gh, request, config)
        numbers = found["issues"] = work.issues
        if enqueue is not None:
            why = "the configuration changed" if work.config_changed else "plan files of"
            for number in numbers:
                await enqueue(JobRequest(installation_id=request.installation_id, owner=request.owner,
                                         repo=request.repo, number=number, fresh_config=work.config_changed,
                                         reason=f"{request.reason}: {why} #{number}"))
            return "ok", found
        config = work.config
    elif request.comment_id is not None:
        # A reader's plan comment: one polite reply; the sync passes its text over.
        await Analyze(gh, request, me=me, lock=lock, config=config).refuse_a_readers_plan()
    if request.fresh_config and config is None:
        forget(gh, request.owner, request.repo)
        forget(gh, request.owner, OWNER_REPO)
    loaded = config if config is not None else await read_repo_config(gh, request.owner, request.repo)
    deferred: list[tuple[float, int]] = []
    for number in numbers:
        files = RepoFiles(gh, request.owner, request.repo, patterns=loaded.config.analysis_paths)
        result = await sync_issue(gh, request.owner, request.repo, number, me=me, lock=lock, config=loaded,
                                  files=files)
        found["sync_writes"].append(result.writes)
        found |= {"synced": result.issue, "writes": result.writes, "errors": result.errors}
        if result.resume_at is not None:
            deferred.append((result.resume_at, result.deferred))
    if deferred:
        # The rest of a big plan waits for GitHub's content limits (or the next slice): the job leaves the
        # worker and comes back then (JobRetry); the plans already converged write nothing on that run.
        resume_at = max(at for at, _ in deferred)
        raise BudgetWait(resume_at, reason=f"{sum(n for _, n in deferred)} writes wait for room")
    return "ok", found


def build_handler(
    settings: Settings, *, metrics: Metrics | None = None, pacer: Pacer | None = None,
    auth: AppAuth | None = None, policy: RetryPolicy | None = None,
) -> JobHandler:
    """The job handler for this App: call it with a JobRequest; `give_up` reports a job's last failure."""
    return JobHandler(settings, metrics=metrics, pacer=pacer, auth=auth, policy=policy)
