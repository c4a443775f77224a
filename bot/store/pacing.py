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


class PgPacer:
    """Implements bot.github.pacing's `Pacer` protocol across processes.

    `slot(key)` takes a transaction-scoped advisory lock for the key (an installation), waits until the
    key's `next_write_at` (the database clock, so hosts need not agree on time), lets the caller write,
    then sets `next_write_at = now + interval`. The lock is held for the whole write, so writes to one
    installation never overlap no matter how many workers run; a crashed process's lock dies with its
    connection. More workers therefore never means more write pressure on one installation.
    """

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], interval: float = 1.0) -> None:
        self.pool = pool
        self.interval = interval

    @contextlib.asynccontextmanager
    async def slot(self, key: object) -> AsyncIterator[None]:
        name = f"pwb-pace:{key}"
        try:
            conn_cm = self.pool.connection()
            conn = await conn_cm.__aenter__()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
        failed: BaseException | None = None
        try:
            try:
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
                cur = await conn.execute(
                    "SELECT GREATEST(0, EXTRACT(EPOCH FROM next_write_at - clock_timestamp()))::float8"
                    " FROM pwb_write_pacing WHERE key = %s", (name,))
                row = await cur.fetchone()
            except psycopg.Error as exc:
                raise StoreUnavailable(str(exc)) from exc
            wait = float(row[0]) if row else 0.0
            if wait > 0:
                await asyncio.sleep(wait)
            yield
        except BaseException as exc:
            failed = exc
            raise
        finally:
            try:
                if failed is None or not isinstance(failed, StoreUnavailable):
                    await conn.execute(
                        "INSERT INTO pwb_write_pacing (key, next_write_at)"
                        " VALUES (%s, clock_timestamp() + make_interval(secs => %s))"
                        " ON CONFLICT (key) DO UPDATE SET next_write_at = EXCLUDED.next_write_at",
                        (name, self.interval))
            except psycopg.Error:
                # The write itself is done; losing the pacing row only shortens one pause: never mask it.
                log.warning("could not record the next write time", extra={"key": name})
            finally:
                # Commit (releases the xact lock) or roll back on error; closing a broken connection is fine.
                with contextlib.suppress(psycopg.Error):
                    await conn_cm.__aexit__(None, None, None)
