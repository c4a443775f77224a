"""`parallel-work-bot sandbox` serves the local GitHub on loopback with the given token and repo."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp

from tests.environment import process_env
from tests.paths import OPENAPI, ROOT


async def start_cli(*args: str) -> asyncio.subprocess.Process:
    """`parallel-work-bot sandbox --port 0 ARGS...` as a process whose output (stdout and stderr) we read."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "0", *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=process_env(ROOT, PYTHONUNBUFFERED="1"),
    )
    assert proc.stdout is not None
    return proc


async def test_cli_serves_repo_with_token_and_scripted_fault() -> None:
    proc = await start_cli(
        "--token", "ghs_trial", "--repo", "team/proj", "--openapi", str(OPENAPI),
        "--fault", "503:nth=1,method=GET",
    )
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert "team/proj" in line, line
        base = line.split()[3]
        headers = {"Authorization": "token ghs_trial"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.get(f"{base}/repos/team/proj/issues") as r:
                assert r.status == 503
            async with session.post(f"{base}/repos/team/proj/issues", json={"title": "hi"}) as r:
                assert r.status == 201
                assert (await r.json())["user"]["login"] == "parallel-work-bot[bot]"
            async with session.post(
                f"{base}/repos/team/proj/issues/1/sub_issues", json={"sub_issue_number": 1}
            ) as r:
                assert r.status == 422
            async with session.get(
                f"{base}/repos/team/proj/issues", headers={"Authorization": "token x"}
            ) as r:
                assert r.status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "contract violation" in out.decode()


async def test_cli_prints_a_token_when_none_is_given() -> None:
    proc = await start_cli()
    assert proc.stdout is not None
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        second = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        base, token = first.split()[3], second.split()[-1]
        assert token.startswith("ghs_")
        headers = {"Authorization": f"token {token}"}
        url = f"{base}/repos/octo/sandbox/issues"
        async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
