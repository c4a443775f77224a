"""Where the plan comes from: the newest analysis in an issue's comments (else its body), task frontmatter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.analysis.models import Analysis, Frontmatter
from bot.analysis.reader import read_analysis, read_task
from bot.sync.markers import is_ours


@dataclass(frozen=True)
class Source:
    """The analysis to sync (None when there is none) and the CCPM task frontmatter of the issue body."""

    analysis: Analysis | None
    #: "body", "comment:<id>" or None.
    origin: str | None
    task: Frontmatter | None
    url: str | None = None


def pick_source(body: str, url: str, comments: list[dict[str, Any]]) -> Source:
    """Newest analysis wins: the latest comment holding one (never the bot's own), else the body."""
    task = read_task(body) if body else None
    for comment in reversed(comments):
        if is_ours(comment):
            continue
        text = comment.get("body") or ""
        if not text.strip():
            continue
        analysis = read_analysis(text)
        if analysis is not None:
            return Source(analysis, f"comment:{comment.get('id')}", task, comment.get("html_url"))
    analysis = read_analysis(body) if body.strip() else None
    if analysis is not None:
        return Source(analysis, "body", task, url)
    return Source(None, None, task, None)


def task_numbers(task: Frontmatter | None, field: str) -> list[int]:
    """Issue numbers from the task frontmatter's depends_on / conflicts_with, deduplicated, in order."""
    if task is None:
        return []
    values: list[int] = getattr(task, field)
    return list(dict.fromkeys(int(v) for v in values))
