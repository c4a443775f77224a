"""Deliveries and commands (issue 10, part 7): what the web accepts, what a command job does when it runs."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from gidgethub import routing, sansio

from bot.app.web import create_app
from bot.config import given_settings
from bot.events import Intake
from bot.jobs.queue import JobQueue, QueueUnavailable
from bot.jobs.request import Accepted, JobRequest
from bot.metrics import Metrics
from bot.sandbox.delivery import dumps, webhook_headers
from tests.fixtures.app import MAINTAINER, REPO, SECRET, STRANGER, BotApp, real_payload
from tests.fixtures.sandbox import INSTALLATION_ID
from tests.paths import SEED
from tests.test_events import bot_comments, post_comment, reactions, seed_issues

PLAN = SEED.read_text(encoding="utf-8")
SUMMARY = "<!-- parallel-work-bot:summary"


def plan_comment_payload() -> dict[str, Any]:
    data = real_payload("issue_comment.created.json")
    data["comment"]["body"] = PLAN
    data["comment"]["author_association"] = "OWNER"
    data["issue"].pop("pull_request", None)
    return data


class FailsOnce:
    """A real in-memory JobQueue whose first enqueue fails as if PostgreSQL had dropped the connection."""

    def __init__(self) -> None:
        self.queue = JobQueue(None)
        self.failures = 1
        self.queued: list[JobRequest] = []

    async def accept(self, request: JobRequest) -> Accepted:
        if self.failures:
            self.failures -= 1
            raise QueueUnavailable("connection dropped")
        accepted = await self.queue.accept(request)
        if accepted != "duplicate":
            self.queued.append(request)
        return accepted

    async def healthy(self) -> bool:
        return True

    async def pending(self) -> int:
        return await self.queue.pending()


async def _post(http: TestClient[Any, Any], event: str, payload: Any, delivery: str) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else dumps(payload)
    async with http.post("/webhook", data=body, headers=webhook_headers(event, delivery, body, SECRET)) as r:
        return r.status, await r.json()


async def test_a_redelivery_after_a_failed_enqueue_is_processed() -> None:
    queue = FailsOnce()
    await queue.queue.open()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics())
    try:
        async with TestClient(TestServer(app)) as http:
            status, answer = await _post(http, "issue_comment", plan_comment_payload(), "d-retry")
            assert (status, answer["outcome"]) == (503, "unavailable")
            # GitHub's "Redeliver": the same id, now accepted (it was never marked seen).
            status, answer = await _post(http, "issue_comment", plan_comment_payload(), "d-retry")
            assert (status, answer["outcome"]) == (202, "queued")
            status, answer = await _post(http, "issue_comment", plan_comment_payload(), "d-retry")
            assert (status, answer["outcome"]) == (200, "duplicate")
        assert len(queue.queued) == 1 and await queue.queue.pending() == 1
    finally:
        await queue.queue.close()


class Recorder(FailsOnce):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 0


async def test_a_handler_bug_is_500_with_its_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    broken = routing.Router()

    @broken.register("issue_comment", action="created")
    async def bug(event: sansio.Event, intake: Intake) -> None:
        raise ValueError("a bug of ours, not the payload's")

    queue = Recorder()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics(), router=broken)
    caplog.set_level(logging.INFO, logger="bot.app")
    async with TestClient(TestServer(app)) as http:
        status, answer = await _post(http, "issue_comment", plan_comment_payload(), "d-bug")
    assert (status, answer["outcome"]) == (500, "error")
    failed = [r for r in caplog.records if r.name == "bot.app" and r.exc_info]
    assert failed and "a bug of ours" in str(failed[0].exc_info[1])  # type: ignore[index]
    assert queue.queued == []


def _drop(data: dict[str, Any], *path: str) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


def _set(data: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("broken", [
    lambda d: _drop(d, "comment"),
    lambda d: _drop(d, "issue", "number"),
    lambda d: _set(d, "12", "issue", "number"),
    lambda d: _set(d, True, "comment", "id"),
    lambda d: _set(d, ["x"], "comment", "body"),
    lambda d: _set(d, None, "repository"),
    lambda d: _set(d, 7, "repository", "owner", "login"),
], ids=["no-comment", "no-number", "number-as-text", "id-as-bool", "body-as-list", "no-repo", "owner-number"])
async def test_a_payload_of_the_wrong_shape_is_400_and_queues_nothing(broken: Any) -> None:
    queue = Recorder()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics())
    async with TestClient(TestServer(app)) as http:
        status, answer = await _post(http, "issue_comment", broken(plan_comment_payload()), "d-shape")
        assert (status, answer["outcome"]) == (400, "malformed")
        # The same delivery id, well formed: processed (a 400 marks nothing seen).
        status, answer = await _post(http, "issue_comment", plan_comment_payload(), "d-shape")
        assert (status, answer["outcome"]) == (202, "queued")
    assert len(queue.queued) == 1


@pytest.mark.parametrize(("name", "broken"), [
    ("installation.created.json", lambda d: _set(d, "x", "installation")),
    ("installation.created.json", lambda d: _set(d, 1.5, "installation", "account")),
    ("installation.created.json", lambda d: _set(d, [7], "repositories")),
    ("installation_repositories.added.json", lambda d: _set(d, [1.5], "repositories_added")),
    ("installation_repositories.added.json", lambda d: _set(d, True, "repositories_removed")),
    ("ping.json", lambda d: _set(d, 1.5, "hook")),
    ("push.json", lambda d: _set(d, "x", "sender")),
    ("issue_comment.edited.json", lambda d: _set(d, "12", "changes", "body")),
    ("issues.edited.json", lambda d: _set(d, [], "changes", "body")),
], ids=["installation-text", "account-number", "repositories-numbers", "added-numbers", "removed-bool",
        "hook-number", "sender-text", "comment-changes-text", "issue-changes-list"])
async def test_other_events_of_the_wrong_shape_are_400_too(name: str, broken: Any) -> None:
    """Every event's handler reads only fields the shape check has seen (these were 500s, logged as bugs)."""
    queue = Recorder()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics())
    event = name.split(".")[0]
    async with TestClient(TestServer(app)) as http:
        status, answer = await _post(http, event, broken(real_payload(name)), "d-shape")
        assert (status, answer["outcome"]) == (400, "malformed") and queue.queued == []
        # The same delivery id, well formed, is handled (a 400 marks nothing seen).
        status, answer = await _post(http, event, real_payload(name), "d-shape")
        assert (status, answer["outcome"]) in ((200, "ignored"), (202, "queued"))


async def _hold_issue(bot_app: BotApp, number: int, seconds: float) -> None:
    """Keep a job of #number busy: `/analyze help` whose first read of its comment GitHub answers slowly."""
    bot_app.sandbox.faults.add(f"slow:method=GET,path=/issues/comments/\\d+$,delay={seconds},times=1")
    await post_comment(bot_app, number, "/analyze help")
    deadline = time.monotonic() + 10
    while not bot_app.metrics.jobs_running.value():
        assert time.monotonic() < deadline, "the holding job did not start"
        await asyncio.sleep(0.01)


async def test_analyze_edited_into_dry_run_while_waiting_runs_the_dry_run(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": PLAN})
    await _hold_issue(bot_app, 4, 1.5)
    comment = await post_comment(bot_app, 4, "/analyze")
    # Edited while its job waits behind the running one (no delivery needed: the job reads the comment).
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}",
                          {"body": "/analyze dry-run"})
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == [], "the real sync ran"
    assert any("**Dry run**" in b for b in bot_comments(bot_app, 4))
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]


async def test_a_command_edited_away_while_waiting_does_nothing(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": PLAN})
    await _hold_issue(bot_app, 4, 1.0)
    comment = await post_comment(bot_app, 4, "/analyze")
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}",
                          {"body": "never mind"})
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == []
    assert await reactions(bot_app, comment["id"]) == []


async def test_100_quick_analyze_comments_run_few_syncs_and_react_only_where_one_ran(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": PLAN})
    ids = []
    for _ in range(100):
        comment = bot_app.sandbox.create_comment(REPO, 4, "/analyze", user=MAINTAINER)
        status, _answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
        assert status in (200, 202)
        ids.append(comment["id"])
    await bot_app.idle(60)
    runs = bot_app.jobs("command", "ok")
    assert 1 <= runs <= 10, runs
    reacted = {i: r for i in ids if (r := await reactions(bot_app, i))}
    assert len(reacted) == runs and all(r == ["+1", "eyes"] for r in reacted.values()), reacted
    assert len(bot_app.issue(4)["sub_issues"]) == 4


async def test_our_summary_deleted_by_hand_is_recreated_by_its_deletion(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    comments = await bot_app.as_user(MAINTAINER, "GET", f"/repos/{REPO}/issues/4/comments")
    ours = next(c for c in comments if str(c["body"]).startswith(SUMMARY))
    await bot_app.as_user(MAINTAINER, "DELETE", f"/repos/{REPO}/issues/comments/{ours['id']}")
    assert not any(b.startswith(SUMMARY) for b in bot_comments(bot_app, 4))
    data = bot_app.comment_event("created", ours)
    data["action"] = "deleted"
    data["sender"]["login"], data["sender"]["type"] = MAINTAINER, "User"
    status, answer = await bot_app.post("issue_comment", data)
    assert (status, answer["outcome"]) == (202, "queued")
    await bot_app.idle()
    assert len([b for b in bot_comments(bot_app, 4) if b.startswith(SUMMARY)]) == 1


def bot_writes(bot_app: BotApp) -> int:
    return len([e for e in bot_app.sandbox.writes() if e.installation_id == INSTALLATION_ID])


async def test_a_plan_or_analyze_on_a_streams_sub_issue_gets_a_reply_pointing_to_the_plan(
    bot_app: BotApp,
) -> None:
    seed_issues(bot_app)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    sub = bot_app.issue(4)["sub_issues"][1]
    writes = bot_writes(bot_app)
    await post_comment(bot_app, sub, PLAN.replace("Core Setup", "Another Setup"))
    await bot_app.idle()
    replies = bot_comments(bot_app, sub)
    assert len(replies) == 1 and "its plan lives on #4" in replies[0], replies
    assert len(bot_app.issue(4)["sub_issues"]) == 4
    assert bot_writes(bot_app) == writes + 1  # the reply only
    comment = await post_comment(bot_app, sub, "/analyze")
    await bot_app.idle()
    replies = bot_comments(bot_app, sub)
    assert len(replies) == 2 and all("its plan lives on #4" in r for r in replies)
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]


async def test_a_strangers_comment_without_a_plan_gets_no_refusal(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    # Mentions streams (the web's cheap test passes it on), holds no plan: the job reads it, says nothing.
    await post_comment(bot_app, 4, "Which stream should I pick up? The analysis looked good.", user=STRANGER)
    await bot_app.idle()
    assert bot_comments(bot_app, 4) == []
    assert bot_app.jobs("command", "ignored") == 1


def hostile_plan(streams: int) -> str:
    """A plan whose check is CPU-heavy: every stream's glob against many shared files (the costliest kind
    for the checker within a comment's size), so that its read and check is, by far, the job's longest
    pause (another pause, a busy machine's, must not pass for it)."""
    parts = ["# Issue #4 Analysis: Load", "", "## Parallel Streams", ""]
    for i in range(1, streams + 1):
        parts += [f"### Stream {i}: Part {i}", f"**Files**: `src/*{i}*`"]
    parts += ["## Coordination Points", "### Shared Files", *[f"- `src/f{i}.ts`" for i in range(1500)]]
    return "\n".join(parts)[:65_000]


async def test_pings_are_answered_while_a_hostile_plan_is_checked(bot_app: BotApp) -> None:
    """The CPU-heavy read and check of a plan run beside the event loop, not on it (how fast the answers
    come is a benchmark's figure: bench_webhook). The bot and this test share one event loop: a ping
    answered between the job's last read and its first write was answered while the check ran."""
    seed_issues(bot_app)
    comment = bot_app.sandbox.create_comment(REPO, 4, hostile_plan(1000), user=MAINTAINER)
    status, _ = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert status == 202
    pings: list[tuple[float, float]] = []  # (sent, answered)
    idle = asyncio.ensure_future(bot_app.idle(120))
    while not idle.done():
        sent = time.monotonic()
        status, answer = await bot_app.post("ping", real_payload("ping.json"))
        assert (status, answer["outcome"]) == (200, "ignored")
        pings.append((sent, time.monotonic()))
        await asyncio.sleep(0)
    await idle
    # The job's longest pause between two requests of its own is where it reads and checks the plan. Had
    # that run on the event loop, no ping could be sent and answered inside it.
    mine = sorted((e for e in bot_app.sandbox.log if e.installation_id == INSTALLATION_ID),
                  key=lambda e: e.start)
    gaps = [(b.start - a.end, a.end, b.start) for a, b in itertools.pairwise(mine)]
    _, gap_start, gap_end = max(gaps)
    inside = [p for p in pings if gap_start < p[0] and p[1] < gap_end]
    assert inside, f"none of {len(pings)} pings was sent and answered while the plan was read"


def sub_issue_payload(action: str, *, author: str = "parallel-work-bot[bot]",
                      parent_url: str | None = None) -> dict[str, Any]:
    data = real_payload(f"issues.{action}.json")
    data["action"] = action
    data["issue"]["number"] = 7
    data["issue"]["user"]["login"] = author
    data["issue"]["user"]["type"] = "Bot" if author.endswith("[bot]") else "User"
    data["issue"]["body"] = ("<!-- parallel-work-bot:stream parent=4 id=A -->\n**Scope**: the setup\n"
                             "<!-- /parallel-work-bot:stream -->")
    data["issue"]["labels"] = [{"id": 1, "node_id": "L1", "url": "https://x", "name": "stream",
                                "color": "0e8a16", "default": False, "description": None}]
    if parent_url is not None:
        data["issue"]["body"] = "a person's sub-issue, labelled as a stream"
        data["issue"]["parent_issue_url"] = parent_url
    data["sender"]["login"], data["sender"]["type"] = MAINTAINER, "User"
    return data


@pytest.mark.parametrize(("payload", "key"), [
    (sub_issue_payload("closed"), "#4"),
    (sub_issue_payload("reopened"), "#4"),
    (sub_issue_payload("closed", parent_url=f"https://api.github.com/repos/{REPO}/issues/4"), "#4"),
    # A marker in a person's text names nothing; another repository's parent is not this plan.
    (sub_issue_payload("closed", author=STRANGER), "#7"),
    (sub_issue_payload("closed", parent_url="https://api.github.com/repos/else/where/issues/4"),
     "#7"),
], ids=["marker-closed", "marker-reopened", "parent-field", "person-marker", "other-repo-parent"])
async def test_an_event_on_a_stream_sub_issue_is_keyed_by_its_plan_from_intake(
    payload: dict[str, Any], key: str,
) -> None:
    queue = Recorder()
    app = create_app(given_settings(github_webhook_secret=SECRET), queue, metrics=Metrics())
    async with TestClient(TestServer(app)) as http:
        status, answer = await _post(http, "issues", payload, "d-sub")
    assert (status, answer["outcome"]) == (202, "queued"), answer
    [job] = queue.queued
    assert job.number == 7 and job.issue_key.endswith(key) and job.queueing_key.endswith(key)
