"""The job queue: procrastinate in memory or on PostgreSQL (DATABASE_URL), the same task either way.

One task, `sync_issue_job`, runs the handler for one JobRequest. procrastinate's `lock` (the issue key) keeps
one job per issue running at a time, in order; its `queueing_lock` coalesces waiting jobs of an issue (the
worker re-reads GitHub, so one waiting job covers any number of deliveries). Failures are retried with
procrastinate's exponential RetryStrategy; a `RateLimitWait` re-schedules the job for the reset time instead
of holding a worker. With PostgreSQL, stalled jobs (their worker stopped sending heartbeats, e.g. SIGKILL)
are put back in the queue by every worker's reaper, and delivery ids and write pacing live in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

import psycopg
import psycopg_pool
from procrastinate import App, JobContext, RetryStrategy, exceptions
from procrastinate.psycopg_connector import PsycopgConnector

from bot.github.errors import RateLimitWait
from bot.jobs.deliveries import DeliveryLog
from bot.jobs.manager import CoalescingJobManager
from bot.jobs.memory import EmbeddedConnector
from bot.jobs.request import Accepted, JobRequest
from bot.jobs.retry import DEFAULT_RETRY, JobRetry
from bot.store import PgDeliveries, PgPacer, StoreUnavailable, make_pool

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

#: What a job runs: the App's handler (bot.jobs.handler.build_handler) in production.
Handler = Callable[[JobRequest], Awaitable[None]]
#: Called once when a job fails for the last time (to report the failure in the summary comment).
GiveUpHandler = Callable[[JobRequest, BaseException], Awaitable[None]]

TASK_NAME = "sync_issue_job"
#: Raised by `enqueue`/`seen_delivery` while PostgreSQL is unreachable: answer 503, GitHub redelivers.
QueueUnavailable = StoreUnavailable

__all__ = ["TASK_NAME", "DeliveryLog", "GiveUpHandler", "Handler", "JobQueue", "JobRetry", "QueueUnavailable"]


class JobQueue:
    """Enqueue JobRequests, dedupe deliveries, run workers — in memory by default, PostgreSQL with a URL.

    Web processes call `accept` (dedupe and enqueue together); it raises `QueueUnavailable` while PostgreSQL
    is down (answer 503). In memory (`runs_worker_in_process`), the web process also runs `start_worker()`.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        database_url: str | None = None,
        retry: RetryStrategy = DEFAULT_RETRY,
        on_give_up: GiveUpHandler | None = None,
        delivery_ttl: float = 7 * 24 * 3600,
        write_interval: float = 1.0,
        write_lease: float = 10.0,
        pool_size: int = 10,
        pool_timeout: float = 3.0,
    ) -> None:
        self.handler = handler
        self.on_give_up = on_give_up
        self.database_url = database_url
        self.retry = retry
        self.write_interval = write_interval
        self.pool_timeout = pool_timeout
        self.pool: psycopg_pool.AsyncConnectionPool[Any] | None = None
        self._deliveries: PgDeliveries | None = None
        self._pacer: PgPacer | None = None
        self._memory_seen = DeliveryLog(maxsize=100_000, ttl=delivery_ttl)
        self._worker_task: asyncio.Task[None] | None = None
        self._opened = False
        if database_url:
            self.pool = make_pool(database_url, max_size=pool_size, timeout=pool_timeout)
            self._deliveries = PgDeliveries(self.pool, ttl=delivery_ttl)
            # A write slot kept between a sync's writes holds a pooled connection; a worker's pool is sized
            # for two per job it runs at once, so each of its jobs may keep one (fewer: a slot given back and
            # taken again after every write, two statements a write).
            self._pacer = PgPacer(self.pool, interval=write_interval, lease=write_lease,
                                  keep=max(4, (pool_size - 4) // 2))
            self.connector: PsycopgConnector | EmbeddedConnector = PsycopgConnector()
        else:
            self.connector = EmbeddedConnector()
        self.app = App(connector=self.connector)
        self.app.job_manager = CoalescingJobManager(self.connector)
        self._task = self.app.task(name=TASK_NAME, pass_context=True, retry=retry)(self._run_job)

    @classmethod
    def from_settings(cls, settings: Settings, handler: Handler | None = None, **kwargs: Any) -> JobQueue:
        """The queue the settings describe: PostgreSQL when DATABASE_URL is set, else in memory."""
        kwargs.setdefault("write_interval", settings.pacing_seconds)
        return cls(handler, database_url=settings.database_url, **kwargs)

    # ---- what the web app and the runner ask -------------------------------------------------------------

    @property
    def backend(self) -> Literal["memory", "postgres"]:
        return "postgres" if self.database_url else "memory"

    @property
    def runs_worker_in_process(self) -> bool:
        """True in memory (the web process runs the worker); with PostgreSQL, `worker` processes run jobs."""
        return not self.database_url

    @property
    def pacer(self) -> PgPacer | None:
        """The cross-process write pacer (bot.github.pacing.Pacer) with PostgreSQL; None in memory (use the
        client's in-process pacer)."""
        return self._pacer

    async def open(self) -> None:
        """Open the connections (the pool opens without waiting, so a web process starts while PG is down)."""
        if self._opened:
            return
        if self.pool is not None:
            await self.pool.open(wait=False)
            await self.app.open_async(self.pool)
        else:
            await self.app.open_async()
        self._opened = True

    async def close(self) -> None:
        """Stop the in-process worker (if started) and close the connections."""
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker_task
            self._worker_task = None
        if self._opened:
            if self._pacer is not None:
                await self._pacer.close()
            await self.app.close_async()
            if self.pool is not None:
                await self.pool.close()
            self._opened = False

    async def __aenter__(self) -> JobQueue:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def accept(self, request: JobRequest) -> Accepted:
        """Queue a job for the request's issue and record its delivery id (request.delivery_id), together.

        "queued"; "coalesced" into a job already waiting for the plan; "duplicate" when the delivery id was
        accepted before (nothing done). The id is recorded only with its job: in PostgreSQL both in one
        statement (one round trip, one transaction), so a delivery is never marked seen without its work
        being accepted, and a redelivery after any failure is processed again.
        """
        deferrer = self._task.configure(lock=request.issue_key, queueing_lock=request.queueing_key)
        args = request.model_dump(mode="json")
        if self._deliveries is not None:
            return await self._deliveries.accept(request.delivery_id, deferrer.make_new_job(request=args))
        if request.delivery_id and request.delivery_id in self._memory_seen:
            return "duplicate"
        try:
            await deferrer.defer_async(request=args)
            accepted: Accepted = "queued"
        except exceptions.AlreadyEnqueued:
            accepted = "coalesced"
        except (exceptions.ConnectorException, OSError) as exc:
            raise StoreUnavailable(f"could not queue the job: {exc}") from exc
        if request.delivery_id:
            self._memory_seen.add(request.delivery_id)
        return accepted

    async def enqueue(self, request: JobRequest) -> bool:
        """`accept`, True only when a job was queued (False: coalesced, or its delivery seen before)."""
        return await self.accept(request) == "queued"

    async def seen_delivery(self, delivery_id: str) -> bool:
        """True if this delivery id was already accepted (a redelivery: answer 200, do nothing).

        Only a check: `accept` records the id once the job is queued (a delivery that queues nothing is
        simply looked at again if redelivered, which is harmless).
        """
        if self._deliveries is not None:
            return await self._deliveries.seen(delivery_id)
        return delivery_id in self._memory_seen

    async def healthy(self) -> bool:
        """True if jobs can be queued now (PostgreSQL answers); the web's health check and 503 decision."""
        if self.pool is None:
            return True
        try:
            async with self.pool.connection(timeout=min(2.0, self.pool_timeout)) as conn:
                await conn.execute("SELECT 1")
            return True
        except (psycopg.Error, psycopg_pool.PoolTimeout, OSError):
            return False

    async def pending(self) -> int:
        """How many jobs are waiting or running (tests and the demo wait for 0)."""
        if isinstance(self.connector, EmbeddedConnector):
            return sum(1 for job in self.connector.jobs.values() if job["status"] in ("todo", "doing"))
        assert self.pool is not None
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
            row = await cur.fetchone()
            return int(row[0]) if row else 0

    async def wait_idle(self, limit: float = 30.0, poll: float = 0.02) -> None:
        """Wait until no job is waiting or running; TimeoutError after `limit` seconds."""
        deadline = time.monotonic() + limit
        while await self.pending():
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs still pending after {limit} s")
            await asyncio.sleep(poll)

    # ---- workers -----------------------------------------------------------------------------------------

    def start_worker(self, **options: Any) -> asyncio.Task[None]:
        """Run `run_worker(**options)` as a background task of this process; `close()` stops it."""
        if self._worker_task is None or self._worker_task.done():
            self._worker_task = asyncio.create_task(self.run_worker(**options), name="job worker")
        return self._worker_task

    async def run_worker(
        self,
        *,
        concurrency: int = 8,
        name: str = "worker",
        poll_interval: float = 1.0,
        heartbeat_interval: float = 10.0,
        stalled_timeout: float = 30.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        """Run jobs until cancelled. With PostgreSQL, a worker that loses the database starts again when it
        is back, and a reaper re-queues jobs of workers whose heartbeat stopped (`stalled_timeout`)."""
        if self.handler is None:
            raise RuntimeError("JobQueue has no handler: give one to run jobs")
        options: dict[str, Any] = {
            "concurrency": concurrency,
            "name": name,
            "fetch_job_polling_interval": poll_interval,
            "abort_job_polling_interval": max(poll_interval, 5.0),
            "install_signal_handlers": False,
            "update_heartbeat_interval": heartbeat_interval,
            "stalled_worker_timeout": stalled_timeout,
            "shutdown_graceful_timeout": shutdown_timeout,
            "delete_jobs": "always" if self.pool is None else "successful",
        }
        if self.pool is None:
            await self.app.run_worker_async(**options)
            return
        reaper = asyncio.create_task(self._reap_stalled(stalled_timeout, heartbeat_interval), name="reaper")
        try:
            while True:
                try:
                    await self.app.run_worker_async(**options)
                    return
                except (exceptions.ConnectorException, psycopg.Error, OSError) as exc:
                    if _asked_to_stop():  # procrastinate's shutdown can raise the database error instead
                        raise asyncio.CancelledError from exc
                    log.warning("worker lost PostgreSQL (%s); starting again", type(exc).__name__)
                    await asyncio.sleep(1.0)
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper

    async def _reap_stalled(self, stalled_timeout: float, every: float) -> None:
        """Put back in the queue the jobs whose worker stopped beating (killed, frozen, lost its host)."""
        while True:
            await asyncio.sleep(every)
            try:
                stalled = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_timeout)
                for job in stalled:
                    try:
                        await self.app.job_manager.retry_job(job)
                        log.warning("re-queued stalled job %s (%s)", job.id, job.lock)
                    except exceptions.ConnectorException:
                        pass  # another worker's reaper got it first
            except (exceptions.ConnectorException, psycopg.Error, OSError):
                pass  # PostgreSQL down: try again next round

    async def _run_job(self, context: JobContext, request: dict[str, Any]) -> None:
        """The task body: one handler call; on the last failed attempt, tell `on_give_up` (summary note)."""
        job_request = JobRequest.model_validate(request)
        assert self.handler is not None
        try:
            await self.handler(job_request)
        except RateLimitWait:
            raise
        except Exception as exc:
            if self.on_give_up is not None and self._is_last_attempt(context, exc):
                try:
                    await self.on_give_up(job_request, exc)
                except Exception:
                    log.exception("could not report the failure of job %s", context.job.id)
            raise

    def _is_last_attempt(self, context: JobContext, exc: Exception) -> bool:
        assert context.job is not None
        return self.retry.get_retry_decision(exception=exc, job=context.job) is None


def _asked_to_stop() -> bool:
    """True when this task was cancelled (the worker is stopping), whatever exception its stop ended in."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
