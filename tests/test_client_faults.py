"""Every fault of the local GitHub, through GitHubClient: recovered, or reported with the right error."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import gidgethub
import pytest

from bot.github import ConnectionFailed, GitHubClient, OutcomeUnknown, RateLimitWait, RetryPolicy
from bot.sandbox import Sandbox
from tests.fixtures.sandbox import REPO, FakeTime

# stamina's test mode for this module: retries happen, backoff sleeps do not.
pytestmark = pytest.mark.usefixtures("no_backoff")

ISSUE = "/repos/octo/sandbox/issues/1"
COMMENTS = ISSUE + "/comments"


@pytest.fixture
def gh(sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime) -> GitHubClient:
    sandbox.create_issue(REPO, "Target", body="original")
    return make(sandbox, session, fake)


def make(sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime, **kwargs: Any) -> GitHubClient:
    return GitHubClient(
        session, base_url=sandbox.base_url, oauth_token=sandbox.token, clock=fake, sleep=fake.sleep, **kwargs
    )


def statuses(sandbox: Sandbox) -> list[tuple[str, int, str | None]]:
    return [(e.method, e.status, e.fault) for e in sandbox.log]


# -- 5xx ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_reads_recover_from_5xx(kind: str, sandbox: Sandbox, gh: GitHubClient) -> None:
    sandbox.add_fault(f"{kind}:method=GET,times=2")
    issue = await gh.getitem(ISSUE)
    assert issue["title"] == "Target"
    assert statuses(sandbox) == [("GET", int(kind), kind), ("GET", int(kind), kind), ("GET", 200, None)]
    assert gh.stats.retries == 2


async def test_reads_give_up_after_the_bounded_attempts(
    sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    sandbox.create_issue(REPO, "Down")
    gh = make(sandbox, session, fake, policy=RetryPolicy(attempts=3))
    sandbox.add_fault("503:times=0")
    with pytest.raises(gidgethub.GitHubBroken) as err:
        await gh.getitem(ISSUE)
    assert err.value.status_code == 503
    assert len(sandbox.log) == 3


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_a_post_answered_with_5xx_is_outcome_unknown_and_not_repeated(
    kind: str, sandbox: Sandbox, gh: GitHubClient
) -> None:
    sandbox.add_fault(f"{kind}:method=POST")
    with pytest.raises(OutcomeUnknown) as err:
        await gh.post(COMMENTS, data={"body": "once"})
    assert err.value.status == int(kind)
    assert err.value.method == "POST"
    assert statuses(sandbox) == [("POST", int(kind), kind)]
    assert gh.stats.outcome_unknown == 1


async def test_idempotent_writes_are_retried_after_5xx(sandbox: Sandbox, gh: GitHubClient) -> None:
    sandbox.add_fault("502:method=PATCH")
    updated = await gh.patch(ISSUE, data={"title": "Renamed"})
    assert updated["title"] == "Renamed"
    assert statuses(sandbox) == [("PATCH", 502, "502"), ("PATCH", 200, None)]


async def test_idempotent_write_that_keeps_failing_is_outcome_unknown(
    sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    sandbox.create_issue(REPO, "Stuck")
    gh = make(sandbox, session, fake, policy=RetryPolicy(attempts=2))
    sandbox.add_fault("500:method=PATCH,times=0")
    with pytest.raises(OutcomeUnknown):
        await gh.patch(ISSUE, data={"title": "Never"})
    assert len(sandbox.log) == 2


async def test_a_seeded_storm_of_random_5xx_is_ridden_out(
    sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    sandbox.create_issue(REPO, "Storm")
    gh = make(sandbox, session, fake, policy=RetryPolicy(attempts=8), cache=None)
    storm = sandbox.add_fault("503:method=GET,probability=0.3,seed=7,times=0")
    for _ in range(40):
        assert (await gh.getitem(ISSUE))["title"] == "Storm"
    assert storm.fired > 5
    assert gh.stats.retries == storm.fired
    assert len(sandbox.log) == 40 + storm.fired


# -- secondary and primary rate limits ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["secondary", "429"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_secondary_limits_wait_retry_after_then_retry(
    kind: str, method: str, sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    sandbox.add_fault(f"{kind}:method={method},retry_after=7")
    if method == "GET":
        await gh.getitem(ISSUE)
    else:
        await gh.post(COMMENTS, data={"body": "after the limit"})  # rejected before anything: safe to repeat
    status = 403 if kind == "secondary" else 429
    assert statuses(sandbox) == [(method, status, kind), (method, 200 if method == "GET" else 201, None)]
    assert fake.sleeps == [7.0]
    assert gh.stats.secondary_limit_waits == 1
    if method == "POST":
        assert len(sandbox.snapshot(REPO)["issues"]["1"]["comments"]) == 1


async def test_secondary_limit_longer_than_the_bound_raises_rate_limit_wait(
    sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    sandbox.add_fault("secondary:retry_after=900")
    with pytest.raises(RateLimitWait) as err:
        await gh.getitem(ISSUE)
    assert err.value.reset_at == pytest.approx(fake.now + 900)
    assert fake.sleeps == []
    assert len(sandbox.log) == 1


async def test_a_write_waiting_out_a_secondary_limit_holds_back_other_writes(
    sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    sandbox.add_fault("secondary:method=POST,retry_after=5")
    await asyncio.gather(gh.post(COMMENTS, data={"body": "first"}), gh.patch(ISSUE, data={"title": "second"}))
    # The PATCH was queued behind the POST; it did not slip out while GitHub told us to wait.
    assert statuses(sandbox) == [("POST", 403, "secondary"), ("POST", 201, None), ("PATCH", 200, None)]
    assert fake.sleeps == [5.0]


async def test_primary_limit_within_the_bound_waits_until_reset(
    sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    sandbox.add_fault("primary:reset_in=30")
    issue = await gh.getitem(ISSUE)
    assert issue["number"] == 1
    assert statuses(sandbox) == [("GET", 403, "primary"), ("GET", 200, None)]
    assert len(fake.sleeps) == 1
    assert 28 <= fake.sleeps[0] <= 31  # until x-ratelimit-reset (whole seconds) on the injected clock
    assert gh.stats.primary_limit_waits == 1


async def test_primary_limit_beyond_the_bound_raises_rate_limit_wait(
    sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    sandbox.add_fault("primary:reset_in=3000")
    with pytest.raises(RateLimitWait) as err:
        await gh.post(COMMENTS, data={"body": "later"})
    assert 2990 <= err.value.reset_at - fake.now <= 3001
    assert err.value.reset_at == float(int(err.value.reset_at))  # GitHub's header: whole Unix seconds
    assert fake.sleeps == []
    assert statuses(sandbox) == [("POST", 403, "primary")]


async def test_a_really_exhausted_primary_limit_is_respected_before_sending(
    sandbox: Sandbox, gh: GitHubClient, fake: FakeTime
) -> None:
    await gh.getitem(ISSUE)
    sandbox.set_rate_limit(1, remaining=0, reset_in=1800)
    with pytest.raises(RateLimitWait):
        await gh.getitem(ISSUE + "/comments")  # the sandbox answers 403 remaining 0
    with pytest.raises(RateLimitWait):
        await gh.getitem(ISSUE + "/labels")  # known to be spent: not even sent
    assert [e.status for e in sandbox.log] == [200, 403]


# -- dropped connections -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
async def test_a_post_whose_connection_dropped_is_outcome_unknown(
    kind: str, sandbox: Sandbox, gh: GitHubClient
) -> None:
    sandbox.add_fault(f"{kind}:method=POST")
    with pytest.raises(OutcomeUnknown) as err:
        await gh.post(COMMENTS, data={"body": "maybe"})
    assert err.value.status is None
    assert [e.method for e in sandbox.log] == ["POST"]  # never repeated blindly
    comments = sandbox.snapshot(REPO)["issues"]["1"]["comments"]
    # drop_before: nothing happened; drop_after: it did, exactly once. The caller must re-read to know.
    assert len(comments) == (1 if kind == "drop_after" else 0)


@pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
async def test_idempotent_writes_survive_a_dropped_connection(
    kind: str, sandbox: Sandbox, gh: GitHubClient
) -> None:
    sandbox.add_fault(f"{kind}:method=PATCH")
    updated = await gh.patch(ISSUE, data={"body": "edited"})
    assert updated["body"] == "edited"
    assert [(e.method, e.fault) for e in sandbox.log] == [("PATCH", kind), ("PATCH", None)]
    assert sandbox.snapshot(REPO)["issues"]["1"]["body"] == "edited"


async def test_a_delete_that_took_effect_before_the_drop_counts_as_done(
    sandbox: Sandbox, gh: GitHubClient
) -> None:
    """aiohttp itself repeats a DELETE once when the connection drops (RFC 9112 9.3.1), so two drops are
    needed before our retry sees the uncertainty: then the 404 of the next attempt means "already gone"."""
    comment = sandbox.create_comment(REPO, 1, "to delete")
    sandbox.add_fault("drop_after:method=DELETE")
    sandbox.add_fault("drop_before:method=DELETE")
    await gh.delete("/repos/octo/sandbox/issues/comments/{id}", {"id": comment["id"]})
    assert [(e.method, e.status, e.fault) for e in sandbox.log] == [
        ("DELETE", 0, "drop_after"),
        ("DELETE", 0, "drop_before"),
        ("DELETE", 404, None),
    ]
    assert sandbox.snapshot(REPO)["issues"]["1"]["comments"] == []


async def test_a_404_to_a_delete_without_uncertainty_is_an_error(sandbox: Sandbox, gh: GitHubClient) -> None:
    with pytest.raises(gidgethub.BadRequest) as err:
        await gh.delete("/repos/octo/sandbox/issues/comments/{id}", {"id": 999999})
    assert err.value.status_code == 404


async def test_reads_survive_a_dropped_connection(sandbox: Sandbox, gh: GitHubClient) -> None:
    sandbox.add_fault("drop_before:method=GET")
    assert (await gh.getitem(ISSUE))["title"] == "Target"
    assert [e.fault for e in sandbox.log] == ["drop_before", None]


async def test_a_slow_answer_is_just_slow(sandbox: Sandbox, gh: GitHubClient) -> None:
    sandbox.add_fault("slow:delay=0.05")
    assert (await gh.getitem(ISSUE))["title"] == "Target"
    assert len(sandbox.log) == 1
    assert gh.stats.retries == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nobody_listening_is_connection_failed_even_for_a_post(
    session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    gh = GitHubClient(
        session,
        base_url=f"http://127.0.0.1:{free_port()}",
        oauth_token="t",
        clock=fake,
        sleep=fake.sleep,
        policy=RetryPolicy(attempts=3),
    )
    with pytest.raises(ConnectionFailed):
        await gh.getitem("/rate_limit")
    assert gh.stats.retries == 2
    # A POST that never left is not "unknown": nothing can have happened.
    with pytest.raises(ConnectionFailed):
        await gh.post("/repos/o/r/issues/1/comments", data={"body": "x"})
    assert gh.stats.outcome_unknown == 0


async def test_the_observer_is_told_of_every_exchange_and_of_connections_that_failed(
    sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    sandbox.create_issue(REPO, "Target")
    seen: list[tuple[str, str, int | None]] = []

    def observe(method: str, url: str, status: int | None, seconds: float) -> None:
        assert seconds >= 0
        seen.append((method, url.removeprefix(sandbox.base_url), status))

    gh = make(sandbox, session, fake, observer=observe)
    sandbox.add_fault("502:method=GET,times=1")
    await gh.getitem(ISSUE)
    await gh.post(COMMENTS, data={"body": "x"})
    assert seen == [("GET", ISSUE, 502), ("GET", ISSUE, 200), ("POST", COMMENTS, 201)]
    nobody = GitHubClient(session, base_url=f"http://127.0.0.1:{free_port()}", oauth_token="t", clock=fake,
                          sleep=fake.sleep, policy=RetryPolicy(attempts=2), observer=observe)
    with pytest.raises(ConnectionFailed):
        await nobody.getitem("/rate_limit")
    assert seen[3:] == [("GET", nobody.base_url + "/rate_limit", None)] * 2
