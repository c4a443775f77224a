"""At scale: two web and three worker processes (real OS processes), one real PostgreSQL, the local GitHub.

200 deliveries across 20 issues (duplicates, redeliveries, bursts of edits) end in each issue's exact
structure with nothing duplicated and no two writes of the installation overlapping; a worker SIGKILLed
mid-job has its job retried by another; PostgreSQL restarted mid-run makes the web answer 503 and loses
nothing it accepted.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest

from bot.analysis.reader import read_analysis
from bot.github.client import GitHubClient
from bot.sandbox import Sandbox
from bot.sandbox.delivery import dumps, webhook_headers
from bot.sync.engine import sync_issue
from tests.environment import process_env
from tests.fixtures.app import _user, real_payload
from tests.fixtures.postgres import PgServer, free_port, stop_processes
from tests.fixtures.sandbox import APP_ID, INSTALLATION_ID, MAINTAINER, REPO, AppKeys, started_sandbox
from tests.paths import ROOT, SEED

OWNER, NAME = REPO.split("/")
SECRET = "scale-test-webhook-secret-0123456789"
SUMMARY_MARKER = "<!-- parallel-work-bot:summary"
STREAM_A = "### Stream A: Core Setup & Schema"


def plan(rev: int) -> str:
    """The seed plan, revision `rev` (stream A's name changes: every revision changes a sub-issue title)."""
    text = SEED.read_text().replace(STREAM_A, f"{STREAM_A} rev {rev}")
    # Posted on many issues: without "issue: 4" and "Issue #4" it names no issue, so it is each one's plan.
    return text.replace("issue: 4\n", "").replace(": Issue #4", "")


STREAMS = len(read_analysis(plan(0)).streams)  # type: ignore[union-attr]


@dataclass
class Cluster:
    """The processes, the local GitHub they use, and helpers to deliver webhooks and check the result."""

    sandbox: Sandbox
    dsn: str
    pg: PgServer
    logs: Path
    http: aiohttp.ClientSession
    webs: list[tuple[asyncio.subprocess.Process, str]] = field(default_factory=list)
    #: (process, procrastinate worker id)
    workers: list[tuple[asyncio.subprocess.Process, int]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    _next_web: itertools.count[int] = field(default_factory=itertools.count)
    user_token: str = ""
    sandbox_private_key: str = ""

    def env(self) -> dict[str, str]:
        return {
            **process_env(self.logs),
            "GITHUB_APP_ID": str(APP_ID), "GITHUB_PRIVATE_KEY": self.sandbox_private_key,
            "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_API_URL": self.sandbox.base_url,
            "DATABASE_URL": self.dsn,
            "WRITE_PACING": "0", "LOG_LEVEL": "WARNING",
        }

    async def spawn(self, name: str, *args: str) -> asyncio.subprocess.Process:
        log = (self.logs / f"{name}.log").open("wb")  # the process keeps writing to it
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=str(ROOT), env=self.env(), stdout=log, stderr=log)

    async def start_web(self, i: int) -> None:
        port = free_port()
        proc = await self.spawn(f"web{i}", "serve", "--host", "127.0.0.1", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                async with self.http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            assert proc.returncode is None, self.log_tail(f"web{i}")
            assert time.monotonic() < deadline, "web process did not start"
            await asyncio.sleep(0.1)
        self.webs.append((proc, url + "/webhook"))

    async def start_worker(self, i: int) -> None:
        before = self.worker_ids()
        proc = await self.spawn(f"worker{i}", "worker", "--concurrency", "4", "--name", f"w{i}",
                                "--poll-interval", "0.2", "--heartbeat-interval", "0.5",
                                "--stalled-timeout", "2", "--write-lease", "1")
        deadline = time.monotonic() + 30
        while not (new := self.worker_ids() - before):
            assert proc.returncode is None, self.log_tail(f"worker{i}")
            assert time.monotonic() < deadline, "worker did not register"
            await asyncio.sleep(0.1)
        self.workers.append((proc, max(new)))

    def worker_ids(self) -> set[int]:
        with psycopg.connect(self.dsn) as conn:
            return {row[0] for row in conn.execute("SELECT id FROM procrastinate_workers").fetchall()}

    def running_jobs(self) -> list[int]:
        with psycopg.connect(self.dsn) as conn:
            return [row[0] for row in conn.execute(
                "SELECT id FROM procrastinate_jobs WHERE status = 'doing'").fetchall()]

    def log_tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    async def deliver(self, event: str, payload: dict[str, Any], delivery: str | None = None) -> int:
        """POST one signed delivery to the next web process (round robin); returns the status."""
        body = dumps(payload)
        delivery = delivery or str(uuid.uuid4())
        _, url = self.webs[next(self._next_web) % len(self.webs)]
        headers = webhook_headers(event, delivery, body, SECRET)
        async with self.http.post(url, data=body, headers=headers) as resp:
            await resp.read()
            self.statuses.append((delivery, resp.status))
            return resp.status

    async def idle(self, limit: float = 60.0) -> None:
        """Wait until PostgreSQL holds no waiting or running job (twice in a row)."""
        deadline = time.monotonic() + limit
        calm = 0
        while calm < 2:
            assert time.monotonic() < deadline, "jobs did not finish"
            try:
                with psycopg.connect(self.dsn) as conn:
                    row = conn.execute(
                        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                    ).fetchone()
                calm = calm + 1 if row and row[0] == 0 else 0
            except psycopg.OperationalError:
                calm = 0
            await asyncio.sleep(0.3)

    # ---- GitHub side -------------------------------------------------------------------------------------

    def comment_payload(self, action: str, comment: dict[str, Any],
                        before: str | None = None) -> dict[str, Any]:
        """GitHub's real issue_comment payload, rewritten for a comment of the sandbox."""
        data = real_payload(f"issue_comment.{'edited' if action == 'edited' else 'created'}.json")
        data["action"] = action
        number = int(str(comment["issue_url"]).rsplit("/", 1)[1])
        issue = self.sandbox.issue_json(REPO, number)
        for key in ("id", "number", "title", "body", "state", "author_association", "url", "html_url"):
            data["issue"][key] = issue[key]
        data["issue"]["user"] = _user(data["issue"]["user"], issue["user"]["login"], issue["user"]["type"])
        for key in ("id", "body", "author_association", "url", "html_url", "issue_url"):
            data["comment"][key] = comment[key]
        author = comment["user"]
        data["comment"]["user"] = _user(data["comment"]["user"], author["login"], author["type"])
        data["sender"] = _user(data["sender"], comment["user"]["login"], comment["user"]["type"])
        if action == "edited":
            data["changes"] = {"body": {"from": before or ""}}
        return data

    async def edit_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """The maintainer edits a comment, over HTTP as GitHub's web UI would."""
        async with self.http.patch(
            f"{self.sandbox.base_url}/repos/{REPO}/issues/comments/{comment_id}", json={"body": body},
            headers={"Authorization": f"token {self.user_token}", "Accept": "application/vnd.github+json"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data

    async def check_exact(self, number: int, rev: int) -> None:
        """#number shows plan revision `rev` exactly: one summary, one sub-issue per stream, no write due."""
        snap = self.sandbox.snapshot(REPO)["issues"]
        issue = snap[str(number)]
        summaries = [c for c in issue["comments"] if c["body"].startswith(SUMMARY_MARKER)]
        assert len(summaries) == 1, f"#{number}: {len(summaries)} summary comments"
        subs = issue["sub_issues"]
        assert len(subs) == STREAMS, f"#{number}: {len(subs)} sub-issues for {STREAMS} streams"
        titles = [snap[str(s)]["title"] for s in subs]
        assert len(set(titles)) == len(titles), f"#{number}: duplicate sub-issues {titles}"
        assert any(f"rev {rev}" in t for t in titles), f"#{number}: not at revision {rev}: {titles}"
        async with aiohttp.ClientSession() as session:
            gh = GitHubClient(session, base_url=self.sandbox.base_url, oauth_token=self.sandbox.token)
            result = await sync_issue(gh, OWNER, NAME, number, dry_run=True)
        assert result.planned == [], f"#{number} not in sync: {result.planned}"

    async def check_converged(self, revs: dict[int, int]) -> None:
        """Each issue at its plan revision exactly, nothing created twice, no two writes overlapping."""
        for number, rev in revs.items():
            await self.check_exact(number, rev)
        self.check_no_stray_issues(list(revs))
        self.check_writes_never_overlap()

    def check_no_stray_issues(self, parents: list[int]) -> None:
        """Every issue the bot created is a sub-issue of one of the parents: none was created twice."""
        snap = self.sandbox.snapshot(REPO)["issues"]
        linked = {s for p in parents for s in snap[str(p)]["sub_issues"]}
        by_bot = {int(n) for n, i in snap.items() if i["user"] == self.sandbox.bot_login}
        assert by_bot == linked, f"issues created by the bot but not linked: {sorted(by_bot - linked)}"

    def check_writes_never_overlap(self) -> None:
        writes = sorted((e for e in self.sandbox.writes() if e.installation_id == INSTALLATION_ID),
                        key=lambda e: e.start)
        assert writes, "no writes were made"
        for before, after in itertools.pairwise(writes):
            assert before.end <= after.start, f"overlapping writes: {before.method} {before.path} / " \
                                              f"{after.method} {after.path}"


@pytest.fixture
async def cluster(
    pg_server: PgServer, pg_dsn: str, app_keys: AppKeys, tmp_path: Path
) -> AsyncIterator[Cluster]:
    async with (
        started_sandbox(app_keys) as sandbox,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        c = Cluster(sandbox, pg_dsn, pg_server, tmp_path, http, sandbox_private_key=app_keys.private_pem,
                    user_token=sandbox.user_token(MAINTAINER))
        try:
            await asyncio.gather(c.start_web(0), c.start_web(1))
            for i in range(3):
                await c.start_worker(i)
            yield c
        finally:
            await stop_processes([p for p, _ in c.webs] + [p for p, _ in c.workers])


def other_issues(c: Cluster) -> None:
    """The plan says it conflicts with #5: make #1..#5 people's issues before the bot creates any."""
    while len(c.sandbox.snapshot(REPO)["issues"]) < 5:
        c.sandbox.create_issue(REPO, "another team's issue")


async def test_200_deliveries_across_20_issues_end_exact(cluster: Cluster) -> None:
    c = cluster
    rng = random.Random(7)
    numbers = [c.sandbox.create_issue(REPO, f"feature {i}")["number"] for i in range(20)]
    sent: list[tuple[str, str, dict[str, Any]]] = []  # (event, delivery, payload) of every accepted delivery
    sem = asyncio.Semaphore(16)

    async def send(event: str, payload: dict[str, Any], delivery: str | None = None) -> int:
        delivery = delivery or str(uuid.uuid4())
        async with sem:
            status = await c.deliver(event, payload, delivery)
        sent.append((event, delivery, payload))
        return status

    # 20 plans posted, each delivered twice at once (a duplicate): 40 deliveries.
    comments = {n: c.sandbox.create_comment(REPO, n, plan(0)) for n in numbers}
    first: list[Any] = []
    for n in numbers:
        payload = c.comment_payload("created", comments[n])
        delivery = str(uuid.uuid4())
        first += [send("issue_comment", payload, delivery), send("issue_comment", payload, delivery)]
    statuses = await asyncio.gather(*first)
    assert set(statuses) <= {200, 202}
    assert statuses.count(202) >= 20

    # Bursts of edits: 10 issues edited 8 times, 10 issues twice, as fast as they come (100 deliveries).
    revs = {n: (8 if i < 10 else 2) for i, n in enumerate(numbers)}

    async def burst(n: int) -> None:
        before = plan(0)
        for rev in range(1, revs[n] + 1):
            edited = await c.edit_comment(comments[n]["id"], plan(rev))
            assert await send("issue_comment", c.comment_payload("edited", edited, before)) == 202
            before = plan(rev)

    await asyncio.gather(*(burst(n) for n in numbers))

    # `/analyze` on every issue (20), then GitHub redelivers 40 earlier deliveries (same ids).
    def command(n: int) -> dict[str, Any]:
        return c.comment_payload("created", c.sandbox.create_comment(REPO, n, "/analyze"))

    commands = [send("issue_comment", command(n)) for n in numbers]
    assert set(await asyncio.gather(*commands)) == {202}
    again = rng.sample(sent, 40)
    redelivered = await asyncio.gather(*(send(ev, body, d) for ev, d, body in again))
    assert set(redelivered) == {200}, "a redelivery was accepted again"
    assert len(c.statuses) == 200

    await c.idle(90)
    await c.check_converged(revs)


async def test_worker_killed_mid_job_is_retried_by_another(cluster: Cluster) -> None:
    c = cluster
    numbers = [c.sandbox.create_issue(REPO, f"slow {i}")["number"] for i in range(2)]
    other_issues(c)
    # Slow writes, so that jobs are surely running when a worker dies.
    c.sandbox.faults.add("slow:method=POST,delay=0.2,times=0")
    for n in numbers:
        comment = c.sandbox.create_comment(REPO, n, plan(1))
        assert await c.deliver("issue_comment", c.comment_payload("created", comment)) == 202
    deadline = time.monotonic() + 30
    victim: tuple[asyncio.subprocess.Process, int] | None = None
    jobs: set[int] = set()
    while victim is None:
        assert time.monotonic() < deadline, "no job started"
        with psycopg.connect(c.dsn) as conn:
            running = conn.execute(
                "SELECT worker_id, id FROM procrastinate_jobs WHERE status = 'doing'").fetchall()
        victim = next(((p, w) for p, w in c.workers if w in {r[0] for r in running}), None)
        if victim is not None:
            jobs = {r[1] for r in running if r[0] == victim[1]}
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let it write part of the structure
    proc = victim[0]
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    await c.idle(60)
    c.sandbox.faults.clear()
    with psycopg.connect(c.dsn) as conn:
        rows = conn.execute("SELECT id, status, worker_id FROM procrastinate_jobs WHERE id = ANY(%s)",
                            (list(jobs),)).fetchall()
    # Successful jobs are deleted: the killed worker's jobs are gone, so a live worker finished them.
    assert rows == [], f"jobs of the killed worker not finished by another: {rows}"
    await c.check_converged(dict.fromkeys(numbers, 1))


async def test_postgres_restart_answers_503_and_loses_nothing_accepted(cluster: Cluster) -> None:
    c = cluster
    numbers = [c.sandbox.create_issue(REPO, f"restart {i}")["number"] for i in range(4)]
    other_issues(c)
    comments = {n: c.sandbox.create_comment(REPO, n, plan(0)) for n in numbers}
    # Slow writes keep the first jobs running when PostgreSQL goes; they end while it is down (failed: the
    # write pacer lives in PostgreSQL), so their end cannot be recorded until it is back.
    c.sandbox.faults.add("slow:method=POST,delay=0.3,times=0")
    for n in numbers[:2]:
        assert await c.deliver("issue_comment", c.comment_payload("created", comments[n])) == 202
    deadline = time.monotonic() + 30
    while not c.running_jobs():
        assert time.monotonic() < deadline, "no job started"
        await asyncio.sleep(0.05)
    # In a thread: the local GitHub answers from this event loop and must keep answering the workers.
    await asyncio.to_thread(c.pg.stop)
    c.sandbox.faults.clear()
    try:
        refused = []
        for n in numbers[2:]:
            delivery = str(uuid.uuid4())
            payload = c.comment_payload("created", comments[n])
            status = await c.deliver("issue_comment", payload, delivery)
            assert status == 503, f"web answered {status} while PostgreSQL was down"
            refused.append((delivery, payload))
        await asyncio.sleep(3)  # the running jobs end meanwhile
    finally:
        await asyncio.to_thread(c.pg.start)
    # GitHub redelivers what got 503; the web takes it once PostgreSQL is back (its pool reconnects).
    for delivery, payload in refused:
        deadline = time.monotonic() + 30
        while (status := await c.deliver("issue_comment", payload, delivery)) != 202:
            assert status == 503 and time.monotonic() < deadline, f"web answered {status} after the restart"
            await asyncio.sleep(0.2)
    # And a new edit after the restart.
    edited = await c.edit_comment(comments[numbers[0]]["id"], plan(3))
    assert await c.deliver("issue_comment", c.comment_payload("edited", edited, plan(0))) == 202
    await c.idle(90)
    await c.check_converged({n: 3 if n == numbers[0] else 0 for n in numbers})
