"""The configuration file and the plan-files doors together: a push changing `.github/parallel-work-bot.yml`
syncs the repository's plans again, `analysis_paths` decides which files are plans (push, scan, CLI,
Action), and the CLI and the Action take the checkout's configuration."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.analysis.planfiles import PlanPath, PlanPaths, plan_path
from bot.conventions import ACTIONS_LOGIN, CONFIG_PATH
from bot.jobs.request import JobRequest
from bot.local.context import checkout_config
from bot.repoconfig import load_config_text
from bot.sandbox import Sandbox
from bot.sandbox.payloads import push_payload
from tests.fixtures.app import BotApp, real_payload
from tests.paths import ROOT, SEED
from tests.test_action import action
from tests.test_cli_sync import checkout, cli
from tests.test_files import push, seed, summary_of, valid
from tests.test_sync_support import NAME, OWNER, REPO, issue, seed_issues

RENAMED = "labels:\n  ready: {name: ready-for-agent}\n  plan: {name: has-plan}\n"
PLAN_FILE = "docs/plans/4.md"  # not a plan file by default
CUSTOM = "analysis_paths: ['docs/plans/*.md']\n"


def issue_reads(app: BotApp, number: int, since: int) -> list[str]:
    """The requests for issue #number (itself, its comments...) made after log entry `since`."""
    prefix = f"/repos/{REPO}/issues/{number}"
    return [e.path for e in app.sandbox.log[since:] if e.path == prefix or e.path.startswith(prefix + "/")]


async def comment_plan(app: BotApp) -> None:
    """The seed's plan as a comment on #4 (a plan no file holds: only its label finds it again)."""
    seed(app)
    comment = app.sandbox.create_comment(REPO, 4, SEED.read_text())
    await app.post("issue_comment", app.comment_event("created", comment))
    await app.idle()
    assert "stream:ready" in app.issue(6)["labels"] and "parallel-plan" in app.issue(4)["labels"]


# ---- which paths are plan files ---------------------------------------------------------------------------

def test_plan_paths_follow_the_patterns() -> None:
    default = PlanPaths()
    assert default.kind(".claude/epics/e/12-analysis.md") == plan_path(".claude/epics/e/12-analysis.md")
    assert default.kind(".claude/epics/12-analysis.md") == PlanPath("analysis", 12)  # `**/` may vanish
    assert default.kind(PLAN_FILE) is None
    custom = PlanPaths(("docs/plans/*.md", "work/**/*-plan.md"))
    assert custom.kind(PLAN_FILE) == PlanPath("analysis", 4)
    assert custom.kind("docs/plans/auth.md") == PlanPath("analysis", None)  # its frontmatter names it
    assert custom.kind("docs/plans/001.md") == PlanPath("analysis", None)  # a local number names nothing
    assert custom.kind("docs/plans/sub/4.md") is None  # `*` stays within one folder
    assert custom.kind("work/a/b/x-plan.md") == PlanPath("analysis", None)
    assert custom.kind("work/x-plan.md") == PlanPath("analysis", None)
    assert custom.kind(".claude/epics/e/12-analysis.md") is None  # the patterns replace the default
    assert custom.kind(".claude/epics/e/12.md") == PlanPath("task", 12)  # CCPM's task files stay
    assert custom.kind("docs/plans/../plans/4.md") is None
    assert PlanPaths(("docs/[id]/*.md",)).kind("docs/[id]/4.md") == PlanPath("analysis", 4)  # literal
    assert custom.folders() == [".claude/epics/", "docs/plans/", "work/"]
    assert PlanPaths(("**/*-analysis.md",)).folders() == [""]


def test_analysis_paths_name_markdown_files() -> None:
    """The web passes on pushes of markdown files only: a pattern that names other files is a finding."""
    config, findings = load_config_text("analysis_paths: ['docs/**', 'docs/*.md', 'plans/*.txt']\n")
    assert config.analysis_paths == ["docs/*.md"]
    assert len(findings) == 2 and all("ends with .md" in f.message for f in findings)


def test_checkout_config_reads_the_file_or_says_there_is_none(tmp_path: Path) -> None:
    assert checkout_config(tmp_path) is None
    (tmp_path / ".github").mkdir()
    (tmp_path / CONFIG_PATH).write_bytes(b"labels:\n  prefix: \xff\n")
    loaded = checkout_config(tmp_path)
    assert loaded is not None and "not UTF-8" in loaded.findings[0].message
    (tmp_path / CONFIG_PATH).write_text(RENAMED, encoding="utf-8")
    loaded = checkout_config(tmp_path)
    assert loaded is not None and loaded.config.labels.spec("ready")[0] == "ready-for-agent"
    assert loaded.source == CONFIG_PATH and loaded.findings == []


# ---- the App: a push that changes the configuration --------------------------------------------------------

async def test_a_push_changing_the_configuration_resyncs_the_plans(bot_app: BotApp) -> None:
    await comment_plan(bot_app)
    # A push not touching the configuration (nor a plan file) syncs nothing: #4 is not even read.
    since = len(bot_app.sandbox.log)
    writes = bot_app.sandbox.accounting(1).writes
    await push(bot_app, {"README.md": "# changed\n", "docs/notes.md": "notes\n"})
    assert issue_reads(bot_app, 4, since) == [] and bot_app.sandbox.accounting(1).writes == writes
    # The configuration renames two labels: the comment's plan is synced again with the new names.
    _status, answer = await push(bot_app, {CONFIG_PATH: RENAMED})
    assert answer["outcome"] == "queued"
    assert "ready-for-agent" in bot_app.issue(6)["labels"]
    assert "stream:ready" not in bot_app.issue(6)["labels"]
    assert "has-plan" in bot_app.issue(4)["labels"] and "parallel-plan" not in bot_app.issue(4)["labels"]
    # Renamed again: the plan now carries neither the new name nor the default one; the file as it was
    # before the push names the label it does carry.
    await push(bot_app, {CONFIG_PATH: RENAMED.replace("has-plan", "planned")})
    assert "planned" in bot_app.issue(4)["labels"] and "has-plan" not in bot_app.issue(4)["labels"]
    # The file removed: back to the defaults.
    await push(bot_app, {CONFIG_PATH: None})
    assert {"parallel-plan", "plan:conflict"} <= set(bot_app.issue(4)["labels"])
    assert "stream:ready" in bot_app.issue(6)["labels"]


async def test_a_resync_asks_again_whatever_the_worker_believed(bot_app: BotApp) -> None:
    """Another worker read the push: this one still believes the repository has no file, but the sync
    the push job queued says the configuration changed."""
    await comment_plan(bot_app)  # this worker now believes both files missing
    bot_app.sandbox.state.push(REPO, "main", {CONFIG_PATH: RENAMED}, message="configure")
    plain = JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=4)
    await bot_app.server.handler(plain)
    assert "stream:ready" in bot_app.issue(6)["labels"]  # believed missing: the defaults
    fresh = plain.model_copy(update={"fresh_config": True})
    await bot_app.server.handler(fresh)
    assert "ready-for-agent" in bot_app.issue(6)["labels"]
    # Waiting, it never folds into a plain sync of the plan (which would not ask again); one at a time still.
    assert fresh.queueing_key != plain.queueing_key and fresh.issue_key == plain.issue_key


async def test_a_push_to_the_owners_github_repository_is_its_own_configuration(bot_app: BotApp) -> None:
    """The owner's `.github` repository: its plans are synced again; other repositories take the new
    file at their next sync (the cache of "no file there" is forgotten)."""
    await comment_plan(bot_app)  # octo/sandbox has no file, nor has octo/.github: both believed missing
    dot = f"{OWNER}/.github"
    bot_app.sandbox.add_repo(dot, installation_id=1)
    bot_app.sandbox.state.push(dot, "main", {"README.md": "org\n"}, message="init")
    before = bot_app.sandbox.state.head(dot, "main")
    bot_app.sandbox.state.push(dot, "main", {CONFIG_PATH: RENAMED}, message="configure the organisation")
    payload = push_payload(bot_app.sandbox.shapes, dot, "main", before=before, installation_id=1)
    _status, answer = await bot_app.post("push", valid(payload, "push.schema.json"))
    await bot_app.idle()
    assert answer["outcome"] == "queued"
    await bot_app.server.handler(JobRequest(installation_id=1, owner=OWNER, repo=NAME, number=4))
    assert "ready-for-agent" in bot_app.issue(6)["labels"]


# ---- analysis_paths: the push, the scan -------------------------------------------------------------------

async def test_a_custom_analysis_path_finds_a_plan_the_default_would_not(bot_app: BotApp) -> None:
    seed(bot_app)
    await push(bot_app, {PLAN_FILE: SEED.read_text()})
    assert bot_app.issue(4)["sub_issues"] == []  # not a plan file under the default patterns
    # The configuration names the file's folder: the plan files the branch already holds are synced.
    await push(bot_app, {CONFIG_PATH: CUSTOM})
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]
    # A push of the file alone: found by the pattern (stream D left the plan: its sub-issue closed).
    await push(bot_app, {PLAN_FILE: SEED.read_text().replace("### Stream D", "### Stream E")})
    assert bot_app.issue(9)["state"] == "closed"
    assert f"/blob/{bot_app.sandbox.state.head(REPO, 'main')}/{PLAN_FILE}" in summary_of(bot_app, 4)
    # A file the default would take is not a plan any more.
    writes = bot_app.sandbox.accounting(1).writes
    await push(bot_app, {".claude/epics/e/5-analysis.md": SEED.read_text().replace("issue: 4", "issue: 5")})
    assert bot_app.issue(5)["sub_issues"] == [] and bot_app.sandbox.accounting(1).writes == writes


async def test_one_push_with_the_configuration_and_a_plan_file(bot_app: BotApp) -> None:
    seed(bot_app)
    await push(bot_app, {CONFIG_PATH: CUSTOM + RENAMED, PLAN_FILE: SEED.read_text()})
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]
    assert "ready-for-agent" in bot_app.issue(6)["labels"]


async def test_an_installation_scan_follows_analysis_paths(bot_app: BotApp) -> None:
    from tests.test_files import installation_payload

    seed(bot_app)
    bot_app.sandbox.state.push(REPO, "main", {CONFIG_PATH: CUSTOM, PLAN_FILE: SEED.read_text()})
    await bot_app.post("installation", installation_payload("installation.created.json"))
    await bot_app.idle()
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9]


# ---- the CLI and the Action: the checkout's configuration ------------------------------------------------

async def test_the_cli_takes_the_checkouts_configuration(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_issues(sandbox, analysis="Body.")
    plan = SEED.read_text()
    top = checkout(tmp_path, {"plans/auth.md": plan})  # named without a number: its frontmatter says #4
    status, out = await cli(sandbox, top)
    assert status == 0 and "no plan files found" in out
    assert issue(sandbox.snapshot(REPO), 4)["sub_issues"] == []
    (top / ".github").mkdir()
    (top / CONFIG_PATH).write_text(f"analysis_paths: ['plans/*.md']\n{RENAMED}bogus: 1\n", encoding="utf-8")
    since = len(sandbox.log)
    status, out = await cli(sandbox, top)
    assert status == 0 and "unknown key bogus" in out  # the file's findings are said
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    assert "has-plan" in issue(snap, 4)["labels"] and "ready-for-agent" in issue(snap, 6)["labels"]
    assert not [e for e in sandbox.log[since:] if "/contents/" in e.path]  # the checkout's: GitHub not asked


async def test_the_cli_without_a_file_reads_the_repositorys(sandbox: Sandbox, tmp_path: Path) -> None:
    """A checkout without the file syncs as the App would: with the repository's (here its default
    branch's) configuration, so the doors never undo each other's labels."""
    seed_issues(sandbox, analysis="Body.")
    sandbox.state.push(REPO, "main", {CONFIG_PATH: RENAMED}, message="configure")
    top = checkout(tmp_path, {".claude/epics/convex/4-analysis.md": SEED.read_text()})
    status, _out = await cli(sandbox, top)
    assert status == 0 and "ready-for-agent" in issue(sandbox.snapshot(REPO), 6)["labels"]


async def test_the_action_takes_the_checkouts_configuration(bot_app: BotApp, tmp_path: Path) -> None:
    seed(bot_app)
    bot_app.sandbox.state.push(REPO, "main", {"plans/auth.md": SEED.read_text()})  # no configuration there
    top = checkout(tmp_path, {CONFIG_PATH: "analysis_paths: ['plans/*.md']\n" + RENAMED})
    dispatch = valid(real_payload("workflow_dispatch.json"), "workflow-dispatch.schema.json")
    status, out = await action(bot_app, tmp_path, "workflow_dispatch", dispatch, GITHUB_WORKSPACE=str(top))
    assert status == 0 and "sync #4" in out
    assert bot_app.issue(4)["sub_issues"] == [6, 7, 8, 9] and bot_app.issue(6)["user"] == ACTIONS_LOGIN
    assert "ready-for-agent" in bot_app.issue(6)["labels"] and "has-plan" in bot_app.issue(4)["labels"]
    # A dispatch finds the plans by the configuration's plan label too (a comment plan, no file).
    bot_app.sandbox.create_issue(REPO, "Another plan", "Body.")
    comment = bot_app.sandbox.create_comment(REPO, 10, SEED.read_text().replace("issue: 4", "issue: 10"))
    await action(bot_app, tmp_path, "issue_comment", bot_app.comment_event("created", comment),
                 GITHUB_WORKSPACE=str(top))
    assert "has-plan" in bot_app.issue(10)["labels"]
    status, out = await action(bot_app, tmp_path, "workflow_dispatch", dispatch, GITHUB_WORKSPACE=str(top))
    assert status == 0 and "sync #10" in out


# ---- the README's workflow and deployment say the same as the files ---------------------------------------

def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def test_the_readme_workflow_reads_the_configuration_and_runs_on_its_changes() -> None:
    section = readme_section("The GitHub Action")
    block = section.split("`.github/workflows/parallel-work-bot.yml`:", 1)[1].split("```yaml\n", 1)[1]
    workflow = yaml.safe_load(block.split("```", 1)[0])
    assert CONFIG_PATH in workflow[True]["push"]["paths"]  # YAML 1.1 reads the key `on` as True
    assert workflow["permissions"] == {"issues": "write", "contents": "read"}
    steps = workflow["jobs"]["sync"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert ".github" in steps[0]["with"]["sparse-checkout"]
    assert steps[1]["uses"].startswith("parallel-work-bot/parallel-work-bot@")


def test_the_readme_deployment_names_the_manifests_permissions_and_events() -> None:
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    section = " ".join(readme_section("Deployment").split())
    for name, level in manifest["default_permissions"].items():
        assert f"{name.capitalize()}: {level}" in section, name
    for event in manifest["default_events"]:
        assert f"`{event}`" in section, event


COPILOT = "handoff:\n  - agent: '*'\n    assignees: [copilot]\n"


async def test_the_cli_acts_with_a_persons_token_the_action_does_not(bot_app: BotApp, tmp_path: Path) -> None:
    """A hand-off to GitHub's Copilot coding agent: the CLI run by a person offers it (GitHub decides);
    the Action's workflow token cannot, and the summary says so, as the App's does."""
    seed(bot_app)
    bot_app.sandbox.set_permission(REPO, "octocat", "write")
    top = checkout(tmp_path, {".claude/epics/convex/4-analysis.md": SEED.read_text(), CONFIG_PATH: COPILOT})
    status, _out = await cli(bot_app.sandbox, top)
    assert status == 0 and "sync-handoff-copilot" not in summary_of(bot_app, 4)
    plan5 = SEED.read_text().replace("issue: 4", "issue: 5").replace("conflicts_with: [5]", "")
    bot_app.sandbox.state.push(REPO, "main", {"plans/auth.md": plan5})
    (top / CONFIG_PATH).write_text(COPILOT + "analysis_paths: ['plans/*.md']\n", encoding="utf-8")
    dispatch = valid(real_payload("workflow_dispatch.json"), "workflow-dispatch.schema.json")
    status, _out = await action(bot_app, tmp_path, "workflow_dispatch", dispatch, GITHUB_WORKSPACE=str(top),
                                PWB_PEERS="octocat")
    assert status == 0 and "sync-handoff-copilot" in summary_of(bot_app, 5)
