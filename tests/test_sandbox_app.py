"""The local GitHub's App side: JWTs checked against the App's public key, installation tokens that expire."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import jwt

from bot.sandbox import Sandbox
from tests.fixtures.sandbox import REPO, Api, AppKeys, make_keys


def app_jwt(keys: AppKeys, **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now - 60, "exp": now + 540, "iss": "1"}
    payload.update(claims)
    return jwt.encode(payload, keys.private_pem, algorithm="RS256")


async def test_app_flow_jwt_to_installation_token(sandbox: Sandbox, api: Api, app_keys: AppKeys) -> None:
    token = app_jwt(app_keys)
    app = await api("GET", "/app", token=token)
    assert app.status == 200 and app.data["id"] == 1 and app.data["slug"] == "parallel-work-bot"
    inst = await api("GET", f"/repos/{REPO}/installation", token=token)
    assert inst.status == 200 and inst.data["id"] == 1 and inst.data["account"]["login"] == "octo"
    assert inst.data["access_tokens_url"].endswith("/app/installations/1/access_tokens")
    r = await api("POST", "/app/installations/1/access_tokens", token=token)
    assert r.status == 201 and r.data["token"].startswith("ghs_")
    assert r.data["expires_at"].endswith("Z")
    issued = r.data["token"]
    made = await api("POST", f"/repos/{REPO}/issues", {"title": "via fresh token"}, token=issued)
    assert made.status == 201 and made.data["user"]["login"] == "parallel-work-bot[bot]"
    assert sandbox.accounting("app").reads == 2 and sandbox.accounting("app").writes == 1


async def test_bad_jwts_are_401(sandbox: Sandbox, api: Api, app_keys: AppKeys) -> None:
    other = make_keys()
    now = int(time.time())
    bad = {
        "other key": app_jwt(other),
        "expired": app_jwt(app_keys, iat=now - 700, exp=now - 60),
        "too long": app_jwt(app_keys, exp=now + 3600),
        "future iat": app_jwt(app_keys, iat=now + 600),
        "wrong issuer": app_jwt(app_keys, iss="2"),
        "garbage": "a.b.c",
    }
    for why, token in bad.items():
        r = await api("GET", "/app", token=token)
        assert r.status == 401, why
        assert r.data["message"], why
    assert (await api("GET", "/app", token=app_jwt(app_keys))).status == 200


async def test_tokens_are_for_their_side(sandbox: Sandbox, api: Api, app_keys: AppKeys) -> None:
    assert (await api("GET", "/app")).status == 401  # installation token where a JWT is needed
    r = await api("GET", f"/repos/{REPO}/issues", token=app_jwt(app_keys))
    assert r.status == 403 and r.data["message"] == "Resource not accessible by integration"
    assert (await api("POST", "/app/installations/99/access_tokens", token=app_jwt(app_keys))).status == 404
    sandbox.add_repo("octo/uninstalled", installation_id=None)
    assert (await api("GET", "/repos/octo/uninstalled/installation", token=app_jwt(app_keys))).status == 404


async def test_installation_token_ttl_from_the_sandbox(app_keys: AppKeys) -> None:
    now = [2_000_000_000.0]
    sb = Sandbox(public_key_pem=app_keys.public_pem, clock=lambda: now[0], token_ttl=600)
    sb.add_repo(REPO)
    await sb.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, sb.base_url, None)
            claims = {"iat": int(now[0]) - 30, "exp": int(now[0]) + 500, "iss": "1"}
            token = jwt.encode(claims, app_keys.private_pem, algorithm="RS256")
            r = await api("POST", "/app/installations/1/access_tokens", token=token)
            assert r.data["expires_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now[0] + 600))
            issued = r.data["token"]
            now[0] += 599
            assert (await api("GET", f"/repos/{REPO}/issues", token=issued)).status == 200
            now[0] += 2
            assert (await api("GET", f"/repos/{REPO}/issues", token=issued)).status == 401
    finally:
        await sb.stop()
