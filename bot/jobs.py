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
import collections
import contextlib
import datetime
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import attr
import psycopg
import psycopg_pool
from procrastinate import App, JobContext, RetryStrategy, exceptions, jobs, manager, utils
from procrastinate.psycopg_connector import PsycopgConnector
from procrastinate.retry import RetryDecision
from procrastinate.testing import InMemoryConnector

from bot.github.errors import RateLimitWait
from bot.jobrequest import JobRequest
from bot.store import PgDeliveries, PgPacer, StoreUnavailable, make_pool

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

#: What a job runs: the App's handler (bot.runner.build_handler) in production.
Handler = Callable[[JobRequest], Awaitable[None]]
#: Called once when a job fails for the last time (to report the failure in the summary comment).
GiveUpHandler = Callable[[JobRequest, BaseException], Awaitable[None]]

TASK_NAME = "sync_issue_job"
#: Raised by `enqueue`/`seen_delivery` while PostgreSQL is unreachable: answer 503, GitHub redelivers.
QueueUnavailable = StoreUnavailable

__all__ = ["TASK_NAME", "DeliveryLog", "GiveUpHandler", "Handler", "JobQueue", "JobRetry", "QueueUnavailable"]


@attr.dataclass(kw_only=True)
class JobRetry(RetryStrategy):
    """procrastinate's exponential retries, plus: `RateLimitWait` re-schedules the job at its reset time.

    Rate-limit waits are not failures: they are re-scheduled up to `max_rate_limit_waits` times (a day of
    hourly resets) whatever `max_attempts` says. The job leaves the worker while it waits.
    """

    max_rate_limit_waits: int = 30

    def get_retry_decision(self, *, exception: BaseException, job: jobs.Job) -> RetryDecision | None:
        if isinstance(exception, RateLimitWait):
            if job.attempts >= self.max_rate_limit_waits:
                return None
            reset = max(exception.reset_at, time.time())
            return RetryDecision(retry_at=datetime.datetime.fromtimestamp(reset, tz=datetime.UTC))
        decision: RetryDecision | None = super().get_retry_decision(exception=exception, job=job)
        return decision


DEFAULT_RETRY = JobRetry(max_attempts=5, exponential_wait=2)


class _CoalescingJobManager(manager.JobManager):
    """Retrying a job whose issue already has a newer job waiting would break the queueing lock's
    uniqueness; the waiting job re-reads GitHub and so covers this one: finish this one as failed instead."""

    async def retry_job(self, job: jobs.Job, retry_at: datetime.datetime | None = None,
                        priority: int | None = None, queue: str | None = None,
                        lock: str | None = None) -> None:
        try:
            await super().retry_job(job, retry_at=retry_at, priority=priority, queue=queue, lock=lock)
        except exceptions.UniqueViolation:
            log.info("job %s superseded by a waiting job of the same issue; not retried", job.id)
            await self.finish_job(job, status=jobs.Status.FAILED, delete_job=False)


class EmbeddedConnector(InMemoryConnector):
    """procrastinate's in-memory connector made fit for a long-running process, with PostgreSQL's semantics.

    It keeps no query log and no events of deleted jobs (memory stays flat), an earlier waiting job of the
    same lock blocks later ones (order, as in PostgreSQL's fetch_job), and a retry that would give two
    waiting jobs one queueing lock is refused as PostgreSQL's unique index refuses it.
    """

    async def generic_execute(self, query: str, suffix: str, **arguments: Any) -> Any:
        return await getattr(self, f"{self.reverse_queries[query]}_{suffix}")(**arguments)

    async def fetch_job_one(self, queues: Iterable[str] | None, worker_id: int) -> dict[str, Any]:
        doing = {job["lock"] for job in self.jobs.values() if job["status"] == "doing"}
        in_order = sorted(self.jobs.values(), key=lambda j: (-j["priority"], j["id"]))
        first_waiting: dict[str, int] = {}
        for job in in_order:
            if job["status"] == "todo" and job["lock"] is not None:
                first_waiting.setdefault(job["lock"], job["id"])
        now = utils.utcnow()
        for job in in_order:
            if job["status"] != "todo" or (queues is not None and job["queue_name"] not in queues):
                continue
            if job["scheduled_at"] and job["scheduled_at"] > now:
                continue
            if job["lock"] is not None and (job["lock"] in doing or first_waiting[job["lock"]] != job["id"]):
                continue
            job["status"] = "doing"
            job["worker_id"] = worker_id
            return job
        return {"id": None}

    async def retry_job_run(self, job_id: int, retry_at: datetime.datetime, new_priority: int | None = None,
                            new_queue_name: str | None = None, new_lock: str | None = None) -> None:
        qlock = self.jobs[job_id]["queueing_lock"]
        if qlock is not None and any(
            j["queueing_lock"] == qlock and j["status"] == "todo" and j["id"] != job_id
            for j in self.jobs.values()
        ):
            raise exceptions.UniqueViolation(
                constraint_name=manager.QUEUEING_LOCK_CONSTRAINT, queueing_lock=qlock)
        await super().retry_job_run(job_id, retry_at, new_priority, new_queue_name, new_lock)
        self.events[job_id] = []

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)
        else:
            self.events[job_id] = []

    async def defer_jobs_all(self, jobs: list[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await super().defer_jobs_all(jobs)
        for row in rows:
            self.events[row["id"]] = []
        return rows


class DeliveryLog:
    """Delivery ids seen in the last `ttl` seconds (about `maxsize` at most, oldest dropped first), compactly.

    GitHub's ids are UUIDs, kept as 128-bit ints in sets, one set per slice of time (`ttl / slices`) or per
    `maxsize / slices` ids, whichever fills first; a slice is dropped whole once its newest id is `ttl` old,
    or when the log holds more than `maxsize` ids. So an id is remembered for at least `ttl` (at most one
    slice longer) unless the log is full. Ints in sets are a third of the memory of a cachetools TTLCache of
    strings (~9 MB for 100,000 ids instead of ~30) and are not tracked by the garbage collector.
    """

    def __init__(self, maxsize: int = 100_000, ttl: float = 7 * 24 * 3600, *, slices: int = 32,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._width = ttl / slices
        self._per_slice = max(1, maxsize // slices)
        #: (time the slice was opened, its ids), oldest first.
        self._slices: collections.deque[tuple[float, set[int | str]]] = collections.deque()
        self._size = 0

    @staticmethod
    def _key(delivery_id: str) -> int | str:
        if len(delivery_id) != 36:
            return delivery_id
        try:
            parsed = uuid.UUID(delivery_id)
        except ValueError:
            return delivery_id
        return parsed.int if str(parsed) == delivery_id else delivery_id  # exact ids only

    def _expire(self, now: float) -> None:
        slices = self._slices
        while slices and (self._size > self.maxsize or slices[0][0] + self._width + self.ttl <= now):
            self._size -= len(slices.popleft()[1])

    def _has(self, key: int | str) -> bool:
        return any(key in ids for _, ids in self._slices)

    def __contains__(self, delivery_id: str) -> bool:
        self._expire(self.clock())
        return self._has(self._key(delivery_id))

    def __len__(self) -> int:
        return self._size

    def add(self, delivery_id: str) -> bool:
        """Record an id; True if it was already there (one look-up for `seen_delivery`)."""
        now = self.clock()
        self._expire(now)
        key = self._key(delivery_id)
        if self._has(key):
            return True
        slices = self._slices
        if not slices or slices[-1][0] + self._width <= now or len(slices[-1][1]) >= self._per_slice:
            slices.append((now, set()))
        slices[-1][1].add(key)
        self._size += 1
        self._expire(now)
        return False


class JobQueue:
    """Enqueue JobRequests, dedupe deliveries, run workers — in memory by default, PostgreSQL with a URL.

    Web processes call `seen_delivery` then `enqueue`; both raise `QueueUnavailable` while PostgreSQL is
    down (answer 503). In memory (`runs_worker_in_process`), the web process also runs `start_worker()`.
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
            self._pacer = PgPacer(self.pool, interval=write_interval, lease=write_lease)
            self.connector: PsycopgConnector | EmbeddedConnector = PsycopgConnector()
        else:
            self.connector = EmbeddedConnector()
        self.app = App(connector=self.connector)
        self.app.job_manager = _CoalescingJobManager(self.connector)
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
            await self.app.close_async()
            if self.pool is not None:
                await self.pool.close()
            self._opened = False

    async def __aenter__(self) -> JobQueue:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def enqueue(self, request: JobRequest) -> bool:
        """Queue a job for the request's issue; False when coalesced into a job already waiting for it.

        With PostgreSQL the delivery id (request.delivery_id) is recorded only once its job is queued, so a
        delivery is never marked seen without its work being accepted.
        """
        try:
            deferrer = self._task.configure(lock=request.issue_key, queueing_lock=request.queueing_key)
            await deferrer.defer_async(request=request.model_dump(mode="json"))
            queued = True
        except exceptions.AlreadyEnqueued:
            queued = False
        except (exceptions.ConnectorException, psycopg.Error, OSError) as exc:
            raise StoreUnavailable(f"could not queue the job: {exc}") from exc
        if request.delivery_id:
            if self._deliveries is not None:
                await self._deliveries.record(request.delivery_id)
            else:
                self._memory_seen.add(request.delivery_id)
        return queued

    async def seen_delivery(self, delivery_id: str) -> bool:
        """True if this delivery id was already accepted (a redelivery: answer 200, do nothing).

        In memory the id is recorded now. With PostgreSQL it is checked now and recorded by `enqueue`
        (a delivery that queues nothing is simply looked at again if redelivered, which is harmless).
        """
        if self._deliveries is not None:
            return await self._deliveries.seen(delivery_id)
        return self._memory_seen.add(delivery_id)

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
