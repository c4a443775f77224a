"""Where the plan comes from: the newest analysis in an issue's comments (else its body), task frontmatter."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.analysis.models import Analysis, Frontmatter
from bot.analysis.reader import read_analysis, read_task
from bot.conventions import TRUSTED_ASSOCIATIONS
from bot.sync.markers import is_ours


@dataclass(frozen=True)
class Source:
    """The analysis to sync (None when there is none) and the CCPM task frontmatter of the issue body."""

    analysis: Analysis | None
    task: Frontmatter | None




def is_trusted(item: dict[str, Any], trusted_logins: Collection[str] = ()) -> bool:
    """True when a comment or issue is by someone with write access (or vouched for by the caller)."""
    if str(item.get("author_association") or "").upper() in TRUSTED_ASSOCIATIONS:
        return True
    login = str((item.get("user") or {}).get("login") or "")
    return bool(login) and login.lower() in {t.lower() for t in trusted_logins}


def pick_source(
    issue: dict[str, Any], comments: list[dict[str, Any]], trusted_logins: Collection[str] = ()
) -> Source:
    """Newest trusted analysis wins: the latest comment holding one (never the bot's own), else the body.

    Text by authors without write access is passed over, so a stranger's plan never reaches GitHub structure;
    `trusted_logins` adds people the caller checked with the collaborator-permission API.
    """
    body = str(issue.get("body") or "")
    body_trusted = is_trusted(issue, trusted_logins)
    task = read_task(body) if body and body_trusted else None
    for comment in reversed(comments):
        if is_ours(comment) or not is_trusted(comment, trusted_logins):
            continue
        text = comment.get("body") or ""
        if not text.strip():
            continue
        analysis = read_analysis(text)
        if analysis is not None:
            return Source(analysis, task)
    return Source(read_analysis(body) if body.strip() and body_trusted else None, task)


def task_numbers(task: Frontmatter | None, field: str) -> list[int]:
    """Issue numbers from the task frontmatter's depends_on / conflicts_with, deduplicated, in order."""
    if task is None:
        return []
    values: list[int] = getattr(task, field)
    return list(dict.fromkeys(int(v) for v in values))
