"""Delivery-id dedupe in PostgreSQL with expiry, shared by every web process, and the one-statement intake."""

from __future__ import annotations

import time
from typing import Any, Literal

import psycopg
import psycopg_pool
from procrastinate import jobs
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT
from psycopg.types.json import Jsonb

from bot.store.errors import StoreUnavailable

#: What accepting a delivery did: its job queued, folded into one already waiting, or nothing (a redelivery).
Accepted = Literal["queued", "coalesced", "duplicate"]

#: procrastinate's defer function and its argument type (the ones its own `defer_jobs` query calls, from
#: 3.2 on; tests/test_jobs_store.py checks the installed version still calls them).
DEFER_FUNCTION = "procrastinate_defer_jobs_v1"
_JOB = (
    "ARRAY[ROW(%(queue)s::varchar, %(task)s::varchar, %(priority)s::integer, %(lock)s::text,"
    " %(queueing_lock)s::text, %(args)s::jsonb, NULL::timestamptz)"
    "::procrastinate_job_to_defer_v1]"
)
#: The job is deferred unless a job with its queueing lock is waiting already (coalesced): the test is on the
#: statement's snapshot, so a waiting job committed meanwhile makes procrastinate's unique index refuse the
#: insert, and the statement is run again (it then sees that job).
_DEFER_UNLESS_WAITING = (
    f"SELECT {DEFER_FUNCTION}({_JOB}) AS ids WHERE {{gate}} NOT EXISTS ("
    " SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = %(queueing_lock)s::text AND status = 'todo')"
)
#: One delivery, one statement, one transaction (autocommit): record its id unless recorded and unexpired
#: (INSERT … ON CONFLICT, which waits for a concurrent insert of the same id), defer its job only if the id
#: was new, and (now and then) purge expired ids. Nothing is recorded unless the job is also queued.
_ACCEPT = (
    "WITH fresh AS MATERIALIZED ("
    " INSERT INTO pwb_deliveries (delivery_id, expires_at)"
    " VALUES (%(delivery)s, now() + make_interval(secs => %(ttl)s))"
    " ON CONFLICT (delivery_id) DO UPDATE SET expires_at = EXCLUDED.expires_at"
    " WHERE pwb_deliveries.expires_at <= now() RETURNING 1),"
    " deferred AS MATERIALIZED ("
    + _DEFER_UNLESS_WAITING.format(gate="EXISTS (SELECT 1 FROM fresh) AND") + "),"
    " purged AS (DELETE FROM pwb_deliveries"
    " WHERE %(purge)s AND expires_at <= now() AND delivery_id <> %(delivery)s)"
    " SELECT EXISTS (SELECT 1 FROM fresh), EXISTS (SELECT 1 FROM deferred)"
)
#: The same without a delivery id to record.
_ACCEPT_ANONYMOUS = (
    "WITH deferred AS MATERIALIZED (" + _DEFER_UNLESS_WAITING.format(gate="") + ")"
    " SELECT true, EXISTS (SELECT 1 FROM deferred)"
)
#: How often a statement refused for a job of the same queueing lock committed meanwhile is run again.
_RACE_RETRIES = 5


class PgDeliveries:
    """Remembers `X-GitHub-Delivery` ids for `ttl` seconds; expired rows count as unseen, purged lazily."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], *, ttl: float = 7 * 24 * 3600,
                 purge_every: float = 300.0) -> None:
        self.pool = pool
        self.ttl = ttl
        self.purge_every = purge_every
        self._last_purge = time.monotonic()

    async def accept(self, delivery_id: str | None, job: jobs.Job) -> Accepted:
        """Record the delivery id and defer its job in one statement (one round trip, one transaction).

        "duplicate": the id was recorded and unexpired, nothing deferred; "coalesced": the id is recorded and
        a job with the same queueing lock was already waiting; "queued": both recorded and deferred. Raises
        StoreUnavailable (nothing recorded) when PostgreSQL does not answer.
        """
        purge = time.monotonic() - self._last_purge > self.purge_every
        params = {"delivery": delivery_id, "ttl": self.ttl, "purge": purge, "queue": job.queue,
                  "task": job.task_name, "priority": job.priority, "lock": job.lock,
                  "queueing_lock": job.queueing_lock, "args": Jsonb(job.task_kwargs)}
        query = _ACCEPT if delivery_id is not None else _ACCEPT_ANONYMOUS
        try:
            async with self.pool.connection() as conn:
                for attempt in range(_RACE_RETRIES):
                    try:
                        cur = await conn.execute(query, params)
                        break
                    except psycopg.errors.UniqueViolation as exc:
                        raced = exc.diag.constraint_name == QUEUEING_LOCK_CONSTRAINT
                        if not raced or attempt + 1 == _RACE_RETRIES:
                            raise
                row = await cur.fetchone()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
        if purge:
            self._last_purge = time.monotonic()
        assert row is not None
        fresh, deferred = bool(row[0]), bool(row[1])
        if not fresh:
            return "duplicate"
        return "queued" if deferred else "coalesced"

    async def seen(self, delivery_id: str) -> bool:
        """True if the id is recorded and not expired. Does not record it (see `record`)."""
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    "SELECT 1 FROM pwb_deliveries WHERE delivery_id = %s AND expires_at > now()",
                    (delivery_id,))
                return await cur.fetchone() is not None
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def record(self, delivery_id: str) -> bool:
        """Record the id; True if it was already recorded and unexpired (INSERT … ON CONFLICT)."""
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    "INSERT INTO pwb_deliveries (delivery_id, expires_at)"
                    " VALUES (%s, now() + make_interval(secs => %s))"
                    " ON CONFLICT (delivery_id) DO UPDATE SET expires_at = EXCLUDED.expires_at"
                    " WHERE pwb_deliveries.expires_at <= now()"
                    " RETURNING 1",
                    (delivery_id, self.ttl))
                inserted = await cur.fetchone() is not None
                if time.monotonic() - self._last_purge > self.purge_every:
                    self._last_purge = time.monotonic()
                    await conn.execute("DELETE FROM pwb_deliveries WHERE expires_at <= now()")
                return not inserted
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
