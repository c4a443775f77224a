"""The three doors on the seed: writes and reads of a first sync and of a re-run for the App (a push), the
CLI (`sync`) and the Action (a push event); and seconds from `pip install` to a finished first CLI sync.

Run: python3 benchmarks/bench_doors.py  (prints figures; not a test)

Each door runs on a fresh local GitHub (contract check on) holding issues #1-#5 and the seed analysis in
`.claude/epics/convex/4-analysis.md` on the default branch. Reads are GETs answered 200; 304s are counted
apart (free of rate-limit points). The install figure is a new virtual environment that sees this machine's
installed dependencies (`--system-site-packages`) and installs this repository into it without them
(`pip install --no-deps`, its wheel built in pip's isolated build environment), then the installed
`parallel-work-bot sync` against the local GitHub: what a user with the dependencies cached sees.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import speed_line
from bot.cli.demo_steps import DEFAULT_ACTOR, REPO, Runner, Scenario
from bot.conventions import ACTIONS_LOGIN
from bot.jobs.request import JobRequest
from bot.local.action import run_action
from bot.sandbox.payloads import push_payload
from bot.sync.labels import LABEL_CACHE
from tests.environment import process_env
from tests.paths import ROOT, SEED

ANALYSIS = ".claude/epics/convex/4-analysis.md"


def counts(runner: Runner, mark: int) -> dict[str, int]:
    """Content writes (REST and GraphQL mutations), reads (200: REST GETs and GraphQL queries) and 304s
    since log entry `mark`."""
    log = [e for e in runner.sandbox.log[mark:] if e.path.startswith(("/repos/", "/graphql"))]
    return {"writes": sum(e.is_content_write for e in log),
            "reads": sum((e.method == "GET" or e.operation == "query") and e.status != 304 for e in log),
            "not_modified": sum(e.status == 304 for e in log)}


async def fresh(push: bool = False) -> Runner:
    """A started local GitHub and App with the seed's issues; the analysis on main (delivered if `push`)."""
    LABEL_CACHE.clear()
    runner = Runner(Scenario(issues=[], steps=[], folder=ROOT))
    await runner.start()
    for n in range(1, 6):
        title = {4: "Configure Convex Backend", 5: "Clerk integration"}.get(n, f"Issue {n}")
        runner.sandbox.create_issue(REPO, title, body=f"Body of issue {n}.", user=DEFAULT_ACTOR)
    runner.sandbox.state.push(REPO, "main", {"README.md": "# project\n"})
    if not push:
        runner.sandbox.state.push(REPO, "main", {ANALYSIS: SEED.read_text()})
    return runner


async def app_door() -> list[dict[str, int]]:
    runner = await fresh(push=True)
    try:
        out = []
        for _ in range(2):
            mark = len(runner.sandbox.log)
            if not out:
                await runner.run_step(1, {"push": "4-analysis.md", "to": ANALYSIS})
            else:  # a re-run: the sync job again (as a redelivery or /analyze would run it)
                assert runner.server is not None
                owner, name = REPO.split("/")
                await runner.server.handler(JobRequest(installation_id=1, owner=owner, repo=name, number=4))
            out.append(counts(runner, mark))
        return out
    finally:
        await runner.stop()


async def cli_door() -> list[dict[str, int]]:
    runner = await fresh()
    try:
        out = []
        for _ in range(2):
            mark = len(runner.sandbox.log)
            await runner.cli_sync("")
            out.append(counts(runner, mark))
        return out
    finally:
        await runner.stop()


async def action_door() -> list[dict[str, int]]:
    runner = await fresh()
    sb = runner.sandbox
    try:
        sb.set_permission(REPO, ACTIONS_LOGIN, "write")
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            base = sb.state.repo(REPO).git.commits[sb.state.head(REPO, "main") or ""].parent
            payload = push_payload(sb.shapes, REPO, "main", before=base)
            path = Path(tmp) / "push.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": REPO,
                   "GITHUB_TOKEN": sb.user_token(ACTIONS_LOGIN), "GITHUB_API_URL": sb.base_url,
                   "PWB_PEERS": DEFAULT_ACTOR}
            for _ in range(2):
                mark = len(sb.log)
                await run_action(env, out=io.StringIO())
                out.append(counts(runner, mark))
        return out
    finally:
        await runner.stop()


async def install_then_sync() -> dict[str, float]:
    """Seconds to make a venv and install this repository, then for the installed CLI's first sync."""
    runner = await fresh()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp) / "venv"
            started = time.perf_counter()
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "venv", "--system-site-packages",
                                                     str(venv)], check=True)
            await asyncio.to_thread(subprocess.run, [str(venv / "bin" / "pip"), "install", "--quiet",
                                                     "--no-deps", str(ROOT)], check=True, cwd=tmp)
            installed = time.perf_counter()
            top = Path(tmp) / "checkout"
            (top / ANALYSIS).parent.mkdir(parents=True)
            (top / ANALYSIS).write_text(SEED.read_text(), encoding="utf-8")
            env = process_env(tmp, GITHUB_TOKEN=runner.sandbox.user_token(DEFAULT_ACTOR), PYTHONPATH="")
            proc = await asyncio.create_subprocess_exec(
                str(venv / "bin" / "parallel-work-bot"), "sync", "--repo", REPO, "--api-url",
                runner.sandbox.base_url, "--login", DEFAULT_ACTOR, cwd=top, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            stdout, stderr = await proc.communicate()
            done = time.perf_counter()
            if proc.returncode != 0:
                raise SystemExit(f"sync failed: {stderr.decode()}")
            last = stdout.decode().strip().splitlines()[-1]
        return {"install_s": installed - started, "sync_s": done - installed, "total_s": done - started,
                "line": last}  # type: ignore[dict-item]
    finally:
        await runner.stop()


async def main() -> None:
    rows: list[tuple[str, Any]] = [("App (push webhook)", await app_door()),
                                   ("CLI (parallel-work-bot sync)", await cli_door()),
                                   ("Action (push event)", await action_door())]
    print(f"{'door':30} {'first sync':>32} {'re-run':>32}")
    for name, (first, again) in rows:
        def cell(c: dict[str, int]) -> str:
            return f"{c['writes']} writes, {c['reads']} reads, {c['not_modified']} 304"
        print(f"{name:30} {cell(first):>32} {cell(again):>32}")
    figures = await install_then_sync()
    print(f"pip install (venv, --no-deps): {figures['install_s']:.1f} s; first CLI sync: "
          f"{figures['sync_s']:.1f} s; total {figures['total_s']:.1f} s  [{figures['line']}]")


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    asyncio.run(main())
    print(speed_line("after"))
