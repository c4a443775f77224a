"""The App end to end: GitHub's payloads, signed, over HTTP, the local GitHub behind (contract check on)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.jobs.replies import REFUSAL, USAGE
from tests.fixtures.app import MAINTAINER, REPO, STRANGER, BotApp
from tests.gfm_filters import unwanted
from tests.paths import SEED

PLAN = SEED.read_text(encoding="utf-8")
BOT = "parallel-work-bot[bot]"


def seed_issues(bot_app: BotApp) -> None:
    """Issues #1-#5 as in the seed's repository: the plan goes on #4, #5 is its conflicts_with."""
    for n in range(1, 4):
        bot_app.sandbox.create_issue(REPO, f"Earlier issue {n}", user=MAINTAINER)
    bot_app.sandbox.create_issue(REPO, "Configure Convex Backend", user=MAINTAINER)
    bot_app.sandbox.create_issue(REPO, "Integrate Clerk", user=MAINTAINER)


async def post_comment(bot_app: BotApp, number: int, body: str, user: str = MAINTAINER) -> dict[str, Any]:
    """A person comments (through the local GitHub's API) and GitHub delivers issue_comment.created."""
    comment: dict[str, Any] = await bot_app.as_user(user, "POST", f"/repos/{REPO}/issues/{number}/comments",
                                                    {"body": body})
    status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert status in (200, 202), answer
    return comment


def bot_comments(bot_app: BotApp, number: int) -> list[str]:
    return [c["body"] for c in bot_app.issue(number)["comments"] if c["user"] == BOT]


async def reactions(bot_app: BotApp, comment_id: int) -> list[str]:
    items = await bot_app.as_user(MAINTAINER, "GET", f"/repos/{REPO}/issues/comments/{comment_id}/reactions")
    return sorted(r["content"] for r in items)


def assert_seed_structure(bot_app: BotApp) -> list[int]:
    """The seed's structure on #4: 4 sub-issues A-D, B/C/D blocked by A, A ready, #5 flagged."""
    plan = bot_app.issue(4)
    subs = plan["sub_issues"]
    assert len(subs) == 4
    a, b, c, d = (bot_app.issue(n) for n in subs)
    assert [s["title"].split("Stream ")[1][0] for s in (a, b, c, d)] == ["A", "B", "C", "D"]
    assert a["blocked_by"] == [] and all(s["blocked_by"] == [subs[0]] for s in (b, c, d))
    assert "stream:ready" in a["labels"] and not any("stream:ready" in s["labels"] for s in (b, c, d))
    assert "parallel-plan" in plan["labels"] and "plan:conflict" in plan["labels"]
    assert "plan:conflict" in bot_app.issue(5)["labels"]
    assert len([b for b in bot_comments(bot_app, 4) if "parallel-work-bot:summary" in b]) == 1
    return list(subs)


async def test_full_flow_plan_comment_builds_the_structure_and_a_redelivery_writes_nothing(
    bot_app: BotApp,
) -> None:
    seed_issues(bot_app)
    comment = await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    subs = assert_seed_structure(bot_app)
    assert len(bot_comments(bot_app, 5)) == 1  # the conflict note pointing back to #4
    # The same event delivered again under a new id (GitHub's "redeliver" keeps the id; this is a new one).
    writes = len(bot_app.sandbox.writes())
    status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert (status, answer["outcome"]) == (202, "queued")
    await bot_app.idle()
    assert len(bot_app.sandbox.writes()) == writes
    assert bot_app.issue(4)["sub_issues"] == subs
    assert bot_app.jobs("sync") == 2


async def test_edited_plan_comment_resyncs(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    subs = assert_seed_structure(bot_app)
    edited = PLAN.replace("### Stream D: HTTP Actions for Webhooks",
                          "### Stream D: HTTP Actions for Clerk Webhooks")
    updated = await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}",
                                    {"body": edited})
    status, _ = await bot_app.post("issue_comment", bot_app.comment_event("edited", updated, before=PLAN))
    assert status == 202
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == subs
    assert "HTTP Actions for Clerk Webhooks" in bot_app.issue(subs[3])["title"]


async def test_burst_of_20_edits_ends_in_the_last_edit_with_at_most_2_syncs(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": PLAN})
    # GitHub answers the bot's first read slowly, so the burst surely arrives while the first sync runs.
    bot_app.sandbox.faults.add("slow:method=GET,path=/issues/4$,delay=0.3,times=1")
    before = PLAN
    for k in range(1, 21):
        text = PLAN.replace("### Stream D: HTTP Actions for Webhooks", f"### Stream D: HTTP Actions v{k}")
        updated = await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}",
                                        {"body": text})
        action = "created" if k == 1 else "edited"
        status, _ = await bot_app.post("issue_comment", bot_app.comment_event(action, updated, before=before))
        assert status == 202
        before = text
    await bot_app.idle()
    subs = assert_seed_structure(bot_app)
    assert bot_app.issue(subs[3])["title"].endswith("Stream D: HTTP Actions v20")
    assert 1 <= bot_app.jobs("sync") <= 2
    assert bot_app.metrics.deliveries.value(event="issue_comment", outcome="coalesced") >= 18


async def test_analyze_help_replies_with_usage(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = await post_comment(bot_app, 4, "Thanks!\n/analyze help\n")
    await bot_app.idle()
    replies = bot_comments(bot_app, 4)
    assert len(replies) == 1 and USAGE in replies[0]
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]
    assert bot_app.issue(4)["sub_issues"] == [] and bot_app.issue(4)["labels"] == []


async def test_analyze_dry_run_lists_writes_and_makes_none(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    # The plan is already on the issue (posted before the App was installed: no delivery for it).
    await bot_app.as_user(MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": PLAN})
    comment = await post_comment(bot_app, 4, "/analyze dry-run")
    await bot_app.idle()
    replies = bot_comments(bot_app, 4)
    assert len(replies) == 1
    reply = replies[0]
    assert "Dry run" in reply and "none was made" in reply
    assert reply.count("POST /graphql` create sub-issue for stream") == 4  # one create per stream, linked
    assert "Stream A" in reply
    snap = bot_app.issue(4)
    assert snap["sub_issues"] == [] and snap["labels"] == [] and bot_app.issue(5)["labels"] == []
    assert len(bot_app.sandbox.snapshot(REPO)["issues"]) == 5
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]


async def test_analyze_unknown_gets_a_clear_reply_without_pinging_anyone(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = await post_comment(bot_app, 4, "/analyze frobnicate @octo/owners <b>now</b>")
    await bot_app.idle()
    replies = bot_comments(bot_app, 4)
    assert len(replies) == 1
    assert "don't know the command" in replies[0] and "/analyze help" in replies[0]
    assert not unwanted(replies[0], {4}) and "`@octo/owners`" in replies[0] and "<b>" not in replies[0]
    assert await reactions(bot_app, comment["id"]) == ["confused", "eyes"]
    assert bot_app.issue(4)["sub_issues"] == []


async def test_plain_analyze_syncs_from_the_newest_analysis(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/4", {"body": PLAN})
    comment = await post_comment(bot_app, 4, "Let's go.\n\n/analyze")
    await bot_app.idle()
    assert_seed_structure(bot_app)
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]
    assert bot_app.jobs("command") == 1


async def test_analyze_without_any_plan_says_so(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = await post_comment(bot_app, 3, "/analyze")
    await bot_app.idle()
    replies = bot_comments(bot_app, 3)
    assert any("No parallel work analysis found" in r for r in replies)
    assert await reactions(bot_app, comment["id"]) == ["confused", "eyes"]


async def test_a_strangers_plan_and_analyze_are_refused_politely_once(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await post_comment(bot_app, 4, PLAN, user=STRANGER)
    await bot_app.idle()
    await post_comment(bot_app, 4, "/analyze", user=STRANGER)
    await bot_app.idle()
    replies = bot_comments(bot_app, 4)
    assert replies and len(replies) == 1 and REFUSAL in replies[0]
    assert "@" not in replies[0]
    snap = bot_app.sandbox.snapshot(REPO)
    assert len(snap["issues"]) == 5  # nothing created
    assert all(i["labels"] == [] and i["sub_issues"] == [] for i in snap["issues"].values())
    assert bot_app.jobs("command", "refused") == 2
    # The collaborator-permission API was asked (mallory's association is NONE).
    assert any(e.path.endswith(f"/collaborators/{STRANGER}/permission") for e in bot_app.sandbox.log)


async def test_a_maintainer_is_served(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    bot_app.sandbox.set_permission(REPO, "writer", "maintain")
    await post_comment(bot_app, 5, "/analyze help", user="writer")
    await bot_app.idle()
    assert [USAGE in c for c in bot_comments(bot_app, 5)] == [True]


async def test_a_strangers_issue_with_a_plan_is_refused(bot_app: BotApp) -> None:
    issue = bot_app.sandbox.create_issue(REPO, "Drive-by plan", body=PLAN, user=STRANGER)
    status, _ = await bot_app.post("issues", bot_app.issue_event("opened", issue["number"]))
    assert status == 202
    await bot_app.idle()
    assert len(bot_app.sandbox.snapshot(REPO)["issues"]) == 1
    assert bot_app.issue(1)["labels"] == []
    assert [REFUSAL in c for c in bot_comments(bot_app, 1)] == [True]


async def test_an_issue_opened_with_a_plan_by_a_maintainer_is_synced(bot_app: BotApp) -> None:
    for n in range(1, 4):
        bot_app.sandbox.create_issue(REPO, f"Earlier issue {n}", user=MAINTAINER)
    issue = bot_app.sandbox.create_issue(REPO, "Configure Convex Backend", body=PLAN, user=MAINTAINER)
    bot_app.sandbox.create_issue(REPO, "Integrate Clerk", user=MAINTAINER)
    status, _ = await bot_app.post("issues", bot_app.issue_event("opened", issue["number"]))
    assert status == 202
    await bot_app.idle()
    assert_seed_structure(bot_app)


async def test_the_bots_own_comment_is_ignored(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = bot_app.sandbox.create_comment(REPO, 4, PLAN, user=BOT)
    status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert (status, answer["outcome"]) == (200, "ignored")
    command = bot_app.sandbox.create_comment(REPO, 4, "/analyze", user=BOT)
    status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", command))
    assert (status, answer["outcome"]) == (200, "ignored")
    await bot_app.idle()
    assert bot_app.jobs("sync") == 0 and bot_app.jobs("command") == 0
    assert bot_app.issue(4)["sub_issues"] == []


async def test_ordinary_comments_and_pull_requests_are_ignored(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = bot_app.sandbox.create_comment(REPO, 4, "Looks good to me; /analyze later maybe.")
    status, answer = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert (status, answer["outcome"]) == (200, "ignored")
    payload = bot_app.comment_event("created", bot_app.sandbox.create_comment(REPO, 4, PLAN, user=MAINTAINER))
    payload["issue"]["pull_request"] = {"url": "x", "html_url": "x", "diff_url": "x", "patch_url": "x"}
    status, answer = await bot_app.post("issue_comment", payload)
    assert (status, answer["outcome"]) == (200, "ignored")


async def test_closing_a_streams_sub_issue_makes_its_dependants_ready(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    subs = assert_seed_structure(bot_app)
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/{subs[0]}",
                          {"state": "closed", "state_reason": "completed"})
    status, answer = await bot_app.post("issues", bot_app.issue_event("closed", subs[0], sender=MAINTAINER))
    assert (status, answer["outcome"]) == (202, "queued")
    await bot_app.idle()
    for n in subs[1:]:
        assert "stream:ready" in bot_app.issue(n)["labels"], n
    summary = next(b for b in bot_comments(bot_app, 4) if "parallel-work-bot:summary" in b)
    assert "1 of 4 streams done" in summary
    # Reopened: the dependants wait again.
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/{subs[0]}", {"state": "open"})
    await bot_app.post("issues", bot_app.issue_event("reopened", subs[0], sender=MAINTAINER))
    await bot_app.idle()
    for n in subs[1:]:
        assert "stream:ready" not in bot_app.issue(n)["labels"], n


@pytest.mark.parametrize(
    ("fault", "fired", "outcomes"),
    [
        # Every attempt at the bot's first read fails: the job fails, the queue runs it again.
        ("502:method=GET,path=/issues/4$,times=2", 2, {"failed": 1, "ok": 1}),
        # The primary rate limit is exhausted for 2 s: the job leaves the worker and comes back then.
        ("primary:method=GET,path=/issues/4$,reset_in=2,times=1", 1, {"deferred": 1, "ok": 1, "failed": 0}),
    ],
    ids=["github-502-retried-to-success", "rate-limited-rescheduled-for-the-reset"],
)
async def test_a_job_github_turns_away_runs_again_to_success(
    bot_app: BotApp, fault: str, fired: int, outcomes: dict[str, int],
) -> None:
    seed_issues(bot_app)
    added = bot_app.sandbox.faults.add(fault)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    assert added.fired == fired
    assert {outcome: bot_app.jobs("sync", outcome) for outcome in outcomes} == outcomes
    assert_seed_structure(bot_app)


async def test_a_job_that_keeps_failing_is_reported_in_the_summary(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    assert_seed_structure(bot_app)
    # GitHub keeps failing on the sub-issue list for every attempt of every run of the job.
    bot_app.sandbox.faults.add("502:method=GET,path=/sub_issues$,times=0")
    await post_comment(bot_app, 4, "/analyze")
    await bot_app.idle()
    summary = next(b for b in bot_comments(bot_app, 4) if "parallel-work-bot:summary" in b)
    assert "could not finish syncing" in summary and "/analyze" in summary
    assert bot_app.jobs("command", "reported") == 1
    bot_app.sandbox.faults.clear()
    # Once GitHub is back, the next sync clears the note.
    await post_comment(bot_app, 4, "/analyze")
    await bot_app.idle()
    summary = next(b for b in bot_comments(bot_app, 4) if "parallel-work-bot:summary" in b)
    assert "could not finish syncing" not in summary


async def test_deliveries_are_acknowledged_before_the_job_runs(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    bot_app.sandbox.faults.add("slow:method=GET,path=/issues/4$,delay=1.0,times=1")
    comment = bot_app.sandbox.create_comment(REPO, 4, PLAN, user=MAINTAINER)
    status, _ = await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    assert status == 202
    # Acknowledged while the job is still waiting on GitHub: nothing written yet.
    assert bot_app.issue(4)["sub_issues"] == []
    await asyncio.wait_for(bot_app.idle(), 30)
    assert_seed_structure(bot_app)


async def test_an_issue_opened_with_task_frontmatter_gets_its_links(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    body = ("---\nname: Add Clerk webhooks\nstatus: open\ndepends_on: [3]\nconflicts_with: [5]\n"
            "parallel: true\n---\n\n")
    issue = bot_app.sandbox.create_issue(REPO, "Task: Clerk webhooks", body=body + "Do the thing.",
                                         user=MAINTAINER)
    status, answer = await bot_app.post("issues", bot_app.issue_event("opened", issue["number"]))
    assert (status, answer["outcome"]) == (202, "queued")
    await bot_app.idle()
    task = bot_app.issue(issue["number"])
    assert task["blocked_by"] == [3]
    assert "plan:conflict" in task["labels"] and "plan:conflict" in bot_app.issue(5)["labels"]
    assert bot_comments(bot_app, issue["number"]) == []  # every link was made: nothing to say on the task
    # An ordinary issue (no plan, no task links) is not synced at all.
    plain = bot_app.sandbox.create_issue(REPO, "Typo in README", body="Fix the typo.", user=MAINTAINER)
    status, answer = await bot_app.post("issues", bot_app.issue_event("opened", plain["number"]))
    assert (status, answer["outcome"]) == (200, "ignored")


async def test_a_delivery_without_installation_finds_it_from_the_repository(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    comment = bot_app.sandbox.create_comment(REPO, 4, PLAN, user=MAINTAINER)
    payload = bot_app.comment_event("created", comment)
    del payload["installation"]  # as a repository (not App) webhook sends it
    status, _ = await bot_app.post("issue_comment", payload)
    assert status == 202
    await bot_app.idle()
    assert_seed_structure(bot_app)
    assert any(e.path == f"/repos/{REPO}/installation" for e in bot_app.sandbox.log)


async def test_analyze_on_an_issue_with_only_task_links_syncs_them(bot_app: BotApp) -> None:
    seed_issues(bot_app)
    body = "---\nname: Clerk webhooks\ndepends_on: [3]\n---\n\nDo the thing."
    number = bot_app.sandbox.create_issue(REPO, "Task: Clerk webhooks", body=body, user=MAINTAINER)["number"]
    await post_comment(bot_app, number, "/analyze dry-run")
    await bot_app.idle()
    [reply] = bot_comments(bot_app, number)
    assert f"/issues/{number}/dependencies/blocked_by` `#{number}` blocked by `#3`" in reply
    assert "would make **1** write (none was made)" in reply
    comment = await post_comment(bot_app, number, "/analyze")
    await bot_app.idle()
    assert bot_app.issue(number)["blocked_by"] == [3]
    assert await reactions(bot_app, comment["id"]) == ["+1", "eyes"]
    assert len(bot_comments(bot_app, number)) == 1  # no "no analysis found" reply, and nothing else to say
