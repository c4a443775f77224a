"""Requests per second the local GitHub serves here, without and with the contract check (its cost a request).

Run: python3 benchmarks/bench_sandbox.py [--requests N] [--concurrency C]
Client and server share one process and event loop, as in the tests: the figures include aiohttp client time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from multidict import CIMultiDict, MultiDict

from benchmarks.machine import speed_line
from bot.sandbox import Sandbox
from bot.sandbox.contract import Contract, load_contract
from bot.sandbox.description import packaged_openapi

OPENAPI = packaged_openapi()
REPO = "octo/bench"


async def run_mode(
    label: str, openapi: Path | None, responses: bool, memo: bool, total: int, concurrency: int
) -> float:
    """Serve `total` mixed requests (GET issue, list comments, POST comment, PATCH issue); returns req/s."""
    sb = Sandbox(openapi, validate_responses=responses)
    if sb.contract is not None:
        sb.contract.forget()  # no verdicts carried over from the previous mode
        sb.contract.memo = memo
    sb.add_repo(REPO)
    token = sb.issue_token(1)
    for i in range(20):
        sb.create_issue(REPO, f"issue {i}", body="text " * 50)
        sb.create_comment(REPO, i + 1, "a comment " * 20)
    await sb.start()
    base = f"{sb.base_url}/repos/{REPO}/issues"
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    counter = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        for n in counter:
            number = n % 20 + 1
            kind = n % 4
            if kind == 0:
                req = session.get(f"{base}/{number}")
            elif kind == 1:
                req = session.get(f"{base}/{number}/comments")
            elif kind == 2:
                req = session.post(f"{base}/{number}/comments", json={"body": f"bench {n}"})
            else:
                req = session.patch(f"{base}/{number}", json={"title": f"issue {number} v{n}"})
            async with req as resp:
                await resp.read()
                assert resp.status < 300, resp.status

    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            started = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    finally:
        await sb.stop()
        if sb.contract is not None:
            sb.contract.memo = True
    assert not sb.violations, sb.violations[:3]
    rate = total / elapsed
    print(f"  {label:<52} {rate:7.0f} req/s  {1000 * elapsed / total:6.3f} ms/req")
    return rate


def time_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over `repeat` calls, in 5 batches."""
    batches = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeat):
            fn()
        batches.append((time.perf_counter() - t) / repeat)
    return statistics.median(batches)


def direct_costs() -> None:
    """The contract check alone, outside HTTP: spec load, one request check, one response check."""
    t = time.perf_counter()
    Contract(json.loads(OPENAPI.read_text()))
    load = time.perf_counter() - t
    contract = load_contract(OPENAPI)
    sb = Sandbox()
    sb.add_repo(REPO)
    issue = json.dumps(sb.create_issue(REPO, "t", body="x" * 500)).encode()
    tmpl = "/repos/{owner}/{repo}/issues/{issue_number}"
    path = f"/repos/{REPO}/issues/1"
    body = b'{"sub_issue_id": 3100000007}'
    sub_tmpl = tmpl + "/sub_issues"

    def fresh_request_check() -> object:
        contract.forget()
        return contract.check_request(
            "POST", path + "/sub_issues", sub_tmpl, MultiDict(), {}, body, "application/json"
        )

    req = time_call(fresh_request_check, 200)
    hdrs = CIMultiDict({"Content-Type": "application/json"})

    def fresh_response_check() -> object:
        contract.forget()
        return contract.check_response("GET", path, tmpl, 200, issue, hdrs)

    resp = time_call(fresh_response_check, 100)
    remembered = time_call(lambda: contract.check_response("GET", path, tmpl, 200, issue, hdrs), 100)
    print(f"  parse the description once per process      {1000 * load:8.1f} ms")
    print(f"  check one request (POST sub_issues)         {1000 * req:8.3f} ms")
    print(f"  check one response (an issue, ~6 KB)        {1000 * resp:8.3f} ms")
    print(f"  same response again (verdict remembered)    {1000 * remembered:8.3f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(
        f"local GitHub, {args.requests} requests; 1/4 each GET issue, GET comments, POST comment, PATCH issue"
    )
    for conc in sorted({1, args.concurrency}):
        print(f"concurrency {conc}:")
        n = args.requests
        plain = await run_mode("no contract check", None, False, True, n, conc)
        cold = await run_mode("requests checked, each from scratch", OPENAPI, False, False, n, conc)
        both = await run_mode(
            "requests + responses checked, each from scratch", OPENAPI, True, False, n, conc
        )
        tests = await run_mode(
            "requests + responses, verdicts remembered (tests)", OPENAPI, True, True, n, conc
        )
        print(
            "  contract check cost per request: "
            f"requests {1000 * (1 / cold - 1 / plain):.3f} ms, "
            f"requests + responses {1000 * (1 / both - 1 / plain):.3f} ms, "
            f"as in the tests {1000 * (1 / tests - 1 / plain):.3f} ms"
        )
    print("contract check alone:")
    direct_costs()


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    asyncio.run(main())
    print(speed_line("after"))
