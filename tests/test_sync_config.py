"""The repository's configuration on the local GitHub: each key changes what the sync writes, a bad file
gives findings and the defaults, the owner's `.github` fallback, free re-reads, renamed labels, hand-off."""

from __future__ import annotations

from typing import Any

import pytest

from bot.repoconfig import CONFIG_PATH, LoadedConfig
from bot.repoconfig import github as repoconfig_github
from bot.repoconfig.github import plans_to_resync
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from tests.fixtures.app import MAINTAINER, BotApp
from tests.gfm_filters import live_refs, problems
from tests.test_events import PLAN, assert_seed_structure, post_comment
from tests.test_events import seed_issues as app_seed
from tests.test_sync_support import NAME, OWNER, REPO, as_person, client, issue, seed_issues, writes

SUBS = (6, 7, 8, 9)  # the seed's sub-issues: A (ready from the start), then B, C, D, each blocked by A


def configure(sb: Sandbox, text: str, repo: str = REPO) -> None:
    """Commit the configuration file on the repository's default branch; the bot forgets that it had none,
    as the push handler makes it (`plans_to_resync`)."""
    sb.state.push(repo, "main", {CONFIG_PATH: text}, message="configure the bot")
    repoconfig_github.clear()


def contents_reads(sb: Sandbox) -> list[str]:
    """The configuration reads the local GitHub answered (path and status)."""
    return [f"{e.path} {e.status}" for e in sb.log if "/contents/" in e.path]


def unassign(sb: Sandbox, number: int, login: str) -> None:
    """A person takes themselves off an issue."""
    sb.state.unassign(sb.state.repo(REPO).issues[number], [login])


async def synced(sb: Sandbox, **kwargs: Any) -> dict[str, Any]:
    """Sync the seed's plan once with the configuration as committed; the repository's snapshot."""
    async with client(sb) as gh:
        await sync_issue(gh, OWNER, NAME, 4, **kwargs)
    return sb.snapshot(REPO)


def summary_of(snap: dict[str, Any]) -> str:
    found = [c["body"] for c in issue(snap, 4)["comments"]
             if c["body"].startswith("<!-- parallel-work-bot:summary")]
    assert len(found) == 1
    return str(found[0])


def labels_of(snap: dict[str, Any], n: int) -> set[str]:
    return set(issue(snap, n)["labels"])


# ---- each key changes what the sync writes --------------------------------------------------------------

async def test_without_a_file_the_sync_is_as_always(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    snap = await synced(sandbox)
    assert labels_of(snap, 4) == {"parallel-plan", "plan:conflict"}
    assert labels_of(snap, 6) == {"stream", "agent:backend-specialist", "stream:ready"}
    assert issue(snap, 7)["title"] == "#4 · Stream B: Provider Integration"
    assert "```mermaid" in summary_of(snap) and "labelset" not in summary_of(snap)


#: (file, what it changes in the snapshot): each check fails with the defaults.
CASES: dict[str, tuple[str, Any]] = {
    "prefix": ("labels:\n  prefix: pwb/\n",
               lambda s: labels_of(s, 4) == {"pwb/parallel-plan", "pwb/plan:conflict"}
               and labels_of(s, 6) == {"pwb/stream", "pwb/agent:backend-specialist", "pwb/stream:ready"}),
    "names": ("labels:\n  ready: {name: ready-for-agent}\n  plan: {name: has-plan}\n",
              lambda s: "ready-for-agent" in labels_of(s, 6) and "stream:ready" not in labels_of(s, 6)
              and "has-plan" in labels_of(s, 4)),
    "colour": ("labels:\n  stream: {color: '123456', description: A piece of the plan}\n",
               lambda s: s["labels"]["stream"] == "123456"),
    "agent labels": ("labels:\n  agent_prefix: 'for:'\n  agent_color: abcdef\n",
                     lambda s: "for:backend-specialist" in labels_of(s, 6)
                     and s["labels"]["for:backend-specialist"] == "abcdef"),
    "title": ("sub_issues:\n  title: '[{id}] {name} ({parent})'\n",
              lambda s: issue(s, 7)["title"] == "[B] Provider Integration (#4)"),
    "no sub-issues": ("sub_issues:\n  enabled: false\n",
                      lambda s: issue(s, 4)["sub_issues"] == [] and len(s["issues"]) == 5),
    "no blocked-by": ("sub_issues:\n  blocked_by: false\n",
                      lambda s: all(issue(s, n)["blocked_by"] == [] for n in SUBS)),
    "no readiness labels": ("sub_issues:\n  readiness_labels: false\n",
                            lambda s: labels_of(s, 6) == {"stream", "agent:backend-specialist"}),
    "no agent labels": ("sub_issues:\n  agent_labels: false\n",
                        lambda s: labels_of(s, 6) == {"stream", "stream:ready"}),
    "no conflict notes": ("conflict_notes: false\n",
                          lambda s: issue(s, 5)["labels"] == [] and issue(s, 5)["comments"] == []
                          and labels_of(s, 4) == {"parallel-plan"}),
    "no diagram": ("diagram: false\n", lambda s: "```mermaid" not in summary_of(s)),
    "type as a label": ("sub_issues:\n  type: Task\n",
                        lambda s: "Task" in labels_of(s, 6) and "sync-type-label" in summary_of(s)),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_each_key_changes_what_the_sync_writes(sandbox: Sandbox, case: str) -> None:
    text, holds = CASES[case]
    seed_issues(sandbox)
    configure(sandbox, text)
    snap = await synced(sandbox)
    assert holds(snap), case
    async with client(sandbox) as gh:
        before = writes(sandbox)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert again.writes == 0 and writes(sandbox) == before  # converged


async def test_the_issue_type_is_set_where_the_repository_offers_it(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.state.set_issue_types(REPO, [("Task", "A specific piece of work", "yellow"), "Bug"])
    configure(sandbox, "sub_issues:\n  type: task\n")
    snap = await synced(sandbox)
    assert [issue(snap, n)["type"] for n in SUBS] == ["Task"] * 4
    assert "Task" not in labels_of(snap, 6) and "sync-type" not in summary_of(snap)
    # A person changes one's type: the next sync puts it back; then nothing more.
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/7", {"type": "Bug"})
    async with client(sandbox) as gh:
        fixed = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert [w.description for w in fixed.planned] == ["update #7 (type)"] and again.writes == 0
    assert issue(sandbox.snapshot(REPO), 7)["type"] == "Task"


async def test_trigger_permission_decides_whose_plan_counts(sandbox: Sandbox) -> None:
    seed_issues(sandbox)  # the plan is octocat's, who has write access
    configure(sandbox, "trigger_permission: admin\n")
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert not result.found_analysis and result.writes == 0
    sandbox.set_permission(REPO, "octocat", "triage")
    configure(sandbox, "trigger_permission: triage\n")
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis and issue(sandbox.snapshot(REPO), 4)["sub_issues"] == list(SUBS)


async def test_automatic_off_syncs_only_on_a_command(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "automatic: false\n")
    async with client(sandbox) as gh:
        skipped = await sync_issue(gh, OWNER, NAME, 4)
        assert skipped.writes == 0 and writes(sandbox) == 0
        done = await sync_issue(gh, OWNER, NAME, 4, command=True)
    assert done.found_analysis and issue(sandbox.snapshot(REPO), 4)["sub_issues"] == list(SUBS)


async def test_the_plan_is_closed_once_every_stream_is_done(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "close_plan_when_done: true\n")
    await synced(sandbox)
    for n in SUBS[:-1]:
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/{n}", {"state": "closed"})
    assert issue(await synced(sandbox), 4)["state"] == "open"  # one stream left
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/9", {"state": "closed"})
    snap = await synced(sandbox)
    assert issue(snap, 4)["state"] == "closed" and issue(snap, 4)["state_reason"] == "completed"
    # A person reopens the plan's issue: the bot does not close it again.
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/4", {"state": "open"})
    async with client(sandbox) as gh:
        again = await sync_issue(gh, OWNER, NAME, 4)
    assert again.writes == 0 and issue(sandbox.snapshot(REPO), 4)["state"] == "open"


async def test_closing_the_plan_is_off_by_default(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    await synced(sandbox)
    for n in SUBS:
        await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/{n}", {"state": "closed"})
    assert issue(await synced(sandbox), 4)["state"] == "open"


# ---- a bad file, the fallback, conditional reads ----------------------------------------------------------

async def test_a_bad_file_gives_findings_with_lines_and_the_defaults(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "labels:\n  ready: {name: ready-for-agent, color: red}\nbogus: 1\n")
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert labels_of(snap, 6) == {"stream", "agent:backend-specialist", "ready-for-agent"}  # the good part
    assert sandbox.snapshot(REPO)["labels"]["ready-for-agent"] == "2ea44f"  # the bad colour's default
    codes = [(n.code, n.message) for n in result.notes if n.code == "config-invalid"]
    assert [m.split(": ", 1)[0] for _, m in codes] == [f"{REPO}:{CONFIG_PATH} line 2",
                                                       f"{REPO}:{CONFIG_PATH} line 3"]
    text = summary_of(snap)
    assert "config-invalid" in text and "line 2" in text and "bogus" in text


async def test_a_file_that_is_not_yaml_keeps_every_default(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "labels: [unclosed\n")
    snap = await synced(sandbox)
    assert labels_of(snap, 6) == {"stream", "agent:backend-specialist", "stream:ready"}
    assert "config-yaml" in summary_of(snap)


async def test_the_owners_github_repository_is_the_fallback(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.add_repo(f"{OWNER}/.github", installation_id=1)
    configure(sandbox, "labels:\n  ready: {name: org-ready}\n", repo=f"{OWNER}/.github")
    snap = await synced(sandbox)
    assert "org-ready" in labels_of(snap, 6)
    # The repository's own file wins over the owner's.
    configure(sandbox, "labels:\n  ready: {name: repo-ready}\n")
    snap = await synced(sandbox)
    assert "repo-ready" in labels_of(snap, 6) and "org-ready" not in labels_of(snap, 6)


async def test_an_unchanged_file_costs_no_read_point_on_re_sync(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "labels:\n  ready: {name: ready-for-agent}\n")
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        await sync_issue(gh, OWNER, NAME, 4)
        middle = sandbox.accounting(1).as_dict()
        third = await sync_issue(gh, OWNER, NAME, 4)
        after = sandbox.accounting(1).as_dict()
        assert third.writes == 0 and after["reads"] == middle["reads"] and after["points"] == middle["points"]
        assert contents_reads(sandbox)[-1] == f"/repos/{REPO}/contents/{CONFIG_PATH} 304"
        # A changed file is read (one point) and takes effect on the next sync.
        configure(sandbox, "labels:\n  ready: {name: go-now}\n")
        await sync_issue(gh, OWNER, NAME, 4)
    assert "go-now" in labels_of(sandbox.snapshot(REPO), 6)


# ---- renamed labels ---------------------------------------------------------------------------------------

async def test_renamed_labels_converge_and_a_persons_labels_stay(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    await synced(sandbox)
    # A person's labels: one of their own on a sub-issue, and the old `stream` name on an unrelated issue.
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/7/labels", {"labels": ["bug"]})
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/1/labels", {"labels": ["stream"]})
    configure(sandbox, "labels:\n  plan: {name: plan}\n  stream: {name: work-stream}\n"
                       "  ready: {name: ready-for-agent}\n  conflict: {name: overlaps}\n")
    snap = await synced(sandbox)
    assert labels_of(snap, 4) == {"plan", "overlaps"}
    assert labels_of(snap, 5) == {"overlaps"}
    assert labels_of(snap, 6) == {"work-stream", "agent:backend-specialist", "ready-for-agent"}
    assert labels_of(snap, 7) == {"work-stream", "agent:fullstack-specialist", "bug"}
    assert labels_of(snap, 1) == {"stream"}  # not the bot's issue: untouched
    assert "labelset" in summary_of(snap)
    async with client(sandbox) as gh:
        assert (await sync_issue(gh, OWNER, NAME, 4)).writes == 0
    # Back to the defaults: the custom names go, the record with them.
    configure(sandbox, "# defaults\n")
    snap = await synced(sandbox)
    assert labels_of(snap, 6) == {"stream", "agent:backend-specialist", "stream:ready"}
    assert labels_of(snap, 4) == {"parallel-plan", "plan:conflict"} and "labelset" not in summary_of(snap)
    async with client(sandbox) as gh:
        assert (await sync_issue(gh, OWNER, NAME, 4)).writes == 0


async def test_a_missing_file_is_believed_missing_until_a_push_says_otherwise(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    await synced(sandbox)
    sandbox.state.push(REPO, "main", {CONFIG_PATH: "labels:\n  ready: {name: go-now}\n"})
    asked = len(contents_reads(sandbox))
    assert asked == 2  # the repository's own file, then the owner's .github repository's: both missing
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)  # within the while a missing file is believed: not asked
        assert len(contents_reads(sandbox)) == asked
        assert "go-now" not in labels_of(sandbox.snapshot(REPO), 6)
        assert await plans_to_resync(gh, OWNER, NAME) == [4]  # what the push handler calls
        await sync_issue(gh, OWNER, NAME, 4)
    assert "go-now" in labels_of(sandbox.snapshot(REPO), 6)


async def test_plans_to_resync_lists_the_repositorys_open_plans(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    await synced(sandbox)
    async with client(sandbox) as gh:
        assert await plans_to_resync(gh, OWNER, NAME) == [4]
        sandbox.state.push(REPO, "main", {CONFIG_PATH: "labels:\n  plan: {name: has-plan}\n"})
        # The file changed: plans still carry the old name until they are synced again; both are found.
        assert await plans_to_resync(gh, OWNER, NAME) == [4]
        await sync_issue(gh, OWNER, NAME, 4)
        assert await plans_to_resync(gh, OWNER, NAME) == [4]
    assert labels_of(sandbox.snapshot(REPO), 4) == {"has-plan", "plan:conflict"}


# ---- hand-off ---------------------------------------------------------------------------------------------

HANDOFF = ("handoff:\n"
           "  - agent: fullstack-specialist\n"
           "    labels: [go]\n"
           "    assignees: [hubot]\n")


async def test_hand_off_when_the_last_blocker_closes_and_back_when_it_reopens(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "hubot", "write")  # assignable
    configure(sandbox, HANDOFF)
    snap = await synced(sandbox)
    assert "go" not in labels_of(snap, 7) and issue(snap, 7)["assignees"] == []  # B waits for A
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/7/assignees", {"assignees": ["octocat"]})
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/6", {"state": "closed"})  # A done
    async with client(sandbox) as gh:
        handed = await sync_issue(gh, OWNER, NAME, 4)
        redelivered = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    done = [w.description for w in handed.planned]
    assert done.count("hand #7 to hubot") == 1 and "label #7 stream:ready, go" in done
    assert labels_of(snap, 7) == {"stream", "agent:fullstack-specialist", "stream:ready", "go"}
    assert issue(snap, 7)["assignees"] == ["octocat", "hubot"]
    assert labels_of(snap, 8) == {"stream", "agent:backend-specialist", "stream:ready"}  # no rule for C
    assert "**Handed off**: Stream B (#7): `hubot`" in summary_of(snap) and "@hubot" not in summary_of(snap)
    assert redelivered.writes == 0
    # hubot steps back: the bot does not assign them again.
    unassign(sandbox, 7, "hubot")
    async with client(sandbox) as gh:
        assert (await sync_issue(gh, OWNER, NAME, 4)).writes <= 1  # the summary's line, at most
        assert (await sync_issue(gh, OWNER, NAME, 4)).writes == 0
    assert issue(sandbox.snapshot(REPO), 7)["assignees"] == ["octocat"]


async def test_reopening_the_blocker_takes_the_hand_off_back(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "hubot", "write")
    configure(sandbox, HANDOFF)
    await synced(sandbox)
    await as_person(sandbox, "POST", f"/repos/{REPO}/issues/7/assignees", {"assignees": ["octocat"]})
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/6", {"state": "closed"})
    snap = await synced(sandbox)
    assert issue(snap, 7)["assignees"] == ["octocat", "hubot"]
    await as_person(sandbox, "PATCH", f"/repos/{REPO}/issues/6", {"state": "open"})  # A reopened
    async with client(sandbox) as gh:
        back = await sync_issue(gh, OWNER, NAME, 4)
        again = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert "take #7 back from hubot" in [w.description for w in back.planned]
    assert labels_of(snap, 7) == {"stream", "agent:fullstack-specialist"}
    assert issue(snap, 7)["assignees"] == ["octocat"]  # the person's assignment stays
    assert "Handed off" not in summary_of(snap) and again.writes == 0


async def test_a_stream_ready_from_the_start_is_created_handed_off(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "hubot", "write")
    configure(sandbox, "handoff:\n  - agent: '*'\n    labels: [go]\n    assignees: [hubot, copilot]\n")
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4)
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 6)["assignees"] == ["hubot"] and "go" in labels_of(snap, 6)
    assert all(issue(snap, n)["assignees"] == [] and "go" not in labels_of(snap, n) for n in SUBS[1:])
    # The App cannot assign GitHub's Copilot coding agent: left out, and the summary says so.
    assert any(n.code == "sync-handoff-copilot" for n in result.notes)
    assert "sync-handoff-copilot" in summary_of(snap)


# ---- through the whole App --------------------------------------------------------------------------------

async def test_app_hands_off_on_the_close_event_and_a_redelivery_writes_nothing(bot_app: BotApp) -> None:
    app_seed(bot_app)
    bot_app.sandbox.set_permission(REPO, "hubot", "write")
    configure(bot_app.sandbox, HANDOFF)
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    subs = assert_seed_structure(bot_app)
    await bot_app.as_user(MAINTAINER, "PATCH", f"/repos/{REPO}/issues/{subs[0]}", {"state": "closed"})
    closed = bot_app.issue_event("closed", subs[0], sender=MAINTAINER)
    await bot_app.post("issues", closed)
    await bot_app.idle()
    b = bot_app.issue(subs[1])
    assert "go" in b["labels"] and b["assignees"] == ["hubot"]
    before = bot_app.sandbox.accounting(1).writes
    await bot_app.post("issues", closed, delivery=bot_app.deliveries[-1])  # GitHub's redelivery
    await bot_app.post("issues", closed)  # the same event again under another id
    await bot_app.idle()
    assert bot_app.sandbox.accounting(1).writes == before
    assert bot_app.issue(subs[1])["assignees"] == ["hubot"]


async def test_app_with_automatic_off_syncs_only_on_analyze(bot_app: BotApp) -> None:
    app_seed(bot_app)
    configure(bot_app.sandbox, "automatic: false\n")
    await post_comment(bot_app, 4, PLAN)
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == [] and bot_app.sandbox.accounting(1).writes == 0
    await post_comment(bot_app, 4, "/analyze")
    await bot_app.idle()
    assert_seed_structure(bot_app)


async def test_configuration_text_pings_nobody_and_injects_no_html(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    sandbox.set_permission(REPO, "hubot", "write")
    configure(sandbox, (
        "sub_issues:\n  title: '{id} @mallory #1 <b>x</b> {name}'\n  type: '@mallory #2 <img src=x>'\n"
        "handoff:\n  - agent: '*'\n    assignees: [hubot]\n"
        "'@mallory #3 <script>': 1\n"
    ))
    snap = await synced(sandbox)
    summary = summary_of(snap)
    stream_numbers = set(issue(snap, 4)["sub_issues"])
    assert problems(summary, allowed={4, 5, *stream_numbers}) == []
    assert "sync-type-label" in summary and "config-invalid" in summary
    for n in SUBS:
        title = issue(snap, n)["title"]
        assert "`@mallory`" in title and "`#1`" in title and not live_refs(title)


async def test_what_github_drops_silently_is_read_back_and_said(sandbox: Sandbox) -> None:
    """A client GitHub lets set neither types nor assignees (a triager's user token): the 201s are read."""
    seed_issues(sandbox)
    sandbox.state.set_issue_types(REPO, ["Task"])
    configure(sandbox, "sub_issues:\n  type: Task\nhandoff:\n  - assignees: [copilot, octocat]\n")
    sandbox.set_permission(REPO, "tria", "triage")

    async def anyone(login: str, association: Any) -> bool:
        return True

    async with client(sandbox, token=sandbox.user_token("tria")) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4, user_token=True, may_write=anyone)
    codes = {n.code: n.message for n in result.notes}
    assert codes["sync-type-dropped"].endswith("stream(s) A, B, C, D.")
    assert "copilot-swe-agent[bot] (stream A)" in codes["sync-handoff-dropped"]
    assert "octocat (stream A)" in codes["sync-handoff-dropped"]
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 6)["type"] is None and issue(snap, 6)["assignees"] == []
    assert "sync-type-dropped" in summary_of(snap) and "sync-handoff-dropped" in summary_of(snap)


async def test_a_checkouts_file_is_passed_in_and_github_is_not_asked(sandbox: Sandbox) -> None:
    """The CLI and the Action read the file from the checkout and hand it to the sync."""
    seed_issues(sandbox)
    configure(sandbox, "labels:\n  ready: {name: from-github}\n")  # not what the checkout says
    loaded = LoadedConfig.from_text("labels:\n  ready: {name: from-checkout}\nbogus: 1\n", CONFIG_PATH)
    async with client(sandbox) as gh:
        result = await sync_issue(gh, OWNER, NAME, 4, config=loaded)
    snap = sandbox.snapshot(REPO)
    assert "from-checkout" in labels_of(snap, 6) and contents_reads(sandbox) == []
    assert [n.message for n in result.notes if n.code == "config-invalid"] == [
        f"{CONFIG_PATH} line 3: unknown key bogus: ignored"]


async def test_an_unused_agent_label_of_a_configured_prefix_is_deleted(sandbox: Sandbox) -> None:
    seed_issues(sandbox)
    configure(sandbox, "labels:\n  agent_prefix: 'for:'\n")
    await synced(sandbox)
    assert "for:fullstack-specialist" in sandbox.snapshot(REPO)["labels"]
    sandbox.create_comment(REPO, 4, PLAN.replace("fullstack-specialist", "frontend-specialist"))
    snap = await synced(sandbox)
    assert "for:frontend-specialist" in labels_of(snap, 7)
    assert "for:fullstack-specialist" not in snap["labels"] and "for:backend-specialist" in snap["labels"]
