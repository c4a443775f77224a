"""Where the plan comes from: the newest analysis in an issue's comments (else its body), task frontmatter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.analysis.models import Analysis, Frontmatter
from bot.analysis.reader import read_analysis, read_task
from bot.conventions import Identity
from bot.github.permissions import WriteCheck
from bot.sync.markers import is_ours


@dataclass(frozen=True)
class Source:
    """The analysis to sync (None when there is none) and the CCPM task frontmatter of the issue body."""

    analysis: Analysis | None
    task: Frontmatter | None




async def is_trusted(item: dict[str, Any], may_write: WriteCheck) -> bool:
    """True when a comment or issue is by someone with write access (OWNER, or the permission API says so)."""
    login = str((item.get("user") or {}).get("login") or "")
    return await may_write(login, item.get("author_association"))


async def pick_source(
    issue: dict[str, Any], comments: list[dict[str, Any]], may_write: WriteCheck, me: Identity
) -> Source:
    """Newest trusted analysis wins: the latest comment holding one (never the bot's own), else the body.

    Text by authors without write access is passed over (before it is read), so a stranger's or a reader's
    plan never reaches GitHub structure; `may_write` asks for each candidate author (cached per login).
    """
    body = str(issue.get("body") or "")
    body_trusted = bool(body.strip()) and await is_trusted(issue, may_write)
    task = read_task(body) if body_trusted else None
    for comment in reversed(comments):
        if is_ours(comment, me):
            continue
        text = comment.get("body") or ""
        if not text.strip() or not await is_trusted(comment, may_write):
            continue
        analysis = read_analysis(text)
        if analysis is not None:
            return Source(analysis, task)
    return Source(read_analysis(body) if body_trusted else None, task)


def task_numbers(task: Frontmatter | None, field: str) -> list[int]:
    """Issue numbers from the task frontmatter's depends_on / conflicts_with, deduplicated, in order."""
    if task is None:
        return []
    values: list[int] = getattr(task, field)
    return list(dict.fromkeys(int(v) for v in values))
