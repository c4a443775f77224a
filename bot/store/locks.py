"""The cross-process lock of one plan's sync: a PostgreSQL session advisory lock on its own connection."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg

from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

_LOCK = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


class PgIssueLocks:
    """`locks(key)` holds the advisory lock of `key` in every process sharing the database.

    Each hold uses a connection of its own rather than borrowing one from the queue's pool: a sync may wait
    here as long as another sync of the same plan runs, and a waiting job must never starve the pool that
    heartbeats, the pacer and the queue need. The lock dies with its connection, so a killed worker never
    leaves a plan locked; a job that stalled (blocked, not dead) keeps it, so its re-run by another worker
    waits instead of writing beside it. A connection whose lock was released cleanly is kept (up to `keep`
    idle) for the next sync: connecting costs more than the sync's lock and unlock together.
    """

    def __init__(self, database_url: str, *, connect_timeout: float = 10.0, keep: int = 8) -> None:
        self.database_url = database_url
        self.connect_timeout = connect_timeout
        self.keep = keep
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    async def _connect(self, key: str) -> psycopg.AsyncConnection[Any]:
        try:
            return await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))
        except (psycopg.Error, OSError) as exc:
            raise StoreUnavailable(f"could not lock {key}: {exc}") from exc

    async def _locked(self, key: str, name: str) -> psycopg.AsyncConnection[Any]:
        """A connection holding the lock: a kept one if it still answers, else a new one."""
        while self._idle:
            conn = self._idle.pop()
            try:
                await conn.execute(_LOCK, (name,))
                return conn
            except (psycopg.Error, OSError):  # died while idle (a server restart): drop it, try the next
                await self._discard(conn)
        conn = await self._connect(key)
        try:
            await conn.execute(_LOCK, (name,))
        except (psycopg.Error, OSError) as exc:
            await self._discard(conn)
            raise StoreUnavailable(f"could not lock {key}: {exc}") from exc
        return conn

    @contextlib.asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        name = f"pwb-sync:{key}"
        conn = await self._locked(key, name)
        released = False
        try:
            yield
        finally:
            with contextlib.suppress(psycopg.Error, OSError):
                cur = await conn.execute(_UNLOCK, (name,))
                row = await cur.fetchone()
                released = bool(row and row[0])
            if released and len(self._idle) < self.keep and not conn.closed:
                self._idle.append(conn)
            else:  # closing releases whatever it may still hold
                await self._discard(conn)

    async def close(self) -> None:
        """Close the kept idle connections."""
        while self._idle:
            await self._discard(self._idle.pop())

    @staticmethod
    async def _discard(conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(psycopg.Error, OSError):
            await conn.close()
