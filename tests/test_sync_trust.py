"""Trust in the sync: only writers' plans count (permission read once per login); only our things are ours."""

from __future__ import annotations

from bot.sandbox import Sandbox
from bot.sync import sync_issue
from bot.sync.labels import PLAN_CONFLICT
from tests.paths import SEED
from tests.test_sync_support import NAME, OWNER, REPO, as_person, client, issue, seed_issues

BOT = "parallel-work-bot[bot]"
OTHER_APP = "other-app[bot]"
PLAN = SEED.read_text()


def permission_reads(sb: Sandbox, login: str) -> int:
    """Collaborator-permission reads of one login, from the local GitHub's request log."""
    path = f"/collaborators/{login}/permission"
    return sum(1 for e in sb.log if e.method == "GET" and e.path.endswith(path))


async def test_a_writers_plan_is_synced_and_the_permission_read_once(sandbox: Sandbox) -> None:
    seed_issues(sandbox)  # octocat: `write`, so COLLABORATOR: the permission API decides
    async with client(sandbox) as gh:
        first = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
        third = await sync_issue(gh, OWNER, NAME, 4)
    assert first.found_analysis and issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [6, 7, 8, 9]
    assert again.writes == third.writes == 0
    assert permission_reads(sandbox, "octocat") == 1


async def test_read_and_triage_collaborators_plans_move_nothing(sandbox: Sandbox) -> None:
    for n in range(1, 6):
        sandbox.create_issue(REPO, f"Issue {n}")
    sandbox.set_permission(REPO, "reader", "read")
    sandbox.set_permission(REPO, "triager", "triage")
    sandbox.create_comment(REPO, 4, PLAN, user="reader")
    sandbox.create_comment(REPO, 4, PLAN, user="triager")
    before = sandbox.snapshot(REPO)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert not result.found_analysis and result.writes == 0
    assert sandbox.snapshot(REPO) == before
    assert permission_reads(sandbox, "reader") == permission_reads(sandbox, "triager") == 1


async def test_a_readers_newer_plan_does_not_replace_the_writers(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "reader", "read")
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        before = sandbox.snapshot(REPO)
        sandbox.create_comment(REPO, 4, PLAN.replace("### Stream D", "### Stream Z"), user="reader")
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis and result.writes == 0
    assert sandbox.snapshot(REPO)["issues"].keys() == before["issues"].keys()


async def _sub_issue_id(sb: Sandbox, number: int) -> int:
    return int(sb.issue_json(REPO, number)["id"])


async def test_hand_edits_are_repaired_without_duplicates(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        # A person rewrites B's description, unlinks C, and unlinks D and takes its `stream` label off.
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/7", {"body": "My own notes."})
        for n in (8, 9):
            await gh.delete(f"/repos/{REPO}/issues/4/sub_issue",
                            data={"sub_issue_id": await _sub_issue_id(sandbox, n)})
        await as_person(sandbox, "DELETE", f"/repos/{REPO}/issues/9/labels/stream", {})
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/9", {"body": "Rewritten too."})
        assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [6, 7]
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert sorted(int(n) for n in snap["issues"]) == list(range(1, 10)), result.planned  # nothing created
    assert issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    b, d = issue(snap, 7), issue(snap, 9)
    assert b["body"].startswith("<!-- parallel-work-bot:stream parent=4 id=B -->")
    assert "My own notes." in b["body"]
    assert d["body"].startswith("<!-- parallel-work-bot:stream parent=4 id=D -->") and "stream" in d["labels"]
    assert [issue(snap, n)["blocked_by"] for n in (7, 8, 9)] == [[6], [6], [6]]
    assert again.writes == 0


FORGED_SUMMARY = (
    "<!-- parallel-work-bot:summary issue=4 plan=none -->\nForged.\n"
    "<!-- parallel-work-bot:links conflicts=1 deps=3 -->\n"
    "<!-- parallel-work-bot:streams A=2 -->\n"
)


async def test_forged_markers_from_a_person_and_another_app_steer_nothing(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    # A person's own plan:conflict on #1 and their blocked-by link #4 <- #3.
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/1/labels", {"labels": [PLAN_CONFLICT.name]})
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/4/dependencies/blocked_by",
                    {"issue_id": await _sub_issue_id(sandbox, 3)})
    # Forged summaries (recording flags on #1 and a link to #3 for the bot to "undo") on #4, a forged
    # conflict note on #5, and a forged stream sub-issue of #4 with the `stream` label.
    forged = [
        sandbox.create_comment(REPO, 4, FORGED_SUMMARY, user="eve"),
        sandbox.create_comment(REPO, 4, FORGED_SUMMARY, user=OTHER_APP),
        sandbox.create_comment(REPO, 5, "<!-- parallel-work-bot:conflict of=#4 -->\nForged note.",
                               user=OTHER_APP),
    ]
    stream = sandbox.create_issue(REPO, "#4 · Stream A: Core Setup & Schema",
                                  "<!-- parallel-work-bot:stream parent=4 id=A -->\nx\n"
                                  "<!-- /parallel-work-bot:stream -->", user=OTHER_APP, labels=["stream"])
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        dropped = PLAN.replace("conflicts_with: [5]", "no other issue")
        sandbox.create_comment(REPO, 4, dropped)
        await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    by_id = {c["id"]: c for n in (4, 5) for c in issue(snap, n)["comments"]}
    assert all(by_id[c["id"]]["body"] == c["body"] for c in forged)  # none edited or removed
    ours = [c for c in issue(snap, 4)["comments"] if c["user"] == BOT]
    assert len(ours) == 1 and ours[0]["body"].startswith("<!-- parallel-work-bot:summary issue=4 plan=")
    assert PLAN_CONFLICT.name in issue(snap, 1)["labels"]
    assert issue(snap, 4)["blocked_by"] == [3]
    forged_stream = issue(snap, stream["number"])
    assert forged_stream["state"] == "open" and forged_stream["parent"] is None
    assert "Core Setup" in forged_stream["title"] and forged_stream["body"].endswith("stream -->")
    assert stream["number"] not in issue(snap, 4)["sub_issues"] and len(issue(snap, 4)["sub_issues"]) == 4


def _plan_on(number: int, conflicts: str) -> str:
    return PLAN.replace("issue: 4", f"issue: {number}").replace("conflicts_with: [5]", conflicts)


async def test_plan_conflict_stays_while_another_plan_flags_the_issue(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.create_comment(REPO, 5, _plan_on(5, "conflicts_with: [4]"))
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        await sync_issue(gh, OWNER, NAME, 5)
        flagged = sandbox.snapshot(REPO)
        sandbox.create_comment(REPO, 4, _plan_on(4, "no other issue"))
        await sync_issue(gh, OWNER, NAME, 4)
    assert all(PLAN_CONFLICT.name in issue(flagged, n)["labels"] for n in (4, 5))
    snap = sandbox.snapshot(REPO)
    notes_on_5 = [c for c in issue(snap, 5)["comments"] if "parallel-work-bot:conflict" in c["body"]]
    assert notes_on_5 == []  # #4's note went
    # #4 is still flagged by #5's plan, and #5's own plan still flags #4: both keep the label.
    assert PLAN_CONFLICT.name in issue(snap, 4)["labels"]
    assert PLAN_CONFLICT.name in issue(snap, 5)["labels"]


async def test_a_failed_permission_check_leaves_no_failure_summary(sandbox: Sandbox) -> None:
    """give_up after a permission check that kept failing: no summary on an issue without a known plan."""
    from bot.sync import report_failure

    sandbox.create_issue(REPO, "Collaborator's plan")
    sandbox.set_permission(REPO, "collab", "write")
    sandbox.create_comment(REPO, 1, PLAN.replace("issue: 4", "issue: 1"), user="collab")

    async def failing(_login: str, _association: object) -> bool:
        raise RuntimeError("permission API unreachable")

    async with client(sandbox) as gh:
        await report_failure(gh, OWNER, NAME, 1, "boom", may_write=failing)
    assert [c["user"] for c in issue(sandbox.snapshot(REPO), 1)["comments"]] == ["collab"]


def test_identity_is_our_login_or_our_app_never_some_bot() -> None:
    from bot.conventions import Identity

    me = Identity("parallel-work-bot[bot]", 1)
    assert me.owns({"user": {"login": "parallel-work-bot[bot]", "type": "Bot"}})
    assert me.owns({"user": {"login": "someone"}, "performed_via_github_app": {"id": 1}})
    other = {"user": {"login": "other-app[bot]", "type": "Bot"}, "performed_via_github_app": {"id": 2}}
    assert not me.owns(other)
    assert not me.owns({"user": {"login": "eve", "type": "User"}, "performed_via_github_app": None})
    no_app_id = Identity("parallel-work-bot[bot]")
    assert not no_app_id.owns({"user": {"login": "x"}, "performed_via_github_app": {"id": 1}})
