"""AppAuth against the local GitHub: the JWT, cached installation tokens, refresh before expiry and on 401."""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import gidgethub
import jwt
import pytest

from bot.github import AppAuth, GitHubClient, InProcessPacer
from bot.github.auth import parse_expires_at
from bot.sandbox import Sandbox
from tests.fixtures.sandbox import APP_ID, INSTALLATION_ID, REPO, AppKeys, FakeTime

TOKEN_PATH = f"/app/installations/{INSTALLATION_ID}/access_tokens"
ISSUE = "/repos/octo/sandbox/issues/1"


@pytest.fixture
def auth(sandbox: Sandbox, app_keys: AppKeys, fake: FakeTime) -> AppAuth:
    sandbox.create_issue(REPO, "Hello")
    return AppAuth(APP_ID, app_keys.private_pem, base_url=sandbox.base_url, clock=fake, sleep=fake.sleep)


def token_requests(sandbox: Sandbox) -> list[int]:
    return [e.status for e in sandbox.log if e.path == TOKEN_PATH]


def test_the_jwt_is_backdated_for_clock_skew_and_short_lived(app_keys: AppKeys) -> None:
    auth = AppAuth(APP_ID, app_keys.private_pem)
    before = time.time()
    payload = jwt.decode(auth.jwt(), app_keys.public_pem, algorithms=["RS256"], options={"verify_exp": False})
    after = time.time()
    assert payload["iss"] == str(APP_ID)
    assert before - 61 <= payload["iat"] <= after - 59  # issued 60 s in the past, for clock skew
    assert after + 60 < payload["exp"] <= before + 600  # GitHub refuses a JWT living over 10 minutes


async def test_one_token_request_serves_many_calls(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    gh = await auth.client(session, INSTALLATION_ID)
    assert isinstance(gh, GitHubClient)
    for _ in range(5):
        await gh.getitem(ISSUE)
    await gh.post(ISSUE + "/comments", data={"body": "from the App"})
    other = await auth.client(session, INSTALLATION_ID)  # a second client shares the cache
    await other.getitem(ISSUE + "/comments")
    assert token_requests(sandbox) == [201]
    assert auth.stats.token_refreshes == 1
    # The token endpoint was called with the App's JWT; the rest with the installation token.
    token_call = next(e for e in sandbox.log if e.path == TOKEN_PATH)
    assert token_call.actor == "app"
    assert {e.installation_id for e in sandbox.log if e.path != TOKEN_PATH} == {INSTALLATION_ID}
    assert sandbox.snapshot(REPO)["issues"]["1"]["comments"][0]["user"] == "parallel-work-bot[bot]"


async def test_one_refresh_in_flight_per_installation(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.add_fault("slow:path=/access_tokens$,delay=0.05")
    tokens = await asyncio.gather(*(auth.installation_token(session, INSTALLATION_ID) for _ in range(10)))
    assert len(set(tokens)) == 1
    assert token_requests(sandbox) == [201]


async def test_token_is_refreshed_five_minutes_before_it_expires(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession, fake: FakeTime
) -> None:
    gh = await auth.client(session, INSTALLATION_ID)
    await gh.getitem(ISSUE)
    first = await auth.installation_token(session, INSTALLATION_ID)
    token_call = next(e for e in sandbox.log if e.path == TOKEN_PATH)
    assert token_call.status == 201
    expires_at = fake.now + sandbox.token_ttl  # the sandbox issued it for an hour (whole seconds)
    fake.now = expires_at - 300 - 5  # 5 min 5 s before expiry: still cached
    await gh.getitem(ISSUE)
    assert token_requests(sandbox) == [201]
    fake.now = expires_at - 300 + 5  # within the last five minutes: the same client gets a new one
    await gh.getitem(ISSUE)
    assert token_requests(sandbox) == [201, 201]
    second = await auth.installation_token(session, INSTALLATION_ID)
    assert second != first
    sent = [e.headers.get("Authorization", "") for e in sandbox.log if e.path == ISSUE]
    assert sent[-1].endswith(second)
    assert sent[0].endswith(first)


async def test_token_is_refreshed_after_a_401_and_the_call_retried_once(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    gh = await auth.client(session, INSTALLATION_ID)
    first = await auth.installation_token(session, INSTALLATION_ID)
    sandbox.expire_token(first)  # GitHub revoked it (or clocks disagree)
    issue = await gh.patch(ISSUE, data={"title": "Written after a refresh"})
    assert issue["title"] == "Written after a refresh"
    assert [(e.method, e.path, e.status) for e in sandbox.log] == [
        ("POST", TOKEN_PATH, 201),
        ("PATCH", ISSUE, 401),
        ("POST", TOKEN_PATH, 201),
        ("PATCH", ISSUE, 200),
    ]
    assert gh.stats.unauthorized_retries == 1
    assert await auth.installation_token(session, INSTALLATION_ID) != first


async def test_a_401_that_persists_is_reported_not_looped(
    sandbox: Sandbox, app_keys: AppKeys, session: aiohttp.ClientSession
) -> None:
    sandbox.create_issue(REPO, "Hello")
    # The sandbox hands out tokens that are expired on arrival.
    sandbox.token_ttl = 0
    auth = AppAuth(APP_ID, app_keys.private_pem, base_url=sandbox.base_url)
    gh = await auth.client(session, INSTALLATION_ID)
    with pytest.raises(gidgethub.BadRequest) as err:
        await gh.getitem(ISSUE)
    assert err.value.status_code == 401
    assert str(err.value) == "Bad credentials"
    assert [e.status for e in sandbox.log if e.path == ISSUE] == [401, 401]


async def test_unknown_installation_fails_early(auth: AppAuth, session: aiohttp.ClientSession) -> None:
    with pytest.raises(gidgethub.BadRequest) as err:
        await auth.client(session, 4242)
    assert err.value.status_code == 404


async def test_installation_of_a_repository(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    assert await auth.installation_id(session, "octo", "sandbox") == INSTALLATION_ID
    assert sandbox.log[-1].actor == "app"
    with pytest.raises(gidgethub.BadRequest):
        await auth.installation_id(session, "octo", "elsewhere")


async def test_installation_clients_share_one_pacer_per_installation(
    auth: AppAuth, sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    sandbox.add_fault("slow:method=POST,path=/comments$,delay=0.02,times=0")
    one = await auth.client(session, INSTALLATION_ID)
    two = await auth.client(session, INSTALLATION_ID)
    assert one.pacer is two.pacer is auth.pacer
    assert isinstance(auth.pacer, InProcessPacer)
    assert auth.pacer.interval == 0.0  # loopback: the local GitHub needs no pacing
    await asyncio.gather(
        *(c.post(ISSUE + "/comments", data={"body": f"{i}"}) for i, c in enumerate([one, two] * 3))
    )
    writes = sandbox.writes()
    comments = [e for e in writes if e.path.endswith("/comments")]
    assert len(comments) == 6
    ordered = sorted(comments, key=lambda e: e.start)
    assert all(b.start >= a.end for a, b in itertools.pairwise(ordered))


def test_expires_at_is_read_as_utc() -> None:
    assert parse_expires_at("2016-07-11T22:14:10Z") == 1468275250.0
    assert parse_expires_at("2016-07-11T22:14:10+00:00") == 1468275250.0
