"""Figures for running at scale on PostgreSQL: deliveries/s per web process, ack latency, jobs/s, RSS.

    python3 benchmarks/bench_scale.py [--seconds 8] [--jobs 240] [--installations 80] [--instructions]

Starts a throwaway PostgreSQL (as the test suite does), `parallel-work-bot serve` processes with DATABASE_URL,
and `parallel-work-bot worker` processes against the local GitHub in this process (contract check off, zero
pacing), fed by the lean sender of benchmarks/client.py. Prints one table; a benchmark, not a test:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_hostile import hostile_comments  # noqa: E402
from benchmarks.client import Sender  # noqa: E402
from benchmarks.machine import speed_line  # noqa: E402
from bot.jobs.queue import JobQueue  # noqa: E402
from bot.jobs.request import JobRequest  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.sandbox.delivery import dumps, webhook_headers  # noqa: E402
from tests.environment import process_env  # noqa: E402
from tests.fixtures.postgres import PgServer, free_port, stop_processes  # noqa: E402
from tests.fixtures.sandbox import make_keys  # noqa: E402
from tests.paths import SEED, WEBHOOKS  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
#: Each seed sync creates at least one sub-issue per stream.
STREAMS = 4


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time so far of every PostgreSQL process on this machine (the benchmark's own cluster)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += cpu_seconds(int(entry.name))
    return total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def valgrind_totals(folder: Path, pattern: str) -> list[int]:
    """The instruction total of each valgrind log in `folder` matching `pattern` that gives one."""
    found = (re.search(r"I\s+refs:\s+([\d,]+)", log.read_text()) for log in folder.glob(pattern))
    return [int(m.group(1).replace(",", "")) for m in found if m is not None]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pg = PgServer()
        self.keys = make_keys()
        self.procs: list[asyncio.subprocess.Process] = []
        #: A command the worker runs under (valgrind, for `--instructions`).
        self.wrap: list[str] = []
        self.template = json.loads((WEBHOOKS / "issue_comment.created.with-installation.json").read_text())
        self.plan = SEED.read_text()

    def env(self, dsn: str, api: str) -> dict[str, str]:
        # Nothing of the caller's environment: the defaults (LOG_LEVEL INFO included) but for these.
        return process_env(ROOT, DATABASE_URL=dsn, GITHUB_APP_ID="1",
                           GITHUB_PRIVATE_KEY=self.keys.private_pem, GITHUB_WEBHOOK_SECRET=SECRET,
                           GITHUB_API_URL=api, WRITE_PACING="0")

    async def spawn(self, dsn: str, api: str, *args: str) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            *self.wrap, sys.executable, "-m", "bot", *args, cwd=str(ROOT), env=self.env(dsn, api),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def delivery(self, number: int, hostile: str | None = None) -> tuple[bytes, dict[str, str]]:
        """A plan by an owner, or (`hostile`) a hostile comment by a stranger."""
        data = json.loads(json.dumps(self.template))
        data["issue"]["number"] = number
        data["comment"]["body"] = self.plan if hostile is None else hostile
        data["comment"]["author_association"] = "OWNER" if hostile is None else "NONE"
        data["installation"] = {"id": 1, "node_id": "x"}
        body = dumps(data)
        return body, webhook_headers("issue_comment", str(uuid.uuid4()), body, SECRET)

    async def start_web(self, dsn: str) -> tuple[asyncio.subprocess.Process, str]:
        port = free_port()
        proc = await self.spawn(dsn, "http://127.0.0.1:9", "serve", "--host", "127.0.0.1",
                                "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url + "/healthz") as resp:
                        if resp.status == 200:
                            return proc, url + "/webhook"
                await asyncio.sleep(0.1)
        raise RuntimeError("web did not start")

    async def closed_loop(self, url: str, seconds: float, connections: int) -> tuple[float, float]:
        """As many deliveries as `connections` concurrent senders get accepted in `seconds`."""
        accepted = 0
        worst = 0.0
        deadline = time.monotonic() + seconds
        counter = iter(range(10**9))
        payloads = [self.delivery(n) for n in range(1, 2001)]
        http = Sender(url)

        async def sender() -> None:
            nonlocal accepted, worst
            while time.monotonic() < deadline:
                body, headers = payloads[next(counter) % len(payloads)]
                request = http.frame(body, {**headers, "X-GitHub-Delivery": str(uuid.uuid4())})
                t0 = time.monotonic()
                if await http.send(request) in (200, 202):
                    accepted += 1
                worst = max(worst, time.monotonic() - t0)

        start = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(connections)))
        elapsed = time.monotonic() - start
        await http.close()
        return accepted / elapsed, worst

    async def open_loop(self, url: str, rate: float, seconds: float, *, hostile: bool = False) -> list[float]:
        """Deliveries sent on a fixed schedule (not one after another); latency of each acknowledgement.

        With `hostile`, every eleventh delivery is a hostile comment by a stranger."""
        latencies: list[float] = []
        texts = hostile_comments()
        payloads = [self.delivery(n, texts[n % len(texts)] if hostile and n % 11 == 10 else None)
                    for n in range(1, 2001)]
        http = Sender(url)

        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            body, headers = payloads[i % len(payloads)]
            await http.send(http.frame(body, {**headers, "X-GitHub-Delivery": str(uuid.uuid4())}))
            latencies.append(time.monotonic() - at)  # from the scheduled time: no coordinated omission

        start = time.monotonic() + 0.2
        await asyncio.gather(*(one(i, start + i / rate) for i in range(int(rate * seconds))))
        await http.close()
        return latencies

    async def jobs_per_second(
        self, workers: int, jobs: int, installations: int
    ) -> tuple[float, list[float], str]:
        """`jobs` syncs of the seed plan over `installations` installations, run by `workers` processes."""
        dsn = self.pg.new_database()
        sb = Sandbox(None, app_id=1, public_key_pem=self.keys.public_pem)
        requests = []
        for inst in range(1, installations + 1):
            repo = f"org{inst}/repo"
            sb.add_repo(repo, installation_id=inst)
            sb.set_permission(repo, "octocat", "write")  # the plans' author may trigger the bot
            for _ in range(5):  # #1..#5 exist before the plans (the seed plan names #5)
                sb.create_issue(repo, "issue")
        for j in range(jobs):
            inst = j % installations + 1
            repo = f"org{inst}/repo"
            number = sb.create_issue(repo, f"feature {j}")["number"]
            # The seed names #4 as its issue: each copy names the issue it is posted on.
            plan = self.plan.replace("issue: 4", f"issue: {number}").replace("Issue #4", f"Issue #{number}")
            sb.create_comment(repo, number, plan)
            requests.append(JobRequest(installation_id=inst, owner=f"org{inst}", repo="repo", number=number))
        await sb.start()
        queue = JobQueue(None, database_url=dsn)
        await queue.open()
        procs = [await self.spawn(dsn, sb.base_url, "worker", "--concurrency", "8", "--poll-interval", "0.2")
                 for _ in range(workers)]
        while True:  # every worker registered (started) before the clock starts
            with psycopg.connect(dsn) as conn:
                row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
            if row and row[0] >= workers:
                break
            await asyncio.sleep(0.1)
        start = time.monotonic()
        own0 = cpu_seconds(os.getpid())
        cpu0 = [cpu_seconds(p.pid) for p in procs]
        for request in requests:
            await queue.enqueue(request)
        rss: list[float] = []
        while await queue.pending():
            await asyncio.sleep(0.1)
            if not rss and time.monotonic() - start > 1.0:
                rss = [rss_mb(p.pid) for p in procs]
        elapsed = time.monotonic() - start
        rss = rss or [rss_mb(p.pid) for p in procs]
        with psycopg.connect(dsn) as conn:
            statuses = dict(conn.execute(
                "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status").fetchall())
        writes = sum(1 for e in sb.log if e.is_content_write)
        refused = sum(1 for e in sb.log if e.is_content_write and e.status == 422)
        tokens = sum(1 for e in sb.log if e.is_write and not e.is_content_write)  # minted per worker process
        if statuses or writes < jobs * STREAMS:
            raise RuntimeError(f"jobs did not all succeed: {statuses}; {writes} writes")
        used = sum(cpu_seconds(p.pid) for p in procs) - sum(cpu0)
        cpu = (f"{writes} writes ({refused} answered 422), {tokens} installation tokens; "
               f"CPU in {elapsed:.1f} s: workers {used:.1f} s "
               f"({used / jobs * 1000:.1f} ms/job), "
               f"local GitHub + this process {cpu_seconds(os.getpid()) - own0:.1f} s")
        await stop_processes(procs, grace=120 if self.wrap else 15)
        await queue.close()
        await sb.stop()
        return jobs / elapsed, rss, cpu

    async def instructions_per_sync(self, workers: int) -> str:
        """The workers' user-space instructions a sync, counted by valgrind (cachegrind, no cache simulation):
        unlike CPU time, the count does not move with the machine's speed, nor with how many processes share
        its cores. Start-up cancels out: two runs of 24 and 72 syncs (three per installation, as in the
        timed runs), the difference over 48 syncs; with several workers, their counts are added."""
        if shutil.which("valgrind") is None:
            return "not counted: valgrind is not installed (Debian: apt-get install valgrind)"
        counts = []
        with tempfile.TemporaryDirectory() as tmp:
            for jobs in (24, 72):
                self.wrap = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                             f"--cachegrind-out-file={tmp}/{jobs}.%p.out", f"--log-file={tmp}/{jobs}.%p.log"]
                try:
                    await self.jobs_per_second(workers, jobs, jobs // 3)
                finally:
                    self.wrap = []
                totals = valgrind_totals(Path(tmp), f"{jobs}.*.log")
                if len(totals) != workers:
                    return f"not counted: valgrind gave {len(totals)} totals, not {workers}"
                counts.append(sum(totals))
        per_sync = (counts[1] - counts[0]) / 48
        return (f"{per_sync / 1e6:.1f} M (24 syncs: {counts[0] / 1e9:.2f} G, "
                f"72 syncs: {counts[1] / 1e9:.2f} G)")

    async def run(self) -> None:
        a = self.args
        self.pg.init()
        self.pg.start()
        try:
            self.pg.create_template()
            rows: list[tuple[str, str]] = []
            if a.only != "jobs":
                await self.web_figures(rows)
            if a.only != "web":
                await self.job_figures(rows)
            if a.instructions:
                for workers in (1, 2):
                    counted = await self.instructions_per_sync(workers)
                    rows.append((f"worker instructions a sync ({workers} worker(s), valgrind)", counted))
            print(f"\nbench_scale ({os.cpu_count()} CPUs; PostgreSQL {self.pg.pg_ctl.split('/')[-3]}, "
                  "local GitHub in the benchmark process)")
            width = max(len(k) for k, _ in rows)
            for key, value in rows:
                print(f"  {key.ljust(width)}  {value}")
        finally:
            await stop_processes(self.procs)
            self.pg.destroy()

    async def web_figures(self, rows: list[tuple[str, str]]) -> None:
        a = self.args
        web, url = await self.start_web(self.pg.new_database())
        idle = rss_mb(web.pid)
        cpu0, pg0, own0 = cpu_seconds(web.pid), postgres_cpu_seconds(), cpu_seconds(os.getpid())
        per_second, worst = await self.closed_loop(url, a.seconds, a.connections)
        accepted = per_second * a.seconds
        cpu_ms = (cpu_seconds(web.pid) - cpu0) / accepted * 1000
        pg_ms = (postgres_cpu_seconds() - pg0) / accepted * 1000
        own_ms = (cpu_seconds(os.getpid()) - own0) / accepted * 1000
        rows.append((f"deliveries/s accepted, 1 web process, closed loop, {a.connections} connections",
                     f"{per_second:.0f} (slowest ack {worst * 1000:.0f} ms; CPU a delivery: web "
                     f"{cpu_ms:.2f} ms, PostgreSQL {pg_ms:.2f} ms, this benchmark's client {own_ms:.2f} ms)"))
        lat = await self.open_loop(url, a.rate, a.seconds)
        rows.append((f"ack latency at {a.rate:.0f}/s offered (open loop, {len(lat)} deliveries)",
                     f"p50 {pct(lat, 0.5) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f} ms, "
                     f"max {max(lat) * 1000:.1f} ms"))
        lat = await self.open_loop(url, a.rate * 1.1, a.seconds, hostile=True)
        rows.append((f"[hostile] ack latency at {a.rate:.0f}/s + {a.rate / 10:.0f}/s hostile comments "
                     f"({len(lat)} deliveries)",
                     f"p50 {pct(lat, 0.5) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f} ms, "
                     f"max {max(lat) * 1000:.1f} ms"))
        rows.append(("RSS web process (idle -> after load)", f"{idle:.0f} -> {rss_mb(web.pid):.0f} MB"))
        await stop_processes([web])

    async def job_figures(self, rows: list[tuple[str, str]]) -> None:
        a = self.args
        base = None
        for workers in (1, 2, 4):
            rate, rss, cpu = await self.jobs_per_second(workers, a.jobs, a.installations)
            base = base or rate
            sizes = ", ".join(f"{r:.0f}" for r in rss)
            rows.append((f"jobs/s, {workers} worker process(es), {a.jobs} seed syncs, "
                         f"{a.installations} installations",
                         f"{rate:.1f} (x{rate / base:.2f}); worker RSS {sizes} MB; {cpu}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--jobs", type=int, default=240)  # enough CPU time to read steadily
    parser.add_argument("--installations", type=int, default=80)
    parser.add_argument("--only", choices=["web", "jobs"], default=None)
    parser.add_argument("--instructions", action="store_true",
                        help="also count the workers' instructions a sync under valgrind, with 1 and 2 "
                             "workers (minutes more)")
    asyncio.run(Bench(parser.parse_args()).run())


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    main()
    print(speed_line("after"))
