"""Dependency values ("Streams A & B", "Task 60, 62", "after Stream 1") read into stream ids and externals."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from bot.analysis.limits import MAX_DEPENDENCIES, MAX_EXTERNAL_DEPS


class StreamIds(Collection[str]):
    """The document's stream ids in order, with O(1) membership and position (built once per document).

    Reading every stream's dependencies against a plain list would cost O(streams) each: quadratic.
    """

    def __init__(self, ids: Sequence[str]) -> None:
        self.order: tuple[str, ...] = tuple(ids)
        self.position: dict[str, int] = {}
        for i, sid in enumerate(self.order):
            self.position.setdefault(sid, i)

    def __contains__(self, sid: object) -> bool:
        return sid in self.position

    def __iter__(self) -> Iterator[str]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

    def others(self, own: str, limit: int | None = None) -> list[str]:
        """Every id but `own` ("all other streams"); at most `limit` of them, so a big plan stays linear."""
        rest = (k for k in self.order if k != own)
        return list(rest if limit is None else islice(rest, limit))

    def earlier(self, own: str, limit: int | None = None) -> list[str]:
        """The ids before `own` ("all previous streams"); at most the `limit` nearest ones."""
        end = self.position.get(own, 0)
        return list(self.order[: end] if limit is None else self.order[max(0, end - limit) : end])


def _ids(known: Collection[str]) -> StreamIds:
    return known if isinstance(known, StreamIds) else StreamIds(list(known))


_ID = r"(?:[A-Za-z]{1,2}|\d+)(?![A-Za-z0-9])"
_SEP = r"(?:\s*(?:,|&|\+|/|;|\band\b|\bor\b|和|与|及|、|，)\s*|\s+)"
# "Stream A", "Streams A, B & C", "Streams A-C", "流A", "工作流 B"
_STREAM_REF = re.compile(
    rf"(?:\b(?:work\s*)?streams?\b|工作流|(?<!工作)流(?!程))\s*(?P<ids>{_ID}(?:\s*[-–—]\s*{_ID})?"
    rf"(?:{_SEP}(?:(?:\bstreams?\b|流)\s*)?{_ID}(?:\s*[-–—]\s*{_ID})?)*)",
    re.IGNORECASE,
)
_ID_ITEM = re.compile(rf"(?<![A-Za-z0-9])({_ID})(?:\s*[-–—]\s*({_ID}))?", re.IGNORECASE)
_CONNECTIVES = re.compile(r"\b(?:work\s*)?streams?\b|工作流|流|\band\b|\bor\b|和|与|及", re.IGNORECASE)
# "Task 60, 62", "Issue #5", "#12", "任务005", "Tasks 003 and 004"
_TASK_REF = re.compile(
    r"(?:\b(?:tasks?|issues?|epics?\s+#)\s*#?|任务\s*|(?<![\w&])#)(?P<n>\d+)"
    r"(?P<more>(?:\s*(?:,|&|\band\b|/)\s*#?\d+(?![\w.]))*)"
    r"(?:\s+(?:\bstreams?\b)\s*" + _ID + r")?",
    re.IGNORECASE,
)
_NONE = re.compile(
    r"^\s*(?:none|no\b|nothing|n/?a\b|-+|—|–|immediately|independent|无|没有|aucune?|néant|now\b|yes\b)",
    re.IGNORECASE,
)
_ALL_OTHER = re.compile(r"\ball\s+(?:the\s+)?other\s+streams\b|所有其他", re.IGNORECASE)
_ALL_PREV = re.compile(r"\ball\s+(?:the\s+)?(?:previous|prior|earlier|preceding)\s+streams\b", re.IGNORECASE)
_ALL = re.compile(r"\ball\s+(?:the\s+)?streams\b|\ball\s+(?:of\s+)?(?:the\s+)?above\b", re.IGNORECASE)
_DOWNSTREAM = re.compile(
    r"^(?:blocks|blocking|unblocks|enables|required\s+by|needed\s+by|feeds)\b", re.IGNORECASE
)
_STREAM_WORD = re.compile(r"\bstreams?\b|工作流|\bcoordinat", re.IGNORECASE)
_MARKUP = re.compile(r"\*\*|__|`")
_DIGIT = re.compile(r"\d")


def _unmarked(text: str) -> str:
    """`text` without bold markers and backticks (most values have none: no substitution then)."""
    return _MARKUP.sub("", text) if "`" in text or "**" in text or "__" in text else text


def canonical_id(raw: str) -> str:
    """Stream identifier as used everywhere: letters upper-cased, numbers without leading zeros."""
    raw = raw.strip()
    if raw.isdigit():
        return str(int(raw))
    return raw.upper()


def _expand(a: str, b: str | None) -> list[str]:
    """An id or a range of ids ("A-C", "1-3") as the ids it names."""
    first = canonical_id(a)
    if b is None:
        return [first]
    last = canonical_id(b)
    if first.isdigit() and last.isdigit():
        lo, hi = int(first), int(last)
        if 0 <= hi - lo <= 100:
            return [str(i) for i in range(lo, hi + 1)]
        return [first, last]
    if len(first) == 1 and len(last) == 1 and first.isalpha() and last.isalpha() and first <= last:
        return [chr(c) for c in range(ord(first), ord(last) + 1)]
    return [first, last]


def _named(text: str) -> list[tuple[str, bool]]:
    """Every id named after "Stream(s)" in `text`, with whether it was named on its own (not via a range)."""
    named: list[tuple[str, bool]] = []
    # The pattern needs "stream" or 流; "tream" is lower-cased alike by str.lower and by the pattern
    # (only i and s among ASCII letters match a non-ASCII letter ignoring case).
    if "流" not in text and "tream" not in text.lower():
        return named
    for m in _STREAM_REF.finditer(text):
        ids = _CONNECTIVES.sub(" ", m.group("ids"))
        for item in _ID_ITEM.finditer(ids):
            expanded = _expand(item.group(1), item.group(2))
            # "A", "1" are named on their own; a lowercase word ("to") is prose, unless it is a known id.
            plain = len(expanded) == 1 and (item.group(1).isupper() or item.group(1).isdigit())
            named.extend((sid, plain) for sid in expanded)
    return named


def stream_refs(text: str, known: Collection[str]) -> list[str]:
    """Ids of streams named in `text` ("Stream A", "Streams A-C", "流B"), in order, only those in `known`."""
    found: dict[str, None] = {}
    for sid, _single in _named(text):
        if sid in known:
            found[sid] = None
    return list(found)


def named_problems(
    inline: str, items: Sequence[str], known: Collection[str], own: str
) -> tuple[list[str], bool]:
    """Streams a Dependencies field names that do not exist, and whether it names its own stream alone."""
    unknown: dict[str, None] = {}
    itself = False
    known = _ids(known)
    for text in [inline, *items]:
        plain = _unmarked(text)
        if _DOWNSTREAM.match(plain.strip()):
            continue
        _refs, rest = task_refs(plain)
        for sid, single in _named(rest):
            if sid not in known and single:
                unknown[sid] = None
            elif sid == own and single:
                itself = True
    return list(unknown), itself


_PARENS = re.compile(r"\([^()]*\)|（[^（）]*）")
_DONE = re.compile(r"\b(?:complete[sd]?|done|finished)\b|完成", re.IGNORECASE)
_ONE = rf"{_ID}(?:\s*[-–—]\s*{_ID})?"
_BARE = re.compile(rf"{_ONE}(?:{_SEP}{_ONE})*")


def _bare_ids(text: str, known: Collection[str]) -> list[str] | None:
    """ "A and B", "A, C" (nothing but ids): those ids; otherwise None."""
    if len(text) > 300:
        return None  # a list of bare ids is short; long prose is not one
    core = _PARENS.sub(" ", text)
    core = _DONE.sub(" ", core).strip(" .;:")
    if not core or not _BARE.fullmatch(core):
        return None
    ids: dict[str, None] = {}
    for item in _ID_ITEM.finditer(core):
        for sid in _expand(item.group(1), item.group(2)):
            if sid in known:
                ids[sid] = None
    return list(ids) or None


# "depends on B", "after A and C", "when A is 50% done", "wait for 2": ids right after such a word.
# Letters must be capitals here, so that "needs a schema" names nothing.
_AFTER_WORD = re.compile(
    r"\b(?i:on|after|for|once|when|needs?|requires?|until|following|après|等待|依赖)\s++"
    r"((?:[A-Z]{1,2}|\d+)(?![A-Za-z0-9])(?:\s*+(?:,|&|\+|/|\band\b|\bor\b|和|与|、)\s*+(?:[A-Z]{1,2}|\d+)(?![A-Za-z0-9]))*+)"
)


_RAW_ID = re.compile(r"[A-Z]{1,2}|\d+")


def _ids_after_word(text: str, known: StreamIds) -> list[str]:
    found: dict[str, None] = {}
    for m in _AFTER_WORD.finditer(text[:2000]):
        for raw in _RAW_ID.findall(m.group(1)):
            sid = canonical_id(raw)
            if sid in known:
                found[sid] = None
    return list(found)


def task_refs(text: str) -> tuple[list[str], str]:
    """Other issues/tasks named in `text` as "#N", and the text with those mentions removed."""
    refs: dict[str, None] = {}

    def take(m: re.Match[str]) -> str:
        nums = [m.group("n"), *_DIGITS.findall(m.group("more") or "")]
        for n in nums:
            refs[f"#{int(n)}"] = None
        return " "

    rest = _TASK_REF.sub(take, text) if _DIGIT.search(text) else text  # every mention has a number
    return list(refs), rest


_DIGITS = re.compile(r"\d+")


def is_none(text: str) -> bool:
    """True when a dependency value says there is nothing to wait for."""
    return bool(_NONE.match(_unmarked(text)))


@dataclass
class DepsRead:
    """What a Dependencies value names, each list capped (limits.py), and whether anything was left out."""

    ids: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    ids_capped: bool = False
    external_capped: bool = False


def read_dependencies(
    inline: str, items: Sequence[str], known: Collection[str], own: str, *, lenient: bool = True
) -> tuple[list[str], list[str]]:
    """Stream ids and external dependencies named by a Dependencies field (see `read_deps`)."""
    got = read_deps(inline, items, known, own, lenient=lenient)
    return got.ids, got.external


def read_deps(
    inline: str,
    items: Sequence[str],
    known: Collection[str],
    own: str,
    *,
    lenient: bool = True,
    limit: int = MAX_DEPENDENCIES,
) -> DepsRead:
    """Stream ids and external dependencies named by a Dependencies field, at most `limit` and
    MAX_EXTERNAL_DEPS of them ("all other streams" in a plan of thousands stays linear).

    inline: the text after the label on its line; items: the bullet lines that continue it.
    known: every stream id of the document, in order; own: the stream being read.
    lenient: whether unrecognised bullet items count as external dependencies "as written".
    """
    return _read_deps(inline, items, _ids(known), own, lenient, limit, None)


#: "None" as most plans write it: is_none holds, and it names no stream, task or issue.
_BARE_NONE = frozenset({"none", "None", "NONE", "无"})


@dataclass
class _Problems:
    """What `named_problems` finds, gathered while the same texts are read for `read_deps`."""

    unknown: dict[str, None] = field(default_factory=dict)
    itself: bool = False

    def note(self, named: list[tuple[str, bool]], known: StreamIds, own: str) -> None:
        for sid, single in named:
            if sid not in known and single:
                self.unknown[sid] = None
            elif sid == own and single:
                self.itself = True


def read_deps_checked(
    inline: str, items: Sequence[str], known: StreamIds, own: str, limit: int
) -> tuple[DepsRead, list[str], bool]:
    """`read_deps` and `named_problems` of one Dependencies field, each text parsed once for both."""
    problems = _Problems()
    got = _read_deps(inline, items, known, own, True, limit, problems)
    return got, list(problems.unknown), problems.itself


def _read_deps(
    inline: str,
    items: Sequence[str],
    known_set: StreamIds,
    own: str,
    lenient: bool,
    limit: int,
    problems: _Problems | None,
) -> DepsRead:
    if not items and inline in _BARE_NONE:
        return DepsRead()  # (the commonest value: nothing to wait for, nothing named)
    out = DepsRead()
    ids: dict[str, None] = {}  # ordered and O(1) membership
    ext: dict[str, None] = {}
    limit = max(0, limit)
    parts: list[tuple[str, bool]] = []
    if inline.strip():
        parts.append((inline, False))
    parts.extend((i, True) for i in items if i.strip())

    def keep_ext(ref: str) -> None:
        if ref in ext:
            return
        if len(ext) >= MAX_EXTERNAL_DEPS:
            out.external_capped = True
        else:
            ext[ref] = None

    for text, is_item in parts:
        plain = _unmarked(text).strip()
        if not plain or _DOWNSTREAM.match(plain):
            # "Blocks Stream D", "Enables Stream C": what waits for this stream, not what it waits for.
            continue
        low = plain.lower()
        if "all" not in low and "所有其他" not in low:
            found = []  # each "all ... streams" pattern needs one of them (a, l: no other letter matches)
        elif _ALL_OTHER.search(plain):
            found = known_set.others(own, limit + 1)  # one more than kept tells that some were left out
        elif _ALL_PREV.search(plain):
            found = known_set.earlier(own, limit)  # the nearest ones: a chain stays a chain
            out.ids_capped |= known_set.position.get(own, 0) > limit
        elif _ALL.search(plain) and not stream_refs(plain, known_set):
            found = known_set.others(own, limit + 1)
        else:
            found = []
        if is_none(plain) and not found:
            # "None (can start immediately)", "None - but coordinate with Stream A": nothing to wait for.
            if problems is not None:
                problems.note(_named(task_refs(plain)[1]), known_set, own)
            continue
        refs, rest = task_refs(plain)
        named = _named(rest)
        if problems is not None:
            problems.note(named, known_set, own)
        found += dict.fromkeys(sid for sid, _single in named if sid in known_set)  # stream_refs(rest, …)
        if not found and not refs:
            found = _bare_ids(rest, known_set) or []
        if not found:
            found = _ids_after_word(rest, known_set)
        for sid in found:
            if sid == own or sid in ids:
                continue
            if len(ids) >= limit:
                out.ids_capped = True
                break
            ids[sid] = None
        for r in refs:
            keep_ext(r)
        if not found and not refs and is_item and lenient and not _STREAM_WORD.search(plain):
            keep_ext(text.strip())
    out.ids, out.external = list(ids), list(ext)
    return out


_NOW = re.compile(r"^\s*(?:yes|immediately|now|oui|立即|可以|是)\b", re.IGNORECASE)
_PARALLEL = re.compile(r"\bparallel\b|并行|immédiatement", re.IGNORECASE)
_WAITS = re.compile(r"\b(?:after|when|once|following)\b", re.IGNORECASE)
_NO = re.compile(r"^(?:no|non|否|不)\b[\s\-–—:,.()]*", re.IGNORECASE)


def read_can_start(value: str, known: Collection[str], own: str) -> list[str]:
    """Stream ids a "Can Start" value waits for ("after Streams A & B complete" -> [A, B])."""
    return read_can_start_deps(value, known, own).ids


def read_can_start_deps(
    value: str, known: Collection[str], own: str, limit: int = MAX_DEPENDENCIES
) -> DepsRead:
    """`read_can_start` with whether the ids were capped."""
    plain = _unmarked(value).strip()
    if _NOW.match(plain) or not plain:
        return DepsRead()
    if _PARALLEL.search(plain) and not _WAITS.search(plain):
        return DepsRead()
    # "No - wait for Stream C", "Non, après le flux A": the "no" answers "can it start now?".
    plain = _NO.sub("", plain)
    got = read_deps(plain, [], _ids(known), own, lenient=False, limit=limit)
    return DepsRead(ids=got.ids, ids_capped=got.ids_capped)
