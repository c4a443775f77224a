"""Cross-process write pacing per installation: advisory lock + a row with the next allowed write time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import psycopg_pool

from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

#: Set a key's next allowed write to now + N seconds.
_UPSERT = (
    "INSERT INTO pwb_write_pacing (key, next_write_at)"
    " VALUES (%s, clock_timestamp() + make_interval(secs => %s))"
    " ON CONFLICT (key) DO UPDATE SET next_write_at = EXCLUDED.next_write_at"
)
#: The same, only if the key's pause is over; a row comes back when it was taken.
_TAKE_LEASE = _UPSERT + " WHERE pwb_write_pacing.next_write_at <= clock_timestamp() RETURNING 1"


class PgPacer:
    """Implements bot.github.pacing's `Pacer` protocol across processes.

    `slot(key)` takes a session advisory lock for the key (an installation), waits until the key's
    `next_write_at` (the database clock, so hosts need not agree on time), and before letting the caller
    write commits a *lease*: `next_write_at = now + lease`. After the write it sets `next_write_at = now +
    interval` and unlocks. The lock is held for the whole write, so writes to one installation never overlap
    however many workers run; more workers never means more write pressure on one installation. If a process
    dies mid-write its lock dies with its connection, but its request may still be in flight at GitHub: the
    lease keeps the next writer waiting until that request has surely ended (`lease` ≥ the write timeout).
    """

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], interval: float = 1.0,
                 lease: float = 10.0) -> None:
        self.pool = pool
        self.interval = interval
        self.lease = max(lease, interval)

    @contextlib.asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold the write slot of `key` across every process (StoreUnavailable when PostgreSQL is down)."""
        name = f"pwb-pace:{key}"
        conn_cm = self.pool.connection()
        try:
            conn = await conn_cm.__aenter__()
            await self._acquire(conn, name)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            with contextlib.suppress(Exception):
                await conn_cm.__aexit__(None, None, None)
            raise StoreUnavailable(str(exc)) from exc
        try:
            yield
        finally:
            await self._release(conn, name)
            with contextlib.suppress(Exception):
                await conn_cm.__aexit__(None, None, None)

    async def _acquire(self, conn: psycopg.AsyncConnection[Any], name: str) -> None:
        try:
            # Autocommit: each statement commits at once (the session lock outlives it): 4 round trips.
            await conn.set_autocommit(True)
            await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
            while True:
                # Take the lease if the previous write's pause is over (committed before we write: it
                # survives our death); otherwise learn how long to wait.
                cur = await conn.execute(_TAKE_LEASE, (name, self.lease))
                if await cur.fetchone() is not None:
                    return
                cur = await conn.execute(
                    "SELECT EXTRACT(EPOCH FROM next_write_at - clock_timestamp())::float8"
                    " FROM pwb_write_pacing WHERE key = %s", (name,))
                row = await cur.fetchone()
                wait = float(row[0]) if row else 0.0
                if wait > 0:
                    await asyncio.sleep(wait)
        except BaseException:
            await self._discard(conn)
            raise

    async def _release(self, conn: psycopg.AsyncConnection[Any], name: str) -> None:
        try:
            # The new time is committed before unlocking (unlocking is not transactional).
            await conn.execute(_UPSERT, (name, self.interval))
            await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
            await conn.set_autocommit(False)
        except BaseException:
            # The write is done; never mask its outcome. A connection that may still hold the lock is closed,
            # which releases the lock (the lease then bounds the pause).
            log.warning("could not release the write slot cleanly", extra={"key": name})
            await self._discard(conn)

    @staticmethod
    async def _discard(conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(Exception):
            await conn.close()
