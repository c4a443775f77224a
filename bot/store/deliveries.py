"""Delivery-id dedupe in PostgreSQL with expiry, shared by every web process."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import psycopg_pool

from bot.store.errors import StoreUnavailable


class PgDeliveries:
    """Remembers `X-GitHub-Delivery` ids for `ttl` seconds; expired rows count as unseen, purged lazily."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], *, ttl: float = 7 * 24 * 3600,
                 purge_every: float = 300.0) -> None:
        self.pool = pool
        self.ttl = ttl
        self.purge_every = purge_every
        self._last_purge = time.monotonic()

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
