"""Schema creation (procrastinate's and ours, idempotent) and the shared connection pool factory."""

from __future__ import annotations

import time
import weakref
from typing import Any

import psycopg
import psycopg_pool
from procrastinate.schema import SchemaManager

#: Our tables. Delivery ids expire (GitHub redelivers within days, not forever); pacing keeps one row per key.
OUR_SCHEMA = """
CREATE TABLE IF NOT EXISTS pwb_deliveries (
    delivery_id text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS pwb_deliveries_expires_idx ON pwb_deliveries (expires_at);
CREATE TABLE IF NOT EXISTS pwb_write_pacing (
    key text PRIMARY KEY,
    next_write_at timestamptz NOT NULL
);
"""

#: Serialises concurrent `db init` runs (two one-shot containers, a test and a command).
_INIT_LOCK = 0x70776230


def apply_schema_sync(dsn: str) -> bool:
    """Create procrastinate's schema (when absent) and ours. Idempotent; True if procrastinate's was new."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_INIT_LOCK,))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            created = not (row and row[0])
            if created:
                # procrastinate's schema is one script of many statements: run it in one transaction.
                with conn.transaction():
                    conn.execute(SchemaManager.get_schema())
            conn.execute(OUR_SCHEMA)
            return created
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_INIT_LOCK,))


#: A connection handed out this recently (seconds) is not probed again when handed out once more.
RECENTLY_CHECKED = 0.5


class _Check:
    """The pool's `check`: probe a connection (one round trip) before handing it out, unless it was
    probed within `RECENTLY_CHECKED` s. Under load the same few connections go round many times a second,
    and a probe for each checkout was a good part of a worker's CPU; a connection that died in between
    fails like one dying just after its probe would, and the pool replaces it."""

    def __init__(self) -> None:
        self._checked: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary())

    async def __call__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        now = time.monotonic()
        last = self._checked.get(conn)
        if last is not None and now - last < RECENTLY_CHECKED and not conn.broken:
            return
        await psycopg_pool.AsyncConnectionPool.check_connection(conn)
        self._checked[conn] = now


def make_pool(dsn: str, *, max_size: int = 10, timeout: float = 3.0) -> psycopg_pool.AsyncConnectionPool[Any]:
    """A pool shared by procrastinate and our store; not opened. A short `timeout` lets the web answer 503
    quickly while PostgreSQL is down; `check` replaces connections that died in a server restart."""
    return psycopg_pool.AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        open=False,
        check=_Check(),
        kwargs={"connect_timeout": 3},
        reconnect_timeout=3600,
    )
