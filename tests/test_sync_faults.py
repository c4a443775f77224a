"""Convergence: fail each write of the seed's first sync (before or after it takes effect), sync again."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import gidgethub
import gidgethub.aiohttp
import pytest

from bot.github.client import GitHubClient
from bot.github.errors import OutcomeUnknown
from bot.sandbox import Fault, Sandbox
from bot.sync import sync_issue
from tests.paths import OPENAPI
from tests.test_sync_support import FAST, NAME, OWNER, REPO, client, forget_labels, seed_issues

#: Writes of the seed's undisturbed first sync (see test_sync.SEED_MINIMUM).
SEED_WRITES = 18
#: Its requests with a write method: the writes, and one GraphQL query (the node ids its creates need).
SEED_POSTS = SEED_WRITES + 1
WRITE_METHODS = "POST|PATCH|PUT|DELETE"
#: The seed's GraphQL writes: one createIssue per stream, each already linked.
SEED_MUTATIONS = 4


@asynccontextmanager
async def fresh_sandbox() -> AsyncIterator[Sandbox]:
    """A started local GitHub with the contract check on and the seed's issues; fails on any violation."""
    # Each sandbox's clock starts at the same minute, so the summary's "edited" time of the plan's comment
    # is the same in every run compared with the baseline (the clock still runs: ETags move with it).
    start = time.time()
    sb = Sandbox(OPENAPI, validate_responses=True, clock=lambda: _EPOCH + time.time() - start)
    sb.add_repo(REPO, installation_id=1)
    sb.set_permission(REPO, "octocat", "write")
    sb.token = sb.issue_token(1)
    seed_issues(sb)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()
    assert sb.violations == []


@asynccontextmanager
async def bare_client(sb: Sandbox) -> AsyncIterator[gidgethub.aiohttp.GitHubAPI]:
    """Plain gidgethub: no retries and no OutcomeUnknown, so a failed write ends the first sync."""
    async with aiohttp.ClientSession() as session:
        yield gidgethub.aiohttp.GitHubAPI(
            session, "parallel-work-bot", oauth_token=sb.token, base_url=sb.base_url
        )


_baseline: dict[str, Any] = {}
#: 2026-01-01 00:00:00 UTC.
_EPOCH = 1767225600.0


async def baseline() -> dict[str, Any]:
    """The snapshot after an undisturbed first sync (computed once)."""
    if not _baseline:
        forget_labels()
        async with fresh_sandbox() as sb, client(sb) as gh:
            result = await sync_issue(gh, OWNER, NAME, 4)
            assert result.writes == SEED_WRITES
            assert len([e for e in sb.log if e.method in WRITE_METHODS.split("|")]) == SEED_POSTS
            assert len([e for e in sb.log if e.operation == "mutation"]) == SEED_MUTATIONS
            _baseline.update(sb.snapshot(REPO))
    return _baseline


#: (fault, client): the bot's client recovers within one sync (re-read after OutcomeUnknown); plain gidgethub
#: lets a 502 end the first sync, so the second must find and finish what the first left half-done.
CASES = [("502", False), ("drop_after", False), ("502", True)]


@pytest.mark.parametrize(("kind", "bare"), CASES, ids=["502-client", "drop_after-client", "502-bare"])
@pytest.mark.parametrize("k", range(1, SEED_POSTS + 1))
async def test_fault_at_each_write_converges(k: int, kind: str, bare: bool) -> None:
    expected = await baseline()
    forget_labels()
    async with fresh_sandbox() as sb:
        fault = sb.add_fault(Fault(kind=kind, nth=k, method=WRITE_METHODS))
        make = bare_client if bare else client
        async with make(sb) as gh:
            try:
                await sync_issue(gh, OWNER, NAME, 4)
            except (OutcomeUnknown, gidgethub.GitHubException, aiohttp.ClientError):
                assert bare, "the bot's client re-reads and finishes within the same sync"
        assert fault.fired == 1
        sb.faults.clear()
        async with client(sb) as gh:
            await sync_issue(gh, OWNER, NAME, 4)
            again = await sync_issue(gh, OWNER, NAME, 4)
        assert again.writes == 0
        assert sb.snapshot(REPO) == expected


@pytest.mark.parametrize("kind", ["502", "drop_after", "secondary"])
@pytest.mark.parametrize("k", range(1, SEED_MUTATIONS + 1))
async def test_fault_at_each_graphql_write_converges(k: int, kind: str) -> None:
    """A 502 or a dropped connection after createIssue: the outcome is unknown, the sync re-reads and finds
    the sub-issue (linked) if it was made; a secondary limit: the client waits as told and sends it again."""
    expected = await baseline()
    forget_labels()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with fresh_sandbox() as sb:
        fault = sb.add_fault(Fault(kind=kind, nth=k, operation="mutation", retry_after=7))
        async with aiohttp.ClientSession() as session:
            gh = GitHubClient(session, base_url=sb.base_url, oauth_token=sb.token, policy=FAST, sleep=sleep)
            result = await sync_issue(gh, OWNER, NAME, 4)
            again = await sync_issue(gh, OWNER, NAME, 4)
        assert fault.fired == 1
        hit = [e for e in sb.log if e.fault is not None]
        assert [(e.path, e.operation) for e in hit] == [("/graphql", "mutation")]
        assert again.writes == 0
        assert sb.snapshot(REPO) == expected  # nothing created twice, everything linked once
        assert result.rounds == (1 if kind == "secondary" else 2)
        assert (7 in waits) == (kind == "secondary")
