"""Where the plan comes from: a plan file, else the newest analysis in comments (or the body); task links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analysis import diagnostics
from bot.analysis.models import Analysis, Diagnostic, Frontmatter
from bot.analysis.reader import read_analysis, read_task
from bot.conventions import Identity
from bot.github.permissions import WriteCheck
from bot.sync.cpu import cpu_step
from bot.sync.files import PlanFile
from bot.sync.markers import is_ours


@dataclass(frozen=True)
class Source:
    """The analysis to sync (None when there is none) and the CCPM task frontmatter of the issue body."""

    analysis: Analysis | None
    task: Frontmatter | None
    #: Where the analysis came from: the comment's (or the issue's) html_url, for the summary to link.
    url: str | None = None
    #: Newer plans passed over because they name another issue as their own, one note each.
    ignored: list[Diagnostic] = field(default_factory=list)
    #: The repository file the analysis was read from (None: a comment or the body).
    file: PlanFile | None = None


#: Plans for other issues noted in the summary; more are passed over without a word each.
MAX_IGNORED_NOTES = 3




async def is_trusted(item: dict[str, Any], may_write: WriteCheck) -> bool:
    """True when a comment or issue is by someone with write access (OWNER, or the permission API says so)."""
    login = str((item.get("user") or {}).get("login") or "")
    return await may_write(login, item.get("author_association"))


async def pick_source(
    issue: dict[str, Any], comments: list[dict[str, Any]], may_write: WriteCheck, me: Identity,
    files: Sequence[PlanFile] = (),
) -> Source:
    """A plan file for this issue wins (the first analysis file in path order); else the newest trusted
    analysis of this issue: the latest comment with one (not the bot's), else the body.

    Files are trusted (only people with write access put them on the default branch, or the CLI's user
    runs them from a checkout); a task file's frontmatter stands for the body's (CCPM copies one into the
    other). No clock decides, so the App, the CLI and the Action pick the same source for the same files.

    Text by authors without write access is passed over (before it is read), so a stranger's or a reader's
    plan never reaches GitHub structure; `may_write` asks for each candidate author (cached per login). A
    document that is not an analysis (a progress file, a task, an epic: the reader says so) is no candidate,
    and a plan that names another issue as its own is that issue's plan: passed over too, with a note.
    """
    number = issue.get("number")
    body = str(issue.get("body") or "")
    body_trusted = bool(body.strip()) and await is_trusted(issue, may_write)
    task_file = next((f for f in files if f.kind == "task"), None)
    task = read_task(task_file.text) if task_file is not None else read_task(body) if body_trusted else None
    ignored: list[Diagnostic] = []

    def ours(analysis: Analysis | None, where: str) -> bool:
        other = analysis.names_issue if analysis is not None else None
        if other is None or not isinstance(number, int) or other == number:
            return analysis is not None
        if len(ignored) < MAX_IGNORED_NOTES:
            message = f"A plan for #{other} in {where} was ignored: it names #{other}, not #{number}."
            ignored.append(diagnostics.warning("sync-plan-other-issue", message))
        return False

    for file in files:
        if file.kind != "analysis":
            continue
        analysis = await cpu_step(len(file.text), read_analysis, file.text)
        if ours(analysis, f"file {file.path}"):
            return Source(analysis, task, file.url, ignored, file)
    for comment in reversed(comments):
        if is_ours(comment, me):
            continue
        text = comment.get("body") or ""
        if not text.strip() or not await is_trusted(comment, may_write):
            continue
        analysis = await cpu_step(len(text), read_analysis, text)
        if ours(analysis, f"comment {comment.get('id')}"):
            return Source(analysis, task, _url(comment), ignored)
    analysis = await cpu_step(len(body), read_analysis, body) if body_trusted else None
    if ours(analysis, "the issue body"):
        return Source(analysis, task, _url(issue), ignored)
    return Source(None, task, None, ignored)


def _url(item: dict[str, Any]) -> str | None:
    """GitHub's html_url of a comment or issue, when it is a plain http(s) address safe inside a link."""
    url = str(item.get("html_url") or "")
    ok = url.startswith(("https://", "http://")) and not any(c in url for c in " \t\n<>()[]\"'`")
    return url if ok else None


def task_numbers(task: Frontmatter | None, field: str) -> list[int]:
    """Issue numbers from the task frontmatter's depends_on / conflicts_with, deduplicated, in order."""
    if task is None:
        return []
    values: list[int] = getattr(task, field)
    return list(dict.fromkeys(int(v) for v in values))
