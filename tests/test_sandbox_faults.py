"""Faults on demand and accounting of the local GitHub: faults fire as scripted; the counters add up."""

from __future__ import annotations

import asyncio
import itertools

import aiohttp
import pytest

from bot.sandbox import Fault, Sandbox
from tests.fixtures.sandbox import REPO, Api

ISSUES = f"/repos/{REPO}/issues"


async def test_status_faults_at_the_nth_request(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    fault = sandbox.faults.add(Fault("503", nth=2))
    statuses = [(await api("GET", f"{ISSUES}/1")).status for _ in range(3)]
    assert statuses == [200, 503, 200]
    assert fault.fired == 1 and fault.seen == 3
    for kind in ("500", "502"):
        sandbox.faults.add(kind)
        r = await api("GET", f"{ISSUES}/1")
        assert r.status == int(kind) and r.data["message"]
    assert sandbox.accounting(1).faults == 3


async def test_secondary_limit_and_429_carry_retry_after(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    sandbox.faults.add(Fault("secondary", method="POST", path=r"/comments$", retry_after=7, times=2))
    sandbox.faults.add(Fault("429", method="GET", retry_after=3))
    for _ in range(2):
        r = await api("POST", f"{ISSUES}/1/comments", {"body": "x"})
        assert r.status == 403 and r.headers["Retry-After"] == "7"
        assert "secondary rate limit" in r.data["message"]
    assert (await api("POST", f"{ISSUES}/1/comments", {"body": "x"})).status == 201
    r = await api("GET", f"{ISSUES}/1")
    assert r.status == 429 and r.headers["Retry-After"] == "3"
    assert len(sandbox.snapshot(REPO)["issues"]["1"]["comments"]) == 1


async def test_primary_limit_fault(sandbox: Sandbox, api: Api) -> None:
    sandbox.faults.add(Fault("primary", reset_in=90))
    r = await api("GET", ISSUES)
    assert r.status == 403 and "rate limit exceeded" in r.data["message"]
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-reset"]) >= int(sandbox.clock()) + 89
    assert (await api("GET", ISSUES)).status == 200


async def test_dropped_connection_before_and_after_the_write(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    sandbox.faults.add("drop_before:method=POST")
    with pytest.raises(aiohttp.ClientError):
        await api("POST", f"{ISSUES}/1/comments", {"body": "lost"})
    assert sandbox.snapshot(REPO)["issues"]["1"]["comments"] == []
    sandbox.faults.add("drop_after:method=POST")
    with pytest.raises(aiohttp.ClientError):
        await api("POST", f"{ISSUES}/1/comments", {"body": "applied"})
    assert [c["body"] for c in sandbox.snapshot(REPO)["issues"]["1"]["comments"]] == ["applied"]
    assert [e.fault for e in sandbox.writes()] == ["drop_before", "drop_after"]
    acct = sandbox.accounting(1)
    assert (acct.writes, acct.faults) == (1, 2)  # only the write that took effect counts


async def test_slow_answer_is_served_after_the_delay(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    fault = sandbox.faults.add("slow:delay=0.05,path=/issues/1$")
    r = await api("GET", f"{ISSUES}/1")
    assert r.status == 200 and fault.fired == 1
    assert sandbox.log[-1].fault == "slow"


async def test_random_faults_are_reproducible_with_a_seed(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")

    async def pattern(seed: int) -> list[int]:
        sandbox.faults.clear()
        sandbox.faults.add(Fault("502", probability=0.4, seed=seed, times=None))
        return [(await api("GET", f"{ISSUES}/1")).status for _ in range(20)]

    first, again, other = await pattern(7), await pattern(7), await pattern(8)
    assert first == again
    assert first != other
    assert 0 < first.count(502) < 20


async def test_times_caps_a_fault() -> None:
    fault = Fault("500", path="/x", times=2)
    fired = [fault.check("GET", "/x") for _ in range(4)]
    assert fired == [True, True, False, False]
    assert not Fault("500", method="POST").check("GET", "/x")
    unlimited = Fault.parse("503:times=0,nth=2")
    assert [unlimited.check("GET", "/") for _ in range(4)] == [False, True, True, True]


def test_fault_specs_parse_and_reject_nonsense() -> None:
    f = Fault.parse("secondary:method=POST,path=/sub_issues$,retry_after=2,times=3")
    assert (f.kind, f.method, f.path, f.retry_after, f.times, f.status) == (
        "secondary",
        "POST",
        "/sub_issues$",
        2,
        3,
        403,
    )
    for bad in ("teapot", "500:nth", "500:colour=red"):
        with pytest.raises(ValueError):
            Fault.parse(bad)


async def test_accounting_and_request_log(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    first = await api("GET", f"{ISSUES}/1")
    await api("GET", f"{ISSUES}/1", headers={"If-None-Match": first.headers["ETag"]})
    await api("POST", f"{ISSUES}/1/comments", {"body": "a"})
    await api("PATCH", f"{ISSUES}/1", {"title": "u"})
    await api("GET", f"{ISSUES}/99")  # a 404 still costs a request
    acct = sandbox.accounting(1)
    assert acct.as_dict() == {
        "reads": 2,
        "writes": 2,
        "not_modified": 1,
        "points": 2 + 10,
        "faults": 0,
        "secondary_limited": 0,
        "used": 4,
        "remaining": 4996,
    }
    log = sandbox.log
    assert [(e.method, e.status) for e in log] == [
        ("GET", 200),
        ("GET", 304),
        ("POST", 201),
        ("PATCH", 200),
        ("GET", 404),
    ]
    assert [e.seq for e in log] == [1, 2, 3, 4, 5]
    assert all(e.start <= e.end for e in log)
    assert all(a.end <= b.start for a, b in itertools.pairwise(log))  # sequential calls do not overlap
    assert all(e.api_version == "2022-11-28" and e.installation_id == 1 for e in log)
    assert [e.path for e in sandbox.writes()] == [f"{ISSUES}/1/comments", f"{ISSUES}/1"]


async def test_log_shows_overlapping_writes(sandbox: Sandbox, api: Api) -> None:
    """Concurrent writes overlap in the log: the record a client test uses to prove it never does this."""
    sandbox.create_issue(REPO, "t")
    sandbox.faults.add(Fault("slow", delay=0.1, method="POST", times=None))
    await asyncio.gather(*(api("POST", f"{ISSUES}/1/comments", {"body": str(i)}) for i in range(2)))
    a, b = sandbox.writes()
    assert a.start < b.end and b.start < a.end


async def test_content_creation_limit_per_minute() -> None:
    """With `secondary_limit`, the 81st POST in a minute gets a secondary-limit 403 until the window moves."""
    now = [1_700_000_000.0]
    sb = Sandbox(clock=lambda: now[0], secondary_limit=80)
    sb.add_repo(REPO)
    token = sb.issue_token(1, ttl=10_000)
    sb.create_issue(REPO, "t")
    await sb.start()
    try:
        async with aiohttp.ClientSession() as session:
            caller = Api(session, sb.base_url, token)
            for i in range(80):
                now[0] += 0.5
                assert (await caller("POST", f"{ISSUES}/1/comments", {"body": str(i)})).status == 201
            limited = await caller("POST", f"{ISSUES}/1/comments", {"body": "81"})
            assert limited.status == 403 and "secondary rate limit" in limited.data["message"]
            assert 1 <= int(limited.headers["Retry-After"]) <= 21
            assert (
                await caller("PATCH", f"{ISSUES}/1", {"title": "edits are not content creation"})
            ).status == 200
            now[0] += int(limited.headers["Retry-After"])
            assert (await caller("POST", f"{ISSUES}/1/comments", {"body": "later"})).status == 201
    finally:
        await sb.stop()
    assert sb.accounting(1).secondary_limited == 1
    assert len(sb.snapshot(REPO)["issues"]["1"]["comments"]) == 81


async def test_secondary_limit_without_retry_after(sandbox: Sandbox, api: Api) -> None:
    sandbox.faults.add(Fault("secondary", retry_after=-1))
    r = await api("GET", ISSUES)
    assert r.status == 403 and "Retry-After" not in r.headers
    assert "secondary rate limit" in r.data["message"]


async def test_a_crash_of_the_sandbox_is_recorded(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    sandbox.shapes.issue = None  # type: ignore[assignment,method-assign]  # break it on purpose
    r = await api("GET", f"{ISSUES}/1")
    assert r.status == 500
    assert len(sandbox.errors) == 1 and "TypeError" in sandbox.errors[0]
    sandbox.errors.clear()
