"""`demo --steps FILE.yml`: a scenario of comments, edits, pushes, closes, CLI syncs on the local GitHub."""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.app.server import BotServer
from bot.cli.demo_scenario import default_openapi
from bot.config import given_settings
from bot.local.sync import SyncOptions, sync_checkout
from bot.metrics import Metrics
from bot.sandbox import Sandbox
from bot.sandbox.auth import generate_keys
from bot.sandbox.delivery import dumps, webhook_headers
from bot.sandbox.payloads import INSTALLATION_ID, issue_comment_payload, push_payload, repository_json

REPO = "octo/sandbox"
APP_ID = 1
#: Who acts when a step names nobody, and who runs `run sync` (the App knows it as a peer, BOT_PEERS).
DEFAULT_ACTOR = "octocat"
ROLES = ("admin", "maintain", "write", "triage", "read", "none")
_AS = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9-]{0,38})\s*(?:\(\s*([a-z]+)\s*\))?\s*$")
#: The issues a scenario starts with unless it lists its own (the seed's repository).
DEFAULT_ISSUES = ["Epic: real-time media app", "Set up the Next.js app", "Design the data model",
                  "Configure Convex Backend", "Integrate Clerk authentication"]


class ScenarioError(Exception):
    """A scenario file that cannot be run: one line naming the step and what is wrong."""


@dataclass
class StepResult:
    """One step: what it did and the writes the bot made for it."""

    step: str
    writes: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    """A scenario read from YAML: the issues to start with and the steps."""

    issues: list[str]
    steps: list[dict[str, Any]]
    folder: Path


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (see bot/examples/scenarios/); a bundled name (`push-then-comment`) also works."""
    if not path.is_file():
        bundled = resources.files("bot").joinpath(f"examples/scenarios/{path.stem}.yml")
        if not bundled.is_file():
            raise ScenarioError(f"no such scenario: {path}")
        text, folder = bundled.read_text(encoding="utf-8"), Path(str(bundled)).parent
    else:
        text, folder = path.read_text(encoding="utf-8"), path.resolve().parent
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ScenarioError(f"{path}: a scenario is a mapping with a `steps` list")
    issues = data.get("issues", DEFAULT_ISSUES)
    if not isinstance(issues, list) or not all(isinstance(t, str) for t in issues):
        raise ScenarioError(f"{path}: `issues` is a list of titles")
    steps = [s if isinstance(s, dict) else {"_bad": s} for s in data["steps"]]
    return Scenario(issues, steps, folder)


class Runner:
    """The local GitHub and the App on loopback, driven step by step the way people and GitHub would."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.comments: list[dict[str, Any]] = []
        self.results: list[StepResult] = []
        private_pem, public_pem = generate_keys()
        self.private_pem = private_pem
        openapi = default_openapi()
        self.sandbox = Sandbox(openapi, app_id=APP_ID, public_key_pem=public_pem,
                               validate_responses=openapi is not None)
        self.sandbox.add_repo(REPO, installation_id=INSTALLATION_ID)
        self.sandbox.set_permission(REPO, DEFAULT_ACTOR, "admin")
        self.secret = secrets.token_hex(20)
        self.server: BotServer | None = None
        self.http: aiohttp.ClientSession | None = None

    # ---- plumbing --------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.sandbox.start()
        for title in self.scenario.issues:
            self.sandbox.create_issue(REPO, title, body=f"{title}.", user=DEFAULT_ACTOR)
        settings = given_settings(
            github_app_id=APP_ID, github_private_key=self.private_pem, github_webhook_secret=self.secret,
            github_api_url=self.sandbox.base_url, write_pacing=0, database_url=None,
            bot_login=self.sandbox.bot_login, bot_peers=DEFAULT_ACTOR,
        )
        self.server = BotServer(settings, metrics=Metrics(), poll_interval=0.02)
        await self.server.start("127.0.0.1", 0)
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.server is not None:
            await self.server.stop()
        await self.sandbox.stop()

    async def deliver(self, event: str, payload: dict[str, Any]) -> None:
        """POST a signed delivery to the App and wait for its jobs."""
        assert self.http is not None and self.server is not None
        body = dumps(payload)
        headers = webhook_headers(event, str(uuid.uuid4()), body, self.secret)
        async with self.http.post(self.server.webhook_url, data=body, headers=headers) as resp:
            await resp.read()
        await self.server.queue.wait_idle(limit=300)

    def text(self, value: Any, where: str) -> str:
        """A step's TEXT-or-FILE: a file beside the scenario (or bundled with the bot), else the text."""
        if not isinstance(value, str) or not value:
            raise ScenarioError(f"{where}: needs a text or a file name")
        if "\n" not in value and value.endswith(".md"):
            for base in (self.scenario.folder, Path(str(resources.files("bot").joinpath("examples")))):
                if (base / value).is_file():
                    return (base / value).read_text(encoding="utf-8")
        return value

    def actor(self, value: Any, where: str) -> str:
        """`LOGIN (role)`: the person, given that role on the repository."""
        m = _AS.match(str(value or DEFAULT_ACTOR))
        if m is None or (m.group(2) and m.group(2) not in ROLES):
            raise ScenarioError(f"{where}: `as` is LOGIN or LOGIN (role), a role one of {', '.join(ROLES)}")
        if m.group(2):
            self.sandbox.set_permission(REPO, m.group(1), m.group(2))
        return m.group(1)

    def issue_payload(self, action: str, number: int, sender: str) -> dict[str, Any]:
        """The `issues` webhook GitHub sends for an issue of the local GitHub."""
        sb = self.sandbox
        owner = sb.shapes.user(sb.state.user(REPO.split("/")[0]))
        repository = repository_json(sb.base_url, sb.shapes.html, REPO, sb.state.repo(REPO).id, owner)
        return {"action": action, "issue": sb.issue_json(REPO, number), "repository": repository,
                "sender": sb.shapes.user(sb.state.user(sender)),
                "installation": {"id": INSTALLATION_ID,
                                 "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{INSTALLATION_ID}"}}

    def comment_n(self, value: Any, where: str) -> dict[str, Any]:
        """Comment N of the scenario (1 = the first it posted)."""
        if not isinstance(value, int) or not 1 <= value <= len(self.comments):
            raise ScenarioError(f"{where}: no comment {value} (the scenario posted {len(self.comments)})")
        return self.comments[value - 1]

    # ---- the steps -------------------------------------------------------------------------------------
    async def run_step(self, index: int, step: dict[str, Any]) -> StepResult:
        where = f"step {index}"
        sb = self.sandbox
        repo = sb.state.repo(REPO)
        mark = len(sb.log)
        if "comment" in step:
            body = self.text(step["comment"], where)
            number = int(step.get("on", 4))
            login = self.actor(step.get("as"), where)
            comment = sb.create_comment(REPO, number, body, user=login)
            self.comments.append(comment)
            said = f"comment {len(self.comments)} on #{number} as {login}: {_first_line(body)}"
            await self.deliver("issue_comment", issue_comment_payload(sb, REPO, comment))
        elif "edit comment" in step:
            old = self.comment_n(step["edit comment"], where)
            item = sb.state.comment(repo, int(old["id"]))
            before, item.body = item.body, self.text(step.get("text"), where)
            sb.state.touch(item)
            fresh = sb.shapes.comment(repo, item)
            self.comments[self.comments.index(old)] = fresh
            payload = issue_comment_payload(sb, REPO, fresh, action="edited")
            payload["changes"] = {"body": {"from": before}}
            said = f"edit comment {step['edit comment']}: {_first_line(item.body)}"
            await self.deliver("issue_comment", payload)
        elif "delete comment" in step:
            old = self.comment_n(step["delete comment"], where)
            payload = issue_comment_payload(sb, REPO, old, action="deleted")
            sb.state.delete_comment(repo, sb.state.comment(repo, int(old["id"])))
            said = f"delete comment {step['delete comment']}"
            await self.deliver("issue_comment", payload)
        elif "push" in step:
            path = str(step.get("to") or "")
            if not path:
                raise ScenarioError(f"{where}: `push` needs `to: PATH` in the repository")
            content = None if step["push"] in (None, "", "remove") else self.text(step["push"], where)
            was = sb.state.head(REPO, "main")
            verb = "remove" if content is None else "update"
            sb.state.push(REPO, "main", {path: content}, message=f"{verb} {path}")
            said = f"push {'removal of ' if content is None else ''}{path}"
            await self.deliver("push", push_payload(sb.shapes, REPO, "main", before=was,
                                                    installation_id=INSTALLATION_ID))
        elif "close issue" in step or "reopen issue" in step:
            closing = "close issue" in step
            number = int(step["close issue" if closing else "reopen issue"])
            login = self.actor(step.get("as"), where)
            sb.state.set_state(sb.state.issue(repo, number), "closed" if closing else "open", None,
                               sb.state.user(login))
            said = f"{'close' if closing else 'reopen'} #{number} as {login}"
            await self.deliver("issues", self.issue_payload("closed" if closing else "reopened", number,
                                                            login))
        elif "run sync" in step:
            said = f"run `parallel-work-bot sync {step['run sync'] or ''}`"
            await self.cli_sync(str(step["run sync"] or ""))
        else:
            raise ScenarioError(f"{where}: unknown step {step!r} (comment, edit comment, delete comment, "
                                "push, close issue, reopen issue, run sync)")
        writes = [f"{e.method} {e.path}" + (" (mutation)" if e.operation else "") for e in sb.log[mark:]
                  if e.is_content_write]
        return StepResult(said, writes)

    async def cli_sync(self, paths: str) -> None:
        """`parallel-work-bot sync PATH` from a checkout of the default branch, as DEFAULT_ACTOR."""
        repo = self.sandbox.state.repo(REPO)
        head = repo.git.branches.get("main")
        commit = repo.git.commits[head] if head else None
        with tempfile.TemporaryDirectory() as tmp:
            top = Path(tmp)
            for path, blob in (commit.files.items() if commit else []):
                (top / path).parent.mkdir(parents=True, exist_ok=True)
                (top / path).write_bytes(blob.data)

            def git(args: Sequence[str], cwd: Path) -> str | None:
                """The checkout's git: clean, each file last changed where the local GitHub says."""
                if list(args[:2]) == ["git", "status"]:
                    return ""
                if list(args[:2]) == ["git", "log"] and commit is not None:
                    return _last_change(repo.git, commit.sha, str(args[-1]))
                return None

            options = SyncOptions(paths=[top / p for p in paths.split()] or [],
                                  repo=REPO, api_url=self.sandbox.base_url, login=DEFAULT_ACTOR, cwd=top)
            token = self.sandbox.user_token(DEFAULT_ACTOR)
            await sync_checkout(options, {"GITHUB_TOKEN": token}, out=io.StringIO(), terminal=False, run=git)


def _last_change(git: Any, head: str, path: str) -> str | None:
    """The newest commit from `head` back whose parent had other bytes at `path`."""
    for sha in git.ancestors(head):
        c = git.commits[sha]
        parent = git.commits[c.parent] if c.parent else None
        if parent is None or parent.files.get(path) != c.files.get(path):
            return str(sha)
    return None


def _first_line(text: str) -> str:
    """The text's title (its first heading), else its first line, shortened."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "---"]
    line = next((ln for ln in lines if ln.startswith("#")), lines[0] if lines else "")
    return line[:60] + ("…" if len(line) > 60 else "")


async def run_steps(scenario: Scenario) -> tuple[list[StepResult], dict[str, Any]]:
    """Run every step in order; returns each step's writes and the repository afterwards."""
    runner = Runner(scenario)
    await runner.start()
    try:
        results = [await runner.run_step(i, s) for i, s in enumerate(scenario.steps, 1)]
        if runner.sandbox.violations:
            raise ScenarioError("contract violations: " + "; ".join(runner.sandbox.violations[:5]))
        return results, runner.sandbox.snapshot(REPO)
    finally:
        await runner.stop()


def structure(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every issue: title, state, labels, parent, sub-issues, blockers, the bot's comments."""
    issues = snapshot["issues"]
    return [{"number": i["number"], "title": i["title"], "state": i["state"], "labels": list(i["labels"]),
             "parent": i["parent"], "sub_issues": list(i["sub_issues"]), "blocked_by": list(i["blocked_by"]),
             "comments": [{"user": c["user"], "body": c["body"]} for c in i["comments"]]}
            for i in (issues[k] for k in sorted(issues, key=int))]


def render(results: list[StepResult], snapshot: dict[str, Any], as_json: bool) -> str:
    """The steps with their writes, then the final structure (text, or JSON)."""
    if as_json:
        steps = [{"step": r.step, "writes": r.writes} for r in results]
        return json.dumps({"repository": REPO, "steps": steps, "issues": structure(snapshot)}, indent=2,
                          ensure_ascii=False)
    out = [f"parallel-work-bot demo --steps: the App and a local GitHub on 127.0.0.1 ({REPO})"]
    for k, r in enumerate(results, 1):
        out.append(f"\n{k}. {r.step}\n   {len(r.writes)} writes")
        out.extend(f"     {w}" for w in r.writes)
    out.append("\nThe structure now:")
    for i in structure(snapshot):
        if i["parent"] is not None:
            continue
        out.append(f"#{i['number']} {i['title']} [{i['state']}] labels: {', '.join(i['labels']) or '—'}")
        for sub in i["sub_issues"]:
            s = snapshot["issues"].get(str(sub)) or {}
            blocked = ", ".join(f"#{b}" for b in s.get("blocked_by") or []) or "—"
            out.append(f"  └─ #{sub} {s.get('title')} [{s.get('state')}] blocked by {blocked}; "
                       f"labels: {', '.join(s.get('labels') or []) or '—'}")
    return "\n".join(out)


def run_scenario(path: Path, as_json: bool) -> tuple[str, int]:
    """Load and run a scenario (its own event loop); returns (text to print, exit status)."""
    scenario = load_scenario(path)
    results, snapshot = asyncio.run(run_steps(scenario))
    return render(results, snapshot, as_json), 0
