"""Plan files in the repository: pushes to the default branch and installations sync the issues they name;
a plan file wins over comments and the summary links it; a removed file leaves the structure as it is."""

from __future__ import annotations

import itertools
import json
from typing import Any

from jsonschema import Draft202012Validator

from bot.analysis.planfiles import PlanPath, plan_path
from bot.jobs.request import JobRequest
from bot.sandbox import Sandbox
from bot.sandbox.payloads import push_payload
from bot.sync.engine import report_failure
from bot.sync.files import RepoFiles
from tests.fixtures.app import BotApp
from tests.paths import SEED, WEBHOOKS
from tests.test_sync import SEED_MINIMUM
from tests.test_sync_support import NAME, OWNER, REPO, client, edited_seed

ANALYSIS = ".claude/epics/convex/4-analysis.md"
SCHEMAS = WEBHOOKS / "schemas" / "official"


def valid(payload: dict[str, Any], schema: str) -> dict[str, Any]:
    """The payload, once checked against GitHub's official webhook schema."""
    validator = Draft202012Validator(json.loads((SCHEMAS / schema).read_text(encoding="utf-8")))
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]
    assert errors == []
    return payload


def installation_payload(name: str) -> dict[str, Any]:
    """GitHub's example installation payload (its full `installation` object) for installation 1 and
    octo/sandbox."""
    text = (WEBHOOKS / name).read_text(encoding="utf-8").replace("Codertocat/Hello-World", REPO)
    text = text.replace("Codertocat/Space", REPO)
    data: dict[str, Any] = json.loads(text)
    data["installation"]["id"] = 1
    return data


def seed(app: BotApp, *, comment: str | None = None) -> None:
    """Issues #1..#5 as in the seed's project, with no plan on GitHub (unless `comment`)."""
    for n in range(1, 6):
        title = {4: "Configure Convex Backend", 5: "Clerk integration"}.get(n, f"Issue {n}")
        app.sandbox.create_issue(REPO, title, f"Body of issue {n}.")
    if comment is not None:
        app.sandbox.create_comment(REPO, 4, comment)
    app.sandbox.state.push(REPO, "main", {"README.md": "# project\n"}, message="init")


async def push(app: BotApp, files: dict[str, str | None], *, branch: str = "main",
               commits: int = 1) -> tuple[int, Any]:
    """Push `files` to `branch` (in `commits` commits; the last carries the files) and deliver the push."""
    before = app.sandbox.state.head(REPO, branch)
    for i in range(commits - 1):
        app.sandbox.state.push(REPO, branch, {f"notes/{i}.txt": f"note {i}\n"}, message=f"note {i}")
    app.sandbox.state.push(REPO, branch, files, message="plan files")
    payload = push_payload(app.sandbox.shapes, REPO, branch, before=before, installation_id=1)
    status, answer = await app.post("push", valid(payload, "push.schema.json"))
    await app.idle()
    return status, answer


def summary_of(app: BotApp, number: int) -> str:
    bodies = [c["body"] for c in app.issue(number)["comments"]
              if c["body"].startswith("<!-- parallel-work-bot:summary")]
    assert len(bodies) == 1
    return str(bodies[0])


def test_plan_paths() -> None:
    assert plan_path(".claude/epics/e/12-analysis.md") == PlanPath("analysis", 12)
    assert plan_path(".claude/epics/e/sub/dir/12-analysis.md") == PlanPath("analysis", 12)
    assert plan_path(".claude/epics/e/auth-analysis.md") == PlanPath("analysis", None)
    assert plan_path(".claude/epics/e/12.md") == PlanPath("task", 12)
    assert plan_path(".claude/epics/e/001.md") is None  # a local task number, not an issue
    assert plan_path(".claude/epics/e/epic.md") is None
    assert plan_path(".claude/epics/e/updates/12/stream-A.md") is None
    assert plan_path("docs/12-analysis.md") is None
    assert plan_path(".claude/epics/e/-analysis.md") is None


async def test_push_of_an_analysis_file_builds_the_structure_then_only_the_delta(bot_app: BotApp) -> None:
    seed(bot_app)
    status, answer = await push(bot_app, {ANALYSIS: SEED.read_text()})
    assert status == 202 and answer["outcome"] == "queued"
    snap = bot_app.sandbox.snapshot(REPO)
    assert snap["issues"]["4"]["sub_issues"] == [6, 7, 8, 9]
    assert bot_app.sandbox.accounting(1).writes == SEED_MINIMUM
    head = bot_app.sandbox.state.head(REPO, "main")
    text = summary_of(bot_app, 4)
    assert f"/blob/{head}/.claude/epics/convex/4-analysis.md" in text and "`4-analysis.md`" not in text
    assert f"`{ANALYSIS}`" in text
    # An edit of the file: only the difference (stream D closed, E created, linked, blocked, labelled).
    before = bot_app.sandbox.accounting(1).writes
    await push(bot_app, {ANALYSIS: edited_seed()})
    delta = bot_app.sandbox.accounting(1).writes - before
    assert 0 < delta < SEED_MINIMUM
    snap = bot_app.sandbox.snapshot(REPO)
    assert snap["issues"]["4"]["sub_issues"] == [6, 7, 8, 9, 10]
    assert snap["issues"]["9"]["state"] == "closed"
    edited_head = bot_app.sandbox.state.head(REPO, "main")
    text = summary_of(bot_app, 4)
    assert f"/blob/{edited_head}/" in text
    assert f"not in the plan read from [the file `{ANALYSIS}`](" in text
    assert "Push the earlier plan again to reopen them" in text
    # A push changing other files only: nothing queued, nothing written. A markdown file may be a plan under
    # the repository's `analysis_paths` (which the web does not read): its job looks, and syncs nothing.
    writes = bot_app.sandbox.accounting(1).writes
    _status, answer = await push(bot_app, {"src/app.ts": "export {}\n"})
    assert answer["outcome"] == "ignored" and bot_app.sandbox.accounting(1).writes == writes
    _status, answer = await push(bot_app, {"README.md": "# changed\n"})
    assert answer["outcome"] == "queued" and bot_app.sandbox.accounting(1).writes == writes


async def test_push_of_25_commits_is_read_through_compare(bot_app: BotApp) -> None:
    seed(bot_app)
    await push(bot_app, {ANALYSIS: SEED.read_text()}, commits=25)
    compares = [e for e in bot_app.sandbox.log if "/compare/" in e.path and "..." in e.path
                and e.path.split("/compare/")[1].split("...")[0] != e.path.split("...")[1]]
    assert compares, "the job asked the compare API for the files of a 25-commit push"
    assert bot_app.sandbox.snapshot(REPO)["issues"]["4"]["sub_issues"] == [6, 7, 8, 9]


async def test_tag_pushes_and_other_branches_do_nothing(bot_app: BotApp) -> None:
    seed(bot_app)
    _status, answer = await push(bot_app, {ANALYSIS: SEED.read_text()}, branch="feature")
    assert answer["outcome"] == "ignored"
    bot_app.sandbox.state.tag(REPO, "v1", "feature")
    tag = push_payload(bot_app.sandbox.shapes, REPO, "refs/tags/v1", before=None, installation_id=1)
    _status, answer = await bot_app.post("push", valid(tag, "push.schema.json"))
    await bot_app.idle()
    assert answer["outcome"] == "ignored"
    assert bot_app.sandbox.accounting(1).writes == 0
    assert bot_app.sandbox.snapshot(REPO)["issues"]["4"]["comments"] == []


async def test_installation_scans_the_default_branch_once(bot_app: BotApp) -> None:
    seed(bot_app)
    plans = {f".claude/epics/e{n}/{n}-analysis.md": SEED.read_text().replace("issue: 4", f"issue: {n}")
             .replace("conflicts_with: [5]", "") for n in (1, 2, 3)}
    bot_app.sandbox.state.push(REPO, "main", plans, message="three analyses")
    payload = installation_payload("installation.created.json")
    # GitHub's own example (its `created_at` is a Unix time where the official schema says a string).
    status, answer = await bot_app.post("installation", payload)
    await bot_app.idle()
    assert status == 202 and answer["outcome"] == "queued"
    for n in (1, 2, 3):
        summary_of(bot_app, n)  # exactly one summary each
        assert len(bot_app.issue(n)["sub_issues"]) == 4
    trees = [e for e in bot_app.sandbox.log if "/git/trees/" in e.path and e.status == 200]
    assert len(trees) >= 1
    # Paced like every write: one installation, writes one after the other (never two at once).
    writes = sorted((e for e in bot_app.sandbox.log if e.is_content_write), key=lambda e: e.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(writes))
    # Added to an installation again: the same structure, nothing duplicated.
    count = bot_app.sandbox.accounting(1).writes
    added = installation_payload("installation_repositories.added.json")
    await bot_app.post("installation_repositories", added)
    await bot_app.idle()
    assert bot_app.sandbox.accounting(1).writes == count


async def test_a_plan_file_wins_over_a_comment_and_the_summary_links_it(bot_app: BotApp) -> None:
    seed(bot_app, comment=edited_seed())  # a comment plan with streams A, B, C, E
    await push(bot_app, {ANALYSIS: SEED.read_text()})  # the file: A, B, C, D
    titles = [bot_app.issue(n)["title"] for n in bot_app.issue(4)["sub_issues"]]
    assert [t.split(":")[0] for t in titles] == [f"#4 · Stream {s}" for s in "ABCD"]
    assert "/blob/" in summary_of(bot_app, 4) and "a plan file wins over comments" in summary_of(bot_app, 4)
    # A newer comment does not override the file: the sync it triggers writes nothing.
    writes = bot_app.sandbox.accounting(1).writes
    comment = bot_app.sandbox.create_comment(REPO, 4, edited_seed())
    await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    assert bot_app.sandbox.accounting(1).writes == writes


async def test_a_removed_file_falls_back_to_the_comment_else_leaves_the_structure(bot_app: BotApp) -> None:
    seed(bot_app)
    await push(bot_app, {ANALYSIS: SEED.read_text()})
    snap = bot_app.sandbox.snapshot(REPO)
    await push(bot_app, {ANALYSIS: None})
    after = bot_app.sandbox.snapshot(REPO)
    text = summary_of(bot_app, 4)
    assert "The plan file was removed" in text and f"`{ANALYSIS}`" in text
    assert [after["issues"][str(n)]["state"] for n in (6, 7, 8, 9)] == ["open"] * 4
    assert after["issues"]["4"]["sub_issues"] == snap["issues"]["4"]["sub_issues"]
    writes = bot_app.sandbox.accounting(1).writes
    await bot_app.server.handler(JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=4))
    assert bot_app.sandbox.accounting(1).writes == writes  # the note is written once
    # A comment plan posted now is followed (the file is gone).
    comment = bot_app.sandbox.create_comment(REPO, 4, edited_seed())
    await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    assert bot_app.sandbox.snapshot(REPO)["issues"]["9"]["state"] == "closed"
    assert comment["html_url"] in summary_of(bot_app, 4)


async def test_task_files_become_blocked_by_links_and_conflict_flags(bot_app: BotApp) -> None:
    seed(bot_app)
    task = "---\nname: Clerk integration\nstatus: open\ndepends_on: [3]\nconflicts_with: [2]\n---\n\n# Task\n"
    await push(bot_app, {".claude/epics/convex/5.md": task})
    snap = bot_app.sandbox.snapshot(REPO)
    assert snap["issues"]["5"]["blocked_by"] == [3]
    assert "plan:conflict" in snap["issues"]["2"]["labels"]


async def test_a_failure_on_a_file_plan_is_reported(sandbox: Sandbox) -> None:
    """A plan only in a file, a sync that gave up: the failure note is written (the issue has a plan)."""
    sandbox.create_issue(REPO, "Configure Convex Backend", "No plan here.")
    sandbox.state.push(REPO, "main", {".claude/epics/convex/1-analysis.md": SEED.read_text()
                                      .replace("issue: 4", "issue: 1")})
    async with client(sandbox) as gh:
        await report_failure(gh, OWNER, NAME, 1, "GitHub said 502")
        assert sandbox.snapshot(REPO)["issues"]["1"]["comments"] == []  # no file finder: no plan seen
        await report_failure(gh, OWNER, NAME, 1, "GitHub said 502", files=RepoFiles(gh, OWNER, NAME))
    [note] = sandbox.snapshot(REPO)["issues"]["1"]["comments"]
    assert "The last sync failed" in note["body"] and "502" in note["body"]


async def test_without_the_contents_permission_comment_plans_still_sync(bot_app: BotApp) -> None:
    """An installation made before the App asked for `contents: read`: no files are seen, comments work."""
    bot_app.sandbox.installation_permissions[1] = {"issues": "write", "metadata": "read"}
    seed(bot_app)
    bot_app.sandbox.state.push(REPO, "main", {ANALYSIS: edited_seed()})
    comment = bot_app.sandbox.create_comment(REPO, 4, SEED.read_text())
    await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]  # the comment's plan (A-D), not the file's
    assert comment["html_url"] in summary_of(bot_app, 4)


async def test_a_forced_push_scans_the_branch(bot_app: BotApp) -> None:
    seed(bot_app)
    before = bot_app.sandbox.state.head(REPO, "main")
    bot_app.sandbox.state.push(REPO, "main", {ANALYSIS: SEED.read_text()})
    payload = push_payload(bot_app.sandbox.shapes, REPO, "main", before=before, installation_id=1)
    payload["forced"], payload["commits"] = True, []  # as if the pushed commits replaced others
    _status, answer = await bot_app.post("push", valid(payload, "push.schema.json"))
    await bot_app.idle()
    assert answer["outcome"] == "queued" and bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]
