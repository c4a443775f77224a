"""What a document is: a parallel work analysis, or (and then which) one of CCPM's other documents.

CCPM repositories hold many documents that mention streams without being analyses: stream progress files,
progress and status files, completion summaries, epics, task files, execution-status files. Posted as a
comment they must never replace a plan, so the reader asks this module first. The rule, in order:

1. frontmatter `analyzed` or `parallelization_factor` (only CCPM's issue-analyze writes them): an analysis;
2. frontmatter of a status file or an epic (`started`, `stream` with `agent`, `prd`): not one;
3. a title (the first `#` heading, else the first heading unless it is a stream's) naming progress, a status,
   completion, a summary or a log, or a `#` title naming a single stream: not one;
4. a title calling the text an analysis: an analysis;
5. a title naming an epic or a task, or frontmatter of a task (`depends_on`, `name` with `github`/`status`),
   a completion (`completed`) or progress (`last_sync`, `completion`): not one;
6. a section heading reporting streams' status or completion ("Parallel Streams Status"): not one;
7. anything else is left to the reader's own test (stream headings with fields, or frontmatter).

Every regex here is anchored or bounded, with no nested quantifiers: linear on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.analysis.locate import (
    ANALYSIS_TITLE,
    HEADING_STARTS,
    code_mask,
    heading,
    heading_text,
    stream_heading,
)

__all__ = ["Kind", "classify", "frontmatter_keys"]

_KEY = re.compile(r"^([A-Za-z_][\w-]{0,60})[ \t]*+:")
_ONE_STREAM = re.compile(r"(?<![\w])(?:(?i:stream)[ \t]++|流[ \t]*+)([A-Z]{1,2}|\d{1,4})(?![\w])")
_STREAM_ONLY = re.compile(r"^(?:stream|流)[ \t]*+[:：\-–—]", re.IGNORECASE)
#: (pattern, what) for titles that say what they are, whatever else they say ("Analysis Summary").
_TITLE_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"execution\s++status|执行状态", re.IGNORECASE), "a CCPM execution status file"),
    (re.compile(r"\bprogress\b|进度|进展", re.IGNORECASE), "a progress report"),
    (
        re.compile(r"\bcompleted?\b|\bcompletion\s++(?:summary|report)|完成", re.IGNORECASE),
        "a completion summary",
    ),
    (re.compile(r"\bstatus\b|状态", re.IGNORECASE), "a status report"),
    (re.compile(r"\bsummary\b|总结|摘要", re.IGNORECASE), "a summary"),
    (re.compile(r"\b(?:daily|work)\s++log\b|日志", re.IGNORECASE), "a daily log"),
)
_EPIC = re.compile(r"\bepic\b|史诗", re.IGNORECASE)
_TASK = re.compile(r"^(?:task\b|任务)", re.IGNORECASE)
#: Section headings of a report on streams, never of a plan for them.
_REPORT_SECTION = re.compile(
    r"\bstreams?\s++(?:status|completed|progress)\b|\bcompleted\s++streams\b|流状态|流进度", re.IGNORECASE
)
_MAX_FRONTMATTER = 500  # lines; frontmatter_end stops at the same bound
_MAX_HEADINGS = 5000


@dataclass(frozen=True)
class Kind:
    """The verdict on one document: `analysis` True (it is one), False (it is `what`), None (undecided)."""

    analysis: bool | None
    #: What it looks like, when not an analysis ("a CCPM stream progress file").
    what: str | None = None
    #: The evidence, short ("its frontmatter has stream, agent, started").
    because: str = ""

    @property
    def reason(self) -> str:
        """One line for a person: what the document looks like and why (for a document that is not a plan)."""
        if self.analysis is False:
            return f"this looks like {self.what} ({self.because}), not a parallel work analysis"
        return "a parallel work analysis" if self.analysis else "no parallel work analysis found"


def frontmatter_keys(lines: list[str]) -> set[str]:
    """The top-level keys of the frontmatter `lines` open with (lower-cased), or an empty set."""
    return _frontmatter(lines)[0]


def _frontmatter(lines: list[str]) -> tuple[set[str], int]:
    """The top-level keys of the frontmatter and the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        return set(), 0
    keys: set[str] = set()
    for j in range(1, min(len(lines), _MAX_FRONTMATTER)):
        if lines[j].strip() in ("---", "..."):
            return keys, j + 1
        m = _KEY.match(lines[j])
        if m:
            keys.add(m.group(1).lower())
    return set(), 0  # never closed: not frontmatter


def _headings(lines: list[str]) -> list[tuple[int, str]]:
    mask = code_mask(lines)
    out: list[tuple[int, str]] = []
    for i in [k for k, line in enumerate(lines) if line.startswith(HEADING_STARTS)]:
        h = None if mask[i] else heading(lines[i])
        if h:
            out.append((h[0], heading_text(h[1])))
            if len(out) >= _MAX_HEADINGS:
                break
    return out


def _by_frontmatter(keys: set[str]) -> Kind | None:
    def has(*names: str) -> list[str]:
        return [k for k in names if k in keys]

    if "started" in keys:
        if "stream" in keys:
            return Kind(False, "a CCPM stream progress file", "its frontmatter has " + ", ".join(
                has("stream", "agent", "started", "status")))
        if has("branch", "worktree"):
            return Kind(False, "a CCPM execution status file", "its frontmatter has " + ", ".join(
                has("started", "branch", "worktree")))
        if has("last_sync", "completion"):
            return Kind(False, "a CCPM progress file", "its frontmatter has " + ", ".join(
                has("started", "last_sync", "completion")))
        return Kind(False, "a work status file", "its frontmatter has started")
    if "stream" in keys and "agent" in keys:
        return Kind(False, "a CCPM stream progress file", "its frontmatter has stream, agent")
    if "prd" in keys:
        return Kind(False, "an epic", "its frontmatter has prd")
    return None


def _by_weak_frontmatter(keys: set[str]) -> Kind | None:
    """Keys that other documents carry too (a task file has last_sync): asked only after the title."""
    if "depends_on" in keys or ("name" in keys and keys & {"github", "status"}):
        return Kind(False, "a task file", "its frontmatter has " + ", ".join(
            k for k in ("name", "status", "github", "depends_on") if k in keys))
    if "completed" in keys:
        return Kind(False, "a completion summary", "its frontmatter has completed")
    if keys & {"last_sync", "completion"}:
        return Kind(False, "a CCPM progress file", "its frontmatter has " + ", ".join(
            k for k in ("last_sync", "completion") if k in keys))
    return None


def _by_title(title: str, single: bool) -> Kind | None:
    ids = {m.group(1).upper() for m in _ONE_STREAM.finditer(title[:500])}
    if single and (len(ids) == 1 or _STREAM_ONLY.match(title)):
        return Kind(False, "a CCPM stream progress file", "its title names a single stream")
    for rx, what in _TITLE_KINDS:
        m = rx.search(title[:500])
        if m:
            return Kind(False, what, f"its title says {m.group(0).strip()!r}")
    return None


def classify(
    lines: list[str], headings: list[tuple[int, str]] | None = None, keys: set[str] | None = None
) -> Kind:
    """What the document in `lines` is, from its frontmatter keys, its title and its section headings.

    `headings`: the (level, text) of every heading after the frontmatter, outside code, when the caller
    already has them (the reader's outline); with them, `keys`: frontmatter_keys(lines), if it has those.
    """
    keyset, start = (keys, 0) if keys is not None and headings is not None else _frontmatter(lines)
    if keyset & {"analyzed", "parallelization_factor"}:
        return Kind(True, because="its frontmatter has analyzed or parallelization_factor")
    found = _by_frontmatter(keyset)
    if found is not None:
        return found
    heads = _headings(lines[start:]) if headings is None else headings[:_MAX_HEADINGS]
    h1 = next((t for level, t in heads if level == 1), None)
    # Without a `#` title the first heading says what the text is, unless it is a stream's own heading
    # (a bare plan comment opens with "### Stream A: ..."): one stream names a document only as its title.
    title = h1 if h1 is not None else next((t for _l, t in heads[:1] if not stream_heading(t)), "")
    if title:
        found = _by_title(title, single=h1 is not None)
        if found is not None:
            return found
        if ANALYSIS_TITLE.search(title[:500]):
            return Kind(True, because="its title calls it an analysis")
        if _EPIC.search(title[:500]):
            return Kind(False, "an epic", "its title names an epic")
        if _TASK.match(title):
            return Kind(False, "a task file", "its title names a task")
    found = _by_weak_frontmatter(keyset)
    if found is not None:
        return found
    for _level, text in heads:
        m = _REPORT_SECTION.search(text[:500])
        if m:
            return Kind(False, "a status report", f"its section {text[:60]!r} reports on streams")
    return Kind(None)
