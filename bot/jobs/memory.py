"""The in-memory job store (no DATABASE_URL): procrastinate's in-memory connector, PostgreSQL's semantics."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from procrastinate import exceptions, manager, utils
from procrastinate.testing import InMemoryConnector

log = logging.getLogger(__name__)


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
