"""The plan's advisory lock (bot.store.locks) on a real PostgreSQL: one holder at a time, any connection."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import PgIssueLocks, StoreUnavailable


async def test_a_second_holder_waits_until_the_first_releases(pg_dsn: str) -> None:
    first, second = PgIssueLocks(pg_dsn), PgIssueLocks(pg_dsn)  # as two processes would
    order: list[str] = []
    release = asyncio.Event()
    held = asyncio.Event()

    async def one() -> None:
        async with first("issue:octo/sandbox#4"):
            order.append("one in")
            held.set()
            await release.wait()
            order.append("one out")

    async def two() -> None:
        await held.wait()
        async with second("issue:octo/sandbox#4"):
            order.append("two in")

    tasks = [asyncio.ensure_future(one()), asyncio.ensure_future(two())]
    await asyncio.wait_for(held.wait(), 10)
    await asyncio.sleep(0.3)  # long enough for `two` to take the lock if nothing stopped it
    assert order == ["one in"]
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert order == ["one in", "one out", "two in"]


async def test_other_plans_do_not_wait_and_a_failure_releases(pg_dsn: str) -> None:
    locks = PgIssueLocks(pg_dsn)
    with pytest.raises(RuntimeError):
        async with locks("issue:octo/sandbox#4"), locks("issue:octo/sandbox#5"):  # another plan: no wait
            raise RuntimeError("sync failed")
    async with asyncio.timeout(5):  # released by the failure: taken again at once
        async with locks("issue:octo/sandbox#4"):
            pass


async def test_unreachable_postgres_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        async with PgIssueLocks("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)("k"):
            pass


async def test_a_released_connection_is_kept_and_a_dead_one_replaced(pg_dsn: str) -> None:
    import psycopg

    locks = PgIssueLocks(pg_dsn)
    try:
        async with locks("issue:octo/sandbox#4"):
            pass
        assert len(locks._idle) == 1
        kept = locks._idle[0]
        async with locks("issue:octo/sandbox#4"):
            assert locks._idle == []  # the kept connection holds this lock
        assert locks._idle == [kept]
        # The server ends the idle connection (a restart, an idle timeout): the next sync connects again.
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (kept.info.backend_pid,))
        async with asyncio.timeout(10), locks("issue:octo/sandbox#4"):
            assert locks._idle == []
        assert len(locks._idle) == 1 and locks._idle[0] is not kept
    finally:
        await locks.close()
    assert locks._idle == []


async def test_a_lock_inside_a_hold_shares_its_connection_and_is_released_first(pg_dsn: str) -> None:
    """The labels' lock taken inside a plan's: no second connection; released when its block ends (another
    process takes it while the plan's is still held); a failure inside leaves nothing held."""
    locks, other = PgIssueLocks(pg_dsn), PgIssueLocks(pg_dsn)
    try:
        async with locks("issue:octo/sandbox#4"):
            async with locks("labels:octo/sandbox"):
                assert not locks._idle
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.3), other("labels:octo/sandbox"):
                        pass
            async with asyncio.timeout(5), other("labels:octo/sandbox"):  # released: taken at once
                pass
            with pytest.raises(RuntimeError):
                async with locks("labels:octo/sandbox"):
                    raise RuntimeError("a write failed")
        assert len(locks._idle) == 1  # released cleanly: kept for the next sync
        async with asyncio.timeout(5), other("issue:octo/sandbox#4"), other("labels:octo/sandbox"):
            pass
    finally:
        await locks.close()
        await other.close()
