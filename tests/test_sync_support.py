"""Shared helpers of the sync tests (no tests here): a client for the local GitHub and the seed scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.github.client import GitHubClient
from bot.github.graphql import forget_hosts
from bot.github.retry import RetryPolicy
from bot.sandbox import Sandbox
from bot.sync.labels import LABEL_CACHE
from tests.paths import SEED

REPO = "octo/sandbox"
OWNER, NAME = REPO.split("/")
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0.0)


@asynccontextmanager
async def client(sb: Sandbox, token: str | None = None) -> AsyncIterator[GitHubClient]:
    """The bot's GitHub client against the local GitHub: conditional reads on, quick retries."""
    async with aiohttp.ClientSession() as session:
        # The client's default cache (its own ETag LRU) makes every read conditional.
        yield GitHubClient(session, base_url=sb.base_url, oauth_token=token or sb.token, policy=FAST)


def seed_issues(sb: Sandbox, repo: str = REPO, *, analysis: str | None = None, in_body: bool = False) -> None:
    """Issues #1..#5 as in the seed's project: the analysis of #4 in a comment (or its body); #5 exists."""
    text = SEED.read_text() if analysis is None else analysis
    sb.set_permission(repo, "octocat", "write")  # the plan's author is a maintainer: only trusted text counts
    for n in range(1, 6):
        title = {4: "Configure Convex Backend", 5: "Clerk integration"}.get(n, f"Issue {n}")
        body = text if (n == 4 and in_body) else f"Body of issue {n}."
        sb.create_issue(repo, title, body)
    if not in_body:
        sb.create_comment(repo, 4, text)


def writes(sb: Sandbox, installation: int = 1) -> int:
    """Writes the installation has made so far (the local GitHub's own accounting)."""
    return sb.accounting(installation).writes


def issue(snap: dict[str, Any], number: int) -> dict[str, Any]:
    """One issue of a snapshot."""
    result: dict[str, Any] = snap["issues"][str(number)]
    return result


def forget_labels() -> None:
    """Every test starts a fresh local GitHub (ports get reused): forget which labels exist, and what was
    learnt about the host's GraphQL."""
    LABEL_CACHE.clear()
    forget_hosts()


def edited_seed() -> str:
    """The seed with stream D removed, a stream E depending on B added, and C's hours changed to 3."""
    text = SEED.read_text()
    start, end = text.index("### Stream D"), text.index("## Coordination Points")
    stream_e = (
        "### Stream E: Provider Tests\n"
        "**Scope**: Test the providers wrapper\n"
        "**Files**:\n- `src/app/providers.test.tsx`\n"
        "**Agent Type**: backend-specialist\n"
        "**Can Start**: after Stream B\n"
        "**Estimated Hours**: 1.0\n"
        "**Dependencies**: Stream B\n\n"
    )
    text = text[:start] + stream_e + text[end:]
    c_start = text.index("### Stream C")
    c_end = text.index("### Stream E")
    block = text[c_start:c_end].replace("**Estimated Hours**: 1.0", "**Estimated Hours**: 3.0")
    return text[:c_start] + block + text[c_end:]


def cyclic_seed() -> str:
    """The seed with A depending on D: a cycle A -> D -> A, an error."""
    text = SEED.read_text()
    a_start, b_start = text.index("### Stream A"), text.index("### Stream B")
    block = text[a_start:b_start].replace("**Dependencies**: none", "**Dependencies**: Stream D")
    return text[:a_start] + block + text[b_start:]


async def as_person(sb: Sandbox, method: str, path: str, data: dict[str, Any], login: str = "octocat") -> Any:
    """A write by a person (a user token with write permission), e.g. closing a sub-issue by hand."""
    sb.set_permission(REPO, login, "write")
    token = sb.user_token(login)
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient(session, base_url=sb.base_url, oauth_token=token, policy=FAST)
        if method == "PATCH":
            return await gh.patch(path, data=data)
        if method == "DELETE":
            return await gh.delete(path)
        return await gh.post(path, data=data)


def generated_plan(streams: int, issue_number: int = 1, *, agents: int = 3, files_per_stream: int = 2) -> str:
    """A plan of `streams` streams numbered 1..n; stream k > 1 depends on stream k // 2 (n - 1 edges)."""
    lines = [
        "---",
        f"issue: {issue_number}",
        "title: Generated plan",
        "---",
        "",
        f"# Parallel Work Analysis: Issue #{issue_number}",
        "",
        "## Parallel Streams",
        "",
    ]
    for k in range(1, streams + 1):
        lines += [
            f"### Stream {k}: Part {k}",
            f"**Scope**: Build part {k}",
            "**Files**:",
            *[f"- `src/part{k}/file{j}.ts`" for j in range(files_per_stream)],
            f"**Agent Type**: agent-{k % agents}",
            "**Can Start**: " + ("immediately" if k == 1 else f"after Stream {k // 2}"),
            "**Estimated Hours**: 1.0",
            "**Dependencies**: " + ("none" if k == 1 else f"Stream {k // 2}"),
            "",
        ]
    return "\n".join(lines)
