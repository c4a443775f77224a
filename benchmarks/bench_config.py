"""Reads, writes and rate-limit points per sync with a repository configuration file present.

Run: python3 benchmarks/bench_config.py  (prints figures; not a test)

Each scenario is the seed plan (#4) on a fresh local GitHub: a first sync, then two no-change re-syncs, one
client (its ETag cache makes reads conditional). The scenarios: no file; a file that spells out the defaults
(what the configuration itself costs: the goal is no write more than without one and, in steady state, no
read point); the same file in the owner's `.github` repository only (the fallback); the README's example file
(other labels, a hand-off: different writes by design). `cfg reads` are the contents-API answers of the sync
(200: read, 304: free, 404: no file).
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.github import permissions
from bot.repoconfig import CONFIG_PATH
from bot.repoconfig import github as repoconfig_github
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from bot.sync.labels import LABEL_CACHE
from tests.paths import OPENAPI, ROOT
from tests.test_sync_support import NAME, OWNER, REPO, client, seed_issues

#: Every key at its default value, written out.
DEFAULTS_FILE = """\
labels: {prefix: "", ready: {name: stream:ready}, stream: {name: stream}}
sub_issues: {enabled: true, blocked_by: true, readiness_labels: true, agent_labels: true}
conflict_notes: true
diagram: true
automatic: true
trigger_permission: write
close_plan_when_done: false
handoff: []
"""
EXAMPLE = (ROOT / "bot" / "examples" / "parallel-work-bot.yml").read_text(encoding="utf-8")


async def run(where: str | None, text: str) -> list[tuple[int, int, int, int, str]]:
    """(writes, reads, 304s, points, config reads) of a first sync and two re-syncs."""
    LABEL_CACHE.clear()
    permissions.clear()
    repoconfig_github.clear()
    sb = Sandbox(OPENAPI)
    sb.add_repo(REPO, installation_id=1)
    sb.add_repo(f"{OWNER}/.github", installation_id=1)
    sb.token = sb.issue_token(1)
    seed_issues(sb)
    if where is not None:
        sb.state.push(where, "main", {CONFIG_PATH: text})
    sb.set_permission(REPO, "octocat", "write")
    await sb.start()
    rows = []
    try:
        async with client(sb) as gh:
            for _ in range(3):
                before, seen = sb.accounting(1).as_dict(), len(sb.log)
                await sync_issue(gh, OWNER, NAME, 4)
                after = sb.accounting(1).as_dict()
                cfg = Counter(e.status for e in sb.log[seen:] if "/contents/" in e.path)
                rows.append((*(after[k] - before[k] for k in ("writes", "reads", "not_modified", "points")),
                             " ".join(f"{n}x{s}" for s, n in sorted(cfg.items())) or "-"))
    finally:
        await sb.stop()
    assert not sb.violations, sb.violations
    return rows


async def main() -> None:
    scenarios = [
        ("no file", None, ""),
        ("defaults spelled out", REPO, DEFAULTS_FILE),
        ("owner's .github only", f"{OWNER}/.github", DEFAULTS_FILE),
        ("README example", REPO, EXAMPLE),
    ]
    head = f"{'scenario':<24} {'run':<10} {'writes':>6} {'reads':>6} {'304s':>5} {'points':>7}  cfg reads"
    print(head)
    print("-" * len(head))
    for name, where, text in scenarios:
        for label, (w, r, nm, pts, cfg) in zip(("first", "no-change", "steady"), await run(where, text),
                                               strict=True):
            print(f"{name if label == 'first' else '':<24} {label:<10} {w:>6} {r:>6} {nm:>5} {pts:>7}  {cfg}")
    print()
    print("points: 1 a read answered 200 or 404, 5 a write; 304s are free. A missing file is asked for once")
    print("(the repository's, then the owner's .github), then believed missing for five minutes or until a")
    print("push changes it (plans_to_resync forgets it).")


if __name__ == "__main__":
    asyncio.run(main())
