"""GitHub's recorded traffic (octokit/fixtures) replayed against the local GitHub: same statuses, same bodies.

Fields the recording normalised (ids, node ids, dates, the recording user, counters) are not compared; every
other field must be present with the recorded value, URLs compared with the API host swapped.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.sandbox import Sandbox
from tests.fixtures.sandbox import Api, AppKeys
from tests.paths import FIXTURES, OPENAPI

#: Normalised by the recording (or naming the recording's own user/token), so not comparable.
NORMALISED = {
    "id",
    "node_id",
    "created_at",
    "updated_at",
    "user",
    "author_association",
    "comments",
    "reactions",
}
SCENARIOS = {
    "labels": ("octokit-fixture-org/labels", True),
    "add-labels-to-issue": ("octokit-fixture-org/add-labels-to-issue", False),
    "errors": ("octokit-fixture-org/errors", False),
}


def same(recorded: Any, ours: Any, api: str, where: str = "") -> list[str]:
    """Differences between a recorded body and ours (recorded keys only; ours may have newer fields)."""
    if isinstance(recorded, dict):
        if not isinstance(ours, dict):
            return [f"{where}: {ours!r} is not an object"]
        out: list[str] = []
        for key, value in recorded.items():
            if key in NORMALISED:
                continue
            if key not in ours:
                out.append(f"{where}.{key}: missing")
            else:
                out += same(value, ours[key], api, f"{where}.{key}")
        return out
    if isinstance(recorded, list):
        if not isinstance(ours, list) or len(ours) != len(recorded):
            return [
                f"{where}: {len(ours) if isinstance(ours, list) else ours!r} items, recorded {len(recorded)}"
            ]
        return [
            d
            for i, (r, o) in enumerate(zip(recorded, ours, strict=True))
            for d in same(r, o, api, f"{where}[{i}]")
        ]
    if where.endswith(".documentation_url"):  # GitHub's docs moved since the recording; the anchor stayed
        return (
            []
            if ours.endswith(recorded.rpartition("#")[2])
            else [f"{where}: {ours!r}, recorded {recorded!r}"]
        )
    if isinstance(recorded, str) and recorded.startswith("https://api.github.com"):
        recorded = api + recorded.removeprefix("https://api.github.com")
    return [] if recorded == ours else [f"{where}: {ours!r}, recorded {recorded!r}"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_recorded_scenario_replays_identically(scenario: str, app_keys: AppKeys) -> None:
    repo, default_labels = SCENARIOS[scenario]
    sb = Sandbox(OPENAPI, public_key_pem=app_keys.public_pem, validate_responses=True)
    sb.add_repo(repo, installation_id=1, default_labels=default_labels)
    sb.set_permission(repo, "octokit-fixture-user-a", "admin")
    token = sb.user_token("octokit-fixture-user-a")  # the recordings were made with a user's token
    exchanges = json.loads((FIXTURES / f"{scenario}.normalized-fixture.json").read_text())
    await sb.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, sb.base_url, token)
            for exchange in exchanges:
                method = exchange["method"].upper()
                r = await api(method, exchange["path"], exchange.get("body"))
                assert r.status == exchange["status"], (method, exchange["path"], r.data)
                recorded = exchange["response"]
                if recorded == "":
                    assert r.data is None
                    continue
                differences = same(recorded, r.data, sb.base_url)
                assert not differences, (method, exchange["path"], differences)
    finally:
        await sb.stop()
    assert sb.violations == []
