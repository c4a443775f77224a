"""`parallel-work-bot sync` from a checkout against the local GitHub: the seed's structure, a dry run, an
interrupted run then a re-run, where the token and the repository come from, the progress display."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.local.context import LocalError, find_login, find_repo, find_token, parse_remote, run_command
from bot.local.sync import SyncOptions, sync_checkout
from bot.sandbox import Sandbox
from bot.sync.files import LocalFiles
from tests.environment import process_env
from tests.paths import SEED
from tests.test_sync import SEED_MINIMUM
from tests.test_sync_support import REPO, issue, seed_issues

ANALYSIS = ".claude/epics/convex/4-analysis.md"
USER = "octocat"


def checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    """A git checkout holding `files`, committed, with origin on github.com/octo/sandbox."""
    top = tmp_path / "repo"
    top.mkdir()
    for path, text in files.items():
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_text(text, encoding="utf-8")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=top,
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "plans")
    git("remote", "add", "origin", "https://github.com/octo/sandbox.git")
    return top


class runner:
    """A command runner: git for real, `gh` answered as given (None: gh is missing), its calls recorded."""

    def __init__(self, gh_token: str | None = None, gh_login: str | None = None) -> None:
        self.gh_token, self.gh_login = gh_token, gh_login
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], cwd: Path) -> str | None:
        if args[0] == "gh":
            self.calls.append(list(args))
            answer = self.gh_token if list(args[1:3]) == ["auth", "token"] else self.gh_login
            return f"{answer}\n" if answer else None
        return run_command(args, cwd)


async def cli(sb: Sandbox, top: Path, *, dry_run: bool = False, terminal: bool = False,
              counted: list[int] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    env = {"GITHUB_TOKEN": sb.user_token(USER)}
    options = SyncOptions(api_url=sb.base_url, dry_run=dry_run, login=USER, cwd=top)
    status = await sync_checkout(options, env, out=out, terminal=terminal, run=runner(), counted=counted)
    return status, out.getvalue()


def summaries(sb: Sandbox, number: int) -> list[str]:
    return [c["body"] for c in issue(sb.snapshot(REPO), number)["comments"]
            if c["body"].startswith("<!-- parallel-work-bot:summary")]


async def test_sync_builds_the_seed_structure_and_a_rerun_writes_nothing(sandbox: Sandbox,
                                                                           tmp_path: Path) -> None:
    seed_issues(sandbox, analysis="Body.")  # the issues, no plan on GitHub
    sandbox.set_permission(REPO, USER, "write")
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    status, out = await cli(sandbox, top)
    assert status == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    writes = len([e for e in sandbox.log if e.is_content_write])
    assert writes == SEED_MINIMUM
    head = (run_command(["git", "rev-parse", "HEAD"], top) or "").strip()
    assert len(head) == 40
    [text] = summaries(sandbox, 4)
    assert f"/blob/{head}/{ANALYSIS}" in text
    assert f"done: {SEED_MINIMUM} writes on 1 issues of octo/sandbox" in out
    status, out = await cli(sandbox, top)
    assert status == 0 and "done: 0 writes" in out
    assert len([e for e in sandbox.log if e.is_content_write]) == SEED_MINIMUM


async def test_dry_run_lists_the_writes_and_makes_none(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_issues(sandbox, analysis="Body.")
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    status, out = await cli(sandbox, top, dry_run=True)
    assert status == 0
    assert f"#4: {SEED_MINIMUM} writes" in out and "create sub-issue for stream A" in out
    assert [e for e in sandbox.log if e.is_content_write] == []


async def test_an_interrupted_sync_converges_on_the_rerun(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_issues(sandbox, analysis="Body.")
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    counted = [0]
    task = asyncio.create_task(cli(sandbox, top, counted=counted))
    for _ in range(4000):  # until 8 writes are made
        if len([e for e in sandbox.log if e.is_content_write]) >= 8:
            break
        await asyncio.sleep(0.005)
    task.cancel()  # what Ctrl-C does to the run
    with pytest.raises(asyncio.CancelledError):
        await task
    cut = len([e for e in sandbox.log if e.is_content_write])
    assert 8 <= cut < SEED_MINIMUM
    status, _out = await cli(sandbox, top)
    assert status == 0
    snap = sandbox.snapshot(REPO)
    assert issue(snap, 4)["sub_issues"] == [6, 7, 8, 9]
    assert sorted(snap["issues"]) == [str(n) for n in range(1, 10)]  # no duplicate sub-issue
    assert len(summaries(sandbox, 4)) == 1
    status, out = await cli(sandbox, top)
    assert "done: 0 writes" in out


async def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_issues(sandbox, analysis="Body.")
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    _status, plain = await cli(sandbox, top, dry_run=False, terminal=False)
    lines = plain.splitlines()
    assert lines[0] == f"{SEED_MINIMUM} writes planned" and "\x1b[" not in plain
    assert f"writes {SEED_MINIMUM} of {SEED_MINIMUM}, about 0 s left" in lines
    # A second repository state for the bar: the plan edited in the checkout (not committed).
    (top / ANALYSIS).write_text(SEED.read_text().replace("### Stream D", "### Stream E"), encoding="utf-8")
    _status, bar = await cli(sandbox, top, terminal=True)
    assert "\x1b[" in bar and "writes" in bar and "left" in bar
    assert "#4" in bar
    [text] = summaries(sandbox, 4)
    assert f"`{ANALYSIS}` (a local file, not committed as it is)" in text


def test_token_discovery_order(tmp_path: Path) -> None:
    run = runner(gh_token="from-gh")
    both = {"GITHUB_TOKEN": "first", "GH_TOKEN": "second"}
    assert find_token(both, run, tmp_path) == "first"
    assert find_token({"GH_TOKEN": "second", "GITHUB_TOKEN": " "}, run, tmp_path) == "second"
    assert run.calls == []
    assert find_token({}, run, tmp_path) == "from-gh"
    assert run.calls == [["gh", "auth", "token"]]
    assert find_token({}, run, tmp_path, "https://ghe.example.com/api/v3") == "from-gh"
    assert run.calls[-1] == ["gh", "auth", "token", "--hostname", "ghe.example.com"]
    with pytest.raises(LocalError, match="GITHUB_TOKEN"):
        find_token({}, runner(), tmp_path)


def test_repo_from_the_origin_remote_and_login(tmp_path: Path) -> None:
    top = checkout(tmp_path, {"README.md": "hi\n"})
    assert find_repo(None, run_command, top) == ("octo", "sandbox")
    assert find_repo("other/name", run_command, top) == ("other", "name")
    with pytest.raises(LocalError):
        find_repo("nonsense", run_command, top)
    with pytest.raises(LocalError, match="origin"):
        find_repo(None, run_command, tmp_path)  # not a checkout
    assert parse_remote("git@github.com:octo/sandbox.git") == ("octo", "sandbox")
    assert parse_remote("ssh://git@ghe.example.com:2222/octo/sand.box.git") == ("octo", "sand.box")
    assert parse_remote("https://x-access-token:abc@github.com/octo/sandbox") == ("octo", "sandbox")
    assert parse_remote("/some/local/path") is None
    assert find_login(None, {}, runner(gh_login="hubot"), top) == "hubot"
    assert find_login("me", {}, runner(gh_login="hubot"), top) == "me"
    ghe = runner(gh_login="hubot")
    assert find_login(None, {}, ghe, top, "https://ghe.example.com/api/v3") == "hubot"
    assert ghe.calls == [["gh", "api", "--hostname", "ghe.example.com", "user", "--jq", ".login"]]
    with pytest.raises(LocalError, match="--login"):
        find_login(None, {}, runner(), top)


async def test_the_command_line_runs_the_sync(sandbox: Sandbox, tmp_path: Path) -> None:
    """`parallel-work-bot sync` itself, as a process with the environment this test gives it."""
    seed_issues(sandbox, analysis="Body.")
    top = checkout(tmp_path, {ANALYSIS: SEED.read_text()})
    env = process_env(tmp_path, GITHUB_TOKEN=sandbox.user_token(USER))
    args = [sys.executable, "-m", "bot", "sync", "--api-url", sandbox.base_url, "--login", USER]
    pipes = {"stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
    proc = await asyncio.create_subprocess_exec(*args, "--dry-run", cwd=top, env=env, **pipes)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert f"#4: {SEED_MINIMUM} writes" in out.decode()
    proc = await asyncio.create_subprocess_exec(*args, "--repo", "octo/nowhere", cwd=top, env=env, **pipes)
    out, err = await proc.communicate()
    assert proc.returncode == 2 and "cannot read octo/nowhere" in err.decode()
    assert [e for e in sandbox.log if e.is_content_write] == []


async def test_local_files_are_found_by_path_and_name(tmp_path: Path) -> None:
    top = checkout(tmp_path, {
        ANALYSIS: SEED.read_text(),
        ".claude/epics/convex/5.md": "---\ndepends_on: [4]\n---\n",
        ".claude/epics/convex/001.md": "---\ndepends_on: [4]\n---\n",  # a local task number
        ".claude/epics/auth/auth-analysis.md": SEED.read_text().replace("issue: 4", "issue: 7"),
        "docs/9.md": "---\ndepends_on: [4]\n---\n",  # a task file only when named
        "docs/8-analysis.md": SEED.read_text().replace("issue: 4", "issue: 8"),
    })
    (top / ".claude/epics/convex/6-analysis.md").write_bytes(b"\xff\xfe not text")
    (top / ".claude/epics/convex/3-analysis.md").write_text("x" * (1024 * 1024 + 1), encoding="utf-8")
    files = LocalFiles(top, [top / ".claude/epics"], repo_url="https://github.com/octo/sandbox")
    assert await files.issues() == [4, 5, 6, 7]
    [plan] = await files.for_issue(4)
    assert plan.kind == "analysis" and plan.commit is not None and plan.url is not None
    assert plan.url.endswith(f"/blob/{plan.commit}/{ANALYSIS}")
    assert await files.for_issue(6) == []  # not UTF-8: listed, never read as a plan
    assert [f.path for f in await files.for_issue(7)] == [".claude/epics/auth/auth-analysis.md"]
    named = LocalFiles(top, [top / "docs"])
    assert await named.issues() == [8]
    assert await LocalFiles(top, [top / "docs/9.md"]).issues() == [9]
