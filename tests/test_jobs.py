"""The job queue, in memory and on real PostgreSQL: one job per issue, coalescing, retries, rate limits."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from bot.github.client import GitHubClient
from bot.github.retry import RetryPolicy
from bot.jobs.deliveries import DeliveryLog
from bot.jobs.queue import JobQueue, QueueUnavailable
from bot.jobs.request import JobRequest
from bot.jobs.retry import JobRetry
from bot.sandbox import Sandbox
from tests.fixtures.sandbox import REPO

OWNER, NAME = REPO.split("/")


@dataclass
class Run:
    number: int
    reason: str
    start: float
    end: float = 0.0
    error: str = ""


@dataclass
class Commenter:
    """A real handler: each job posts a comment `job <reason>` on its issue through the local GitHub."""

    base_url: str
    token: str
    runs: list[Run] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    hold: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _active: set[str] = field(default_factory=set)

    async def __call__(self, request: JobRequest) -> None:
        key = request.issue_key
        if key in self._active:
            self.overlaps.append(key)
        self._active.add(key)
        run = Run(request.number, request.reason, time.monotonic())
        self.runs.append(run)
        try:
            self.started.set()
            if self.hold is not None:
                await self.hold.wait()
            async with aiohttp.ClientSession() as session:
                gh = GitHubClient(session, base_url=self.base_url, oauth_token=self.token,
                                  policy=RetryPolicy(max_rate_limit_wait=0.0, attempts=1))
                await gh.post(f"/repos/{request.owner}/{request.repo}/issues/{request.number}/comments",
                              data={"body": f"job {request.reason}"})
        except Exception as exc:
            run.error = type(exc).__name__
            raise
        finally:
            run.end = time.monotonic()
            self._active.discard(key)
            self.finished.set()


def comments(sandbox: Sandbox, number: int) -> list[str]:
    issue = sandbox.snapshot(REPO)["issues"][str(number)]
    return [c["body"] for c in issue["comments"]]


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """None (in memory) or a DSN to a fresh database of a real PostgreSQL server."""
    if request.param == "memory":
        return None
    dsn: str = request.getfixturevalue("pg_dsn")
    return dsn


QueueFactory = Callable[..., Awaitable[JobQueue]]


@pytest.fixture
async def make_queue(backend: str | None) -> AsyncIterator[QueueFactory]:
    queues: list[JobQueue] = []

    async def make(handler: Any, *, concurrency: int = 4, **kwargs: Any) -> JobQueue:
        kwargs.setdefault("retry", JobRetry(max_attempts=4, exponential_wait=0))
        queue = JobQueue(handler, database_url=backend, write_interval=0.0, **kwargs)
        await queue.open()
        queues.append(queue)
        queue.start_worker(concurrency=concurrency, poll_interval=0.05, heartbeat_interval=1.0)
        return queue

    yield make
    for queue in queues:
        await queue.close()


def request(number: int, reason: str, **kw: Any) -> JobRequest:
    return JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=number, reason=reason, **kw)


async def test_one_job_per_issue_at_a_time_in_order(sandbox: Sandbox, make_queue: QueueFactory) -> None:
    numbers = [sandbox.create_issue(REPO, f"issue {i}")["number"] for i in range(3)]
    handler = Commenter(sandbox.base_url, sandbox.token)
    queue = await make_queue(handler, concurrency=6)
    # Commands of different authors never coalesce, so every job runs: in order, one at a time.
    for step in range(4):
        for number in numbers:
            job = request(number, f"{number}-{step}", kind="command", comment_id=step + 1,
                          command="analyze", author=f"user{step}")
            assert await queue.enqueue(job)
    await queue.wait_idle(30)
    assert handler.overlaps == []
    for number in numbers:
        assert comments(sandbox, number) == [f"job {number}-{step}" for step in range(4)]
        runs = [r for r in handler.runs if r.number == number]
        assert all(a.end <= b.start for a, b in itertools.pairwise(runs))


async def test_burst_of_20_while_one_runs_coalesces_to_two_runs(
    sandbox: Sandbox, make_queue: QueueFactory
) -> None:
    number = sandbox.create_issue(REPO, "busy issue")["number"]
    handler = Commenter(sandbox.base_url, sandbox.token, hold=asyncio.Event())
    queue = await make_queue(handler)
    assert await queue.enqueue(request(number, "first"))
    await asyncio.wait_for(handler.started.wait(), 10)
    accepted = [await queue.enqueue(request(number, f"edit {i}")) for i in range(20)]
    assert accepted == [True] + [False] * 19  # one waiting job; the 19 others coalesce into it
    handler.hold.set()  # type: ignore[union-attr]
    await queue.wait_idle(30)
    assert [r.reason for r in handler.runs] == ["first", "edit 0"]
    assert comments(sandbox, number) == ["job first", "job edit 0"]


async def test_transient_failures_are_retried_to_success(sandbox: Sandbox, make_queue: QueueFactory) -> None:
    number = sandbox.create_issue(REPO, "flaky")["number"]
    fault = sandbox.faults.add("502:method=POST,path=/comments$,times=2")
    handler = Commenter(sandbox.base_url, sandbox.token)
    queue = await make_queue(handler)
    await queue.enqueue(request(number, "plan"))
    await queue.wait_idle(30)
    assert fault.fired == 2
    assert [r.error for r in handler.runs] == ["OutcomeUnknown", "OutcomeUnknown", ""]
    assert comments(sandbox, number) == ["job plan"]


async def test_last_failure_is_reported_once(sandbox: Sandbox, make_queue: QueueFactory) -> None:
    number = sandbox.create_issue(REPO, "broken")["number"]
    sandbox.faults.add("502:method=POST,path=/comments$,times=0")
    handler = Commenter(sandbox.base_url, sandbox.token)
    reported: list[tuple[int, str]] = []

    async def give_up(req: JobRequest, exc: BaseException) -> None:
        reported.append((req.number, type(exc).__name__))

    queue = await make_queue(handler, retry=JobRetry(max_attempts=2, exponential_wait=0), on_give_up=give_up)
    await queue.enqueue(request(number, "plan"))
    await queue.wait_idle(30)
    assert len(handler.runs) == 3  # the first try and two retries
    assert reported == [(number, "OutcomeUnknown")]
    assert comments(sandbox, number) == []


async def test_rate_limit_wait_reschedules_without_holding_the_worker(
    sandbox: Sandbox, make_queue: QueueFactory
) -> None:
    limited = sandbox.create_issue(REPO, "limited")["number"]
    other = sandbox.create_issue(REPO, "other")["number"]
    sandbox.faults.add(f"primary:method=POST,path=/issues/{limited}/comments$,reset_in=2,times=1")
    handler = Commenter(sandbox.base_url, sandbox.token)
    queue = await make_queue(handler, concurrency=1)
    await queue.enqueue(request(limited, "limited"))
    await asyncio.wait_for(handler.started.wait(), 10)
    await asyncio.wait_for(handler.finished.wait(), 10)
    failed_at = time.time()
    await queue.enqueue(request(other, "other"))
    await queue.wait_idle(30)
    reasons = [(r.reason, r.error) for r in handler.runs]
    # With one worker slot, the other issue ran while the limited job waited for its reset: not held.
    assert reasons == [("limited", "RateLimitWait"), ("other", ""), ("limited", "")]
    retry = handler.runs[2]
    assert retry.start - handler.runs[0].end >= 0.5  # re-scheduled for the reset, not retried at once
    assert time.time() >= failed_at
    assert comments(sandbox, limited) == ["job limited"]
    assert comments(sandbox, other) == ["job other"]


async def test_delivery_ids_are_deduplicated(sandbox: Sandbox, make_queue: QueueFactory) -> None:
    number = sandbox.create_issue(REPO, "dedupe")["number"]
    handler = Commenter(sandbox.base_url, sandbox.token)
    queue = await make_queue(handler)
    assert await queue.seen_delivery("d-1") is False
    await queue.enqueue(request(number, "one", delivery_id="d-1"))
    assert await queue.seen_delivery("d-1") is True
    assert await queue.seen_delivery("d-2") is False
    await queue.wait_idle(30)
    assert comments(sandbox, number) == ["job one"]


async def test_delivery_ids_expire(make_queue: QueueFactory) -> None:
    async def nothing(req: JobRequest) -> None:
        return None

    queue = await make_queue(nothing, delivery_ttl=0.5)
    await queue.enqueue(request(1, "x", delivery_id="d-exp"))
    assert await queue.seen_delivery("d-exp") is True
    await asyncio.sleep(0.7)
    assert await queue.seen_delivery("d-exp") is False


async def test_unreachable_postgres_raises_queue_unavailable() -> None:
    queue = JobQueue(None, database_url="postgresql://postgres@127.0.0.1:1/none", pool_timeout=0.5)
    await queue.open()
    try:
        assert await queue.healthy() is False
        with pytest.raises(QueueUnavailable):
            await queue.seen_delivery("d")
        with pytest.raises(QueueUnavailable):
            await queue.enqueue(request(1, "x"))
    finally:
        await queue.close()


async def test_a_job_waiting_for_its_retry_keeps_later_jobs_of_its_issue_behind(
    sandbox: Sandbox, make_queue: QueueFactory
) -> None:
    number = sandbox.create_issue(REPO, "ordered")["number"]
    sandbox.faults.add(f"502:method=POST,path=/issues/{number}/comments$,times=1")
    handler = Commenter(sandbox.base_url, sandbox.token)
    queue = await make_queue(handler, retry=JobRetry(max_attempts=3, wait=1))
    await queue.enqueue(request(number, "first", kind="command", comment_id=1, author="first"))
    await asyncio.wait_for(handler.finished.wait(), 10)  # failed once, re-scheduled a second later
    await queue.enqueue(request(number, "second", kind="command", comment_id=2, author="second"))
    await queue.wait_idle(30)
    assert [(r.reason, r.error) for r in handler.runs] == [("first", "OutcomeUnknown"), ("first", ""),
                                                           ("second", "")]
    assert comments(sandbox, number) == ["job first", "job second"]


async def test_a_failed_job_with_a_newer_one_waiting_is_superseded_not_stuck(
    sandbox: Sandbox, make_queue: QueueFactory
) -> None:
    number = sandbox.create_issue(REPO, "superseded")["number"]
    sandbox.faults.add(f"502:method=POST,path=/issues/{number}/comments$,times=1")
    handler = Commenter(sandbox.base_url, sandbox.token, hold=asyncio.Event())
    queue = await make_queue(handler)
    await queue.enqueue(request(number, "old"))
    await asyncio.wait_for(handler.started.wait(), 10)
    assert await queue.enqueue(request(number, "new"))  # waits behind the running one
    handler.hold.set()  # type: ignore[union-attr]
    await queue.wait_idle(30)
    # Retrying "old" would give two waiting jobs one queueing lock: the waiting job covers it instead.
    assert [(r.reason, r.error) for r in handler.runs] == [("old", "OutcomeUnknown"), ("new", "")]
    assert comments(sandbox, number) == ["job new"]
    assert await queue.pending() == 0


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_delivery_log_remembers_for_the_ttl_then_forgets() -> None:
    clock = _Clock()
    log = DeliveryLog(maxsize=1000, ttl=100.0, slices=10, clock=clock)
    first = str(uuid.uuid4())
    assert log.add(first) is False
    assert log.add(first) is True and first in log
    clock.now += 99.0
    assert first in log  # at least `ttl`
    clock.now += 12.0  # ttl + one slice later
    assert first not in log and len(log) == 0
    assert log.add(first) is False  # a redelivery after expiry is new work again


def test_delivery_log_stays_bounded_and_drops_the_oldest_first() -> None:
    log = DeliveryLog(maxsize=64, ttl=3600.0, slices=8, clock=_Clock())
    ids = [str(uuid.uuid4()) for _ in range(1000)]
    for delivery in ids:
        log.add(delivery)
    assert len(log) <= 64
    assert ids[-1] in log and ids[0] not in log
    assert log.add("not-a-uuid") is False and log.add("not-a-uuid") is True  # other ids are kept as text
