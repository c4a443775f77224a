"""The demo: the App and a local GitHub in one process on loopback, a plan posted through a signed webhook."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp

from bot.analysis.reader import read_analysis
from bot.app.server import BotServer
from bot.config import given_settings
from bot.metrics import Metrics
from bot.sandbox import Sandbox
from bot.sandbox.auth import generate_keys
from bot.sandbox.delivery import dumps, webhook_headers
from bot.sandbox.description import packaged_openapi
from bot.sandbox.payloads import INSTALLATION_ID, issue_comment_payload

REPO = "octo/sandbox"
APP_ID = 1
#: The person who posts the plan: an admin of the sandbox repository.
AUTHOR = "octocat"
#: The number the planned issue gets when the plan names none (issues 1–3 exist before it, as in the seed's
#: repository); a plan naming its issue (frontmatter `issue`, or "Issue #N" in its title) is posted there.
PLAN_ISSUE = 4
#: The highest issue number the demo makes filler issues up to, for a plan naming a large number.
MAX_PLAN_ISSUE = 200

log = logging.getLogger("bot.cli.demo")


def bundled_plan() -> str:
    """The seed analysis shipped with the package (bot/examples/4-analysis.md)."""
    return resources.files("bot").joinpath("examples/4-analysis.md").read_text(encoding="utf-8")


def default_openapi() -> Path | None:
    """GitHub's OpenAPI subset for the contract check: the copy packaged with the local GitHub."""
    subset = packaged_openapi()
    return subset if subset.is_file() else None


@dataclass
class Delivery:
    """One POST of the webhook and what came back."""

    delivery_id: str
    status: int
    outcome: str
    ack_seconds: float
    job_seconds: float = 0.0
    requests: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoResult:
    """Everything the demo shows: the deliveries, the repository afterwards, and the request counts."""

    payload: dict[str, Any]
    first: Delivery
    duplicate: Delivery
    again: Delivery
    snapshot: dict[str, Any]
    contract_checked: bool
    violations: list[str]
    bot_login: str
    #: The issue the plan was posted on.
    plan_issue: int = PLAN_ISSUE


def _counts(sandbox: Sandbox) -> dict[str, int]:
    acct = sandbox.accounting(INSTALLATION_ID)
    return {"writes": acct.writes, "reads": acct.reads, "not_modified": acct.not_modified}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


async def _deliver(
    http: aiohttp.ClientSession, server: BotServer, sandbox: Sandbox, body: bytes, delivery_id: str,
    secret: str,
) -> Delivery:
    before = _counts(sandbox)
    started = time.perf_counter()
    async with http.post(server.webhook_url, data=body,
                         headers=webhook_headers("issue_comment", delivery_id, body, secret)) as resp:
        answer = await resp.json()
        status = resp.status
    acked = time.perf_counter()
    await server.queue.wait_idle(limit=120)
    done = time.perf_counter()
    return Delivery(delivery_id, status, str(answer.get("outcome")), acked - started, done - acked,
                    _delta(_counts(sandbox), before))


async def run_demo(plan: str, *, openapi: Path | None = None) -> DemoResult:
    """Start the local GitHub and the App, post `plan` on its issue through a signed webhook, redeliver."""
    private_pem, public_pem = generate_keys()
    sandbox = Sandbox(openapi, app_id=APP_ID, public_key_pem=public_pem,
                      validate_responses=openapi is not None)
    sandbox.add_repo(REPO, installation_id=INSTALLATION_ID)
    sandbox.set_permission(REPO, AUTHOR, "admin")
    await sandbox.start()
    server: BotServer | None = None
    try:
        analysis = read_analysis(plan)
        title = (analysis.title if analysis and analysis.title else None) or "Parallel work plan"
        named = analysis.names_issue if analysis is not None else None
        target = named if named is not None and 1 <= named <= MAX_PLAN_ISSUE else PLAN_ISSUE
        seed_titles = ["Epic: real-time media app", "Set up the Next.js app", "Design the data model"]
        for k in range(1, target):
            seed_title = seed_titles[k - 1] if k <= len(seed_titles) else f"Earlier work {k}"
            sandbox.create_issue(REPO, seed_title, body="Earlier work in this repository.", user=AUTHOR)
        planned = sandbox.create_issue(REPO, title, body="The plan is in the comments.", user=AUTHOR)
        sandbox.create_issue(REPO, "Integrate Clerk authentication",
                             body="Sign-in with Clerk; its webhooks need HTTP actions.", user=AUTHOR)
        assert planned["number"] == target, planned["number"]
        secret = secrets.token_hex(20)
        settings = given_settings(
            github_app_id=APP_ID, github_private_key=private_pem, github_webhook_secret=secret,
            github_api_url=sandbox.base_url, write_pacing=0, local_mode=False, database_url=None,
            webhook_path="/webhook", bot_login=sandbox.bot_login,
        )
        server = BotServer(settings, metrics=Metrics(), poll_interval=0.02)
        await server.start("127.0.0.1", 0)
        comment = sandbox.create_comment(REPO, target, plan, user=AUTHOR)
        payload = issue_comment_payload(sandbox, REPO, comment)
        body = dumps(payload)
        async with aiohttp.ClientSession() as http:
            delivery_id = str(uuid.uuid4())
            first = await _deliver(http, server, sandbox, body, delivery_id, secret)
            duplicate = await _deliver(http, server, sandbox, body, delivery_id, secret)
            again = await _deliver(http, server, sandbox, body, str(uuid.uuid4()), secret)
        snapshot = sandbox.snapshot(REPO)
        return DemoResult(payload, first, duplicate, again, snapshot, openapi is not None,
                          list(sandbox.violations), sandbox.bot_login, target)
    finally:
        if server is not None:
            await server.stop()
        await sandbox.stop()


# ---- what the user sees -------------------------------------------------------------------------------

def _issues(result: DemoResult) -> list[dict[str, Any]]:
    issues: dict[str, dict[str, Any]] = result.snapshot["issues"]
    return [issues[k] for k in sorted(issues, key=int)]


def to_json(result: DemoResult) -> dict[str, Any]:
    """The `--json` shape: every issue of the sandbox repository, and the request counts of both runs."""
    return {
        "repository": REPO,
        "issues": [
            {
                "number": i["number"], "title": i["title"], "body": i["body"], "state": i["state"],
                "labels": list(i["labels"]),
                "parent": i["parent"], "sub_issues": list(i["sub_issues"]),
                "blocked_by": list(i["blocked_by"]),
                "comments": [{"user": c["user"], "body": c["body"]} for c in i["comments"]],
            }
            for i in _issues(result)
        ],
        "requests": {"first": result.first.requests, "redelivery": result.again.requests},
        "deliveries": {
            "first": {"status": result.first.status, "outcome": result.first.outcome},
            "same_delivery_id": {"status": result.duplicate.status, "outcome": result.duplicate.outcome},
            "new_delivery_id": {"status": result.again.status, "outcome": result.again.outcome},
        },
        "contract_checked": result.contract_checked,
        "contract_violations": result.violations,
    }


def readiness(issue: dict[str, Any], by_number: dict[int, dict[str, Any]]) -> str:
    """closed, ready (every blocker closed), or what it waits for."""
    if issue["state"] == "closed":
        return "closed" + (f" ({issue['state_reason']})" if issue.get("state_reason") else "")
    waiting = [b for b in issue["blocked_by"] if not isinstance(b, int) or by_number[b]["state"] != "closed"]
    if not waiting:
        return "ready"
    return "waiting on " + ", ".join(f"#{b}" for b in waiting)


def render_text(result: DemoResult) -> str:
    """What a user would see on GitHub, as text."""
    issues = _issues(result)
    by_number = {int(i["number"]): i for i in issues}
    plan_number = result.plan_issue
    plan = by_number[plan_number]
    out: list[str] = []
    rule = "─" * 78

    def section(title: str) -> None:
        out.extend(["", f"── {title} " + "─" * max(0, 74 - len(title))])

    out.append("parallel-work-bot demo — the App and a local GitHub on 127.0.0.1; nothing leaves this host.")
    out.append(f"Repository {REPO}: issues #1–#{max(by_number)}; {AUTHOR} posted the plan as a comment on "
               f"#{plan_number}, and GitHub delivered a signed issue_comment webhook.")
    f = result.first
    out.append(f"  delivery {f.delivery_id}: HTTP {f.status} {f.outcome} in {f.ack_seconds * 1000:.1f} ms; "
               f"the job finished {f.job_seconds:.2f} s later")
    summary = next((c for c in plan["comments"] if c["user"] == result.bot_login
                    and "parallel-work-bot:summary" in (c["body"] or "")), None)
    section(f"Summary comment on #{plan_number} (by {result.bot_login})")
    out.append(summary["body"].rstrip() if summary else "(no summary comment was written)")
    section(f"Issue #{plan_number} · {plan['title']}")
    out.append("labels: " + (", ".join(plan["labels"]) or "—"))
    out.append(f"#{plan_number} {plan['title']}")
    subs = plan["sub_issues"]
    for k, number in enumerate(subs):
        sub = by_number.get(number) if isinstance(number, int) else None
        last = k == len(subs) - 1
        branch, cont = ("└─", "   ") if last else ("├─", "│  ")
        if sub is None:
            out.append(f"{branch} {number}")
            continue
        out.append(f"{branch} #{number} {sub['title']}  [{readiness(sub, by_number)}]")
        blocked = ", ".join(f"#{b}" for b in sub["blocked_by"]) or "—"
        out.append(f"{cont}   blocked by: {blocked}   labels: {', '.join(sub['labels']) or '—'}")
    if not subs:
        out.append("   (no sub-issues)")
    for other in issues:
        if other["number"] == plan_number or other["parent"] is not None:
            continue
        notes = [c for c in other["comments"] if c["user"] == result.bot_login]
        if not other["labels"] and not notes:
            continue
        section(f"Issue #{other['number']} · {other['title']}")
        out.append("labels: " + (", ".join(other["labels"]) or "—"))
        for note in notes:
            out.append(f"comment by {note['user']}:")
            out.extend("  " + line for line in (note["body"] or "").rstrip().splitlines())
    section("GitHub requests made by the App (this installation)")
    r = f.requests
    out.append(f"first delivery:             {r['writes']} writes, {r['reads']} reads, "
               f"{r['not_modified']} not modified (304)")
    d = result.duplicate
    out.append(f"same delivery id again:     HTTP {d.status} {d.outcome}: {d.requests['writes']} writes, "
               f"{d.requests['reads']} reads")
    a = result.again
    out.append(f"same event, new delivery:   HTTP {a.status} {a.outcome}: {a.requests['writes']} writes, "
               f"{a.requests['reads']} reads, {a.requests['not_modified']} not modified (304)")
    if result.contract_checked:
        out.append("contract check (GitHub's OpenAPI description): "
                   + ("every request and response conformed" if not result.violations
                      else f"{len(result.violations)} violation(s)"))
        out.extend("  " + v for v in result.violations)
    else:
        out.append("contract check: off (GitHub's OpenAPI description not found; pass --openapi PATH)")
    out.append(rule)
    return "\n".join(out)


def run_and_render(plan: str, openapi: Path | None, as_json: bool) -> tuple[str, int]:
    """Run the demo (its own event loop); returns (text to print, exit status)."""
    result = asyncio.run(run_demo(plan, openapi=openapi))
    text = json.dumps(to_json(result), indent=2, ensure_ascii=False) if as_json else render_text(result)
    ok = (result.first.status == 202 and result.duplicate.outcome == "duplicate"
          and result.again.requests.get("writes") == 0 and not result.violations)
    return text, 0 if ok else 1
