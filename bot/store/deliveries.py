"""Delivery-id dedupe in PostgreSQL with expiry, shared by every web process, and the one-statement intake."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
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
#: Deliveries accepted together, in one statement and one transaction (autocommit): a batch is what arrived
#: while the previous statement was on the wire (group commit), so under load one commit serves many
#: deliveries and at low rates a batch is one delivery. Every row's id is recorded unless recorded and
#: unexpired (INSERT … ON CONFLICT, which waits for a concurrent insert of the same id); a row is new when its
#: id was recorded now (or it has none) and no earlier row of the batch has that id; of the new rows, the
#: first for each queueing lock is deferred unless a job with that lock is waiting already (coalesced). That
#: test is on the statement's snapshot, so a waiting job committed meanwhile makes procrastinate's unique
#: index refuse the insert, and the statement is run again (it then sees that job). Now and then expired ids
#: are purged. Nothing is recorded unless its job is also queued or coalesced: one statement, all or nothing.
#: Ids are recorded, and jobs deferred, in one order (by id, by queueing lock) whatever the order they arrived
#: in: two web processes accepting the same deliveries then wait for each other in one order, never in a
#: circle (each waits on the other's uncommitted row of the unique index: a deadlock PostgreSQL breaks by
#: failing one of them a second later).
_ACCEPT = (
    "WITH batch AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%(batch)s::jsonb) AS b(n integer,"
    " delivery text, queue varchar, task varchar, priority integer, lock text, queueing_lock text,"
    " args jsonb)),"
    " fresh AS MATERIALIZED ("
    " INSERT INTO pwb_deliveries (delivery_id, expires_at)"
    " SELECT DISTINCT delivery, now() + make_interval(secs => %(ttl)s) FROM batch WHERE delivery IS NOT NULL"
    " ORDER BY delivery"
    " ON CONFLICT (delivery_id) DO UPDATE SET expires_at = EXCLUDED.expires_at"
    " WHERE pwb_deliveries.expires_at <= now() RETURNING delivery_id),"
    " new AS MATERIALIZED (SELECT * FROM batch"
    " WHERE (delivery IS NULL OR delivery IN (SELECT delivery_id FROM fresh))"
    " AND NOT EXISTS (SELECT 1 FROM batch earlier WHERE earlier.delivery = batch.delivery"
    " AND earlier.n < batch.n)),"
    " wanted AS MATERIALIZED (SELECT DISTINCT ON (COALESCE(queueing_lock, n::text)) * FROM new"
    " WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs"
    " WHERE queueing_lock = new.queueing_lock AND status = 'todo')"
    " ORDER BY COALESCE(queueing_lock, n::text), n),"
    f" deferred AS MATERIALIZED (SELECT {DEFER_FUNCTION}(ARRAY("
    " SELECT ROW(queue, task, priority, lock, queueing_lock, args, NULL::timestamptz)"
    "::procrastinate_job_to_defer_v1 FROM wanted ORDER BY queueing_lock, n)) AS ids"
    " WHERE EXISTS (SELECT 1 FROM wanted)),"
    " purged AS (DELETE FROM pwb_deliveries WHERE %(purge)s AND expires_at <= now()"
    " AND delivery_id NOT IN (SELECT delivery FROM batch WHERE delivery IS NOT NULL))"
    " SELECT n IN (SELECT n FROM new), n IN (SELECT n FROM wanted) AND EXISTS (SELECT 1 FROM deferred)"
    " FROM batch ORDER BY n"
)
#: How often a statement refused for a job of the same queueing lock committed meanwhile is run again, beyond
#: once a distinct lock of its batch: each refusal is for a job the next run sees (or one no longer waiting),
#: so a batch of n locks needs at most n more runs, and another web process can race on each of them.
_RACE_RETRIES = 5
#: Statements of one process on the wire at once (each a batch): a second one keeps a slow commit from
#: holding up the next batch, more would only make batches smaller.
_IN_FLIGHT = 2
#: Deliveries in one statement at most.
_MAX_BATCH = 200


@dataclass
class _Pending:
    delivery_id: str | None
    job: jobs.Job
    outcome: asyncio.Future[Accepted]


class PgDeliveries:
    """Remembers `X-GitHub-Delivery` ids for `ttl` seconds; expired rows count as unseen, purged lazily."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], *, ttl: float = 7 * 24 * 3600,
                 purge_every: float = 300.0) -> None:
        self.pool = pool
        self.ttl = ttl
        self.purge_every = purge_every
        self._last_purge = time.monotonic()
        self._waiting: list[_Pending] = []
        self._in_flight = 0
        self._senders: set[asyncio.Future[None]] = set()

    async def accept(self, delivery_id: str | None, job: jobs.Job) -> Accepted:
        """Record the delivery id and defer its job together (one statement, one transaction, shared with the
        deliveries that arrived meanwhile).

        "duplicate": the id was recorded and unexpired, nothing deferred; "coalesced": the id is recorded and
        a job with the same queueing lock was already waiting; "queued": both recorded and deferred. Raises
        StoreUnavailable (nothing recorded) when PostgreSQL does not answer.
        """
        pending = _Pending(delivery_id, job, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        if self._in_flight < _IN_FLIGHT:
            self._in_flight += 1
            task = asyncio.ensure_future(self._send_batches())
            self._senders.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._senders.discard)
        return await pending.outcome

    async def _send_batches(self) -> None:
        """Send what waits, a batch a statement, until nothing does."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:_MAX_BATCH], self._waiting[_MAX_BATCH:]
                try:
                    outcomes = await self._accept_batch(batch)
                except Exception as exc:  # every delivery of the batch gets the failure (nothing recorded)
                    for pending in batch:
                        if not pending.outcome.done():
                            pending.outcome.set_exception(exc)
                    continue
                for pending, outcome in zip(batch, outcomes, strict=True):
                    if not pending.outcome.done():
                        pending.outcome.set_result(outcome)
        finally:
            self._in_flight -= 1

    async def _accept_batch(self, batch: list[_Pending]) -> list[Accepted]:
        purge = time.monotonic() - self._last_purge > self.purge_every
        # One JSON parameter for the whole batch: one dump, whatever its size.
        rows = [{"n": n, "delivery": p.delivery_id, "queue": p.job.queue, "task": p.job.task_name,
                 "priority": p.job.priority, "lock": p.job.lock, "queueing_lock": p.job.queueing_lock,
                 "args": p.job.task_kwargs} for n, p in enumerate(batch)]
        params = {"ttl": self.ttl, "purge": purge, "batch": Jsonb(rows)}
        try:
            async with self.pool.connection() as conn:
                runs = _RACE_RETRIES + len({p.job.queueing_lock for p in batch})
                for attempt in range(runs):
                    try:
                        cur = await conn.execute(_ACCEPT, params)
                        break
                    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected) as exc:
                        # A deadlock failed the whole statement (nothing was recorded), so running it again
                        # is safe; the order above makes one rare (a purge racing a re-recorded id).
                        raced = (isinstance(exc, psycopg.errors.DeadlockDetected)
                                 or exc.diag.constraint_name == QUEUEING_LOCK_CONSTRAINT)
                        if not raced or attempt + 1 == runs:
                            raise
                answers = await cur.fetchall()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
        if purge:
            self._last_purge = time.monotonic()
        return [("queued" if deferred else "coalesced") if new else "duplicate" for new, deferred in answers]

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
