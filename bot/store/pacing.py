"""Cross-process write pacing per installation: advisory lock + a row with the next allowed write time, and
a log of the last hour's writes for GitHub's content limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import psycopg_pool

from bot.github.pacing import MAX_BUDGET_WAIT, Budget, BudgetWait, Room, default_budget
from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

#: Set a key's next allowed write to now + N seconds.
_UPSERT = (
    "INSERT INTO pwb_write_pacing (key, next_write_at)"
    " VALUES (%(key)s, clock_timestamp() + make_interval(secs => %(secs)s))"
    " ON CONFLICT (key) DO UPDATE SET next_write_at = EXCLUDED.next_write_at"
)
#: The same, only if the key's pause is over; a row comes back when it was taken.
_TAKE_LEASE = _UPSERT + " WHERE pwb_write_pacing.next_write_at <= clock_timestamp() RETURNING 1"
#: Take the key's session advisory lock, then (the lock held) try to take the lease: one round trip. The row
#: to insert comes from the lock's SELECT, so the lock is held before the row is looked at; ON CONFLICT DO
#: UPDATE judges its WHERE on the newest committed version of the row (READ COMMITTED), not on the
#: statement's snapshot, so a pause committed by the previous holder is always seen.
_LOCK_AND_TAKE_LEASE = (
    "WITH locked AS MATERIALIZED (SELECT pg_advisory_lock(hashtext(%(key)s)))"
    " INSERT INTO pwb_write_pacing (key, next_write_at)"
    " SELECT %(key)s, clock_timestamp() + make_interval(secs => %(secs)s) FROM locked"
    " ON CONFLICT (key) DO UPDATE SET next_write_at = EXCLUDED.next_write_at"
    " WHERE pwb_write_pacing.next_write_at <= clock_timestamp() RETURNING 1"
)
#: Set the pause after a write and unlock: one round trip. The unlock runs before the statement commits,
#: which is safe: the next holder's lease statement waits on the row lock until this commits, then sees it.
_PAUSE_AND_UNLOCK = (
    f"WITH paused AS ({_UPSERT} RETURNING 1)"
    " SELECT pg_advisory_unlock(hashtext(%(key)s)) FROM paused"
)
_WAIT = (
    "SELECT EXTRACT(EPOCH FROM next_write_at - clock_timestamp())::float8"
    " FROM pwb_write_pacing WHERE key = %(key)s"
)


#: The database's clock and a key's writes of the last hour, oldest first (Unix seconds).
_WINDOW = (
    "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8,"
    " COALESCE(array_agg(EXTRACT(EPOCH FROM at)::float8 ORDER BY at)"
    " FILTER (WHERE at > clock_timestamp() - interval '1 hour'), '{}')"
    " FROM pwb_write_log WHERE key = %(key)s"
)
#: Log a write now, and forget the key's writes that left the hour.
_RECORD = (
    "WITH gone AS (DELETE FROM pwb_write_log"
    " WHERE key = %(key)s AND at <= clock_timestamp() - interval '1 hour')"
    " INSERT INTO pwb_write_log (key, at) VALUES (%(key)s, clock_timestamp())"
)
_WAIT = (
    "SELECT EXTRACT(EPOCH FROM next_write_at - clock_timestamp())::float8"
    " FROM pwb_write_pacing WHERE key = %(key)s"
)


class _Held:
    """A key's write slot kept between writes of this process: its connection still holds the lock."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], conn_cm: Any, lease_until: float) -> None:
        self.conn = conn
        self.conn_cm = conn_cm
        #: Local time by which the lease committed in the database has surely not ended yet.
        self.lease_until = lease_until
        #: Local time the slot was taken: it is given back `hold` seconds later at the latest.
        self.taken_at = time.monotonic()
        self.last_end = 0.0
        self.writes = 0
        self.release: asyncio.TimerHandle | None = None
        #: The key's logged writes of the last hour (database clock), read once the slot is taken: while the
        #: lock is held no other process writes for the key, so only this slot's own writes are added.
        self.window: list[float] | None = None
        #: The database clock when the window was read, and the local monotonic time then.
        self.db_then = 0.0
        self.local_then = 0.0


class PgPacer:
    """Implements bot.github.pacing's `Pacer` protocol across processes.

    `slot(key)` takes a session advisory lock for the key (an installation), waits until the key's
    `next_write_at` (the database clock, so hosts need not agree on time), and before letting the caller
    write commits a *lease*: `next_write_at = now + span`. The lock is held for the whole write, so
    writes to one installation never overlap however many workers run; more workers never means more write
    pressure on one installation. If a process dies mid-write its lock dies with its connection, but its
    request may still be in flight at GitHub: the lease keeps the next writer waiting until that request has
    surely ended (`lease` ≥ the write timeout; `span` is `lease` plus the longest hold and a second).

    Between writes the slot is kept for this process's next write (a sync writes one after another), the
    interval waited here, so that a run of writes costs two statements, not two a write: the lease is
    renewed only once less than `lease` of it is left, so every write still starts covered by a whole lease.
    The slot is given back once it has been held `hold` seconds (or for `batch` writes), or after `grace`
    seconds (at least the interval) without a write: `next_write_at = last write's end + interval`,
    unlocked; writers of other processes, queued on the lock, then take their turn. Bounding the hold by
    time keeps the turns as fair when writes are paced a second apart as when they are not paced at all.

    With the slot held, GitHub's content limits (`budget`, when it has any) are checked against the key's
    logged writes of the last hour (every worker's): a short wait is waited, a longer one raises
    `BudgetWait`; the write is logged.
    """

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], interval: float = 1.0,
                 lease: float = 10.0, *, hold: float | None = None, batch: int = 100, grace: float = 0.05,
                 keep: int = 4, budget: Budget | None = None) -> None:
        self.pool = pool
        self.interval = interval
        self.budget = budget if budget is not None else default_budget(interval)
        #: No limits (unpaced, the local GitHub): no write is logged or counted.
        self._counts = self.budget.per_minute is not None or self.budget.per_hour is not None
        self.lease = max(lease, interval)
        #: How long a slot is kept: by default the time five paced writes take, and at least a quarter second
        #: (unpaced, a whole sync's writes then go in one hold).
        self.hold = max(5 * interval, 0.25) if hold is None else max(0.0, hold)
        self.batch = max(1, batch)
        self.grace = max(grace, interval)
        #: The lease committed when the slot is taken or renewed: a whole `lease` for the write about to
        #: start, plus the longest the slot is held (so it is seldom renewed within a hold).
        self.span = self.lease + self.hold + 1.0
        #: Keys whose slot may be kept at once (each holds one of the pool's connections meanwhile).
        self.keep = keep
        self._local: dict[str, asyncio.Lock] = {}
        self._held: dict[str, _Held] = {}
        self._releasing: set[asyncio.Future[None]] = set()

    @contextlib.asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold the write slot of `key` across every process (StoreUnavailable when PostgreSQL is down)."""
        name = f"pwb-pace:{key}"
        local = self._local.setdefault(name, asyncio.Lock())
        async with local:
            held = self._held.pop(name, None)
            if held is not None and held.release is not None:
                held.release.cancel()
                held.release = None
            if held is not None:
                kept = held
                try:
                    held = await self._continue(kept, name)
                except BaseException:  # cancelled while waiting out the interval: give the slot back
                    await self._release(kept, name)
                    raise
            if held is None:
                held = await self._take(name)
            try:
                if self._counts:
                    await self._within_budget(held, name)
                yield
            finally:
                held.last_end = time.monotonic()
                held.writes += 1
                spent = held.last_end - held.taken_at >= self.hold
                if spent or held.writes >= self.batch or len(self._held) >= self.keep:
                    await self._release(held, name)
                else:
                    self._held[name] = held
                    held.release = asyncio.get_running_loop().call_later(
                        self.grace, self._start_release_idle, name, held)

    async def _take(self, name: str) -> _Held:
        conn_cm = self.pool.connection()
        try:
            conn = await conn_cm.__aenter__()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
        try:
            lease_until = await self._acquire(conn, name)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            with contextlib.suppress(Exception):
                await conn_cm.__aexit__(None, None, None)
            raise StoreUnavailable(str(exc)) from exc
        except BaseException:
            with contextlib.suppress(Exception):
                await conn_cm.__aexit__(None, None, None)
            raise
        return _Held(conn, conn_cm, lease_until)

    async def _continue(self, held: _Held, name: str) -> _Held | None:
        """The kept slot, after the interval since its last write and with a whole lease ahead; None when
        its connection failed (then it is closed, which releases the lock, and the slot is taken anew)."""
        wait = held.last_end + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if held.lease_until - time.monotonic() >= self.lease:
            return held
        try:
            sent = time.monotonic()
            await held.conn.execute(_UPSERT, {"key": name, "secs": self.span})
            held.lease_until = sent + self.span
            return held
        except (psycopg.Error, OSError):
            await self._discard(held.conn)
            with contextlib.suppress(Exception):
                await held.conn_cm.__aexit__(None, None, None)
            return None

    def _start_release_idle(self, name: str, held: _Held) -> None:
        task = asyncio.ensure_future(self._release_idle(name, held))
        self._releasing.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._releasing.discard)

    async def _release_idle(self, name: str, held: _Held) -> None:
        """Give back a slot no write of this process came for within `grace`."""
        local = self._local.setdefault(name, asyncio.Lock())
        async with local:
            if self._held.get(name) is held:
                del self._held[name]
                await self._release(held, name)

    async def close(self) -> None:
        """Give back every kept slot (before the pool closes)."""
        for name, held in list(self._held.items()):
            if held.release is not None:
                held.release.cancel()
            async with self._local.setdefault(name, asyncio.Lock()):
                if self._held.get(name) is held:
                    del self._held[name]
                    await self._release(held, name)

    async def room(self, key: str, want: int) -> Room:
        """What of `want` writes for `key` may go now (every worker's writes counted), and when the rest
        fits (local Unix time)."""
        if not self._counts:  # no content limits: only the job's slice bounds it, no window to read
            now = time.time()
            return self.budget.room([], now, want, self.interval)
        try:
            async with self.pool.connection() as conn:
                db_now, times = await self._window(conn, f"pwb-pace:{key}")
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(str(exc)) from exc
        room = self.budget.room(times, db_now, want, self.interval)
        return Room(room.writes, time.time() + (room.resume_at - db_now))

    @staticmethod
    async def _window(conn: psycopg.AsyncConnection[Any], name: str) -> tuple[float, list[float]]:
        cur = await conn.execute(_WINDOW, {"key": name})
        row = await cur.fetchone()
        assert row is not None  # an aggregate always answers one row
        return float(row[0]), [float(x) for x in row[1]]

    async def _within_budget(self, held: _Held, name: str) -> None:
        """The slot held: wait for room in the content limits (or raise BudgetWait), then log the write. The
        window is read from the database once a slot (the lock held throughout), then kept here."""
        try:
            if held.window is None:
                held.db_then, held.window = await self._window(held.conn, name)
                held.local_then = time.monotonic()
            db_now = held.db_then + (time.monotonic() - held.local_then)
            at = self.budget.fits_at(held.window, db_now)
            if at - db_now > MAX_BUDGET_WAIT:
                raise BudgetWait(time.time() + (at - db_now), reason="GitHub's hourly content limit")
            if at > db_now:
                await asyncio.sleep(at - db_now)
            await held.conn.execute(_RECORD, {"key": name})
            held.window.append(held.db_then + (time.monotonic() - held.local_then))
        except psycopg.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def _acquire(self, conn: psycopg.AsyncConnection[Any], name: str) -> float:
        """Lock the key and commit a lease; the local time the lease surely lasts until."""
        try:
            # Autocommit (make_pool's connections are): each statement commits at once (the session lock
            # outlives it), and no BEGIN is sent.
            if not conn.autocommit:
                await conn.set_autocommit(True)
            # Lock, and take the lease if the previous write's pause is over (committed before we write: it
            # survives our death); otherwise learn how long to wait, and try again with the lock held.
            sent = time.monotonic()
            cur = await conn.execute(_LOCK_AND_TAKE_LEASE, {"key": name, "secs": self.span})
            while await cur.fetchone() is None:
                cur = await conn.execute(_WAIT, {"key": name})
                row = await cur.fetchone()
                wait = float(row[0]) if row else 0.0
                if wait > 0:
                    await asyncio.sleep(wait)
                sent = time.monotonic()
                cur = await conn.execute(_TAKE_LEASE, {"key": name, "secs": self.span})
            return sent + self.span
        except BaseException:
            await self._discard(conn)
            raise

    async def _release(self, held: _Held, name: str) -> None:
        """Pause until the interval after the last write has passed, and unlock; the connection goes back."""
        conn = held.conn
        try:
            pause = max(0.0, held.last_end + self.interval - time.monotonic())
            cur = await conn.execute(_PAUSE_AND_UNLOCK, {"key": name, "secs": pause})
            row = await cur.fetchone()
            if not (row and row[0]):
                raise RuntimeError("the write slot's advisory lock was not held")
        except BaseException:
            # The write is done; never mask its outcome. A connection that may still hold the lock is closed,
            # which releases the lock (the lease then bounds the pause).
            log.warning("could not release the write slot cleanly", extra={"key": name})
            await self._discard(conn)
        finally:
            with contextlib.suppress(Exception):
                await held.conn_cm.__aexit__(None, None, None)

    @staticmethod
    async def _discard(conn: psycopg.AsyncConnection[Any]) -> None:
        with contextlib.suppress(Exception):
            await conn.close()
