"""Seeded random interleavings of plan edits, sub-issue closes and reopens, `/analyze` and redeliveries.

In process: the App with its in-memory queue and a worker running 8 jobs at once, the local GitHub behind
(real processes and PostgreSQL are in tests/test_races.py; here the many seeds are what counts). People act
in order; their deliveries arrive concurrently, in a random order, some twice. However they interleave,
the end is the structure a sequential sync of the final state gives: one sub-issue per stream, one summary,
nothing created twice, and a sync from there would write nothing.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import pytest

from bot.github.client import GitHubClient
from bot.sync.engine import sync_issue
from tests.fixtures.app import MAINTAINER, REPO, BotApp
from tests.test_events import seed_issues
from tests.test_races import with_stream_e
from tests.test_scale import plan

OWNER, NAME = REPO.split("/")
SUMMARY = "<!-- parallel-work-bot:summary"


def variant(rev: int, extra: bool) -> str:
    return with_stream_e(rev) if extra else plan(rev)


async def run_interleaving(bot_app: BotApp, seed: int) -> None:
    rng = random.Random(seed)
    seed_issues(bot_app)
    comment = await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments",
                                    {"body": plan(0)})
    sent: list[tuple[str, dict[str, Any], str]] = []
    tasks: list[asyncio.Task[Any]] = []

    async def deliver(event: str, payload: dict[str, Any], delivery: str) -> None:
        await asyncio.sleep(rng.random() * 0.03)
        status, answer = await bot_app.post(event, payload, delivery=delivery)
        assert status in (200, 202), (status, answer)

    def send(event: str, payload: dict[str, Any]) -> None:
        delivery = f"s{seed}-{len(sent)}"
        sent.append((event, payload, delivery))
        tasks.append(asyncio.ensure_future(deliver(event, payload, delivery)))

    send("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    body, final = plan(0), (0, False)
    for step in range(10):
        op = rng.choice(["edit", "edit", "close", "reopen", "analyze", "redeliver"])
        subs = bot_app.issue(4)["sub_issues"]
        if op == "edit":
            final = (step + 1, rng.random() < 0.5)
            before, body = body, variant(*final)
            path = f"/repos/{REPO}/issues/comments/{comment['id']}"
            edited = await bot_app.as_user(MAINTAINER, "PATCH", path, {"body": body})
            send("issue_comment", bot_app.comment_event("edited", edited, before=before))
        elif op in ("close", "reopen") and subs:
            number = rng.choice(subs)
            state = "closed" if op == "close" else "open"
            await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/{number}", {"state": state})
            action = "closed" if op == "close" else "reopened"
            send("issues", bot_app.issue_event(action, number, sender=MAINTAINER))
        elif op == "analyze":
            command = await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments",
                                            {"body": "/analyze"})
            send("issue_comment", bot_app.comment_event("created", command))
        elif op == "redeliver" and sent:
            event, payload, delivery = rng.choice(sent)
            tasks.append(asyncio.ensure_future(deliver(event, payload, delivery)))
        if rng.random() < 0.3:
            await asyncio.sleep(rng.random() * 0.2)  # sometimes a job runs between two people's actions
    await asyncio.gather(*tasks)
    await bot_app.idle(60)
    # A last sync, as a sequential run ends: the structure must already be where it leads.
    last = await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": "/analyze"})
    send("issue_comment", bot_app.comment_event("created", last))
    await asyncio.gather(*tasks)
    await bot_app.idle(60)
    check_final(bot_app, final)
    async with aiohttp.ClientSession() as session:
        token = bot_app.sandbox.user_token(MAINTAINER)
        gh = GitHubClient(session, base_url=bot_app.sandbox.base_url, oauth_token=token)
        result = await sync_issue(gh, OWNER, NAME, 4, dry_run=True)
    assert result.planned == [], f"seed {seed}: not in sync: {result.planned}"


def check_final(bot_app: BotApp, final: tuple[int, bool]) -> None:
    snap = bot_app.sandbox.snapshot(REPO)["issues"]
    parent = snap["4"]
    titles = [snap[str(s)]["title"] for s in parent["sub_issues"]]
    assert len(set(titles)) == len(titles), f"duplicate sub-issues: {titles}"
    streams = {t.split("Stream ")[1][0] for t in titles}
    want = {"A", "B", "C", "D"} | ({"E"} if final[1] else set())
    assert want <= streams, titles
    assert any(f"rev {final[0]}" in t for t in titles) or final[0] == 0, titles
    by_bot = {int(n) for n, i in snap.items() if i["user"] == bot_app.sandbox.bot_login}
    assert by_bot == set(parent["sub_issues"]), "an issue created by the bot is not linked (created twice)"
    summaries = [c for c in parent["comments"] if c["body"].startswith(SUMMARY)]
    assert len(summaries) == 1, f"{len(summaries)} summaries"
    for n in parent["sub_issues"]:
        assert len(set(snap[str(n)]["blocked_by"])) == len(snap[str(n)]["blocked_by"]), "duplicate link"


@pytest.mark.parametrize("seed", range(50))
async def test_random_interleavings_end_in_the_sequential_result(bot_app: BotApp, seed: int) -> None:
    await run_interleaving(bot_app, seed)
