"""The GitHub Action's entry point run with each event's real payload shape (checked against GitHub's official
webhook schemas) against the local GitHub, and the three doors taking turns on one issue."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import given_settings
from bot.conventions import ACTIONS_LOGIN, Identity
from bot.jobs.request import JobRequest
from bot.local.action import run_action
from bot.local.context import LocalError
from bot.local.sync import SyncOptions, sync_checkout
from bot.sandbox.payloads import push_payload, repository_json
from tests.environment import process_env
from tests.fixtures.app import BotApp, real_payload
from tests.fixtures.sandbox import APP_ID
from tests.paths import ROOT, SEED, WEBHOOKS
from tests.test_cli_sync import checkout, runner
from tests.test_files import ANALYSIS, seed, summary_of, valid
from tests.test_sync import SEED_MINIMUM
from tests.test_sync_support import NAME, OWNER, REPO

SCHEMAS = WEBHOOKS / "schemas" / "official"


async def action(app: BotApp, tmp_path: Path, event: str, payload: dict[str, Any],
                 **extra: str) -> tuple[int, str]:
    """Run the Action's entry point as a workflow would, with the environment this test sets."""
    path = tmp_path / f"{event}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    app.sandbox.set_permission(REPO, ACTIONS_LOGIN, "write")  # `permissions: issues: write`
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": REPO,
           "GITHUB_TOKEN": app.sandbox.user_token(ACTIONS_LOGIN), "GITHUB_API_URL": app.sandbox.base_url,
           **extra}
    out = io.StringIO()
    status = await run_action(env, out=out)
    return status, out.getvalue()


def writes_by(app: BotApp) -> int:
    """Writes to the repository so far, by any door (the App's token requests are not counted)."""
    return len([e for e in app.sandbox.log if e.is_content_write])


def structure(app: BotApp) -> dict[str, Any]:
    snap = app.sandbox.snapshot(REPO)
    return {n: (i["title"], i["state"], sorted(i["labels"]), i["sub_issues"], i["blocked_by"])
            for n, i in snap["issues"].items()}


async def test_push_syncs_the_changed_analysis(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    before = bot_app.sandbox.state.head(REPO, "main")
    bot_app.sandbox.state.push(REPO, "main", {ANALYSIS: SEED.read_text()})
    payload = valid(push_payload(bot_app.sandbox.shapes, REPO, "main", before=before), "push.schema.json")
    status, out = await action(bot_app, tmp_path, "push", payload)
    assert status == 0 and f"push #4 (push of 1 plan files by octo): ok, {SEED_MINIMUM} writes" in out
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9] and writes_by(bot_app) == SEED_MINIMUM
    assert bot_app.issue(6)["user"] == ACTIONS_LOGIN
    # The same push again (a re-run of the workflow): nothing written.
    status, out = await action(bot_app, tmp_path, "push", payload)
    assert writes_by(bot_app) == SEED_MINIMUM and "0 writes" in out


async def test_comments_follow_the_apps_permission_rules(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    stranger = bot_app.sandbox.create_comment(REPO, 4, SEED.read_text(), user="mallory")
    payload = valid(bot_app.comment_event("created", stranger), "issue-comment-created.schema.json")
    status, _out = await action(bot_app, tmp_path, "issue_comment", payload)
    assert status == 0 and bot_app.issue(4)["sub_issues"] == []
    replies = [c for c in bot_app.issue(4)["comments"] if c["user"] == ACTIONS_LOGIN]
    assert len(replies) == 1 and "write access" in replies[0]["body"]
    command = bot_app.sandbox.create_comment(REPO, 4, "/analyze", user="mallory")
    await action(bot_app, tmp_path, "issue_comment", bot_app.comment_event("created", command))
    assert bot_app.issue(4)["sub_issues"] == []
    maintainer = bot_app.sandbox.create_comment(REPO, 4, SEED.read_text())
    payload = valid(bot_app.comment_event("created", maintainer), "issue-comment-created.schema.json")
    await action(bot_app, tmp_path, "issue_comment", payload)
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]
    # A comment sent by a bot is never followed.
    count = writes_by(bot_app)
    by_bot = bot_app.sandbox.create_comment(REPO, 4, "/analyze", user="renovate[bot]")
    status, out = await action(bot_app, tmp_path, "issue_comment", bot_app.comment_event("created", by_bot))
    assert status == 0 and "sent by a bot" in out and writes_by(bot_app) == count


def issues_event(app: BotApp, action: str, number: int) -> dict[str, Any]:
    """GitHub's `issues` payload for an issue of the local GitHub: the issue and repository in today's
    shapes (GitHub's older example lacks `active_lock_reason`, `reactions` and `disabled`)."""
    data = app.issue_event(action, number, sender="octocat")
    data["issue"] = {**data["issue"], **app.sandbox.issue_json(REPO, number)}
    repo = app.sandbox.state.repo(REPO)
    owner = app.sandbox.shapes.user(app.sandbox.state.user(OWNER))
    data["repository"] = repository_json(app.sandbox.base_url, app.sandbox.shapes.html, REPO, repo.id, owner)
    return valid(data, f"issues-{action}.schema.json")


async def test_closing_a_stream_moves_readiness(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    plan = bot_app.sandbox.create_comment(REPO, 4, SEED.read_text())
    await action(bot_app, tmp_path, "issue_comment", bot_app.comment_event("created", plan))
    assert "stream:ready" in bot_app.issue(6)["labels"]
    await bot_app.as_user("octocat", "PATCH", f"/repos/{REPO}/issues/6", {"state": "closed"})
    status, _out = await action(bot_app, tmp_path, "issues", issues_event(bot_app, "closed", 6))
    assert status == 0
    assert all("stream:ready" in bot_app.issue(n)["labels"] for n in (7, 8, 9))
    await bot_app.as_user("octocat", "PATCH", f"/repos/{REPO}/issues/6", {"state": "open"})
    await action(bot_app, tmp_path, "issues", issues_event(bot_app, "reopened", 6))
    assert "stream:ready" not in bot_app.issue(7)["labels"]


async def test_workflow_dispatch_syncs_everything(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    bot_app.sandbox.state.push(REPO, "main", {ANALYSIS: SEED.read_text()})
    dispatch = real_payload("workflow_dispatch.json")
    status, out = await action(bot_app, tmp_path, "workflow_dispatch",
                               valid(dispatch, "workflow-dispatch.schema.json"))
    assert status == 0 and bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]
    assert "/blob/" in summary_of(bot_app, 4)
    status, out = await action(bot_app, tmp_path, "workflow_dispatch", dispatch)
    assert writes_by(bot_app) == SEED_MINIMUM and "sync #4" in out


async def test_outside_a_workflow_it_says_what_is_missing(bot_app: BotApp, tmp_path: Path) -> None:
    with pytest.raises(LocalError, match="GITHUB_EVENT_NAME"):
        await run_action({}, out=io.StringIO())
    status, out = await action(bot_app, tmp_path, "release", {"action": "published"})
    assert status == 0 and "nothing to do for a release event" in out


async def test_cli_then_app_then_action_make_one_structure(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    bot_app.sandbox.state.push(REPO, "main", {ANALYSIS: SEED.read_text()})
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    # The App is told the other doors' accounts (BOT_PEERS).
    peers = given_settings(bot_peers=f"octocat,{ACTIONS_LOGIN}").peers
    bot_app.server.handler.identity = Identity(bot_app.server.handler.identity.login, APP_ID, peers)
    out = io.StringIO()
    options = SyncOptions(api_url=bot_app.sandbox.base_url, login="octocat", cwd=top)
    env = {"GITHUB_TOKEN": bot_app.sandbox.user_token("octocat")}
    assert await sync_checkout(options, env, out=out, terminal=False, run=runner()) == 0
    built = structure(bot_app)
    assert writes_by(bot_app) == SEED_MINIMUM
    await bot_app.server.handler(JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=4))
    dispatch = real_payload("workflow_dispatch.json")
    status, _out = await action(bot_app, tmp_path, "workflow_dispatch", dispatch, PWB_PEERS="octocat")
    assert status == 0
    assert writes_by(bot_app) == SEED_MINIMUM and structure(bot_app) == built
    assert len([c for c in bot_app.issue(4)["comments"] if "parallel-work-bot:summary" in c["body"]]) == 1
    # Then each door in turn after a change: the Action closes stream A, the App and the CLI agree.
    await bot_app.as_user("octocat", "PATCH", f"/repos/{REPO}/issues/6", {"state": "closed"})
    await action(bot_app, tmp_path, "issues", issues_event(bot_app, "closed", 6), PWB_PEERS="octocat")
    moved = writes_by(bot_app)
    assert moved > SEED_MINIMUM
    await bot_app.server.handler(JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=4))
    assert await sync_checkout(options, env, out=out, terminal=False, run=runner()) == 0
    assert writes_by(bot_app) == moved
    assert sorted(bot_app.sandbox.snapshot(REPO)["issues"]) == sorted(str(n) for n in range(1, 10))


async def test_the_app_leaves_another_doors_writes_alone(bot_app: BotApp, tmp_path: Path) -> None:
    """What the CLI writes as a person raises webhooks; the App must not start a second sync of the plan
    the CLI is still writing (two doors share no lock): its own text and its closes are passed over."""
    seed(bot_app)
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    options = SyncOptions(api_url=bot_app.sandbox.base_url, login="octocat", cwd=top)
    env = {"GITHUB_TOKEN": bot_app.sandbox.user_token("octocat")}
    assert await sync_checkout(options, env, out=io.StringIO(), terminal=False, run=runner()) == 0
    summary = next(c for c in bot_app.sandbox.snapshot(REPO)["issues"]["4"]["comments"])
    comment = bot_app.sandbox.shapes.comment(bot_app.sandbox.state.repo(REPO), bot_app.sandbox.state.comment(
        bot_app.sandbox.state.repo(REPO), int(summary["id"])))
    _status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert answer["why"] == "the bot's own text"
    _status, answer = await bot_app.post("issues", bot_app.issue_event("opened", 6, sender="octocat"))
    assert answer["why"] == "opened with the bot's own text"
    # The plan edited in the checkout: stream D leaves it, and the CLI closes its sub-issue.
    (top / ANALYSIS).write_text(SEED.read_text().replace("### Stream D", "### Stream E"), encoding="utf-8")
    assert await sync_checkout(options, env, out=io.StringIO(), terminal=False, run=runner()) == 0
    assert bot_app.issue(9)["state"] == "closed"
    _status, answer = await bot_app.post("issues", bot_app.issue_event("closed", 9, sender="octocat"))
    assert answer["why"] == "closed by the bot: its stream left the plan"
    await bot_app.idle()


async def test_the_action_command_outside_a_workflow(tmp_path: Path) -> None:
    """`parallel-work-bot action` as the composite action runs it, here with no workflow around it."""
    env = process_env(tmp_path)
    pipe = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "action", cwd=tmp_path, env=env,
                                                stdout=pipe, stderr=pipe)
    _out, err = await proc.communicate()
    assert proc.returncode == 2 and "GITHUB_EVENT_NAME is not set" in err.decode()


def test_action_yml_installs_this_repository_and_runs_the_entry_point() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert '"$GITHUB_ACTION_PATH"' in steps[1]["run"] and "pip install" in steps[1]["run"]
    assert steps[2]["run"] == "parallel-work-bot action"
    assert steps[2]["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
