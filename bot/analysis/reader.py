"""Reading a parallel work analysis (or a CCPM task's frontmatter) from any text into the pydantic models.

The pieces: locate.py finds the analysis in the text, frontmatter.py reads its frontmatter, read_sections.py
its outline and prose sections, read_streams.py (with read_fields.py, deps.py, hours.py) its streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.analysis import diagnostics
from bot.analysis.frontmatter import frontmatter_end, issue_refs, parse_frontmatter, read_task_frontmatter
from bot.analysis.kind import Kind, classify, frontmatter_keys
from bot.analysis.locate import ANALYSIS_TITLE, code_mask, locate, split_lines
from bot.analysis.models import Analysis, Diagnostic, Frontmatter
from bot.analysis.read_sections import Outline
from bot.analysis.read_streams import build_streams, find_streams
from bot.conventions import MARKER_PREFIX

__all__ = ["maybe_analysis", "read_analysis", "read_task", "what_is"]

# Cheap test before any parsing: an analysis names streams (or 流), or calls itself an analysis,
# or opens with frontmatter. Substring tests on the lower-cased text are far cheaper than a regex.
_KEYWORDS = ("stream", "流", "parallelization_factor", "analysis", "analyse", "分析")
_BOT_MARKER = MARKER_PREFIX
_MAX_CHARS = 2_000_000
_H1_ISSUE = re.compile(r"(?:issue|task|任务|#)\s*+#?\s*+(\d+)", re.IGNORECASE)
#: "Issue #362" in a title names the GitHub issue the document is for ("Task 5" is CCPM's local number).
_TITLE_ISSUE = re.compile(r"\bissue\s*+#?\s*+(\d{1,9})(?!\d)", re.IGNORECASE)
_CONFLICTS = [
    re.compile(r"conflicts_with\s*:\s*\[([^\]\n]*)\]", re.IGNORECASE),
    re.compile(
        r"(?<![\w'’])(?:conflicts\s++with|conflicts_with)\s*+:?\s*+((?:(?:issues?\s*+)?#\d++(?:\s*+(?:,|and|&)\s*+)?)+)",
        re.IGNORECASE,
    ),
]
#: A UTF-16 surrogate: JSON may escape half of a pair ("\\ud800") and json.loads keeps it, but no UTF-8 text
#: can hold one (a hash, a log line or a write to GitHub of it would fail).
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEGATED = re.compile(r"(?:\bnot?|n['’]t|\bnever|\bwithout)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)


def valid_text(text: str) -> str:
    """`text` with each surrogate made U+FFFD, the replacement character (offsets and lines are unchanged)."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def maybe_analysis(text: str) -> bool:
    """Cheapest conservative test: False only when the text surely holds no analysis (no parsing at all)."""
    # A keyword written in lower case near the top is in the lower-cased text too: most plans say one there
    # and need no lower-casing (only the top is looked at, so a text without one is not scanned twice).
    head = text[:1000]
    if any(k in head for k in _KEYWORDS):
        return True
    low = text.lower()
    return any(k in low for k in _KEYWORDS) or low.lstrip("\ufeff \t\r\n").startswith("---")


def _conflicts(text: str, folded: bytes) -> list[int]:
    """Issues named by "conflicts with #5" or "conflicts_with: [5]" anywhere, unless negated.

    `folded`: the text as UTF-8 with its ASCII letters lower-cased (Outline.folded).
    """
    out: dict[int, None] = {}  # each once, without scanning a list (issue 10: "#1 … #9500")
    # Both patterns start with "c" then "onfl", and only o, n, f, l (any case) match those ignoring case.
    if b"onfl" not in folded:
        return []
    for rx in _CONFLICTS:
        for m in _matches(rx, text, folded):
            if _NEGATED.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            for n in re.findall(r"\d+", m.group(1)):
                out[int(n)] = None
    return list(out)


def _matches(rx: re.Pattern[str], text: str, folded: bytes) -> Iterator[re.Match[str]]:
    """`rx.finditer(text)` for a pattern whose matches start one character before an "onfl" of `folded`.

    The pattern is tried only there (a case-insensitive scan of every position is slow). A position in
    `folded` counts bytes: the characters before it are counted by decoding the bytes since the last one
    (an "o" is one byte, so each piece ends between characters): one pass over the text in all.
    """
    ascii_only = len(folded) == len(text)
    end = 0
    at = folded.find(b"onfl", 1)
    byte = char = 0
    while at >= 0:
        if ascii_only:
            char = at
        else:
            char += len(folded[byte:at].decode("utf-8", "surrogatepass"))
            byte = at
        if char - 1 >= end:
            m = rx.match(text, char - 1)
            if m is not None:
                yield m
                end = m.end()
        at = folded.find(b"onfl", at + 1)


def _build(text: str) -> Analysis | None:
    diags: list[Diagnostic] = []
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
        message = f"input longer than {_MAX_CHARS} characters; the rest was not read"
        diags.append(diagnostics.warning("input-truncated", message))
    located = locate(text)
    if located is None:
        return None
    lines = located.lines
    base = located.offset  # 0-based input line of lines[0]
    end = frontmatter_end(lines)
    body_start = end + 1 if end is not None else 0
    # Blank out the frontmatter so headings/fields below never see it; indexes stay aligned.
    body = [""] * body_start + lines[body_start:]
    mask = located.mask
    if mask is None or any(mask[:body_start]):
        mask = code_mask(body)  # (a fence opened in the frontmatter is not one once it is blanked)
    else:
        mask = [False] * body_start + mask[body_start:]
    outline = Outline(body, mask, base)
    # The outline's headings are those classify would find after the frontmatter (the same mask there).
    keys = frontmatter_keys(lines)
    if classify(lines, [(level, text) for _i, level, text in outline.heads], keys).analysis is False:
        return None  # a progress file, a task, an epic...: never a plan (what_is says which)
    fm: Frontmatter | None = None
    if end is not None:
        fm, fdiags = parse_frontmatter(lines[1:end], base + 1)
        diags.extend(fdiags)
    raws, dups = find_streams(outline)

    h1 = outline.title()
    issue = fm.issue if fm is not None else None
    if issue is None and h1 is not None:
        m = _H1_ISSUE.search(h1)
        if m:
            issue = int(m.group(1))
    # An analysis declares itself (frontmatter, a title) or describes its streams with fields. A comment
    # that merely has a heading "### Stream A status" must not replace the plan.
    titles = [t for t in (h1, outline.heads[0][2] if outline.heads else None) if t]
    stated = [fm.analyzed, fm.parallelization_factor, fm.estimated_hours] if fm is not None else []
    declared = any(ANALYSIS_TITLE.search(t) for t in titles) or any(v is not None for v in stated)
    described = any(r.fields for r in raws)
    if not (declared or (raws and (described or fm is not None))):
        return None

    streams, stream_diags = build_streams(raws, dups, base)
    diags.extend(stream_diags)
    if not streams:
        diags.append(diagnostics.warning("no-streams", "no `Stream X` headings found", base + 1))
    names_issue = fm.issue if fm is not None and "issue" in keys else None
    if names_issue is None and h1 is not None:
        m = _TITLE_ISSUE.search(h1[:500])
        names_issue = int(m.group(1)) if m else None
    # Capped (bot/analysis/limits.py), and said so: issue 10.
    stated_conflicts = list(fm.conflicts_with) if fm is not None else []
    conflicts, more = issue_refs(stated_conflicts, _conflicts(outline.text(), outline.folded()))
    if more:
        total = len(conflicts) + more
        message = f"the plan names {total} conflicting issues; only the first {len(conflicts)} are read"
        diags.append(diagnostics.warning("issues-capped", message))
    return Analysis(
        issue=issue,
        names_issue=names_issue,
        title=(fm.title if fm is not None else None) or h1,
        frontmatter=fm if fm is not None else Frontmatter(line=base + 1),
        overview=outline.overview(),
        streams=streams,
        coordination=outline.coordination(),
        conflict_risk=outline.conflict_risk(),
        recommended_approach=outline.recommended_approach(),
        timeline=outline.timeline(),
        notes=outline.notes(),
        conflicts_with=conflicts,
        diagnostics=diags,
        source=outline.text() if body_start == 0 else "\n".join(lines),  # (no frontmatter blanked: alike)
        source_line=base + 1,
    )


def read_analysis(text: str) -> Analysis | None:
    """The analysis in `text`, or None when there is none. Never raises: problems become diagnostics."""
    try:
        if not isinstance(text, str) or not maybe_analysis(text):
            return None
        if text.lstrip().startswith(_BOT_MARKER):
            return None  # the bot's own summary or sub-issue text is never a plan to follow
        return _build(valid_text(text))
    except Exception as exc:  # a reader bug must not take the bot down
        message = f"the reader failed: {type(exc).__name__}: {exc}"[:300]
        return Analysis(diagnostics=[diagnostics.error("reader-internal", message)])


def what_is(text: str) -> Kind:
    """What `text` is when read_analysis finds no analysis in it: its kind and a one-line reason."""
    try:
        if not isinstance(text, str):
            return Kind(None)
        text = valid_text(text[:_MAX_CHARS])
        located = locate(text)
        return classify(located.lines if located is not None else split_lines(text))
    except Exception:  # a classifier bug must not take the bot down
        return Kind(None)


def read_task(text: str) -> Frontmatter | None:
    """CCPM task frontmatter at the top of an issue body (depends_on, conflicts_with, parallel), or None."""
    try:
        if not isinstance(text, str) or "---" not in text[:2000]:
            return None
        got = read_task_frontmatter(split_lines(valid_text(text)))
        if got is None:
            return None
        fm, _diags = got
        if not (
            fm.depends_on
            or fm.conflicts_with
            or fm.parallel is not None
            or fm.issue is not None
            or fm.extra
            or fm.title
        ):
            return None
        return fm
    except Exception:
        return None
