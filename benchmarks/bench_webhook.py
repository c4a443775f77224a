"""Webhook intake figures: ack latency (open loop, 200/s), deliveries/s (closed loop, 200 connections), RSS.

Processes: the local GitHub (a child of this script), the App as `parallel-work-bot serve` (a real process,
in-memory jobs with its worker in the same process, pacing 0), and this script as the load generator
(benchmarks/client.py: a lean sender, so its own CPU and pauses take little from what it measures).

    python3 benchmarks/bench_webhook.py [--rate 200] [--seconds 10] [--connections 200]

Figures printed (not asserted): time from delivery to finished structure for the seed (#4 of octo/sandbox);
ack latency p50/p99/max at a steady offered rate (requests sent on a schedule; latency counted from the
scheduled send time, so a late client does not hide queueing); the most deliveries per second accepted by
one web process with N connections each sending its next delivery when the previous one is answered
(closed loop), with the slowest acknowledgement; RSS of the web process idle and at its peak under load.
Two kinds of delivery: an ordinary comment (verified, parsed, routed, ignored) and a comment holding a plan
(queued, coalesced per issue; jobs then sync 20 issues against the local GitHub inside the web process
while the load runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_hostile import hostile_comments  # noqa: E402
from benchmarks.client import Sender  # noqa: E402
from benchmarks.machine import speed_line  # noqa: E402
from bot.sandbox.auth import generate_keys  # noqa: E402
from bot.sandbox.delivery import dumps, sign  # noqa: E402
from tests.environment import process_env  # noqa: E402
from tests.paths import WEBHOOKS  # noqa: E402

SEED = ROOT / "bot" / "examples" / "4-analysis.md"
REPO = "octo/sandbox"
LOAD_ISSUES = range(6, 26)  # plan deliveries spread over 20 issues
SECRET = "bench-secret-0123456789abcdef"


# ---- the local GitHub, as a child process ------------------------------------------------------------------

async def sandbox_child(public_key: Path) -> None:
    """Serve the local GitHub (no contract check: the figures are the App's), seeded with #1-#25."""
    from bot.sandbox import Sandbox

    key = await asyncio.to_thread(public_key.read_text)
    sb = Sandbox(None, app_id=1, public_key_pem=key)
    sb.add_repo(REPO, installation_id=1)
    sb.set_permission(REPO, "octocat", "admin")
    await sb.start()
    for n in range(1, 26):
        title = {4: "Configure Convex Backend", 5: "Integrate Clerk"}.get(n, f"Issue {n}")
        sb.create_issue(REPO, title, user="octocat")
    # The plans the load's deliveries point at are really on those issues: the jobs sync them for real.
    plan = SEED.read_text()
    comments = {n: sb.create_comment(REPO, n, plan, user="octocat")["id"] for n in LOAD_ISSUES}
    token = sb.user_token("octocat")
    print(json.dumps({"url": sb.base_url, "token": token, "comments": comments}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent goes away
    await sb.stop()


# ---- helpers ---------------------------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def comment_payload(number: int, body: str, comment_id: int, api: str) -> dict[str, Any]:
    """GitHub's example issue_comment payload (tests/github/webhooks), moved to octo/sandbox."""
    example = WEBHOOKS / "issue_comment.created.with-installation.json"
    data: dict[str, Any] = json.loads(example.read_text().replace("Codertocat/Hello-World", REPO))
    data["repository"].update({"name": "sandbox", "full_name": REPO})
    data["repository"]["owner"]["login"] = "octo"
    data["installation"] = {"id": 1, "node_id": "x"}
    data["issue"].update({"number": number, "url": f"{api}/repos/{REPO}/issues/{number}"})
    data["comment"].update({"id": comment_id, "body": body, "author_association": "OWNER"})
    data["comment"]["user"]["login"] = "octocat"
    return data


class Target:
    """Where to POST, and signed bodies to send (delivery ids differ per request)."""

    def __init__(self, url: str, bodies: list[bytes]) -> None:
        self.url = url
        self.bodies = [(body, sign(body, SECRET)) for body in bodies]
        self.n = 0

    def next(self) -> tuple[bytes, dict[str, str]]:
        body, signature = self.bodies[self.n % len(self.bodies)]
        self.n += 1
        return body, {"Content-Type": "application/json", "X-GitHub-Event": "issue_comment",
                      "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature}


async def post(http: Sender, target: Target) -> int:
    body, headers = target.next()
    return await http.send(http.frame(body, headers))


async def open_loop(target: Target, rate: float, seconds: float) -> dict[str, float]:
    """Send `rate` deliveries/s on a fixed schedule; latency from each scheduled time to its answer."""
    n = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    http = Sender(target.url)
    try:
        start = time.perf_counter() + 0.2

        async def one(i: int) -> None:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await post(http, target)
            latencies.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        await http.close()
    latencies.sort()
    return {"sent": n, "p50_ms": 1000 * latencies[n // 2], "p99_ms": 1000 * latencies[int(n * 0.99) - 1],
            "max_ms": 1000 * latencies[-1], "ok": sum(v for k, v in statuses.items() if k in (200, 202))}


async def closed_loop(target: Target, connections: int, seconds: float, pid: int) -> dict[str, float]:
    """`connections` clients, each sending its next delivery when the previous is answered."""
    latencies: list[float] = []
    ok = 0
    peak_rss = rss_mb(pid)
    stop_at = time.perf_counter() + seconds
    http = Sender(target.url)
    try:

        async def client() -> None:
            nonlocal ok
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                status = await post(http, target)
                latencies.append(time.perf_counter() - t0)
                ok += status in (200, 202)

        async def sample() -> None:
            nonlocal peak_rss
            while time.perf_counter() < stop_at:
                peak_rss = max(peak_rss, rss_mb(pid))
                await asyncio.sleep(0.1)

        started = time.perf_counter()
        await asyncio.gather(sample(), *(client() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    finally:
        await http.close()
    latencies.sort()
    return {"accepted_per_s": ok / elapsed, "requests": len(latencies),
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1], "max_ms": 1000 * latencies[-1],
            "peak_rss_mb": peak_rss}


async def seed_to_structure(url: str, api: str, token: str) -> float:
    """Post the seed on #4 (as octocat, over HTTP), deliver the signed webhook, wait for the summary."""
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    async with aiohttp.ClientSession(headers=headers) as gh:
        async with gh.post(f"{api}/repos/{REPO}/issues/4/comments", json={"body": SEED.read_text()}) as r:
            comment = await r.json()
        payload = comment_payload(4, comment["body"], comment["id"], api)
        body = dumps(payload)
        target = Target(url, [body])
        started = time.perf_counter()
        http = Sender(url)
        assert await post(http, target) == 202
        await http.close()
        while True:
            async with gh.get(f"{api}/repos/{REPO}/issues/4/comments") as r:
                comments = await r.json()
            if any("parallel-work-bot:summary" in (c.get("body") or "") for c in comments):
                elapsed = time.perf_counter() - started
                break
            if time.perf_counter() - started > 60:
                raise TimeoutError("no summary after 60 s")
            await asyncio.sleep(0.005)
        async with gh.get(f"{api}/repos/{REPO}/issues/4/sub_issues") as r:
            assert len(await r.json()) == 4
    return elapsed


async def main(args: argparse.Namespace) -> None:
    private, public = generate_keys()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-webhook-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "app.pub").write_text(public)
    sandbox = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--sandbox-child", str(workdir / "app.pub"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert sandbox.stdout is not None
    info = json.loads(await sandbox.stdout.readline())
    api, token = info["url"], info["token"]
    port = args.port
    env = process_env(ROOT, GITHUB_APP_ID="1", GITHUB_PRIVATE_KEY=private, GITHUB_WEBHOOK_SECRET=SECRET,
                      GITHUB_API_URL=api, PORT=str(port), WRITE_PACING="0")  # the default LOG_LEVEL
    web = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--concurrency", str(args.concurrency),
        env=env, cwd=ROOT,
        stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/webhook"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
        rss_start = rss_mb(web.pid)
        seed_s = await seed_to_structure(url, api, token)
        await asyncio.sleep(0.5)
        rss_idle = rss_mb(web.pid)
        print(f"web process: `parallel-work-bot serve` (in-memory jobs, worker in process); "
              f"local GitHub in another process; {os.cpu_count()} CPUs")
        print(f"RSS at start {rss_start:.1f} MB; idle after the seed's sync {rss_idle:.1f} MB")
        print(f"delivery -> finished structure (seed on #4: summary, 4 sub-issues, 3 blocked-by, #5): "
              f"{seed_s * 1000:.0f} ms")
        plain = Target(url, [dumps(comment_payload(n, "Thanks, looks good to me!", 10_000 + n, api))
                             for n in LOAD_ISSUES])
        ids = {int(k): v for k, v in info["comments"].items()}
        plans = Target(url, [dumps(comment_payload(n, SEED.read_text(), ids[n], api)) for n in LOAD_ISSUES])
        # 200 ordinary deliveries a second and 20 hostile comments (from a stranger) among them.
        hostile_texts = hostile_comments()
        mixed_bodies = []
        for k in range(220):
            n = LOAD_ISSUES[k % len(LOAD_ISSUES)]
            if k % 11 == 10:
                payload = comment_payload(n, hostile_texts[k % len(hostile_texts)], 20_000 + k, api)
                payload["comment"]["author_association"] = "NONE"
                payload["comment"]["user"]["login"] = "stranger"
            else:
                payload = comment_payload(n, "Thanks, looks good to me!", 10_000 + k, api)
            mixed_bodies.append(dumps(payload))
        mixed = Target(url, mixed_bodies)
        o = await open_loop(mixed, args.rate * 1.1, args.seconds)
        print(f"[hostile] open loop {args.rate:.0f}/s ordinary + {args.rate / 10:.0f}/s hostile comments for "
              f"{args.seconds:.0f} s: {o['ok']}/{o['sent']} accepted; ack p50 {o['p50_ms']:.2f} ms, "
              f"p99 {o['p99_ms']:.2f} ms, max {o['max_ms']:.1f} ms (goal p99 < 20 ms)")
        await asyncio.sleep(2.0)
        for name, target in (("ordinary comment", plain), ("comment with a plan", plans)):
            o = await open_loop(target, args.rate, args.seconds)
            print(f"[{name}] open loop {args.rate:.0f}/s for {args.seconds:.0f} s: {o['ok']}/{o['sent']} "
                  f"accepted; ack p50 {o['p50_ms']:.2f} ms, p99 {o['p99_ms']:.2f} ms, "
                  f"max {o['max_ms']:.1f} ms")
            c = await closed_loop(target, args.connections, args.seconds, web.pid)
            print(f"[{name}] closed loop, {args.connections} connections, {args.seconds:.0f} s: "
                  f"{c['accepted_per_s']:.0f} deliveries/s accepted; ack p50 {c['p50_ms']:.1f} ms, "
                  f"p99 {c['p99_ms']:.1f} ms, slowest {c['max_ms']:.0f} ms; "
                  f"peak RSS {c['peak_rss_mb']:.1f} MB")
            await asyncio.sleep(1.0)
        print(f"RSS after the load: {rss_mb(web.pid):.1f} MB")
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as r:
            metrics = await r.text()
        jobs = [line for line in metrics.splitlines() if line.startswith("pwb_jobs_total")]
        print("jobs run during the benchmark: " + "; ".join(jobs))
    finally:
        web.terminate()
        await web.wait()
        assert sandbox.stdin is not None
        sandbox.stdin.close()
        await sandbox.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs at once in the web process")
    parser.add_argument("--sandbox-child", type=Path, default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.sandbox_child is not None:
        asyncio.run(sandbox_child(arguments.sandbox_child))
    else:
        print(speed_line("before"), flush=True)
        asyncio.run(main(arguments))
        print(speed_line("after"))
