"""The cross-process lock of one plan's sync: a PostgreSQL session advisory lock on its own connection."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg

from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

_LOCK = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


class _Hold:
    """A hold's connection; `clean` turns False when a lock taken inside it may not have been released."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self.clean = True


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
        #: The hold of these locks this task is inside (a sync holding its plan): a lock taken within it (the
        #: repository's labels) is one more session lock on that connection, not a connection of its own.
        self._outer: contextvars.ContextVar[_Hold | None] = contextvars.ContextVar(
            f"pwb_outer_lock_{id(self)}", default=None)

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
        outer = self._outer.get()
        if outer is not None and not outer.conn.closed:
            async with self._nested(outer, key, name):
                yield
            return
        conn = await self._locked(key, name)
        released = False
        hold = _Hold(conn)
        token = self._outer.set(hold)
        try:
            yield
        finally:
            self._outer.reset(token)
            with contextlib.suppress(psycopg.Error, OSError):
                cur = await conn.execute(_UNLOCK, (name,))
                row = await cur.fetchone()
                released = bool(row and row[0])
            if released and hold.clean and len(self._idle) < self.keep and not conn.closed:
                self._idle.append(conn)
            else:  # closing releases whatever it may still hold
                await self._discard(conn)

    @contextlib.asynccontextmanager
    async def _nested(self, outer: _Hold, key: str, name: str) -> AsyncIterator[None]:
        """A lock taken inside another hold of this task, on its connection, and released before it. One that
        may still be held makes the outer hold close its connection (which releases both) when it ends."""
        was_clean, outer.clean = outer.clean, False
        try:
            await outer.conn.execute(_LOCK, (name,))
        except (psycopg.Error, OSError) as exc:
            raise StoreUnavailable(f"could not lock {key}: {exc}") from exc
        try:
            yield
        finally:
            with contextlib.suppress(psycopg.Error, OSError):
                cur = await outer.conn.execute(_UNLOCK, (name,))
                row = await cur.fetchone()
                # Clean again only if this one was released and no earlier one was left held.
                outer.clean = was_clean and bool(row and row[0])

    async def close(self) -> None:
        """Close the kept idle connections."""
        while self._idle:
            await self._discard(self._idle.pop())

    @staticmethod
    async def _discard(conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(psycopg.Error, OSError):
            await conn.close()
