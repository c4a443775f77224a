"""How a job's end is recorded: a retry superseded by a waiting job, and an end PostgreSQL could not take."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable

import psycopg
from procrastinate import exceptions, jobs, manager

log = logging.getLogger(__name__)

#: Seconds between attempts to record a job's end while PostgreSQL is unreachable (first, then at most).
RECORD_RETRY_FIRST = 0.5
RECORD_RETRY_MAX = 5.0


def _connection_lost(exc: exceptions.ConnectorException) -> bool:
    """The statement never reached a live server (not a refusal of the statement itself)."""
    cause = exc.__cause__
    return not isinstance(exc, exceptions.UniqueViolation) and isinstance(cause, psycopg.OperationalError)


class CoalescingJobManager(manager.JobManager):
    """procrastinate's job manager, with two rules for the end of a job.

    Retrying a job whose issue already has a newer job waiting would break the queueing lock's uniqueness;
    the waiting job re-reads GitHub and so covers this one: finish this one as failed instead.

    A job whose end cannot be written (PostgreSQL restarting) would stay "doing" under a worker that is
    alive and beating, so no reaper ever takes it back: the end is written again until PostgreSQL takes it.
    If the worker stops meanwhile, its heartbeat stops too and another worker's reaper re-queues the job.
    """

    async def retry_job(self, job: jobs.Job, retry_at: datetime.datetime | None = None,
                        priority: int | None = None, queue: str | None = None,
                        lock: str | None = None) -> None:
        try:
            await _until_recorded(job, lambda: super(CoalescingJobManager, self).retry_job(
                job, retry_at=retry_at, priority=priority, queue=queue, lock=lock))
        except exceptions.UniqueViolation:
            log.info("job %s superseded by a waiting job of the same issue; not retried", job.id)
            await self.finish_job(job, status=jobs.Status.FAILED, delete_job=False)

    async def finish_job(self, job: jobs.Job, status: jobs.Status, delete_job: bool) -> None:
        await _until_recorded(job, lambda: super(CoalescingJobManager, self).finish_job(
            job, status=status, delete_job=delete_job))


async def _until_recorded(job: jobs.Job, record: Callable[[], Awaitable[None]]) -> None:
    delay = RECORD_RETRY_FIRST
    warned = False
    while True:
        try:
            await record()
            if warned:
                log.warning("recorded the end of job %s once PostgreSQL answered again", job.id)
            return
        except exceptions.ConnectorException as exc:
            if not _connection_lost(exc):
                raise
            if not warned:
                log.warning("could not record the end of job %s (PostgreSQL unreachable); trying again",
                            job.id)
                warned = True
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECORD_RETRY_MAX)
