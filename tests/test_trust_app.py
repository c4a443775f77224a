"""Readers and triagers through the whole App: their plan and `/analyze` get the polite refusal only."""

from __future__ import annotations

import pytest

from bot.jobs.replies import REFUSAL
from tests.fixtures.app import REPO, BotApp
from tests.test_events import PLAN, assert_seed_structure, bot_comments, post_comment, seed_issues


@pytest.mark.parametrize("role", ["read", "triage"])
async def test_a_reader_or_triagers_plan_and_analyze_get_only_the_refusal(bot_app: BotApp, role: str) -> None:
    seed_issues(bot_app)
    bot_app.sandbox.set_permission(REPO, "collab", role)  # author_association: COLLABORATOR
    await post_comment(bot_app, 4, PLAN, user="collab")
    await bot_app.idle()
    command = await post_comment(bot_app, 4, "/analyze", user="collab")
    await bot_app.idle()
    replies = bot_comments(bot_app, 4)
    assert len(replies) == 1 and REFUSAL in replies[0]
    snap = bot_app.sandbox.snapshot(REPO)
    assert len(snap["issues"]) == 5
    assert all(i["labels"] == [] and i["sub_issues"] == [] for i in snap["issues"].values())
    path = f"/repos/{REPO}/issues/comments/{command['id']}/reactions"
    reactions = await bot_app.as_user("octocat", "GET", path)
    assert reactions == []


async def test_a_write_collaborators_plan_is_synced(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    bot_app.sandbox.set_permission(REPO, "writer", "write")
    await post_comment(bot_app, 4, PLAN, user="writer")
    await bot_app.idle()
    assert_seed_structure(bot_app)
    assert not any(REFUSAL in c for c in bot_comments(bot_app, 4))
