"""Bounds the sync keeps across edits: room under GitHub's 100 sub-issues, agent labels per repository."""

from __future__ import annotations

import re

import pytest

from bot.conventions import MAX_AGENT_LABELS, MAX_SUB_ISSUES
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from bot.sync.labels import AGENT_PREFIX
from tests.paths import SEED
from tests.test_sync_support import NAME, OWNER, REPO, client, generated_plan, issue, seed_issues


def _renumbered(text: str, by: int) -> str:
    return re.sub(r"Stream (\d+)", lambda m: f"Stream {int(m.group(1)) + by}", text)


def _agent_labels(sb: Sandbox) -> set[str]:
    return {name for name in sb.snapshot(REPO)["labels"] if name.startswith(AGENT_PREFIX)}


async def test_a_renumbered_60_stream_plan_stays_syncable(sandbox: Sandbox) -> None:
    """Removed streams' closed sub-issues (ours) are unlinked to make room; nothing is duplicated."""
    sandbox.set_permission(REPO, "octocat", "write")
    sandbox.create_issue(REPO, "Big plan")
    plan = generated_plan(60)
    sandbox.create_comment(REPO, 1, plan)
    async with client(sandbox) as gh:
        first = await sync_issue(gh, OWNER, NAME, 1)
        old = list(issue(sandbox.snapshot(REPO), 1)["sub_issues"])
        sandbox.create_comment(REPO, 1, _renumbered(plan, 100))
        renumbered = await sync_issue(gh, OWNER, NAME, 1)
        again = await sync_issue(gh, OWNER, NAME, 1)
    assert not first.errors and len(old) == 60
    assert not renumbered.errors, [n.code for n in renumbered.notes]
    snap = sandbox.snapshot(REPO)
    subs = issue(snap, 1)["sub_issues"]
    assert len(subs) == MAX_SUB_ISSUES and len(snap["issues"]) == 1 + 60 + 60
    new = [n for n in subs if n not in old]
    titles = [issue(snap, n)["title"].split(":")[0] for n in new]
    assert titles == [f"#1 · Stream {k}" for k in range(101, 161)]
    assert all(issue(snap, n)["state"] == "closed" for n in old)  # every old one closed, 20 of them unlinked
    assert again.writes == 0
    # The first plan again: its sub-issues (linked or not) are found, reopened and relinked; none created.
    sandbox.create_comment(REPO, 1, plan)
    async with client(sandbox) as gh:
        back = await sync_issue(gh, OWNER, NAME, 1)
        settled = await sync_issue(gh, OWNER, NAME, 1)
    snap = sandbox.snapshot(REPO)
    assert not back.errors and len(snap["issues"]) == 1 + 60 + 60
    assert [n for n in issue(snap, 1)["sub_issues"] if n in old] == old
    assert all(issue(snap, n)["state"] == "open" for n in old)
    assert settled.writes == 0


async def test_agent_labels_are_capped_per_repository(sandbox: Sandbox) -> None:
    sandbox.set_permission(REPO, "octocat", "write")
    sandbox.create_issue(REPO, "Many agents")
    sandbox.create_comment(REPO, 1, generated_plan(MAX_AGENT_LABELS + 5, agents=MAX_AGENT_LABELS + 5))
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 1)
        again = await sync_issue(gh, OWNER, NAME, 1)
    assert not result.errors
    assert len(_agent_labels(sandbox)) == MAX_AGENT_LABELS
    assert "sync-agent-labels-capped" in [n.code for n in result.notes]
    comments = issue(sandbox.snapshot(REPO), 1)["comments"]
    summary = [c for c in comments if "parallel-work-bot:summary" in c["body"]]
    assert "sync-agent-labels-capped" in summary[0]["body"]
    assert again.writes == 0


@pytest.mark.parametrize("persons", [False, True])
async def test_an_unused_agent_label_is_deleted_unless_a_persons(sandbox: Sandbox, persons: bool) -> None:
    label = "agent:fullstack-specialist"
    if persons:  # a person made a label of that name (own colour and text) before the bot used it
        sandbox.state.create_label(sandbox.state.repo(REPO), label, "000000", "Ours, not the bot's")
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        assert label in _agent_labels(sandbox) and label in issue(sandbox.snapshot(REPO), 7)["labels"]
        edited = SEED.read_text().replace("fullstack-specialist", "frontend-specialist")
        sandbox.create_comment(REPO, 4, edited)
        result = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert "agent:frontend-specialist" in issue(snap, 7)["labels"] and label not in issue(snap, 7)["labels"]
    assert (label in _agent_labels(sandbox)) is persons
    assert "agent:backend-specialist" in _agent_labels(sandbox)  # still carried: kept
    assert not result.errors
