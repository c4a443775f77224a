"""GitHub's content limits (80 writes a minute, 500 an hour per installation): the pacer keeps them, a big
plan is built in slices across jobs, and the summary says what waits."""

from __future__ import annotations

import heapq
from typing import Any

import aiohttp
import pytest

from bot.conventions import CONTENT_PER_HOUR, CONTENT_PER_MINUTE
from bot.github.client import GitHubClient
from bot.github.pacing import SLICE_SECONDS, Budget, BudgetWait, InProcessPacer
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from bot.sync.budget import building_line
from tests.fixtures.sandbox import AppKeys, FakeTime, started_sandbox
from tests.test_sync_support import FAST, NAME, OWNER, REPO, forget_labels, generated_plan


def test_budget_windows() -> None:
    budget = Budget(per_minute=3, per_hour=5)
    assert budget.fits_at([], 100.0) == 100.0
    assert budget.fits_at([10.0, 20.0, 30.0], 40.0) == 70.0  # the minute's 3: when the first leaves it
    assert budget.fits_at([10.0, 20.0, 30.0], 40.0, n=2) == 80.0
    hour = [0.0, 100.0, 200.0, 300.0, 400.0]
    assert budget.fits_at(hour, 500.0) == 3600.0 and budget.left(hour, 500.0) == 0
    assert budget.left(hour, 3650.0) == 1
    # The hour leaves 2: a job makes 2 now; the other 3 fit once three of the hour's writes have left it.
    room = budget.room([0.0, 100.0, 200.0], 500.0, want=5, interval=0.0)
    assert room.writes == 2 and room.resume_at == 3800.0
    # Only the slice bounds it: the rest goes on at once, in a new job.
    room = Budget().room([], 0.0, want=500, interval=1.0)
    assert room.writes == int(SLICE_SECONDS) and room.resume_at == 0.0
    assert Budget(None, None).room([], 0.0, want=10_000, interval=0.0).writes is None


async def test_a_write_past_the_hour_raises_budget_wait_and_a_short_wait_is_waited() -> None:
    fake = FakeTime(1_000_000.0)
    budget = Budget(per_minute=2, per_hour=3)
    pacer = InProcessPacer(0.0, clock=fake, wall=fake, sleep=fake.sleep, budget=budget)
    for _ in range(2):
        async with pacer.slot("k"):
            pass
    async with pacer.slot("k"):  # the minute's 2 are used: wait for the first to leave it
        pass
    assert fake.sleeps == [60.0]
    with pytest.raises(BudgetWait) as caught:
        async with pacer.slot("k"):
            pytest.fail("no room this hour")
    assert caught.value.reset_at == 1_000_000.0 + 3600.0
    async with pacer.slot("other"):  # another installation has its own budget
        pass


def test_the_building_line_says_how_far_and_when() -> None:
    line = building_line(12, 40, 57, resume_at=1_800_000_300.0, now=1_800_000_000.0)
    assert line == ("_Building: 12 of 40 streams created; the rest (57 writes) at 08:05 UTC "
                    "(GitHub's hourly content limit)._")
    assert "in a moment" in building_line(60, 100, 1, resume_at=5.0, now=5.0)


def _summary(sb: Sandbox, number: int) -> str:
    comments = sb.snapshot(REPO)["issues"][str(number)]["comments"]
    return next(c["body"] for c in comments if c["body"].startswith("<!-- parallel-work-bot:summary"))


PLANS, STREAMS = 5, 100


async def test_five_hundred_stream_plans_on_one_installation_never_meet_a_content_limit(
    app_keys: AppKeys,
) -> None:
    """At github.com pacing (1 s, on a fake clock) with the local GitHub enforcing GitHub's limits: every job
    writes at most a slice, the hour's budget is never passed, and every plan converges."""
    forget_labels()
    fake = FakeTime()
    options: dict[str, Any] = {"clock": fake, "secondary_limit": CONTENT_PER_MINUTE,
                               "hourly_limit": CONTENT_PER_HOUR}
    async with started_sandbox(app_keys, **options) as sb:
        token = sb.issue_token(1, ttl=10 * 24 * 3600)
        for n in range(1, PLANS + 1):
            sb.create_issue(REPO, f"Epic {n}", "Body")
            sb.create_comment(REPO, n, generated_plan(STREAMS, n))
        pacer = InProcessPacer(1.0, clock=fake, wall=fake, sleep=fake.sleep)
        begun = fake()
        jobs = [(fake(), n) for n in range(1, PLANS + 1)]  # the queue: (run at, issue)
        heapq.heapify(jobs)
        runs: dict[int, int] = dict.fromkeys(range(1, PLANS + 1), 0)
        building: dict[int, list[str]] = {n: [] for n in runs}
        async with aiohttp.ClientSession() as session:
            gh = GitHubClient(session, base_url=sb.base_url, oauth_token=token, policy=FAST, pacer=pacer,
                              pacer_key="installation:1", clock=fake, sleep=fake.sleep)
            while jobs:
                at, n = heapq.heappop(jobs)
                fake.now = max(fake.now, at)
                started = fake.now
                result = await sync_issue(gh, OWNER, NAME, n)
                runs[n] += 1
                assert not result.errors
                assert result.writes <= SLICE_SECONDS + 2  # a slice, then the summary (no worker held long)
                assert fake.now - started <= SLICE_SECONDS + 5
                if result.resume_at is not None:
                    assert result.deferred > 0
                    building[n].append(_summary(sb, n))
                    heapq.heappush(jobs, (result.resume_at, n))
            settled = [await sync_issue(gh, OWNER, NAME, n) for n in runs]
    assert [e for e in sb.log if e.status in (403, 429)] == [] and sb.ledger.refused == 0
    assert all(r.writes == 0 and r.resume_at is None for r in settled)
    snap = sb.snapshot(REPO)["issues"]
    for n in runs:
        assert len(snap[str(n)]["sub_issues"]) == STREAMS
        assert "Building:" not in _summary(sb, n)
        # While it was built, its summary said how far it was and that the rest follows.
        assert building[n] and all("streams created; the rest" in s for s in building[n])
    assert len(snap) == PLANS + PLANS * STREAMS
    # The hour's budget was what held the plans back (not only the slices): some job waited past an hour.
    assert any("GitHub's hourly content limit" in s for b in building.values() for s in b)
    assert sum(runs.values()) > PLANS * 3
    # No hour saw more than 500 writes: the last of them waited for the hours before to pass.
    assert fake.now - begun >= 3600 * (sb.accounting(1).writes // CONTENT_PER_HOUR)


async def test_the_job_builds_a_big_plan_in_slices_and_hands_the_worker_back(app_keys: AppKeys) -> None:
    """Through the App's queue and handler: each job writes a slice (here 10 writes), says how far it got in
    the summary, and is rescheduled at once until the plan is built."""
    from bot.app.server import BotServer
    from bot.config import given_settings
    from bot.github.retry import RetryPolicy
    from bot.jobs.handler import build_handler
    from bot.jobs.retry import JobRetry
    from bot.metrics import Metrics
    from tests.fixtures.app import SECRET, BotApp
    from tests.paths import OPENAPI

    forget_labels()
    sb = Sandbox(OPENAPI, app_id=1, public_key_pem=app_keys.public_pem, validate_responses=True)
    sb.add_repo(REPO, installation_id=1)
    sb.set_permission(REPO, "octocat", "write")
    await sb.start()
    settings = given_settings(github_app_id=1, github_private_key=app_keys.private_pem,
                              github_webhook_secret=SECRET, github_api_url=sb.base_url, database_url=None)
    metrics = Metrics()
    pacer = InProcessPacer(0.01, slice_seconds=0.1, budget=Budget(None, None))  # 10 writes a job
    policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0, timeout=5.0)
    handler = build_handler(settings, metrics=metrics, pacer=pacer, policy=policy)
    server = BotServer(settings, metrics=metrics, poll_interval=0.05, handler=handler,
                       queue_options={"retry": JobRetry(max_attempts=3)})
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            app = BotApp(sb, server, http, metrics)
            sb.create_issue(REPO, "Epic", "Body")
            comment = sb.create_comment(REPO, 1, generated_plan(10, 1))
            await app.post("issue_comment", app.comment_event("created", comment))
            await app.idle(60)
    finally:
        await server.stop()
        await sb.stop()
    assert sb.violations == []
    snap = sb.snapshot(REPO)["issues"]
    assert len(snap["1"]["sub_issues"]) == 10 and len(snap) == 11
    # 10 streams: 6 labels + 10 creates + 9 blocked-by + 1 label call, the 5 briefs naming sub-issues made
    # after them (streams 1-5; each new one is created naming those before it), and the summary (written by
    # each of the four jobs) = 35 writes, 10 a job: three jobs leave the rest for the next, their summaries
    # saying how far, then the last one.
    deferred, done = app.jobs("sync", "deferred"), app.jobs("sync", "ok")
    assert (deferred, done) == (3, 1)
    said = [e.request_body.decode() for e in sb.log if e.is_write and b"Building: " in e.request_body]
    assert len(said) == 3
    assert "Building: 3 of 10 streams created; the rest (17 writes) follows in a moment" in said[0]
    assert "Building: 10 of 10 streams created; the rest (9 writes) follows in a moment" in said[1]
    assert "Building: 10 of 10 streams created; the rest (4 writes) follows in a moment" in said[2]
    assert sb.accounting(1).writes == 35
    assert "Building:" not in _summary(sb, 1)
