"""The sync against the local GitHub: the seed's structure, zero-write re-syncs, plan edits, readiness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox import Sandbox
from bot.sync import locks, sync_issue
from bot.sync.diff import in_order, reorder_moves
from bot.sync.labels import AGENT_COLOR, PARALLEL_PLAN, PLAN_CONFLICT, STREAM, STREAM_READY
from tests.gfm_filters import live_refs
from tests.paths import SEED
from tests.test_sync_support import (
    NAME,
    OWNER,
    REPO,
    as_person,
    client,
    cyclic_seed,
    edited_seed,
    issue,
    seed_issues,
    writes,
)

#: 6 label creations + 4 creates (each linked as it is made: GraphQL) + 3 blocked-by + 1 label call on #4
#: + 2 conflict flags + 1 summary, and 1 sub-issue body naming sub-issues created after it (A's: their
#: numbers are unknown until then; B, C and D are created naming A's).
SEED_MINIMUM = 6 + 4 + 3 + 1 + 2 + 1 + 1


async def test_seed_first_sync_builds_the_structure(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis and not result.errors
    assert result.writes == writes(sandbox) == SEED_MINIMUM
    snap = sandbox.snapshot(REPO)
    parent = issue(snap, 4)
    summaries = [c for c in parent["comments"] if c["body"].startswith("<!-- parallel-work-bot:summary")]
    assert len(summaries) == 1 and summaries[0]["user"] == "parallel-work-bot[bot]"
    assert parent["sub_issues"] == [6, 7, 8, 9]
    titles = [issue(snap, n)["title"] for n in (6, 7, 8, 9)]
    assert titles == [
        "#4 · Stream A: Core Setup & Schema",
        "#4 · Stream B: Provider Integration",
        "#4 · Stream C: File Storage & Actions",
        "#4 · Stream D: HTTP Actions for Webhooks",
    ]
    assert issue(snap, 6)["blocked_by"] == []
    assert [issue(snap, n)["blocked_by"] for n in (7, 8, 9)] == [[6], [6], [6]]
    assert set(issue(snap, 6)["labels"]) == {"stream", "agent:backend-specialist", "stream:ready"}
    assert set(issue(snap, 7)["labels"]) == {"stream", "agent:fullstack-specialist"}
    assert set(issue(snap, 8)["labels"]) == {"stream", "agent:backend-specialist"}
    assert set(parent["labels"]) == {"parallel-plan", "plan:conflict"}
    # conflicts_with: [5] -> #5 is flagged and points back to #4 with one bot comment.
    other = issue(snap, 5)
    assert other["labels"] == ["plan:conflict"]
    notes = [c for c in other["comments"] if c["user"] == "parallel-work-bot[bot]"]
    assert len(notes) == 1 and notes[0]["body"].startswith("<!-- parallel-work-bot:conflict of=#4 -->")
    assert "#4" in notes[0]["body"]
    # The labels exist with the bot's colours, not GitHub's default for auto-created ones.
    colours = snap["labels"]
    assert colours[STREAM.name] == STREAM.color and colours[STREAM_READY.name] == STREAM_READY.color
    assert (
        colours[PARALLEL_PLAN.name] == PARALLEL_PLAN.color
        and colours[PLAN_CONFLICT.name] == PLAN_CONFLICT.color
    )
    assert colours["agent:backend-specialist"] == AGENT_COLOR
    # The summary links every stream to its sub-issue; the sub-issue body has the region and a link back.
    assert all(
        f"/issues/{n}" in summaries[0]["body"] or f"#{n}" in summaries[0]["body"] for n in (6, 7, 8, 9)
    )
    body = issue(snap, 7)["body"]
    assert body.startswith("<!-- parallel-work-bot:stream parent=4 id=B -->")
    assert "Part of #4" in body and "Stream A" in body and "providers.tsx" in body


async def test_second_sync_writes_nothing_and_reads_conditionally(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        snap = sandbox.snapshot(REPO)
        before = sandbox.accounting(1).as_dict()
        again = await sync_issue(gh, OWNER, NAME, 4)
        middle = sandbox.accounting(1).as_dict()
        third = await sync_issue(gh, OWNER, NAME, 4)
        after = sandbox.accounting(1).as_dict()
    assert again.writes == 0 and again.planned == [] and third.writes == 0
    assert before["writes"] == middle["writes"] == after["writes"]
    assert sandbox.snapshot(REPO) == snap
    # Once the client has seen the state after its own writes, every read is a free 304.
    assert after["not_modified"] > middle["not_modified"]
    assert after["reads"] == middle["reads"]
    assert after["points"] == middle["points"]


async def test_sub_issues_are_listed_only_when_the_issue_says_it_has_some(sandbox: Sandbox) -> None:
    """GitHub's issue tells how many sub-issues it has: a new plan's first sync does not list them when it has
    none; a re-sync lists them, and so does a first sync of an issue a person already gave a sub-issue."""
    seed_issues(sandbox)

    def listings(number: int) -> int:
        path = f"/repos/{REPO}/issues/{number}/sub_issues"
        return sum(e.method == "GET" and e.path == path for e in sandbox.log)

    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        assert listings(4) == 0
        assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [6, 7, 8, 9]
        again = await sync_issue(gh, OWNER, NAME, 4)
        assert listings(4) == 1 and again.writes == 0
        # A person unlinks every sub-issue: #4 now says it has none, but the bot recorded its own, so it lists
        # (and finds, by the record, and links again) rather than trust the count.
        state = sandbox.state
        parent = state.issue(state.repo(REPO), 4)
        for child in list(parent.sub_issues):
            state.remove_sub_issue(parent, child)
        relinked = await sync_issue(gh, OWNER, NAME, 4)
        assert listings(4) == 2 and not relinked.errors
        assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [6, 7, 8, 9]
        # Issue #10, with a person's sub-issue (#11), gets a plan of its own.
        sandbox.create_issue(REPO, "Another feature", "Body.")
        task = sandbox.create_issue(REPO, "A person's task", "Body.")
        await as_person(sandbox, "POST", f"/repos/{REPO}/issues/10/sub_issues", {"sub_issue_id": task["id"]})
        sandbox.create_comment(REPO, 10, SEED.read_text().replace("issue: 4", "issue: 10"))
        result = await sync_issue(gh, OWNER, NAME, 10)
    assert listings(10) == 1 and result.found_analysis and not result.errors
    subs = issue(sandbox.snapshot(REPO), 10)["sub_issues"]
    assert subs[0] == 11 and len(subs) == 5  # the person's, then one a stream


async def test_blockers_are_listed_only_for_sub_issues_that_say_they_have_some(sandbox: Sandbox) -> None:
    """A re-sync lists the blockers of B, C and D (each waits for A), not of A, which says nothing blocks it;
    once a person adds a blocker to A, A's are listed too."""
    seed_issues(sandbox)

    def listed(since: int) -> list[int]:
        return sorted(int(e.path.split("/")[-3]) for e in sandbox.log[since:]
                      if e.method == "GET" and e.path.endswith("/dependencies/blocked_by"))

    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        mark = len(sandbox.log)
        await sync_issue(gh, OWNER, NAME, 4)
        assert listed(mark) == [7, 8, 9]
        blocker = issue(sandbox.snapshot(REPO), 1)["id"]
        await as_person(sandbox, "POST", f"/repos/{REPO}/issues/6/dependencies/blocked_by",
                        {"issue_id": blocker})
        mark = len(sandbox.log)
        await sync_issue(gh, OWNER, NAME, 4)
    assert listed(mark) == [6, 7, 8, 9]


async def test_sync_of_a_stream_sub_issue_syncs_its_parent(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        result = await sync_issue(gh, OWNER, NAME, 7)
    assert result.issue == 4 and result.writes == 0 and result.found_analysis


async def test_plan_edit_writes_exactly_the_delta(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        before = sandbox.snapshot(REPO)
        sandbox.create_comment(REPO, 4, edited_seed())  # a newer analysis wins
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    done = sorted(w.description.split(":")[0] for w in result.planned)
    assert done == sorted(
        [
            "create sub-issue for stream E",  # already linked under #4 (GraphQL)
            "stream E blocked by stream B",
            "update #6 (body)",  # A's brief: D no longer waits for it
            "update #7 (body)",  # B's brief: E waits for it now
            "update stream B's sub-issue (body",  # ... as E's sub-issue, once it exists
            "update #8 (body)",
            "unblock #9 (stream D removed)",
            "close #9",
            "update summary",
        ]
    ), result.planned  # E's brief names B's sub-issue from the start: no second write for it
    assert again.writes == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 4)["sub_issues"] == [6, 7, 8, 9, 10]
    d = issue(snap, 9)
    assert (d["state"], d["state_reason"], d["blocked_by"]) == ("closed", "not_planned", [])
    assert "no longer in the plan" in d["body"]
    assert issue(snap, 10)["blocked_by"] == [7] and "stream:ready" not in issue(snap, 10)["labels"]
    assert "**Estimate:** 3.0 h" in issue(snap, 8)["body"]
    assert "#9 (Stream D" in issue(before, 6)["body"] and "#9 (Stream D" not in issue(snap, 6)["body"]
    assert "**Then unblocks:** #10 (Stream E" in issue(snap, 7)["body"]
    assert "**Waits for:** #7 (Stream B" in issue(snap, 10)["body"]
    for n in (6, 7):  # only the bodies changed
        assert {**issue(snap, n), "body": ""} == {**issue(before, n), "body": ""}


async def test_closing_a_blocker_makes_its_dependents_ready(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        sandbox.create_comment(REPO, 4, edited_seed())
        await sync_issue(gh, OWNER, NAME, 4)
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/6", {"state": "closed"})
        result = await sync_issue(gh, OWNER, NAME, 6)  # the closed sub-issue's event syncs its parent
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert result.issue == 4 and again.writes == 0
    snap = sandbox.snapshot(REPO)
    assert "stream:ready" in issue(snap, 7)["labels"] and "stream:ready" in issue(snap, 8)["labels"]
    assert "stream:ready" not in issue(snap, 10)["labels"]  # E waits for B, still open
    assert issue(snap, 6)["state"] == "closed"
    assert sorted(w.description for w in result.planned) == sorted(
        ["label #7 stream:ready", "label #8 stream:ready", "update summary"]
    )
    summary = next(
        c for c in issue(snap, 4)["comments"] if c["body"].startswith("<!-- parallel-work-bot:summary")
    )
    assert "1 of 4 streams done" in summary["body"]
    # Reopening the blocker moves the label back.
    async with client(sandbox) as gh:
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/6", {"state": "open"})
        reopened = await sync_issue(gh, OWNER, NAME, 4)
    assert sorted(w.description for w in reopened.planned) == sorted(
        ["unlabel #7 stream:ready", "unlabel #8 stream:ready", "update summary"]
    )
    snap = sandbox.snapshot(REPO)
    assert "stream:ready" not in issue(snap, 7)["labels"] and "stream:ready" in issue(snap, 6)["labels"]


async def test_person_closed_stream_stays_closed_and_their_text_survives(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        body = sandbox.snapshot(REPO)["issues"]["7"]["body"]
        await as_person(
            sandbox, "PATCH", f"/repos/{REPO}/issues/7", {"body": body + "\n\nNotes by a person."}
        )
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/8", {"state": "closed"})
        edited = SEED.read_text().replace("Configure ConvexProvider in Next.js app", "Configure the provider")
        edited = edited.replace("### Stream C: File Storage & Actions", "### Stream C: Storage")
        sandbox.create_comment(REPO, 4, edited)
        await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert "Configure the provider" in issue(snap, 7)["body"]
    assert issue(snap, 7)["body"].endswith("Notes by a person.")
    c = issue(snap, 8)
    assert c["state"] == "closed" and c["title"] == "#4 · Stream C: Storage"


async def test_invalid_plan_writes_only_the_summary_and_label(sandbox: Sandbox) -> None:
    seed_issues(sandbox, analysis=cyclic_seed())
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert result.errors and result.found_analysis and again.writes == 0
    assert sorted(w.description for w in result.planned) == sorted(
        [
            "create label parallel-plan",
            "create label plan:invalid",
            "label #4 parallel-plan, plan:invalid",
            "create summary",
        ]
    )
    snap = sandbox.snapshot(REPO)
    assert sorted(snap["issues"]) == ["1", "2", "3", "4", "5"]  # no sub-issue
    assert issue(snap, 4)["sub_issues"] == [] and issue(snap, 5)["labels"] == []
    summary = issue(snap, 4)["comments"][-1]["body"]
    assert summary.startswith("<!-- parallel-work-bot:summary") and "A → D → A" in summary


async def test_invalid_then_valid_again(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        sandbox.create_comment(REPO, 4, cyclic_seed())
        broken = await sync_issue(gh, OWNER, NAME, 4)
        sandbox.create_comment(REPO, 4, SEED.read_text())
        fixed = await sync_issue(gh, OWNER, NAME, 4)
    assert sorted(w.description for w in broken.planned) == sorted(
        [
            "create label plan:invalid",
            "label #4 plan:invalid",
            "update summary",
        ]
    )
    # The plan is read from a new comment: each brief links it (one write each), nothing else changes.
    bodies = [f"update #{n} (body)" for n in (6, 7, 8, 9)]
    want = ["unlabel #4 plan:invalid", *bodies, "update summary"]
    assert sorted(w.description for w in fixed.planned) == want
    assert set(issue(sandbox.snapshot(REPO), 4)["labels"]) == {"parallel-plan", "plan:conflict"}


async def test_dry_run_lists_the_writes_and_makes_none(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        dry = await sync_issue(gh, OWNER, NAME, 4, dry_run=True)
        assert writes(sandbox) == 0 and dry.writes == 0 and dry.dry_run
        real = await sync_issue(gh, OWNER, NAME, 4)
    assert [w.description for w in dry.planned] == [w.description for w in real.planned]
    assert len(dry.planned) == SEED_MINIMUM
    assert any("{new B}" in w.path for w in dry.planned)


async def test_two_concurrent_syncs_never_create_twice(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh1, client(sandbox) as gh2:
        first, second = await asyncio.gather(sync_issue(gh1, OWNER, NAME, 4), sync_issue(gh2, OWNER, NAME, 4))
    assert sorted([first.writes, second.writes]) == [0, SEED_MINIMUM]
    snap = sandbox.snapshot(REPO)
    assert len(snap["issues"]) == 9 and issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    assert not locks._LOCKS.get(asyncio.get_running_loop())  # no lock is kept once nobody waits


async def test_conflicts_with_missing_pr_and_self_are_warnings(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "A pull request", "", pull_request=True)  # 1
    text = SEED.read_text().replace("conflicts_with: [5]", "conflicts_with: [1, 2, 9]")
    text = text.replace(
        "parallelization_factor: 2.0\n", "parallelization_factor: 2.0\nconflicts_with: [1, 2, 9]\n"
    )
    sandbox.create_issue(REPO, "Epic", text)  # 2: the analysis in the body, listing itself
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 2)
    codes = sorted(n.code for n in result.notes if n.code.startswith("sync-conflict"))
    assert codes == ["sync-conflict-missing", "sync-conflict-pr", "sync-conflict-self"]
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 1)["labels"] == [] and issue(snap, 1)["comments"] == []
    assert "plan:conflict" not in issue(snap, 2)["labels"]
    summary = issue(snap, 2)["comments"][-1]["body"]
    assert "which does not exist" in summary and "pull request" in summary
    # Neither the pull request nor the missing issue is linked (no backlink on the PR); the sub-issues are.
    live = {r.number for r in live_refs(summary)}
    assert 1 not in live and 9 not in live and set(issue(snap, 2)["sub_issues"]) <= live


async def test_task_frontmatter_depends_on_blocks_the_issue(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Database", "")  # 1
    body = (
        "---\nname: API\nstatus: open\n"
        "depends_on: [1, 7]\nconflicts_with: [1]\nparallel: false\n---\n\n# Task\n"
    )
    sandbox.create_issue(REPO, "API", body)  # 2
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 2)
        again = await sync_issue(gh, OWNER, NAME, 2)
    assert not result.found_analysis and result.found_task_links and again.writes == 0
    assert [n.code for n in result.notes] == ["sync-dep-missing"]
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 2)["blocked_by"] == [1]
    assert issue(snap, 1)["labels"] == ["plan:conflict"] and issue(snap, 2)["labels"] == ["plan:conflict"]
    # The missing #7 is said where people look: a short summary on #2 (there is no analysis to render).
    [summary] = [c["body"] for c in issue(snap, 2)["comments"] if c["user"] == "parallel-work-bot[bot]"]
    assert summary.startswith("<!-- parallel-work-bot:summary issue=2 plan=none -->")
    assert "**Blocked by:** #1" in summary and "**Conflicts with:** #1" in summary
    assert "sync-dep-missing" in summary and "`#7`, which does not exist" in summary


async def test_task_links_summary_only_when_there_is_something_to_say(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Database", "")  # 1
    sandbox.create_issue(REPO, "API", "---\nname: API\ndepends_on: [1]\n---\n\n# Task\n")  # 2
    sandbox.create_issue(REPO, "UI", "---\nname: UI\ndepends_on: [1, 9]\n---\n\n# Task\n")  # 3
    async with client(sandbox) as gh:
        quiet = await sync_issue(gh, OWNER, NAME, 2)
        noisy = await sync_issue(gh, OWNER, NAME, 3)
        # #9 is dropped from the frontmatter: the summary, once there, is edited to match (the warning goes).
        await as_person(
            sandbox, "PATCH", f"/repos/{REPO}/issues/3", {"body": "---\nname: UI\ndepends_on: [1]\n---\n"}
        )
        fixed = await sync_issue(gh, OWNER, NAME, 3)
        again = await sync_issue(gh, OWNER, NAME, 3)
    assert [w.description for w in quiet.planned] == ["#2 blocked by #1"]
    assert "create summary" in [w.description for w in noisy.planned]
    assert [w.description for w in fixed.planned] == ["update summary"] and again.writes == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 2)["comments"] == [] and issue(snap, 2)["blocked_by"] == [1]
    [summary] = [c["body"] for c in issue(snap, 3)["comments"]]
    assert "**Blocked by:** #1" in summary and "#9" not in summary


async def test_sub_issues_follow_stream_order(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    text = SEED.read_text()
    stream_e = "### Stream E: Early Checks\n**Scope**: Lint\n**Dependencies**: Stream A\n\n"
    at = text.index("### Stream B")
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        sandbox.create_comment(REPO, 4, text[:at] + stream_e + text[at:])  # E between A and B
        inserted = await sync_issue(gh, OWNER, NAME, 4)
        assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [6, 10, 7, 8, 9]
        moves = [w for w in inserted.planned if w.path.endswith("/sub_issues/priority")]
        assert len(moves) == 1
        blocks = text[text.index("### Stream A") : text.index("## Coordination Points")].split("### ")[1:]
        head, tail = text[: text.index("### Stream A")], text[text.index("## Coordination Points") :]
        reordered = head + "".join("### " + b for b in reversed(blocks)) + stream_e + tail  # D C B A E
        sandbox.create_comment(REPO, 4, reordered)
        moved = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == [9, 8, 7, 6, 10]
    assert again.writes == 0, (again.planned, moved.planned)
    # A, E stay (the longest run already in order); D, C, B move.
    assert len([w for w in moved.planned if w.path.endswith("/sub_issues/priority")]) == 3


@given(st.permutations(list("ABCDEFG")), st.lists(st.sampled_from("XYZ"), max_size=3, unique=True))
def test_reorder_moves_put_streams_in_plan_order(order: list[str], others: list[str]) -> None:
    """The move plan, applied to the list (others' sub-issues in it too), gives the plan order."""
    items = order[:3] + others + order[3:]
    want = sorted(order)
    moves = reorder_moves(items, want)
    for sid, side, anchor in moves:
        items.remove(sid)
        at = items.index(anchor)
        items.insert(at + 1 if side == "after" else at, sid)
    assert [x for x in items if x in want] == want
    assert len(moves) == len(want) - len(in_order(order, want))


async def test_dropped_conflicts_and_issue_dependencies_are_undone(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.create_issue(REPO, "Issue 6", "")  # 6, plays an issue-level blocker of #4
    await as_person(
        sandbox, "PATCH", f"/repos/{REPO}/issues/4", {"body": "---\ndepends_on: [6]\n---\n\nTask."}
    )
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        snap = sandbox.snapshot(REPO)
        assert issue(snap, 4)["blocked_by"] == [6] and "plan:conflict" in issue(snap, 5)["labels"]
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/4", {"body": "Task, no frontmatter."})
        sandbox.create_comment(REPO, 4, SEED.read_text().replace("The `conflicts_with: [5]`", "The note"))
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    bodies = [w for w in result.planned if w.description.endswith("(body)")]
    assert len(bodies) == 4  # the four briefs link the plan's new comment
    assert sorted(w.description for w in result.planned if w not in bodies) == sorted(
        [
            "#4 no longer blocked by #6",
            "remove conflict note on #5",
            "unlabel #5 plan:conflict",
            "unlabel #4 plan:conflict",
            "update summary",
        ]
    )
    assert again.writes == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 4)["blocked_by"] == [] and issue(snap, 5)["labels"] == []
    assert [c for c in issue(snap, 5)["comments"] if c["user"] == "parallel-work-bot[bot]"] == []


async def test_only_bot_markers_count_and_duplicate_summaries_go(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    fake = "<!-- parallel-work-bot:summary issue=4 plan=x -->\nA person's look-alike."
    sandbox.create_comment(REPO, 4, fake)  # a person quoting the marker: never edited, never read as ours
    sandbox.create_issue(
        REPO, "Look-alike", "<!-- parallel-work-bot:stream parent=4 id=A -->\n"
    )  # 6, by a person
    bot = "parallel-work-bot[bot]"
    sandbox.create_comment(REPO, 4, "<!-- parallel-work-bot:summary issue=4 plan=old -->\nold", user=bot)
    sandbox.create_comment(REPO, 4, "<!-- parallel-work-bot:summary issue=4 plan=old -->\ndup", user=bot)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    descriptions = [w.description for w in result.planned]
    assert "update summary" in descriptions and "delete duplicate summary" in descriptions
    assert "create summary" not in descriptions and again.writes == 0
    snap = sandbox.snapshot(REPO)
    bodies = [c["body"] for c in issue(snap, 4)["comments"]]
    assert fake in bodies and sum(b.startswith("<!-- parallel-work-bot:summary") for b in bodies) == 2
    assert issue(snap, 4)["sub_issues"] == [7, 8, 9, 10]  # the person's look-alike #6 is not taken for A


async def test_a_bot_label_deleted_behind_the_cache_gets_its_colour_back(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)  # the label cache now says `stream` exists
        await as_person(sandbox, "DELETE", f"/repos/{REPO}/labels/stream", {})
        sandbox.create_comment(REPO, 4, edited_seed())  # a new stream E: created with `stream`
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert "restore label stream" in [w.description for w in result.planned]
    assert sandbox.snapshot(REPO)["labels"]["stream"] == STREAM.color
    assert again.writes == 0


def _plan(*streams: str) -> str:
    """A plan of #4 in CCPM's layout, each stream given as "A" or "A: <its field lines>"."""
    out = ["---\nissue: 4\ntitle: Generated\n---\n", "# Parallel Work Analysis: Issue #4\n",
           "## Parallel Streams\n"]
    for spec in streams:
        sid, _, fields = spec.partition(": ")
        out.append(f"### Stream {sid}: Part {sid}\n{fields.replace('; ', chr(10))}\n")
    return "\n".join(out)


async def test_a_finished_streams_new_agent_label_is_neither_made_nor_put_on_it(sandbox: Sandbox) -> None:
    """A closed stream's labels stay as they are, so a label only it would carry is not made for it (a sync
    deleted the unused agent label and the next made it again: found by tests/test_sync_properties.py)."""
    agent = "**Agent Type**: backend-specialist"
    seed_issues(sandbox, analysis=_plan("A", "B", f"C: {agent}"))
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/7", {"state": "closed"})  # B, done
        sandbox.create_comment(REPO, 4, _plan("A", f"B: {agent}", "C"))
        moved = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert "unlabel #8 agent:backend-specialist" in [w.description for w in moved.planned]
    assert again.writes == 0, [w.description for w in again.planned]
    snap = sandbox.snapshot(REPO)
    assert "agent:backend-specialist" not in snap["labels"]  # no issue carries it: deleted, not made again
    assert issue(snap, 7)["state"] == "closed" and "agent:backend-specialist" not in issue(snap, 7)["labels"]


async def test_a_dependency_turned_around_is_removed_before_the_new_one_is_made(sandbox: Sandbox) -> None:
    """"B after A" edited into "A after B": GitHub refuses a link that closes a cycle with one still there, so
    the old one goes first (the sync raised: found by tests/test_sync_properties.py)."""
    seed_issues(sandbox, analysis=_plan("A", "B: **Dependencies**: Stream A"))
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        sandbox.create_comment(REPO, 4, _plan("A: **Dependencies**: Stream B", "B"))
        turned = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    done = [w.description for w in turned.planned]
    gone = f"stream B no longer blocked by issue id {sandbox.issue_json(REPO, 6)['id']}"
    assert done.index(gone) < done.index("stream A blocked by stream B")
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 6)["blocked_by"] == [7] and issue(snap, 7)["blocked_by"] == []
    assert again.writes == 0


async def test_a_strangers_newer_plan_is_passed_over(sandbox: Sandbox) -> None:
    """Only text by people with write access creates structure: a stranger's later plan changes nothing."""
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "mallory", "none")
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        before = sandbox.snapshot(REPO)
        hostile = SEED.read_text().replace("### Stream D: HTTP Actions for Webhooks", "### Stream D: Pwned")
        sandbox.create_comment(REPO, 4, hostile, user="mallory")
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert again.writes == 0
    assert [i["title"] for i in sandbox.snapshot(REPO)["issues"].values()] == [
        i["title"] for i in before["issues"].values()
    ]


async def test_a_plan_holding_lone_surrogates_is_synced_with_replacement_characters(sandbox: Sandbox) -> None:
    """JSON may escape half of a UTF-16 pair (`\\ud800`), which no UTF-8 text can hold: the plan still syncs,
    each such character shown as U+FFFD, and a re-sync writes nothing."""
    text = SEED.read_text().replace("Core Setup", "Core \ud800Setup")
    text = text.replace("convex/schema.ts", "convex/\udcffs.ts")
    seed_issues(sandbox, analysis=text)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis and result.writes == SEED_MINIMUM
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 6)["title"] == "#4 · Stream A: Core \ufffdSetup & Schema"
    assert "convex/\ufffds.ts" in issue(snap, 6)["body"]
    ours = [c["body"] for c in issue(snap, 4)["comments"] if c["user"] == "parallel-work-bot[bot]"]
    written = ours + [issue(snap, n)["body"] for n in (6, 7, 8, 9)]
    assert len(ours) == 1 and all(body.encode("utf-8") for body in written)  # (raises on a surrogate left in)
    assert again.writes == 0


async def _anyone(_login: str, _association: object) -> bool:
    return True


async def test_a_strangers_issue_body_is_not_a_plan(sandbox: Sandbox) -> None:
    sandbox.set_permission(REPO, "mallory", "none")
    text = SEED.read_text().replace("issue: 4", "issue: 1").replace("Issue #4", "Issue #1")  # #1's own plan
    sandbox.create_issue(REPO, "Drive-by", text, user="mallory")
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 1)
        vouched = await sync_issue(gh, OWNER, NAME, 1, dry_run=True, may_write=_anyone)
    assert not result.found_analysis and result.writes == 0
    assert len(sandbox.snapshot(REPO)["issues"]) == 1
    assert vouched.found_analysis and vouched.planned  # the same text, vouched for by a permission check


async def test_a_plan_naming_thousands_of_issues_flags_only_the_first(sandbox: Sandbox) -> None:
    """`conflicts with #1, #2, … #3000` must not become thousands of writes on other issues."""
    from bot.sync.desired import MAX_LINKED_ISSUES

    for n in range(1, 31):
        sandbox.create_issue(REPO, f"Issue {n}")
    many = ", ".join(f"#{n}" for n in range(1, 3001))
    text = SEED.read_text().replace("- Convex initialization", f"- This conflicts with {many}\n- Convex init")
    sandbox.create_comment(REPO, 4, text)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    flagged = [n for n in range(1, 31) if PLAN_CONFLICT.name in issue(snap, n)["labels"] and n != 4]
    assert len(flagged) == MAX_LINKED_ISSUES - 1  # the first 25 named, less #4 itself (a warning, not a flag)
    assert any(n.code == "sync-links-capped" for n in result.notes)
    summary = next(c for c in issue(snap, 4)["comments"] if "parallel-work-bot:summary" in c["body"])
    assert "sync-links-capped" in summary["body"]


async def test_syncs_of_two_issues_at_once_create_each_label_once(sandbox: Sandbox) -> None:
    """Jobs of different issues of one repository run side by side; the bot's labels are created once."""
    seed_issues(sandbox)
    sandbox.create_comment(REPO, 5, SEED.read_text().replace("issue: 4", "issue: 5"))
    async with client(sandbox) as gh1, client(sandbox) as gh2:
        await asyncio.gather(sync_issue(gh1, OWNER, NAME, 4), sync_issue(gh2, OWNER, NAME, 5))
    creations = [e for e in sandbox.log if e.method == "POST" and e.path == f"/repos/{REPO}/labels"]
    assert [e.status for e in creations] == [201] * len(creations)
    assert len(creations) == len({e.request_body for e in creations}) > 0


async def test_syncs_of_plans_naming_one_conflict_label_it_once(sandbox: Sandbox) -> None:
    """Three plans name #5 in `conflicts_with` and sync at once: #5 is labelled by one write, and gets each
    plan's own note."""
    seed_issues(sandbox)
    for n in (6, 7):
        sandbox.create_issue(REPO, f"Feature {n}", "Body.")
        sandbox.create_comment(REPO, n, for_issue(n))
    async with client(sandbox) as gh1, client(sandbox) as gh2, client(sandbox) as gh3:
        results = await asyncio.gather(*(sync_issue(gh, OWNER, NAME, n)
                                         for gh, n in ((gh1, 4), (gh2, 6), (gh3, 7))))
    assert all(r.found_analysis and not r.errors for r in results)
    labelled = [e for e in sandbox.log if e.method == "POST" and e.path == f"/repos/{REPO}/issues/5/labels"]
    assert len(labelled) == 1
    other = issue(sandbox.snapshot(REPO), 5)
    assert other["labels"] == ["plan:conflict"]
    ours = [c["body"] for c in other["comments"] if c["user"] == "parallel-work-bot[bot]"]
    notes = sorted(body.split(" -->")[0] for body in ours)
    assert notes == [f"<!-- parallel-work-bot:conflict of=#{n}" for n in (4, 6, 7)]


async def test_two_plans_naming_each_other_in_conflicts_with_sync_at_once(sandbox: Sandbox) -> None:
    """#4's plan flags #5 and #5's flags #4, both syncing at once: each labels the other while holding its
    own issue, and both finish (the label's lock is not the other issue's sync lock)."""
    seed_issues(sandbox)
    sandbox.create_comment(REPO, 5, for_issue(5).replace("`conflicts_with: [5]`", "`conflicts_with: [4]`"))
    async with client(sandbox) as gh1, client(sandbox) as gh2, asyncio.timeout(30):
        results = await asyncio.gather(sync_issue(gh1, OWNER, NAME, 4), sync_issue(gh2, OWNER, NAME, 5))
    assert all(r.found_analysis and not r.errors for r in results)
    snap = sandbox.snapshot(REPO)
    assert "plan:conflict" in issue(snap, 4)["labels"] and "plan:conflict" in issue(snap, 5)["labels"]


def summary_of(snap: dict[str, Any]) -> dict[str, Any]:
    """The bot's summary comment on #4."""
    comments = issue(snap, 4)["comments"]
    return next(c for c in comments if c["body"].startswith("<!-- parallel-work-bot:summary"))


def for_issue(number: int) -> str:
    """The seed, written for issue #number (its frontmatter `issue` and its title name it)."""
    return SEED.read_text().replace("issue: 4", f"issue: {number}").replace("Issue #4", f"Issue #{number}")


async def test_a_plan_for_another_issue_is_ignored_and_the_summary_says_why(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        before = sandbox.snapshot(REPO)
        other = for_issue(362).replace("### Stream D: HTTP Actions for Webhooks", "### Stream D: Other Work")
        comment = sandbox.create_comment(REPO, 4, other)
        result = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis and again.writes == 0
    assert [w.description for w in result.planned] == ["update summary"]  # only the note; no structure
    note = next(d for d in result.notes if d.code == "sync-plan-other-issue")
    assert note.message == f"A plan for #362 in comment {comment['id']} was ignored: it names #362, not #4."
    after = sandbox.snapshot(REPO)
    for n in (5, 6, 7, 8, 9):
        assert issue(after, n) == issue(before, n)
    summary = summary_of(after)
    body = summary["body"]
    assert "was ignored" in body and "HTTP Actions for Webhooks" in body and "Other Work" not in body
    assert issue(after, 9)["title"] == "#4 · Stream D: HTTP Actions for Webhooks"


async def test_a_plan_naming_this_issue_or_none_is_followed(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        renamed = for_issue(4).replace("### Stream D: HTTP Actions for Webhooks", "### Stream D: Webhooks")
        sandbox.create_comment(REPO, 4, renamed.replace("issue: 4\n", "").replace(": Issue #4", ""))
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert not [d for d in result.notes if d.code == "sync-plan-other-issue"]
    assert issue(sandbox.snapshot(REPO), 9)["title"] == "#4 · Stream D: Webhooks"


async def test_closing_a_removed_stream_links_the_plan_and_reposting_reopens_it(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    text = SEED.read_text()
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        without_d = text[: text.index("### Stream D")] + text[text.index("## Coordination Points") :]
        edit = sandbox.create_comment(REPO, 4, without_d)
        removed = await sync_issue(gh, OWNER, NAME, 4)
        snap = sandbox.snapshot(REPO)
        assert "close #9: stream D removed" in [w.description for w in removed.planned]
        assert issue(snap, 9)["state"] == "closed" and issue(snap, 9)["state_reason"] == "not_planned"
        summary = summary_of(snap)
        assert f"[this comment]({edit['html_url']})" in summary["body"]
        assert "#9 (Stream D)" in summary["body"] and "Post the earlier plan again" in summary["body"]
        assert (await sync_issue(gh, OWNER, NAME, 4)).writes == 0  # the note is stable
        sandbox.create_comment(REPO, 4, text)  # the previous plan, posted again
        back = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert back.writes > 0 and again.writes == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 9)["state"] == "open" and issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    assert issue(snap, 9)["blocked_by"] == [6]
    summary = summary_of(snap)
    assert "Closed as not planned" not in summary["body"]


async def test_labels_another_process_made_meanwhile_are_not_asked_for(sandbox: Sandbox) -> None:
    """Labels are created under the shared (cross-process) lock; when it is taken, another process has just
    made them all: the list is read again under the lock, and none is asked for."""
    from bot.conventions import LABEL_DEFAULTS
    from bot.sync.labels import agent_label

    seed_issues(sandbox)
    taken: list[str] = []

    @asynccontextmanager
    async def shared(key: str) -> AsyncIterator[None]:
        taken.append(key.split(":", 1)[0])
        if key.startswith("labels:"):
            repo = sandbox.state.repo(REPO)
            for name in ["parallel-plan", "plan:conflict", "stream", "stream:ready"]:
                sandbox.state.create_label(repo, name, *LABEL_DEFAULTS[name])
            for agent in ("backend-specialist", "fullstack-specialist"):
                spec = agent_label(agent)
                assert spec is not None
                sandbox.state.create_label(repo, spec.name, spec.color, spec.description)
        yield

    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4, lock=shared)
        again = await sync_issue(gh, OWNER, NAME, 4, lock=shared)
    made = [e for e in sandbox.log if e.method == "POST" and e.path == f"/repos/{REPO}/labels"]
    listed = [e.status for e in sandbox.log if e.method == "GET" and e.path == f"/repos/{REPO}/labels"]
    assert made == [] and listed == [200, 200]  # the sync's read, then the one under the lock
    assert result.writes == writes(sandbox) == SEED_MINIMUM - 6 and again.writes == 0
    assert taken.count("labels") == 1 and "issue" in taken
