"""What a push job costs now that the web passes on every push of a markdown file (it cannot read the
repository's `analysis_paths`), and what a push of the configuration file costs (its plans synced again).

Run: python3 benchmarks/bench_push_jobs.py  (prints figures; not a test)

Each scenario: the seed plan (#4) as a comment, synced once; then one push job (run in place, the syncs it
finds too) on a fresh local GitHub with one client (its ETag cache makes reads conditional). Columns: writes,
reads (304s not counted), 304s, rate-limit points, of the job alone; twice in a row when it says `x2`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.conventions import DEFAULT_IDENTITY
from bot.github import permissions
from bot.jobs.handler import perform
from bot.jobs.request import JobRequest
from bot.repoconfig import CONFIG_PATH
from bot.repoconfig import github as repoconfig_github
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from bot.sync.labels import LABEL_CACHE
from tests.paths import OPENAPI
from tests.test_sync_support import NAME, OWNER, REPO, client, seed_issues

RENAMED = "labels:\n  ready: {name: ready-for-agent}\n"


async def run(config: str | None, pushed: dict[str, str | None], times: int = 1) -> list[tuple[int, ...]]:
    LABEL_CACHE.clear()
    permissions.clear()
    repoconfig_github.clear()
    sb = Sandbox(OPENAPI)
    sb.add_repo(REPO, installation_id=1)
    sb.token = sb.issue_token(1)
    seed_issues(sb)
    sb.state.push(REPO, "main", {"README.md": "# project\n", **({CONFIG_PATH: config} if config else {})})
    await sb.start()
    rows = []
    try:
        async with client(sb) as gh:
            await sync_issue(gh, OWNER, NAME, 4)
            for i in range(times):
                before_sha = sb.state.head(REPO, "main")
                files = {k: (v if v is None else v + "\n" * i) for k, v in pushed.items()}
                after_sha = sb.state.push(REPO, "main", files, message="push")
                request = JobRequest(kind="push", installation_id=1, owner=OWNER, repo=NAME, number=0,
                                     ref=after_sha, before=before_sha, paths=sorted(pushed))
                before = sb.accounting(1).as_dict()
                await perform(gh, request, me=DEFAULT_IDENTITY)
                after = sb.accounting(1).as_dict()
                keys = ("writes", "reads", "not_modified", "points")
                rows.append(tuple(after[k] - before[k] for k in keys))
    finally:
        await sb.stop()
    assert not sb.violations, sb.violations
    return rows


async def main() -> None:
    scenarios = [
        ("README.md pushed, no config file", None, {"README.md": "# changed"}, 2),
        ("README.md pushed, config file", "diagram: true\n", {"README.md": "# changed"}, 2),
        ("config file pushed (labels renamed)", None, {CONFIG_PATH: RENAMED}, 1),
        ("config file pushed again, same text", RENAMED, {CONFIG_PATH: RENAMED}, 1),
    ]
    print(f"{'scenario':40} {'run':>4} {'writes':>7} {'reads':>6} {'304s':>5} {'points':>7}")
    for name, config, pushed, times in scenarios:
        for i, row in enumerate(await run(config, pushed, times), 1):
            cells = " ".join(f"{v:>{w}}" for v, w in zip(row, (7, 6, 5, 7), strict=True))
            print(f"{name:40} {i:>4} {cells}")


if __name__ == "__main__":
    asyncio.run(main())
