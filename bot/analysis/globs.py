"""Path patterns as analyses write them: normalising, matching and deciding whether two patterns overlap.

Only `*` (within one path segment), `**` (any depth) and `?` are glob characters. Brackets and braces are
literal: analyses name Next.js routes such as `app/[id]/page.tsx` far more often than character classes.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A token is a literal character, "?" (one non-slash character), "*" (any non-slash run) or "**" (anything).
_STAR = "*"
_DSTAR = "**"
_ONE = "?"
_EPS = ""  # matches no character: either go on to the next token or jump to its skip index

_CLEAN = re.compile(r"[^`'\"\s\\]+")
# Where a trailing note starts: one blank then a bracket or dash (the blanks before it are stripped in Python;
# a `\s+` here would rescan every run of blanks from each of its positions).
_ANNOTATION = re.compile(r"\s[(\[–—-]")


def _drop_annotation(text: str) -> str:
    """ "a.ts (note)", "a.ts - new" -> "a.ts"."""
    m = _ANNOTATION.search(text)
    return text[: m.start()] if m else text


def normalize_path(entry: str) -> str:
    """A file entry as a comparable path: backticks, quotes, trailing notes, `./` and a trailing `/` removed.

    `src/components/` (a directory) becomes `src/components/**` so it overlaps every file below it.
    """
    if _CLEAN.fullmatch(entry) and not entry.startswith(("./", "/")) and not entry.endswith("/"):
        return entry
    text = entry.strip().strip("`'\"").strip()
    if "`" in text:  # "`a.ts` (note)" -> the first code span
        text = text.split("`", 1)[0].strip() or text.replace("`", "")
    text = _drop_annotation(text).strip().strip("`'\"").strip()
    text = text.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/")  # "/lib/x.ts" in an analysis means the repository root
    if text.endswith("/") and text.strip("/"):
        text = text.rstrip("/") + "/**"
    return text


def is_glob(pattern: str) -> bool:
    """True when the pattern has a glob character (`*` or `?`)."""
    return "*" in pattern or "?" in pattern


def glob_dir(pattern: str) -> str:
    """The directory every match of the pattern must lie in, with its trailing `/` (`""` for the root).

    `convex/*` -> `convex/`; `src/**/x.ts` -> `src/`; `*.md` -> ``. For a literal path, its own directory.
    """
    stars = [at for at in (pattern.find("*"), pattern.find("?")) if at >= 0]
    prefix = pattern[: min(stars)] if stars else pattern
    slash = prefix.rfind("/")
    return prefix[: slash + 1] if slash >= 0 else ""


def ancestors(path: str) -> list[str]:
    """Every directory prefix of a literal path, root first: `a/b/c.ts` -> ["", "a/", "a/b/"]."""
    out = [""]
    start = 0
    while True:
        slash = path.find("/", start)
        if slash < 0:
            return out
        out.append(path[: slash + 1])
        start = slash + 1


@lru_cache(maxsize=4096)
def _tokens(pattern: str) -> tuple[tuple[str, int], ...]:
    """Tokens with, for stars, the index to jump to when the star matches nothing (`**/` may vanish whole)."""
    out: list[tuple[str, int]] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        k = len(out)
        if ch == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            if j - i >= 2:
                at_segment_start = i == 0 or pattern[i - 1] == "/"
                if j < n and pattern[j] == "/" and at_segment_start:
                    # "src/**/x" also matches "src/x": "**/" is optional as a whole.
                    out.extend([(_EPS, k + 3), (_DSTAR, k + 2), ("/", k + 3)])
                    i = j + 1
                    continue
                out.append((_DSTAR, k + 1))
            else:
                out.append((_STAR, k + 1))
            i = j
            continue
        out.append((_ONE if ch == "?" else ch, k + 1))
        i += 1
    return tuple(out)


_STARS = frozenset((_STAR, _DSTAR))
_SEGMENT = frozenset((_STAR, _ONE))  # tokens that accept any one character but "/"


def _compatible(a: str, b: str) -> bool:
    """Is there one character both tokens accept?"""
    if a == _DSTAR or b == _DSTAR:
        return True
    a_seg = a in _SEGMENT
    b_seg = b in _SEGMENT
    if a_seg and b_seg:
        return True
    if a_seg:
        return b != "/"
    if b_seg:
        return a != "/"
    return a == b


def literal_ends(pattern: str) -> tuple[str, str]:
    """The literal text every match of `pattern` starts and ends with (`src/**/x.ts` -> `src/`, `x.ts`)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern, pattern  # a plain path (most entries)
    stars = [at for at in (pattern.find("*"), pattern.find("?")) if at >= 0]
    first = min(stars)
    last = max(pattern.rfind("*"), pattern.rfind("?"))
    tail = pattern[last + 1 :]
    if tail.startswith("/") and last >= 1 and pattern[last - 1] == "*":
        tail = tail[1:]  # "**/x" also matches "x"
    return pattern[:first], tail


def may_overlap(p: str, q: str) -> bool:
    """A cheap necessary condition for `overlaps`: the literal starts and ends are compatible."""
    (ps, pe), (qs, qe) = literal_ends(p), literal_ends(q)
    return (ps.startswith(qs) or qs.startswith(ps)) and (pe.endswith(qe) or qe.endswith(pe))


@lru_cache(maxsize=16384)
def overlaps(p: str, q: str) -> bool:
    """True when some path matches both patterns (either may be a literal path).

    Works on the product of the two patterns' automata, so `src/**` overlaps `src/*/x.ts` and `convex/*` does
    not overlap `convex/_generated/api.ts`.
    """
    return overlaps_within(p, q, None)[0] is True


def overlaps_within(p: str, q: str, max_states: int | None) -> tuple[bool | None, int]:
    """`overlaps`, visiting at most `max_states` states of the product automaton (None: no bound).

    Returns (answer, states visited); the answer is None when the bound was reached first.
    """
    if p == q:
        return True, 1
    if not is_glob(p) and not is_glob(q):
        return False, 1
    if not may_overlap(p, q):
        return False, 1
    return _product(p, q, max_states)


def _product(p: str, q: str, max_states: int | None) -> tuple[bool | None, int]:
    tp, tq = _tokens(p), _tokens(q)
    lp, lq = len(tp), len(tq)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        if max_states is not None and len(seen) > max_states:
            return None, len(seen)
        i, j = state
        if i == lp and j == lq:
            return True, len(seen)
        a, a_skip = tp[i] if i < lp else ("", i)
        b, b_skip = tq[j] if j < lq else ("", j)
        if a == _EPS and i < lp:
            stack.extend([(i + 1, j), (a_skip, j)])
            continue
        if b == _EPS and j < lq:
            stack.extend([(i, j + 1), (i, b_skip)])
            continue
        a_star, b_star = a in _STARS, b in _STARS  # each asked once per state
        if a_star:
            stack.append((a_skip, j))
        if b_star:
            stack.append((i, b_skip))
        if i < lp and j < lq and _compatible(a, b):
            stack.append((i if a_star else i + 1, j if b_star else j + 1))
    return False, len(seen)
