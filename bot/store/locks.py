"""The cross-process lock of one plan's sync: a PostgreSQL session advisory lock on its own connection."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg

from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

_LOCK = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


class PgIssueLocks:
    """`locks(key)` holds the advisory lock of `key` in every process sharing the database.

    Each hold opens a connection of its own rather than borrowing one from the queue's pool: a sync may wait
    here as long as another sync of the same plan runs, and a waiting job must never starve the pool that
    heartbeats, the pacer and the queue need. The lock dies with its connection, so a killed worker never
    leaves a plan locked; a job that stalled (blocked, not dead) keeps it, so its re-run by another worker
    waits instead of writing beside it.
    """

    def __init__(self, database_url: str, *, connect_timeout: float = 10.0) -> None:
        self.database_url = database_url
        self.connect_timeout = connect_timeout

    @contextlib.asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        name = f"pwb-sync:{key}"
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))
        except (psycopg.Error, OSError) as exc:
            raise StoreUnavailable(f"could not lock {key}: {exc}") from exc
        try:
            try:
                await conn.execute(_LOCK, (name,))
            except (psycopg.Error, OSError) as exc:
                raise StoreUnavailable(f"could not lock {key}: {exc}") from exc
            try:
                yield
            finally:
                with contextlib.suppress(psycopg.Error, OSError):
                    await conn.execute(_UNLOCK, (name,))
        finally:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
