"""Limits checked before writing (streams, sub-issues, body size), failure notes, untrusted text, labels."""

from __future__ import annotations

from bot.analysis.limits import MAX_EXTERNAL_DEPS
from bot.github.client import GitHubClient
from bot.sandbox import Sandbox
from bot.sync import SyncResult, report_failure, sync_issue
from tests.gfm_filters import Ref, render, unwanted
from tests.paths import SEED
from tests.test_sync_support import (
    NAME,
    OWNER,
    REPO,
    as_person,
    client,
    generated_plan,
    issue,
    seed_issues,
    writes,
)


def own_links(refs: list[Ref]) -> list[Ref]:
    """`refs` less the one link the bot writes on purpose: to the comment the plan was read from."""
    return [r for r in refs if not (r.kind == "link" and r.text.startswith(f"https://github.com/{REPO}/issues/"))]


async def sync_refused(sandbox: Sandbox, plan: str, code: str) -> SyncResult:
    """Post `plan` on #1 and sync: the sync finds `code` and writes only labels and the summary."""
    sandbox.create_comment(REPO, 1, plan)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 1)
    assert code in [n.code for n in result.notes]
    descriptions = [w.description for w in result.planned]
    assert descriptions and all(
        d.startswith(("create label", "label #1 ", "create summary", "update summary")) for d in descriptions
    ), descriptions
    return result


async def test_over_100_streams_writes_nothing_half_done(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Huge", "")
    result = await sync_refused(sandbox, generated_plan(101), "sync-limit-streams")
    assert result.errors
    snap = sandbox.snapshot(REPO)
    assert list(snap["issues"]) == ["1"] and "plan:invalid" in issue(snap, 1)["labels"]
    assert "GitHub allows 100 sub-issues" in issue(snap, 1)["comments"][-1]["body"]


async def test_parent_sub_issue_limit_counts_existing_ones(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Parent", "")
    for k in range(98):
        child = sandbox.create_issue(REPO, f"Child {k}", "")
        await as_person(sandbox, "POST", f"/repos/{REPO}/issues/1/sub_issues", {"sub_issue_id": child["id"]})
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/2", {"state": "closed"})  # closed ones count too
    await sync_refused(sandbox, generated_plan(3), "sync-limit-sub-issues")
    assert len(sandbox.snapshot(REPO)["issues"]) == 99


async def test_a_brief_too_long_for_a_body_is_shortened_and_says_so(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Big", "")
    # External dependencies full of `&` (as many as are read): escaped, they would pass GitHub's body limit.
    items = "".join(f"- needs {i} " + "&" * 1000 + "\n" for i in range(MAX_EXTERNAL_DEPS))
    plan = generated_plan(2).replace("**Dependencies**: Stream 1\n", "**Dependencies**: Stream 1\n" + items)
    sandbox.create_comment(REPO, 1, plan)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 1)
        again = await sync_issue(gh, OWNER, NAME, 1)
    assert "sync-limit-body" not in [n.code for n in result.notes] and again.writes == 0
    snap = sandbox.snapshot(REPO)
    [two] = [i for i in snap["issues"].values() if i["title"].endswith("Stream 2: Part 2")]
    # Room is left for what a person adds outside the region; what was left out is said.
    assert len(two["body"]) <= 65536 - 4000
    assert "needs 0 &amp;" in two["body"] and "&amp;…;" in two["body"]  # each one cut short
    assert "_… (the rest of this section is in the plan)_" in two["body"]


async def test_body_over_githubs_size_is_refused(sandbox: Sandbox) -> None:
    sandbox.create_issue(REPO, "Big", "")
    sandbox.create_comment(REPO, 1, generated_plan(2))
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 1)
    snap = sandbox.snapshot(REPO)
    [two] = [i for i in snap["issues"].values() if i["title"].endswith("Stream 2: Part 2")]
    # A person fills the description (the region deleted): with the region restored it would not fit.
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/{two['number']}", {"body": "x" * 65000})
    result = await sync_refused(sandbox, generated_plan(2).replace("Part 2", "Part two"), "sync-limit-body")
    assert len(result.notes) == 1
    assert sandbox.snapshot(REPO)["issues"][str(two["number"])]["body"] == "x" * 65000


async def test_report_failure_notes_then_next_sync_clears(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        clean = issue(sandbox.snapshot(REPO), 4)["comments"][-1]["body"]
        await report_failure(gh, OWNER, NAME, 4, "GitHub said 500 @octocat <b>x</b>")
        await report_failure(gh, OWNER, NAME, 4, "GitHub said 500 @octocat <b>x</b>")  # same note: no write
        noted = issue(sandbox.snapshot(REPO), 4)["comments"][-1]["body"]
        count = writes(sandbox)
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert noted.startswith(clean.rstrip()) and "The last sync failed" in noted
    assert not own_links(unwanted(noted, {4, 5, 6, 7, 8, 9})) and "<b>" not in noted
    assert count == 18 + 1  # the seed's first sync (created linked, one brief edited after); a note
    assert [w.description for w in result.planned] == ["update summary"]
    assert issue(sandbox.snapshot(REPO), 4)["comments"][-1]["body"] == clean


async def test_report_failure_without_summary_creates_one_only_for_a_writers_plan(sandbox: Sandbox) -> None:
    """No summary on an issue that has no plan (nor one holding only a reader's or a stranger's plan)."""
    sandbox.create_issue(REPO, "Plain", "")
    sandbox.set_permission(REPO, "reader", "read")
    sandbox.create_issue(REPO, "Reader's plan", SEED.read_text(), user="reader")
    seed_issues(sandbox)  # #3..#7; the writer's plan is a comment on #4
    async with client(sandbox) as gh:
        for n in (1, 2, 4):
            await report_failure(gh, OWNER, NAME, n, "boom")
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 1)["comments"] == [] and issue(snap, 2)["comments"] == []
    comments = issue(snap, 4)["comments"]
    assert len(comments) == 2 and comments[1]["body"].startswith("<!-- parallel-work-bot:summary")
    assert "The last sync failed" in comments[1]["body"]


async def test_untrusted_stream_text_cannot_ping_or_inject(sandbox: Sandbox) -> None:
    text = SEED.read_text().replace("Core Setup & Schema", "Setup @octocat <img src=x> `x`")
    text = text.replace("Initialize Convex, create schema", "ping @admin <script>alert(1)</script> | x")
    seed_issues(sandbox, analysis=text)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
    a = issue(sandbox.snapshot(REPO), 6)
    assert not unwanted(a["title"], {4}) and not own_links(unwanted(a["body"], {4, 7, 8, 9}))
    assert "`@octocat`" in a["title"] and "`@admin`" in a["body"]  # whole, in code: no invisible joiner
    tags = render(a["body"]).tags
    assert "script" not in tags and "img" not in tags


async def test_labels_a_person_added_are_never_removed(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        await as_person(
            sandbox, "POST", f"/repos/{REPO}/issues/7/labels", {"labels": ["priority", "agent:human"]}
        )
        await as_person(sandbox, "POST", f"/repos/{REPO}/issues/4/labels", {"labels": ["epic"]})
        text = SEED.read_text().replace("**Agent Type**: fullstack-specialist", "**Agent Type**: frontend")
        sandbox.create_comment(REPO, 4, text)
        result = await sync_issue(gh, OWNER, NAME, 4)
    labels = set(issue(sandbox.snapshot(REPO), 7)["labels"])
    # The bot's old agent label goes (it recorded adding it); the person's labels stay.
    assert labels == {"stream", "agent:frontend", "priority", "agent:human"}
    assert "epic" in issue(sandbox.snapshot(REPO), 4)["labels"]
    assert "unlabel #7 agent:fullstack-specialist" in [w.description for w in result.planned]


async def sync_seed_then_remove_d(sandbox: Sandbox, gh: GitHubClient) -> None:
    """The seed synced on #4, then a newer plan without stream D: D's sub-issue #9 closed as not planned."""
    seed_issues(sandbox)
    await sync_issue(gh, OWNER, NAME, 4)
    text = SEED.read_text()
    without_d = text[: text.index("### Stream D")] + text[text.index("## Coordination Points") :]
    sandbox.create_comment(REPO, 4, without_d)
    await sync_issue(gh, OWNER, NAME, 4)


async def test_removed_stream_comes_back_reopened(sandbox: Sandbox) -> None:
    text = SEED.read_text()
    async with client(sandbox) as gh:
        await sync_seed_then_remove_d(sandbox, gh)
        # D comes back, and a new stream E waits for it: D is reopened, so E is not ready.
        stream_e = (
            "### Stream E: Webhook Tests\n**Scope**: Test the webhooks\n**Agent Type**: backend-specialist\n"
            "**Estimated Hours**: 1.0\n**Dependencies**: Stream D\n\n"
        )
        at = text.index("## Coordination Points")
        sandbox.create_comment(REPO, 4, text[:at] + stream_e + text[at:])
        back = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    d = issue(snap, 9)
    assert d["state"] == "open" and d["blocked_by"] == [6] and again.writes == 0
    assert "no longer in the plan" not in d["body"]
    assert len(snap["issues"]) == 10 and "stream:ready" not in issue(snap, 10)["labels"]
    assert "create sub-issue for stream D" not in " ".join(w.description for w in back.planned)


async def test_removed_stream_a_person_reopened_is_left_alone(sandbox: Sandbox) -> None:
    async with client(sandbox) as gh:
        await sync_seed_then_remove_d(sandbox, gh)
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/9", {"state": "open"})
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert result.writes == 0
    assert issue(sandbox.snapshot(REPO), 9)["state"] == "open"
