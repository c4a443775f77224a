"""One sync per plan across processes: two web and three worker processes, one PostgreSQL, the local GitHub.

A plan edit adding a stream and a close of another stream's sub-issue delivered at the same moment create
that stream's sub-issue once (both jobs are keyed and locked by the plan's issue); a worker frozen mid-job
past the stalled-job timeout (SIGSTOP: its heartbeat stops, its connections stay) has its job re-run by
another worker, which waits on the plan's advisory lock instead of writing beside it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import psycopg

from tests.fixtures.app import _user, real_payload
from tests.fixtures.sandbox import REPO
from tests.test_scale import Cluster, cluster, other_issues, plan  # noqa: F401  (cluster: the fixture)

STREAM_E = """### Stream E: Extra Reports
**Scope**: Build the weekly report pages
**Files**:
- `src/reports/weekly.ts`
**Agent Type**: frontend-specialist
**Can Start**: after Stream A
**Estimated Hours**: 1.0
**Dependencies**: Stream A

## Coordination Points"""


def with_stream_e(rev: int) -> str:
    return plan(rev).replace("## Coordination Points", STREAM_E, 1)


def issue_payload(c: Cluster, action: str, number: int, sender: str) -> dict[str, Any]:
    """GitHub's real issues payload for an issue of the sandbox as it is now."""
    data = real_payload(f"issues.{action}.json")
    data["action"] = action
    issue = c.sandbox.issue_json(REPO, number)
    for key in ("id", "number", "title", "body", "state", "author_association", "url", "html_url", "labels"):
        data["issue"][key] = issue[key]
    data["issue"]["user"] = _user(data["issue"]["user"], issue["user"]["login"], issue["user"]["type"])
    data["sender"] = _user(data["sender"], sender, "User")
    return data


async def set_state(c: Cluster, number: int, state: str) -> None:
    """The maintainer closes or reopens an issue, over HTTP as GitHub's web UI would."""
    async with c.http.patch(
        f"{c.sandbox.base_url}/repos/{REPO}/issues/{number}", json={"state": state},
        headers={"Authorization": f"token {c.user_token}", "Accept": "application/vnd.github+json"},
    ) as resp:
        assert resp.status == 200, await resp.text()


def stream_titles(c: Cluster, parent: int) -> list[str]:
    snap = c.sandbox.snapshot(REPO)["issues"]
    return [snap[str(s)]["title"] for s in snap[str(parent)]["sub_issues"]]


async def test_plan_edit_and_sub_issue_close_at_once_make_one_new_sub_issue(
    cluster: Cluster,  # noqa: F811
) -> None:
    c = cluster
    other_issues(c)
    number = c.sandbox.create_issue(REPO, "the plan")["number"]
    comment = c.sandbox.create_comment(REPO, number, plan(1))
    assert await c.deliver("issue_comment", c.comment_payload("created", comment)) == 202
    await c.idle()
    await c.check_exact(number, 1)
    stream_a = c.sandbox.snapshot(REPO)["issues"][str(number)]["sub_issues"][0]
    # Slow writes widen the window in which two syncs of one plan could interleave.
    c.sandbox.faults.add("slow:method=POST,delay=0.1,times=0")
    edited = await c.edit_comment(comment["id"], with_stream_e(2))
    await set_state(c, stream_a, "closed")
    statuses = await asyncio.gather(
        c.deliver("issue_comment", c.comment_payload("edited", edited, before=plan(1))),
        c.deliver("issues", issue_payload(c, "closed", stream_a, "octocat")),
    )
    assert statuses == [202, 202]
    await c.idle()
    c.sandbox.faults.clear()
    titles = stream_titles(c, number)
    assert len([t for t in titles if "Stream E" in t]) == 1, titles
    assert len(set(titles)) == len(titles), titles
    c.check_no_stray_issues([number])
    c.check_writes_never_overlap()


async def test_a_job_stalled_past_the_timeout_and_re_run_elsewhere_duplicates_nothing(
    cluster: Cluster,  # noqa: F811
) -> None:
    c = cluster
    other_issues(c)
    number = c.sandbox.create_issue(REPO, "the stalled plan")["number"]
    # Slow writes, so that the job is surely mid-sync when its worker freezes.
    c.sandbox.faults.add("slow:method=POST,delay=0.2,times=0")
    comment = c.sandbox.create_comment(REPO, number, plan(1))
    assert await c.deliver("issue_comment", c.comment_payload("created", comment)) == 202
    deadline = time.monotonic() + 30
    victim: tuple[asyncio.subprocess.Process, int] | None = None
    while victim is None:
        assert time.monotonic() < deadline, "no job started"
        with psycopg.connect(c.dsn) as conn:
            running = {r[0] for r in conn.execute(
                "SELECT worker_id FROM procrastinate_jobs WHERE status = 'doing'").fetchall()}
        victim = next(((p, w) for p, w in c.workers if w in running), None)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let it write part of the structure
    proc, worker_id = victim
    # Frozen, not dead: no heartbeat, but its connections (and the plan's advisory lock) stay open.
    proc.send_signal(signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 30
        while True:  # the stalled-job reaper of another worker hands the job to another worker
            assert time.monotonic() < deadline, "the stalled job was not re-run"
            with psycopg.connect(c.dsn) as conn:
                rerun = conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' AND worker_id <> %s",
                    (worker_id,)).fetchone()
            if rerun and rerun[0]:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the re-run, if it could, would be writing now
    finally:
        proc.send_signal(signal.SIGCONT)
    await c.idle(90)
    c.sandbox.faults.clear()
    await c.check_exact(number, 1)
    c.check_no_stray_issues([number])
