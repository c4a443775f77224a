"""Finding the analysis inside a text: whole, after prose, in a ```markdown fence or a <details> block."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(?P<f>`{3,}+|~{3,}+)[ \t]*+(?P<info>[^`\s]*+)[^`]*+$")
_MD_INFO = {"markdown", "md", "gfm", "mdx"}
#: How a line that can be an ATX heading starts (a cheaper first test than the pattern below).
HEADING_STARTS = ("#", " #", "  #", "   #")
# Linear on any line: the closing `#`s and spaces are removed in Python, not by backtracking.
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
# A heading whose text (bold and leading symbols dropped) starts with Stream + id, or 流A / 工作流 A.
_STREAM_HEADING = re.compile(
    r"^(?:work\s*)?stream\s+(?P<id>[A-Z]{1,2}(?![A-Za-z0-9])|[a-z]{1,2}(?=\s*(?:[:\-–—.)(]|$))|\d+(?![A-Za-z0-9]))"
    r"|^(?:工作流|流)\s*(?P<cid>[A-Za-z]{1,2}(?![A-Za-z])|\d+(?!\d))",
    re.IGNORECASE,
)
#: The first characters a _STREAM_HEADING match can have (ignoring case, "s" matches "ſ" too).
_STREAM_FIRST = "sSwW流工ſ"
_LEAD_JUNK = re.compile(r"^[\W_]+", re.UNICODE)
_DETAILS_OPEN = re.compile(r"<details\b[^<>]{0,500}>", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_SUMMARY = re.compile(
    r"<summary\b[^<>]{0,500}>[^<]{0,2000}(?:<(?!/summary)[^<]{0,2000}){0,20}</summary\s*>", re.IGNORECASE
)
ANALYSIS_TITLE = re.compile(r"analy[sz]|分析|parallel|并行", re.IGNORECASE)


_MAX_CANDIDATES = 20  # fences / details blocks tried; keeps hostile inputs linear
#: Lines of candidate bodies examined per level, as a multiple of the text's lines (nested fences overlap).
_CANDIDATE_WORK = 3


@dataclass(frozen=True)
class Located:
    """The analysis text (\\n line endings) and the 0-based input line it starts on."""

    lines: list[str]
    offset: int
    #: code_mask(lines), when the locator worked it out on the way (the reader then need not again).
    mask: list[bool] | None = None


def split_lines(text: str) -> list[str]:
    """Lines of `text` with CRLF, CR and LF all ending a line (so line numbers match editors)."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is not content
    if "\r" in text:  # (most texts have LF endings alone: no replacing then)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def heading(line: str) -> tuple[int, str] | None:
    """(level, raw text) when `line` is an ATX heading, without its closing `#`s."""
    if not line.startswith(HEADING_STARTS):
        return None
    m = _HEADING.match(line)
    if not m:
        return None
    text = (m.group(2) or "").strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip()
    return len(m.group(1)), text


def heading_text(raw: str) -> str:
    """Heading text without bold markers and leading emoji/symbols/spaces."""
    text = raw.replace("**", "").replace("__", "").strip() if "*" in raw or "_" in raw else raw.strip()
    if text[:1].isalnum():
        return text  # starts with a word character (alphanumeric, as `\w` is, or `_`): no junk to drop
    return _LEAD_JUNK.sub("", text).strip()


def stream_heading(text: str) -> re.Match[str] | None:
    """The stream a heading's text names ("Stream A: ...", "流A"): groups `id` or `cid`; None for another."""
    if text[:1] not in _STREAM_FIRST:
        return None  # (the pattern is tried only on a text starting as a match can)
    return _STREAM_HEADING.match(text)


def is_stream_heading(line: str) -> bool:
    """True when `line` is a markdown heading naming a stream ("### Stream A: ...")."""
    h = heading(line)
    return bool(h and stream_heading(heading_text(h[1])))


_TABLE_HEADER = re.compile(
    r"^[ \t]*+(?:\|[ \t]*+)?(?:\*\*)?(?:work\s*+)?(?:streams?|工作流|流)(?:\*\*)?[ \t]*+\|", re.IGNORECASE
)


def is_stream_start(line: str) -> bool:
    """A stream heading, or the header row of a table whose first column is Stream."""
    return is_stream_heading(line) or ("|" in line and bool(_TABLE_HEADER.match(line)))


def code_mask(lines: list[str]) -> list[bool]:
    """For each line, whether it is inside (or delimits) a fenced code block."""
    mask = [False] * len(lines)
    # Only a line with a backtick or a tilde can open (one in its first four characters) or close a fence.
    marked = [i for i, line in enumerate(lines) if "`" in line or "~" in line]
    fence: str | None = None
    opened = 0
    for i in marked:
        line = lines[i]
        if fence is None:
            head = line[:4].lstrip()
            m = _FENCE.match(line) if head[:1] in ("`", "~") else None
            if m:
                fence = m.group("f")
                opened = i
        else:
            stripped = line.strip()
            if (
                stripped
                and stripped[0] == fence[0]
                and set(stripped) == {fence[0]}
                and len(stripped) >= len(fence)
            ):
                mask[opened : i + 1] = [True] * (i + 1 - opened)
                fence = None
    if fence is not None:
        mask[opened:] = [True] * (len(lines) - opened)
    return mask


_FIRST_KEY = re.compile(r"^[\w\-]+\s*:")


def _has_frontmatter(lines: list[str], start: int) -> bool:
    if start >= len(lines) or lines[start].strip() != "---":
        return False
    for j in range(start + 1, min(len(lines), start + 200)):
        if lines[j].strip() in ("---", "..."):
            return j > start + 1 and bool(_FIRST_KEY.match(lines[start + 1]))
    return False


def _looks_like_analysis(lines: list[str]) -> bool:
    mask = code_mask(lines)
    first = next((i for i, s in enumerate(lines) if s.strip()), None)
    if first is not None and _has_frontmatter(lines, first):
        return True
    if any(
        (line.startswith(HEADING_STARTS) or "|" in line) and not mask[i] and is_stream_start(line)
        for i, line in enumerate(lines)
    ):
        return True
    return first is not None and _title_line(lines, mask, first) is not None


def _title_line(lines: list[str], mask: list[bool], first: int) -> int | None:
    """A heading near the top that calls the text an analysis ("# Issue #12 Analysis")."""
    for i in range(first, min(len(lines), first + 40)):
        h = heading(lines[i])
        if not mask[i] and h and h[0] <= 2 and ANALYSIS_TITLE.search(h[1]):
            return i
    return None


def _fence_body(lines: list[str], start: int, fence: str) -> tuple[int, int]:
    """(first, end) body lines of the fence opened at `start`, pairing inner bare fences."""
    closers: list[int] = []
    inner: str | None = None
    for j in range(start + 1, len(lines)):
        m = _FENCE.match(lines[j])
        if not m:
            continue
        f, info = m.group("f"), m.group("info")
        if inner is not None:
            if not info and f[0] == inner[0] and len(f) >= len(inner):
                inner = None
            continue
        if info and info.lower() not in _MD_INFO:
            inner = f  # a labelled code block inside: its fences pair with each other
            continue
        if not info and f[0] == fence[0] and len(f) >= len(fence):
            closers.append(j)
    if not closers:
        return start + 1, len(lines)
    # Bare fences pair up inside the block (an unlabeled code block); an odd count means the last closes.
    end = closers[-1] if len(closers) % 2 == 1 else closers[0]
    return start + 1, end


def _details_blocks(lines: list[str], mask: list[bool]) -> list[tuple[int, int]]:
    """(open line, close line) of every outermost <details> block outside code, in one pass."""
    blocks: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for i in [k for k, line in enumerate(lines) if "<" in line]:  # a tag's `<` is in there
        if mask[i]:
            continue
        line = lines[i]
        opens = len(_DETAILS_OPEN.findall(line))
        closes = len(_DETAILS_CLOSE.findall(line))
        if opens and depth == 0:
            start = i
        depth += opens
        if closes and depth > 0:
            depth = max(0, depth - closes)
            if depth == 0 and not (opens and closes and i == start):
                blocks.append((start, i))
    if depth > 0:
        blocks.append((start, len(lines)))
    return blocks


def _details_inner(block: list[str]) -> list[str]:
    """The lines of a <details> block without its tags and <summary> (line count kept, for line numbers)."""
    inner = list(block)
    inner[0] = _DETAILS_OPEN.sub("", inner[0], count=1)
    for k, s in enumerate(inner):
        if re.search(r"<summary\b", s, re.IGNORECASE):
            end_k = next((q for q in range(k, len(inner)) if "</summary" in inner[q].lower()), k)
            if end_k == k:
                inner[k] = _SUMMARY.sub("", inner[k])
            else:
                for q in range(k, end_k + 1):
                    inner[q] = ""
            break
    return inner


_ANALYSIS_KEY = re.compile(r"^(?:issue|title|analyzed|estimated_hours|parallelization_factor|task)\s*:")


def locate(text: str) -> Located | None:
    """Where the analysis is in `text`, or None when no part of it looks like one."""
    return _locate(split_lines(text), 0, depth=0)


def _locate(lines: list[str], offset: int, depth: int) -> Located | None:
    first = next((i for i, s in enumerate(lines) if s.strip()), None)
    if first is None:
        return None
    if _has_frontmatter(lines, first):
        return Located(lines[first:], offset + first)
    mask = code_mask(lines)
    # A stream start is a heading (a `#` in its first four characters) or a table row (a pipe).
    stream_lines = [
        i
        for i, line in enumerate(lines)
        if (line.startswith(HEADING_STARTS) or "|" in line) and not mask[i] and is_stream_start(line)
    ]
    if depth < 4:
        # A ```markdown fence (or ~~~) holding the analysis.
        if not stream_lines:
            openers: list[tuple[int, str]] = []
            # A fence opens within the first four characters, after spaces only.
            for i in [
                k
                for k, line in enumerate(lines)
                if line[:1] in " `~" and ("`" in line[:4] or "~" in line[:4])
            ]:
                m = _FENCE.match(lines[i])
                if m and m.group("info").lower() in _MD_INFO:
                    openers.append((i, m.group("f")))
                    if len(openers) >= _MAX_CANDIDATES:
                        break
            work = _CANDIDATE_WORK * len(lines)
            for i, fence in openers:
                a, b = _fence_body(lines, i, fence)
                work -= len(lines) - i + (b - a)  # the scan for its closer, then the body's tests
                if work < 0:
                    break
                body = lines[a:b]
                if _looks_like_analysis(body):
                    found = _locate(body, offset + a, depth + 1)
                    if found is not None:
                        return found
        # A <details> block holding the analysis (or the first stream heading).
        work = _CANDIDATE_WORK * len(lines)
        for i, close in _details_blocks(lines, mask)[:_MAX_CANDIDATES]:
            if stream_lines and not i < stream_lines[0] < close:
                continue
            work -= close - i
            if work < 0:
                break
            inner = _details_inner(lines[i:close])
            if _looks_like_analysis(inner):
                found = _locate(inner, offset + i, depth + 1)
                if found is not None:
                    return found
    # After prose: a frontmatter block further down, else the title heading above the first stream.
    for i in [k for k in range(first, len(lines)) if "---" in lines[k]]:  # a delimiter holds "---"
        if not mask[i] and lines[i].strip() == "---" and _has_frontmatter(lines, i):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if _ANALYSIS_KEY.match(nxt):
                return Located(lines[i:], offset + i, mask[i:])
    if stream_lines:
        start = first
        for i in range(stream_lines[0] - 1, first - 1, -1):
            h = heading(lines[i])
            if not mask[i] and h and h[0] == 1:
                start = i
                break
        return Located(lines[start:], offset + start, mask[start:])
    # No streams: a document that calls itself an analysis (title) is still one, with a diagnostic.
    title = _title_line(lines, mask, first)
    if title is not None:
        return Located(lines[title:], offset + title, mask[title:])
    return None
