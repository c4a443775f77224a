"""The PostgreSQL store on a real server: `db init`, delivery dedupe with expiry, pacing across processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import textwrap
from typing import Any

import psycopg
import pytest

from bot.sandbox import Sandbox
from bot.store import PgDeliveries, make_pool
from tests.environment import process_env
from tests.fixtures.postgres import PgServer
from tests.fixtures.sandbox import REPO
from tests.paths import ROOT


def empty_database(pg_server: PgServer, name: str) -> str:
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.dsn(name)


def test_db_init_creates_the_schema_and_is_idempotent(pg_server: PgServer) -> None:
    dsn = empty_database(pg_server, f"pwb_init_{os.getpid()}")
    env = process_env(ROOT, DATABASE_URL=dsn)
    outputs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "bot", "db", "init"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert "schema created" in outputs[0]
    assert "already present" in outputs[1]
    with psycopg.connect(dsn) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert {"procrastinate_jobs", "procrastinate_workers", "pwb_deliveries", "pwb_write_pacing"} <= tables


def test_db_init_without_a_url_says_so() -> None:
    env = process_env(ROOT)
    done = subprocess.run([sys.executable, "-m", "bot", "db", "init"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "DATABASE_URL is not set" in done.stderr


async def test_delivery_ids_recorded_once_and_expire(pg_dsn: str) -> None:
    pool = make_pool(pg_dsn)
    await pool.open()
    try:
        deliveries = PgDeliveries(pool, ttl=0.4, purge_every=0.0)
        assert await deliveries.record("abc") is False
        assert await deliveries.record("abc") is True
        assert await deliveries.seen("abc") is True
        assert await deliveries.seen("other") is False
        await asyncio.sleep(0.5)
        assert await deliveries.seen("abc") is False  # expired: a redelivery much later is new work
        assert await deliveries.record("abc") is False
        assert await deliveries.record("abc") is True
    finally:
        await pool.close()


PACED_WRITER = textwrap.dedent("""
    import asyncio, sys
    import aiohttp
    from bot.github.client import GitHubClient
    from bot.store import PgPacer, make_pool

    async def main(dsn, base_url, token, number, tag, count, interval):
        pool = make_pool(dsn)
        await pool.open()
        async with aiohttp.ClientSession() as session:
            pacer = PgPacer(pool, interval=interval)
            gh = GitHubClient(session, base_url=base_url, oauth_token=token, pacer=pacer,
                              pacer_key="installation:1")
            print("ready", flush=True)
            sys.stdin.readline()  # start together with the other process
            for i in range(count):
                await gh.post(f"/repos/octo/sandbox/issues/{number}/comments", data={"body": f"{tag} {i}"})
            await pacer.close()  # gives back the slot kept after the last write
        await pool.close()

    dsn, base_url, token, number, tag, count, interval = sys.argv[1:]
    asyncio.run(main(dsn, base_url, token, int(number), tag, int(count), float(interval)))
""")


async def test_write_pacing_holds_across_two_processes(sandbox: Sandbox, pg_dsn: str) -> None:
    number = sandbox.create_issue(REPO, "paced")["number"]
    interval, count = 0.05, 12
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", PACED_WRITER, pg_dsn, sandbox.base_url, sandbox.token, str(number), tag,
            str(count), str(interval), cwd=str(ROOT), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for tag in ("p1", "p2")
    ]
    try:
        await _run_together(procs)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    writes = sorted(sandbox.writes(), key=lambda e: e.start)
    assert len(writes) == 2 * count
    for before, after in itertools.pairwise(writes):
        assert before.end <= after.start, "two writes of one installation overlapped"
        assert after.start - before.end >= interval * 0.9, "writes closer than the pacing interval"
    bodies = [c["body"] for c in sandbox.snapshot(REPO)["issues"][str(number)]["comments"]]
    assert sorted(bodies) == sorted(f"{tag} {i}" for tag in ("p1", "p2") for i in range(count))
    # Both processes were writing during the same period (otherwise nothing was tested).
    order = [b.split()[0] for b in bodies]
    first = {tag: order.index(tag) for tag in ("p1", "p2")}
    last = {tag: len(order) - 1 - order[::-1].index(tag) for tag in ("p1", "p2")}
    assert first["p1"] < last["p2"] and first["p2"] < last["p1"]


async def _run_together(procs: list[asyncio.subprocess.Process]) -> None:
    """Wait until every writer is ready, start them at once, wait for them to finish."""
    for proc in procs:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    for proc in procs:
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()


def test_worker_without_database_url_says_so(app_keys: Any) -> None:
    env = process_env(ROOT, GITHUB_APP_ID="1", GITHUB_PRIVATE_KEY=app_keys.private_pem,
                      GITHUB_WEBHOOK_SECRET="s" * 20)
    done = subprocess.run([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "DATABASE_URL is not set" in done.stderr


def test_compose_file_runs_postgres_init_two_webs_and_two_workers() -> None:
    import yaml

    from bot.cli import build_parser

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    parser = build_parser()
    commands = {}
    for name, service in services.items():
        if "command" in service:
            assert service["command"][0] == "parallel-work-bot"
            args = parser.parse_args(service["command"][1:])  # every command is one the CLI knows
            commands[name] = args.command
    assert services["postgres"]["image"].startswith("postgres:")
    assert commands["db-init"] == "db"
    webs = [n for n, c in commands.items() if c == "serve"]
    assert len(webs) == 2
    assert commands["worker"] == "worker" and services["worker"]["deploy"]["replicas"] == 2
    for name in [*webs, "worker"]:
        assert services[name]["depends_on"]["db-init"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert services["db-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def _schema_objects(dsn: str) -> set[tuple[str, str]]:
    """procrastinate's tables, columns, functions and enum values: what its migrations change."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT 'column', table_name || '.' || column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name LIKE 'procrastinate%' "
            "UNION SELECT 'function', proname || '(' || pg_get_function_identity_arguments(oid) || ')' "
            "FROM pg_proc WHERE proname LIKE 'procrastinate%' "
            "UNION SELECT 'enum', t.typname || '.' || e.enumlabel FROM pg_enum e "
            "JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname LIKE 'procrastinate%'").fetchall()
    return {(kind, name) for kind, name in rows}


def test_db_init_upgrades_a_schema_made_by_an_older_procrastinate(pg_server: PgServer) -> None:
    """A database whose schema an older procrastinate made (its migrations up to 3.2, no record of ours)
    is brought to the installed version's schema by `db init`, once; a fresh one gets the same schema."""
    from bot.store.schema import OLDEST_SUPPORTED, migrations

    old = empty_database(pg_server, f"pwb_old_{os.getpid()}")
    with psycopg.connect(old, autocommit=True) as conn:
        for name, sql in migrations():
            if name <= OLDEST_SUPPORTED:
                conn.execute(sql)  # type: ignore[call-overload]
    fresh = empty_database(pg_server, f"pwb_fresh_{os.getpid()}")
    env = process_env(ROOT, DATABASE_URL=fresh)
    subprocess.run([sys.executable, "-m", "bot", "db", "init"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    # The migrations the installed procrastinate has beyond the oldest supported schema (none when the
    # lowest declared version is installed, as in CI's lowest-versions run).
    pending = [name for name, _ in migrations() if name > OLDEST_SUPPORTED]
    assert (_schema_objects(old) != _schema_objects(fresh)) == bool(pending)
    outputs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "bot", "db", "init"],
                              env=process_env(ROOT, DATABASE_URL=old), cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    if pending:
        assert "upgraded" in outputs[0] and all(name in outputs[0] for name in pending)
    else:
        assert "up to date" in outputs[0]
    assert "up to date" in outputs[1]
    assert _schema_objects(old) == _schema_objects(fresh)


async def traced(pool: Any, path: Any) -> Any:
    """Trace every message of the pool's one connection into the file `path` (opened here, returned)."""
    from psycopg import pq

    trace = path.open("w+b")
    async with pool.connection() as conn:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
    return trace


def _round_trips(trace: str) -> list[str]:
    """The statements a libpq trace shows sent (a Parse, or a simple Query that is not the pool's empty
    probe), and any transaction control."""
    sent = []
    for line in trace.splitlines():
        side, _, message, text = [*line.split("\t", 3), "", "", "", ""][:4]
        text = text.strip()
        statement = side == "F" and (message == "Parse" or (message == "Query" and text != '""'))
        control = side == "B" and message == "CommandComplete" and text in ('"BEGIN"', '"COMMIT"')
        if statement or control:
            sent.append(text)
    return sent


async def test_one_delivery_is_one_statement_in_one_transaction(pg_dsn: str, tmp_path: Any) -> None:
    """Dedupe and enqueue together: a new delivery, one coalesced into the waiting job and a redelivery are
    each one statement on the wire and no BEGIN/COMMIT (autocommit: the statement is the transaction)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app.web import create_app
    from bot.config import given_settings
    from bot.jobs.queue import JobQueue
    from bot.metrics import Metrics
    from bot.sandbox.delivery import dumps, webhook_headers
    from tests.fixtures.app import SECRET, real_payload
    from tests.paths import SEED

    payload = real_payload("issue_comment.created.json")
    payload["comment"]["body"] = SEED.read_text(encoding="utf-8")
    payload["comment"]["author_association"] = "OWNER"
    payload["issue"].pop("pull_request", None)
    body = dumps(payload)
    queue = JobQueue(None, database_url=pg_dsn, pool_size=1)  # one connection: every statement on it
    await queue.open()
    assert queue.pool is not None
    await queue.pool.wait()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics())
    try:
        trace = await traced(queue.pool, tmp_path / "trace")
        seen = 0
        outcomes = []
        async with TestClient(TestServer(app)) as http:
            for delivery in ("d-first", "d-second", "d-first"):
                headers = webhook_headers("issue_comment", delivery, body, SECRET)
                async with http.post("/webhook", data=body, headers=headers) as resp:
                    outcomes.append((resp.status, (await resp.json())["outcome"]))
                trace.seek(0)
                text = trace.read().decode()
                sent = _round_trips(text[seen:])
                seen = len(text)
                assert len(sent) == 1 and sent[0].startswith('"" "WITH batch'), (delivery, sent)
        assert outcomes == [(202, "queued"), (202, "coalesced"), (200, "duplicate")]
        with psycopg.connect(pg_dsn) as check:
            jobs = check.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'").fetchone()
            ids = {r[0] for r in check.execute("SELECT delivery_id FROM pwb_deliveries").fetchall()}
        assert jobs == (1,) and ids == {"d-first", "d-second"}
    finally:
        await queue.close()


def test_the_intake_calls_the_defer_function_procrastinate_calls() -> None:
    """The intake defers through procrastinate's SQL function directly: the installed procrastinate's own
    `defer_jobs` query must still call that function with that argument type."""
    from procrastinate import sql

    from bot.store.deliveries import DEFER_FUNCTION

    assert f"{DEFER_FUNCTION}(" in sql.queries["defer_jobs"]
    assert "::procrastinate_job_to_defer_v1[]" in sql.queries["defer_jobs"]


async def test_concurrent_deliveries_of_one_plan_queue_one_job(pg_dsn: str) -> None:
    """Deliveries of one plan racing in two web processes (two pools): one job queued, every other delivery
    coalesced into it (a statement that lost the race on procrastinate's queueing lock is run again), all
    recorded."""
    from bot.jobs.queue import JobQueue
    from bot.jobs.request import JobRequest

    queues = [JobQueue(None, database_url=pg_dsn, pool_size=4) for _ in range(2)]
    for queue in queues:
        await queue.open()
    try:
        for round_ in range(3):
            requests = [JobRequest(installation_id=1, owner="o", repo="r", number=7 + round_,
                                   delivery_id=f"d-{round_}-{i}") for i in range(16)]
            outcomes = await asyncio.gather(*(queues[i % 2].accept(r) for i, r in enumerate(requests)))
            assert sorted(outcomes) == ["coalesced"] * 15 + ["queued"], outcomes
            again = await asyncio.gather(*(queues[i % 2].accept(r) for i, r in enumerate(requests)))
            assert again == ["duplicate"] * 16
        assert await queues[0].pending() == 3
    finally:
        for queue in queues:
            await queue.close()


async def test_deliveries_that_arrive_together_are_accepted_in_one_statement(
    pg_dsn: str, tmp_path: Any,
) -> None:
    """Group commit: deliveries arriving while none is on the wire go in one statement, and each still gets
    its own outcome: a redelivery within the batch is a duplicate, a second delivery of a plan is coalesced
    into the job the first one queued, a delivery without an id is never a duplicate."""

    from bot.jobs.queue import JobQueue
    from bot.jobs.request import JobRequest

    queue = JobQueue(None, database_url=pg_dsn, pool_size=1)
    await queue.open()
    assert queue.pool is not None
    await queue.pool.wait()
    try:
        trace = await traced(queue.pool, tmp_path / "trace")

        def request(number: int, delivery: str | None) -> JobRequest:
            return JobRequest(installation_id=1, owner="o", repo="r", number=number, delivery_id=delivery)

        batch = [request(1, "a"), request(1, "a"), request(1, "b"), request(2, "c"), request(2, None),
                 request(3, None), request(3, "a")]
        outcomes = await asyncio.gather(*(queue.accept(r) for r in batch))
        assert outcomes == ["queued", "duplicate", "coalesced", "queued", "coalesced", "queued", "duplicate"]
        trace.seek(0)
        sent = _round_trips(trace.read().decode())
        assert len(sent) == 1 and sent[0].startswith('"" "WITH batch'), sent
        assert await queue.pending() == 3
        with psycopg.connect(pg_dsn) as check:
            ids = {r[0] for r in check.execute("SELECT delivery_id FROM pwb_deliveries").fetchall()}
        assert ids == {"a", "b", "c"}
    finally:
        await queue.close()


async def test_a_run_of_writes_keeps_the_write_slot_and_gives_it_back(pg_dsn: str, tmp_path: Any) -> None:
    """Ten writes in a row by one process: the slot is taken and given back once a batch (two statements a
    batch of five, not two a write); with no write for `grace` it is given back, and another process's
    pacer then takes it, the interval after the last write."""
    import time

    from bot.store import PgPacer

    pool = make_pool(pg_dsn, max_size=1)  # one connection: every statement of the pacer on it
    other_pool = make_pool(pg_dsn, max_size=1)
    await pool.open(wait=True)
    await other_pool.open(wait=True)
    try:
        trace = await traced(pool, tmp_path / "trace")
        pacer = PgPacer(pool, interval=0.0, batch=5, grace=0.2)
        for _ in range(10):
            async with pacer.slot("installation:1"):
                pass
        trace.seek(0)
        sent = _round_trips(trace.read().decode())
        assert len(sent) == 4, sent  # lock+lease and pause+unlock, for each batch of five
        # One more write: the slot is kept after it (the batch is not full) ...
        async with pacer.slot("installation:1"):
            pass
        last = time.monotonic()
        other = PgPacer(other_pool, interval=0.3)
        async with asyncio.timeout(10), other.slot("installation:1"):
            # ... and given back after `grace` (0.2 s): then the other process may write.
            assert time.monotonic() - last >= 0.2
        await other.close()
        await pacer.close()
    finally:
        await pool.close()
        await other_pool.close()


async def test_a_worker_keeps_a_write_slot_for_each_job_it_runs_at_once(pg_dsn: str, tmp_path: Any) -> None:
    """A worker running eight jobs at once, each writing three times for its own installation, takes and gives
    back each slot once: two statements a job, not two a write for the jobs beyond a fixed few."""
    import contextlib

    from psycopg import pq

    from bot.jobs.queue import JobQueue

    jobs, writes = 8, 3
    queue = JobQueue(None, database_url=pg_dsn, pool_size=jobs * 2 + 4, write_interval=0.0)  # as `worker`
    await queue.open()
    assert queue.pool is not None and queue.pacer is not None
    await queue.pool.wait()
    traces = []
    async with contextlib.AsyncExitStack() as stack:  # every connection of the pool, traced
        conns = [await stack.enter_async_context(queue.pool.connection()) for _ in range(jobs * 2 + 4)]
        for i, conn in enumerate(conns):
            trace = (tmp_path / f"trace{i}").open("w+b")
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            traces.append(trace)
    pacer = queue.pacer
    try:
        async def job(i: int) -> None:
            for _ in range(writes):
                async with pacer.slot(f"installation:{i}"):
                    await asyncio.sleep(0.005)  # the write
                await asyncio.sleep(0.01)  # what the job reads before its next write: its slot is kept

        await asyncio.gather(*(job(i) for i in range(jobs)))
        await pacer.close()
        executed = 0
        for trace in traces:
            trace.seek(0)
            lines = trace.read().splitlines()
            executed += sum(line.startswith(b"F\t") and b"\tBind\t" in line for line in lines)
        assert executed == 2 * jobs  # lock+lease, pause+unlock: once a job
    finally:
        for trace in traces:
            trace.close()
        await queue.close()


async def test_the_write_slot_is_held_for_a_bounded_time_whatever_the_pacing(
    pg_dsn: str, tmp_path: Any,
) -> None:
    """Unpaced, a whole sync's writes go in one hold (two statements); paced, the hold ends after `hold`
    seconds even though the count cap is far off, and the next write takes the slot anew."""
    import time

    from bot.store import PgPacer

    pool = make_pool(pg_dsn, max_size=1)
    await pool.open(wait=True)
    try:
        trace = await traced(pool, tmp_path / "trace")
        unpaced = PgPacer(pool, interval=0.0, grace=5.0)
        for _ in range(30):
            async with unpaced.slot("installation:1"):
                pass
        await unpaced.close()
        trace.seek(0)
        assert len(_round_trips(trace.read().decode())) == 2  # lock+lease, pause+unlock
        paced = PgPacer(pool, interval=0.1, hold=0.35, grace=5.0)
        started = time.monotonic()
        for _ in range(8):
            async with paced.slot("installation:2"):
                pass
        await paced.close()
        trace.seek(0)
        takes = [t for t in _round_trips(trace.read().decode()) if "pg_advisory_lock" in t]
        # 8 writes 0.1 s apart take about 0.7 s: held 0.35 s at a time, so taken two or three times.
        assert time.monotonic() - started >= 0.7 * 0.9
        assert 1 + 2 <= len(takes) <= 1 + 4, takes
    finally:
        await pool.close()


async def test_the_content_budget_is_read_once_a_slot_and_counts_the_slots_own_writes(
    pg_dsn: str, tmp_path: Any,
) -> None:
    """With content limits, the hour's log is read once when the slot is taken (no other process writes for
    the key while it is held), and each write adds one statement, its log row; the writes made within the
    slot count against the limit all the same."""

    from bot.github.pacing import Budget, BudgetWait
    from bot.store import PgPacer

    pool = make_pool(pg_dsn, max_size=1)
    await pool.open(wait=True)
    try:
        trace = await traced(pool, tmp_path / "trace")
        pacer = PgPacer(pool, interval=0.0, batch=5, grace=0.2, budget=Budget(per_minute=80, per_hour=500))
        for _ in range(10):
            async with pacer.slot("installation:1"):
                pass
        trace.seek(0)
        # Every statement executed is one Bind (a repeated one is prepared, so not parsed each time).
        executed = [line for line in trace.read().decode().splitlines()
                    if [*line.split("\t"), "", ""][0:3:2] == ["F", "Bind"]]
        # Per batch of five: lock+lease, the hour's log, five log rows, pause+unlock.
        assert len(executed) == 2 * (1 + 1 + 5 + 1), executed
        assert (await pacer.room("installation:1", want=600)).writes == 490  # the hour's log, read
        await pacer.close()
        # Without content limits a job's room needs no window: nothing is read.
        unlimited = PgPacer(pool, interval=0.0, budget=Budget(per_minute=None, per_hour=None))
        trace.seek(0, 2)
        before = trace.tell()
        assert (await unlimited.room("installation:1", want=600)).writes is None
        trace.seek(before)
        assert "Bind" not in trace.read().decode()
        tight = PgPacer(pool, interval=0.0, batch=10, budget=Budget(per_minute=None, per_hour=3))
        made = 0
        with pytest.raises(BudgetWait):
            for _ in range(5):
                async with tight.slot("installation:2"):  # one slot, kept: the log is read once
                    made += 1
        assert made == 3
        await tight.close()
    finally:
        await pool.close()


async def test_a_kept_slot_is_given_back_the_interval_after_its_last_write(pg_dsn: str) -> None:
    """With pacing, the kept slot is given back with the pause still owed: another process writes no
    sooner than `interval` after this one's last write."""
    import time

    from bot.store import PgPacer

    pool, other_pool = make_pool(pg_dsn), make_pool(pg_dsn)
    await pool.open(wait=True)
    await other_pool.open(wait=True)
    try:
        pacer, other = PgPacer(pool, interval=0.4), PgPacer(other_pool, interval=0.4)
        async with pacer.slot("installation:2"):
            pass
        last = time.monotonic()
        await pacer.close()  # gives the slot back at once, owing the rest of the interval
        async with asyncio.timeout(10), other.slot("installation:2"):
            assert time.monotonic() - last >= 0.4 * 0.9
        await other.close()
    finally:
        await pool.close()
        await other_pool.close()


async def test_the_content_budget_holds_across_workers(pg_dsn: str) -> None:
    """Two workers' pacers (each its own pool) share one installation's hour: 10 writes in all here."""
    import time

    from bot.github.pacing import Budget, BudgetWait
    from bot.store import PgPacer

    pools = [make_pool(pg_dsn), make_pool(pg_dsn)]
    for pool in pools:
        await pool.open()
    try:
        first, second = (PgPacer(pool, interval=0.0, budget=Budget(per_minute=None, per_hour=10))
                         for pool in pools)
        for _ in range(6):
            async with first.slot("installation:1"):
                pass
        room = await second.room("installation:1", want=8)
        assert room.writes == 4 and room.resume_at > time.time() + 3500  # the hour's first writes must leave
        made = 0
        with pytest.raises(BudgetWait) as caught:
            for _ in range(8):
                async with second.slot("installation:1"):
                    made += 1
        assert made == 4 and caught.value.reset_at > time.time() + 3500
        async with second.slot("installation:2"):  # another installation has its own hour
            pass
        assert (await first.room("installation:1", want=1)).writes == 0
    finally:
        for pool in pools:
            await pool.close()


async def test_closing_the_queue_gives_back_a_kept_write_slot(pg_dsn: str) -> None:
    """A worker that stops cleanly leaves no write slot kept: the lock is free and the pause owed is only the
    interval, not the lease a dead worker's slot leaves behind."""
    from bot.jobs.queue import JobQueue

    queue = JobQueue(None, database_url=pg_dsn, write_interval=0.0, write_lease=30.0)
    await queue.open()
    assert queue.pacer is not None
    async with queue.pacer.slot("installation:3"):
        pass
    await queue.close()
    with psycopg.connect(pg_dsn, autocommit=True) as check:
        row = check.execute("SELECT EXTRACT(EPOCH FROM next_write_at - clock_timestamp())::float8"
                            " FROM pwb_write_pacing WHERE key = 'pwb-pace:installation:3'").fetchone()
        # The slot's advisory lock is free: another session takes it at once (other tests' locks aside).
        free = check.execute("SELECT pg_try_advisory_lock(hashtext('pwb-pace:installation:3'))").fetchone()
    assert row is not None and row[0] < 1.0, row  # not the 30 s lease
    assert free == (True,)


async def test_a_job_that_ends_while_postgres_is_down_is_recorded_once_it_is_back(
    pg_server: PgServer, pg_dsn: str
) -> None:
    """A worker that lives through the outage keeps beating, so no reaper would ever take its job back:
    the job's end must be written once PostgreSQL answers, not dropped (the job would stay "doing")."""
    from bot.jobs.queue import JobQueue
    from bot.jobs.request import JobRequest

    started, release = asyncio.Event(), asyncio.Event()

    async def handler(request: JobRequest) -> None:
        started.set()
        await release.wait()

    queue = JobQueue(handler, database_url=pg_dsn, write_interval=0.0)
    await queue.open()
    # No reaper help: a stalled-job timeout far beyond the test, and a grace that outlasts the outage.
    worker = queue.start_worker(concurrency=2, poll_interval=0.05, heartbeat_interval=0.5,
                                stalled_timeout=3600, shutdown_timeout=10)
    try:
        await queue.enqueue(JobRequest(installation_id=1, owner="octo", repo="sandbox", number=7))
        await asyncio.wait_for(started.wait(), 30)
        await asyncio.to_thread(pg_server.stop)
        try:
            release.set()
            await asyncio.sleep(1.5)  # the job ends, and its end is refused, while the server is down
        finally:
            await asyncio.to_thread(pg_server.start)
        await queue.wait_idle(30)  # raises if the job stays "doing"
        with psycopg.connect(pg_dsn) as conn:
            left = conn.execute("SELECT id, status FROM procrastinate_jobs").fetchall()
        assert left == [], f"jobs left after the outage: {left}"  # a succeeded job is deleted
        assert not worker.done()
    finally:
        await queue.close()



async def _batch_against_another_process(pg_dsn: str, held: int, lock_timeout: str) -> list[str]:
    """Another process (a connection in a transaction) holds an uncommitted waiting job for the `held`-th of
    two plans' queueing locks (in the order the intake defers them); a batch of one delivery for each plan,
    arriving in the other order, is accepted and waits on that job; the other process then defers a job for
    the second lock too (failing if it waits longer than `lock_timeout`) and commits. The batch's outcomes."""
    from bot.jobs.queue import JobQueue
    from bot.jobs.request import JobRequest

    requests = [JobRequest(installation_id=1, owner="o", repo="r", number=n, delivery_id=f"d{n}")
                for n in (1, 2)]
    locks = sorted(r.queueing_key for r in requests)
    insert = ("INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args)"
              " VALUES ('default', 'other', %s, '{}')")
    queue = JobQueue(None, database_url=pg_dsn, pool_size=1)
    await queue.open()
    try:
        async with await psycopg.AsyncConnection.connect(pg_dsn) as other:
            await other.execute(f"SET lock_timeout = '{lock_timeout}'")
            await other.execute(insert, (locks[held],))
            arrivals = sorted(requests, key=lambda r: r.queueing_key, reverse=True)
            batch = asyncio.gather(*(queue.accept(r) for r in arrivals))
            with psycopg.connect(pg_dsn, autocommit=True) as watch:
                for _ in range(250):
                    row = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                        " AND query LIKE 'WITH batch%%'").fetchone()
                    if row and row[0]:
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("the batch never waited for the other process's job")
            await other.execute(insert, (locks[1 - held],))
            await other.commit()
        outcomes: list[str] = list(await batch)
        with psycopg.connect(pg_dsn) as check:
            ids = {r[0] for r in check.execute("SELECT delivery_id FROM pwb_deliveries").fetchall()}
            todo = check.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'").fetchone()
        assert ids == {"d1", "d2"} and todo == (2,)  # both recorded; only the other process's two jobs
        return outcomes
    finally:
        await queue.close()


async def test_two_web_processes_deferring_the_same_plans_wait_in_one_order(pg_dsn: str) -> None:
    """Jobs are deferred in queueing-lock order, not arrival order: a batch waiting for another process's
    uncommitted job of its first lock holds nothing of its second, so that process defers its job for the
    second at once (it would otherwise wait on the batch while the batch waits on it: a deadlock). Once it
    commits, the batch runs again and coalesces both deliveries into that process's jobs."""
    assert await _batch_against_another_process(pg_dsn, held=0, lock_timeout="500ms") == [
        "coalesced", "coalesced"]


async def test_a_batch_failed_by_a_deadlock_is_run_again(pg_dsn: str) -> None:
    """When a deadlock does happen (here the other process takes the locks in the other order), PostgreSQL
    fails the batch's statement, which recorded nothing, and the batch is run again: every delivery is still
    answered, none is lost and no 503 reaches GitHub."""
    assert await _batch_against_another_process(pg_dsn, held=1, lock_timeout="0") == [
        "coalesced", "coalesced"]
