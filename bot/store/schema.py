"""Schema creation and upgrade (procrastinate's migrations and ours, idempotent), and the pool factory."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import psycopg_pool
from procrastinate.schema import SchemaManager

#: Our tables. Delivery ids expire (GitHub redelivers within days, not forever); pacing keeps one row per key,
#: and the write log the last hour's writes per key (GitHub's content limits).
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
CREATE TABLE IF NOT EXISTS pwb_write_log (
    key text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS pwb_write_log_key_at_idx ON pwb_write_log (key, at);
"""

#: Serialises concurrent `db init` runs (two one-shot containers, a test and a command).
_INIT_LOCK = 0x70776230

#: Which of procrastinate's migration scripts this database has had (procrastinate keeps no such record).
MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS pwb_procrastinate_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""
#: A procrastinate schema made before that record existed was made by procrastinate 3.2.1 or later (the
#: lowest version this project declares): every migration up to this one is in it.
OLDEST_SUPPORTED = "03.02.00_50_post_batch_defer_jobs.sql"
#: Later migrations a database may already have although unrecorded, and how to tell. A migration not listed
#: here and not recorded is applied (those up to 3.3 replace their functions, so applying again is harmless).
_ALREADY_THERE = {
    "03.04.00_01_pre_add_retry_failed_job_procedure.sql":
        "SELECT 1 FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
        "WHERE t.typname = 'procrastinate_job_event_type' AND e.enumlabel = 'retried'",
    "03.04.00_50_post_add_retry_failed_job_procedure.sql":
        "SELECT 1 FROM pg_proc WHERE proname = 'procrastinate_retry_job_v2'",
}


def migrations() -> list[tuple[str, str]]:
    """procrastinate's migration scripts shipped with the installed version, in order: (name, SQL)."""
    folder = Path(SchemaManager.get_migrations_path())
    return [(path.name, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.sql"))]


@dataclass
class SchemaReport:
    """What `db init` did: procrastinate's schema created whole, or the migrations it applied."""

    created: bool = False
    migrated: list[str] = field(default_factory=list)


def apply_schema_sync(dsn: str) -> SchemaReport:
    """Create procrastinate's schema (when absent) or bring it up to the installed version, and ours.

    Idempotent and safe to run from several processes at once (an advisory lock serialises them).
    """
    report = SchemaReport()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_INIT_LOCK,))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            present = bool(row and row[0])
            row = conn.execute("SELECT to_regclass('pwb_procrastinate_migrations') IS NOT NULL").fetchone()
            recorded = bool(row and row[0])
            conn.execute(MIGRATIONS_TABLE)
            scripts = migrations()
            if not present:
                # procrastinate's schema is one script of many statements: run it in one transaction.
                with conn.transaction():
                    conn.execute(SchemaManager.get_schema())
                    _record(conn, [name for name, _ in scripts])
                report.created = True
            else:
                if not recorded:
                    _record(conn, [name for name, _ in scripts
                                   if name <= OLDEST_SUPPORTED or _there(conn, name)])
                done = {r[0] for r in conn.execute("SELECT name FROM pwb_procrastinate_migrations")}
                for name, sql in scripts:
                    if name in done:
                        continue
                    with conn.transaction():
                        conn.execute(sql)  # procrastinate's own SQL, as shipped
                        _record(conn, [name])
                    report.migrated.append(name)
            conn.execute(OUR_SCHEMA)
            return report
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_INIT_LOCK,))


def _there(conn: psycopg.Connection[Any], name: str) -> bool:
    probe = _ALREADY_THERE.get(name)
    return probe is not None and conn.execute(probe).fetchone() is not None


def _record(conn: psycopg.Connection[Any], names: list[str]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO pwb_procrastinate_migrations (name) VALUES (%s) ON CONFLICT DO NOTHING",
            [(name,) for name in names])


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


async def _autocommit(conn: psycopg.AsyncConnection[Any]) -> None:
    # Not in the pool's `kwargs`: procrastinate opens its LISTEN connection with them and its own autocommit.
    await conn.set_autocommit(True)


def make_pool(dsn: str, *, max_size: int = 10, timeout: float = 3.0) -> psycopg_pool.AsyncConnectionPool[Any]:
    """A pool shared by procrastinate and our store; not opened. A short `timeout` lets the web answer 503
    quickly while PostgreSQL is down; `check` replaces connections that died in a server restart.

    Connections are in autocommit: every statement of procrastinate's and ours is one statement that must
    commit alone, so psycopg's implicit BEGIN and the COMMIT on return would be two more round trips each."""
    return psycopg_pool.AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        open=False,
        check=_Check(),
        kwargs={"connect_timeout": 3},
        configure=_autocommit,
        reconnect_timeout=3600,
    )
