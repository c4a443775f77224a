"""GitHubClient against the local GitHub: API version, 304s from the ETag cache, pagination, typed errors,
serial paced writes, and a GitHub Enterprise base URL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import gidgethub
import pytest

from bot.github import API_VERSION, GitHubClient, InProcessPacer, new_etag_cache
from bot.sandbox import Sandbox
from tests.fixtures.sandbox import APP_ID, REPO, AppKeys, FakeTime, started_sandbox

ISSUE = "/repos/octo/sandbox/issues/{number}"


def client(session: aiohttp.ClientSession, sandbox: Sandbox, **kwargs: Any) -> GitHubClient:
    kwargs.setdefault("cache", new_etag_cache())
    return GitHubClient(session, "tests", base_url=sandbox.base_url, oauth_token=sandbox.token, **kwargs)


async def test_every_request_carries_the_api_version(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "One")
    gh = client(session, sandbox)
    await gh.getitem(ISSUE, {"number": 1})
    await gh.post(ISSUE + "/comments", {"number": 1}, data={"body": "hi"})
    await gh.patch(ISSUE, {"number": 1}, data={"title": "Uno"})
    assert len(sandbox.log) == 3
    assert {e.api_version for e in sandbox.log} == {API_VERSION} == {"2022-11-28"}


async def test_second_read_is_a_304_served_from_the_cache(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Cached")
    gh = client(session, sandbox)
    first = await gh.getitem(ISSUE, {"number": 1})
    spent = sandbox.accounting(1).points
    second = await gh.getitem(ISSUE, {"number": 1})
    assert second == first
    assert [e.status for e in sandbox.log] == [200, 304]
    assert "if-none-match" in {k.lower() for k in sandbox.log[1].headers}
    acct = sandbox.accounting(1)
    assert acct.not_modified == 1
    assert acct.points == spent  # a 304 costs nothing
    assert gh.stats.not_modified == 1
    assert gh.stats.reads == 2
    # A change makes the ETag differ: the next read is a full 200 with the new data.
    await gh.patch(ISSUE, {"number": 1}, data={"title": "Changed"})
    third = await gh.getitem(ISSUE, {"number": 1})
    assert third["title"] == "Changed"
    assert sandbox.log[-1].status == 200


async def test_by_default_a_client_has_its_own_etag_cache(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Default")
    gh = GitHubClient(session, base_url=sandbox.base_url, oauth_token=sandbox.token)
    await gh.getitem(ISSUE, {"number": 1})
    await gh.getitem(ISSUE, {"number": 1})
    assert [e.status for e in sandbox.log] == [200, 304]


async def test_without_a_cache_reads_are_not_conditional(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Plain")
    gh = client(session, sandbox, cache=None)
    await gh.getitem(ISSUE, {"number": 1})
    await gh.getitem(ISSUE, {"number": 1})
    assert [e.status for e in sandbox.log] == [200, 200]
    assert sandbox.accounting(1).not_modified == 0


async def test_getiter_follows_link_pages_over_250_items(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    for n in range(260):
        sandbox.create_issue(REPO, f"Issue {n + 1}")
    gh = client(session, sandbox)
    numbers = [i["number"] async for i in gh.getiter("/repos/octo/sandbox/issues?state=all&per_page=100")]
    assert sorted(numbers) == list(range(1, 261))
    assert len(numbers) == len(set(numbers)) == 260
    pages = [e for e in sandbox.log if e.path == "/repos/octo/sandbox/issues"]
    assert len(pages) == 3
    # Paging again is served from the cache page by page.
    again = [i["number"] async for i in gh.getiter("/repos/octo/sandbox/issues?state=all&per_page=100")]
    assert again == numbers
    assert sandbox.accounting(1).not_modified == 3


async def test_other_4xx_raise_gidgethubs_typed_errors_with_githubs_message(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    gh = client(session, sandbox)
    with pytest.raises(gidgethub.BadRequest) as missing:
        await gh.getitem(ISSUE, {"number": 404})
    assert missing.value.status_code == 404
    assert str(missing.value) == "Not Found"
    with pytest.raises(gidgethub.InvalidField) as invalid:
        await gh.post("/repos/octo/sandbox/labels", data={"name": "x", "color": "not-a-colour"})
    assert invalid.value.status_code == 422
    assert "Validation Failed" in str(invalid.value)
    assert "color" in str(invalid.value)
    # Neither was retried: one request each.
    assert len(sandbox.log) == 2
    assert gh.stats.retries == 0


async def test_a_plain_403_is_not_mistaken_for_a_rate_limit(
    sandbox: Sandbox, session: aiohttp.ClientSession, app_keys: AppKeys
) -> None:
    sandbox.create_issue(REPO, "Not for the App itself")
    fake = FakeTime()
    # The App's JWT may not read repositories: 403 "Resource not accessible by integration".
    gh = GitHubClient(
        session,
        base_url=sandbox.base_url,
        app_id=str(APP_ID),
        private_key=app_keys.private_pem,
        clock=fake,
        sleep=fake.sleep,
    )
    with pytest.raises(gidgethub.BadRequest) as err:
        await gh.getitem(ISSUE, {"number": 1})
    assert err.value.status_code == 403
    assert str(err.value) == "Resource not accessible by integration"
    assert fake.sleeps == []
    assert len(sandbox.log) == 1


async def test_concurrent_writes_never_overlap_and_keep_their_order(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Busy")
    # Every write takes a while, so unpaced writes would certainly overlap.
    sandbox.add_fault("slow:method=POST|PATCH,delay=0.02,times=0")
    gh = client(session, sandbox)  # loopback: interval 0, but still one write at a time
    n = 8
    await asyncio.gather(
        *(gh.post(ISSUE + "/comments", {"number": 1}, data={"body": f"comment {i}"}) for i in range(n)),
        gh.patch(ISSUE, {"number": 1}, data={"title": "Still busy"}),
    )
    writes = sandbox.writes()
    assert len(writes) == n + 1
    for before, after in itertools.pairwise(writes):
        assert after.start >= before.end, f"write {after.seq} started before write {before.seq} ended"
    bodies = [e.request_body for e in writes if e.method == "POST"]
    assert bodies == [f'{{"body": "comment {i}"}}'.encode() for i in range(n)]
    assert writes[-1].method == "PATCH"  # submitted last, served last
    comments = sandbox.snapshot(REPO)["issues"]["1"]["comments"]
    assert len(comments) == n


async def test_reads_are_not_serialised(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    """The control for the test above: the log does show overlap when requests do overlap."""
    sandbox.create_issue(REPO, "Read me")
    sandbox.add_fault("slow:method=GET,delay=0.05,times=0")
    gh = client(session, sandbox, cache=None)
    await asyncio.gather(*(gh.getitem(ISSUE, {"number": 1}) for _ in range(4)))
    reads = sorted(sandbox.log, key=lambda e: e.start)
    assert any(b.start < a.end for a, b in itertools.pairwise(reads))


async def test_writes_are_paced_on_the_injected_clock(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Paced")
    fake = FakeTime()
    pacer = InProcessPacer(1.0, clock=fake, sleep=fake.sleep)
    gh = client(session, sandbox, pacer=pacer, pacer_key="installation:1")
    await gh.getitem(ISSUE, {"number": 1})  # reads do not wait
    for i in range(3):
        await gh.post(ISSUE + "/comments", {"number": 1}, data={"body": f"c{i}"})
    fake.advance(0.3)
    await gh.patch(ISSUE, {"number": 1}, data={"title": "Paced!"})
    assert fake.sleeps == [1.0, 1.0, pytest.approx(0.7)]
    assert pacer.waits[0] == ("installation:1", 1.0)
    assert len(sandbox.writes()) == 4


def test_default_write_interval_is_one_second_except_on_loopback() -> None:
    async def intervals() -> list[float]:
        async with aiohttp.ClientSession() as s:
            found = []
            for url in ("https://api.github.com", "https://ghe.example.com/api/v3", "http://127.0.0.1:9"):
                pacer = GitHubClient(s, base_url=url, oauth_token="t").pacer
                assert isinstance(pacer, InProcessPacer)
                found.append(pacer.interval)
            custom = GitHubClient(s, base_url="https://api.github.com", write_interval=2.5).pacer
            assert isinstance(custom, InProcessPacer)
            found.append(custom.interval)
            return found

    assert asyncio.run(intervals()) == [1.0, 1.0, 0.0, 2.5]


@pytest.fixture
async def enterprise(app_keys: AppKeys) -> AsyncIterator[Sandbox]:
    """A GitHub Enterprise-like host: the local GitHub served under `/api/v3` only (404 anywhere else)."""
    async with started_sandbox(app_keys, path_prefix="/api/v3") as sb:
        yield sb


async def test_enterprise_base_url_keeps_its_path_prefix(
    enterprise: Sandbox, session: aiohttp.ClientSession
) -> None:
    ghes = enterprise
    assert ghes.base_url.endswith("/api/v3")
    ghes.create_issue(REPO, "On GHES")
    gh = GitHubClient(session, base_url=ghes.base_url, oauth_token=ghes.token, cache=new_etag_cache())
    issue = await gh.getitem("/repos/{owner}/{repo}/issues/1", {"owner": "octo", "repo": "sandbox"})
    assert issue["title"] == "On GHES"
    await gh.getitem("repos/octo/sandbox/issues/1")  # no leading slash: same URL, from the cache
    await gh.post("/repos/octo/sandbox/issues/1/comments", data={"body": "hello from GHES"})
    # Only what is under /api/v3 is answered, so these answers show every request kept the prefix.
    assert [(e.method, e.path, e.status) for e in ghes.log] == [
        ("GET", "/repos/octo/sandbox/issues/1", 200),
        ("GET", "/repos/octo/sandbox/issues/1", 304),
        ("POST", "/repos/octo/sandbox/issues/1/comments", 201),
    ]
