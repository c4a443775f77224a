"""Dependency values ("Streams A & B", "Task 60, 62", "after Stream 1") read into stream ids and externals."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def canonical_id(raw: str) -> str:
    """Stream identifier as used everywhere: letters upper-cased, numbers without leading zeros."""
    raw = raw.strip()
    if raw.isdigit():
        return str(int(raw))
    return raw.upper()


def _expand(a: str, b: str | None, known: Sequence[str]) -> list[str]:
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


def _named(text: str, known: Sequence[str]) -> list[tuple[str, bool]]:
    """Every id named after "Stream(s)" in `text`, with whether it was named on its own (not via a range)."""
    named: list[tuple[str, bool]] = []
    for m in _STREAM_REF.finditer(text):
        ids = _CONNECTIVES.sub(" ", m.group("ids"))
        for item in _ID_ITEM.finditer(ids):
            expanded = _expand(item.group(1), item.group(2), known)
            # "A", "1" are named on their own; a lowercase word ("to") is prose, unless it is a known id.
            plain = len(expanded) == 1 and (item.group(1).isupper() or item.group(1).isdigit())
            named.extend((sid, plain) for sid in expanded)
    return named


def stream_refs(text: str, known: Sequence[str]) -> list[str]:
    """Ids of streams named in `text` ("Stream A", "Streams A-C", "流B"), in order, only those in `known`."""
    found: list[str] = []
    for sid, _single in _named(text, known):
        if sid in known and sid not in found:
            found.append(sid)
    return found


def named_problems(
    inline: str, items: Sequence[str], known: Sequence[str], own: str
) -> tuple[list[str], bool]:
    """Streams a Dependencies field names that do not exist, and whether it names its own stream alone."""
    unknown: list[str] = []
    itself = False
    for text in [inline, *items]:
        plain = _MARKUP.sub("", text)
        if _DOWNSTREAM.match(plain.strip()):
            continue
        _refs, rest = task_refs(plain)
        for sid, single in _named(rest, known):
            if sid not in known and single and sid not in unknown:
                unknown.append(sid)
            elif sid == own and single:
                itself = True
    return unknown, itself


def _bare_ids(text: str, known: Sequence[str]) -> list[str] | None:
    """ "A and B", "A, C" (nothing but ids): those ids; otherwise None."""
    core = re.sub(r"\([^)]*\)|（[^）]*）", " ", text)
    core = re.sub(r"\b(?:complete[sd]?|done|finished)\b|完成", " ", core, flags=re.IGNORECASE).strip(" .;:")
    one = rf"{_ID}(?:\s*[-–—]\s*{_ID})?"
    if not core or not re.fullmatch(rf"{one}(?:{_SEP}{one})*", core):
        return None
    ids: list[str] = []
    for item in _ID_ITEM.finditer(core):
        for sid in _expand(item.group(1), item.group(2), known):
            if sid in known and sid not in ids:
                ids.append(sid)
    return ids or None


def task_refs(text: str) -> tuple[list[str], str]:
    """Other issues/tasks named in `text` as "#N", and the text with those mentions removed."""
    refs: list[str] = []

    def take(m: re.Match[str]) -> str:
        nums = [m.group("n"), *re.findall(r"\d+", m.group("more") or "")]
        for n in nums:
            ref = f"#{int(n)}"
            if ref not in refs:
                refs.append(ref)
        return " "

    rest = _TASK_REF.sub(take, text)
    return refs, rest


def is_none(text: str) -> bool:
    """True when a dependency value says there is nothing to wait for."""
    return bool(_NONE.match(_MARKUP.sub("", text)))


def read_dependencies(
    inline: str, items: Sequence[str], known: Sequence[str], own: str, *, lenient: bool = True
) -> tuple[list[str], list[str]]:
    """Stream ids and external dependencies named by a Dependencies field.

    inline: the text after the label on its line; items: the bullet lines that continue it.
    known: every stream id of the document, in order; own: the stream being read.
    lenient: whether unrecognised bullet items count as external dependencies "as written".
    """
    ids: list[str] = []
    ext: list[str] = []
    parts: list[tuple[str, bool]] = []
    if inline.strip():
        parts.append((inline, False))
    parts.extend((i, True) for i in items if i.strip())
    others = [k for k in known if k != own]
    earlier = list(known[: known.index(own)]) if own in known else []
    for text, is_item in parts:
        plain = _MARKUP.sub("", text).strip()
        if not plain or _DOWNSTREAM.match(plain):
            # "Blocks Stream D", "Enables Stream C": what waits for this stream, not what it waits for.
            continue
        if _ALL_OTHER.search(plain):
            found = list(others)
        elif _ALL_PREV.search(plain):
            found = list(earlier)
        elif _ALL.search(plain) and not stream_refs(plain, known):
            found = list(others)
        else:
            found = []
        if is_none(plain) and not found:
            # "None (can start immediately)", "None - but coordinate with Stream A": nothing to wait for.
            continue
        refs, rest = task_refs(plain)
        found += stream_refs(rest, known)
        if not found and not refs:
            bare = _bare_ids(rest, known)
            if bare:
                found = bare
        for sid in found:
            if sid != own and sid not in ids:
                ids.append(sid)
        for r in refs:
            if r not in ext:
                ext.append(r)
        if not found and not refs and is_item and lenient and not _STREAM_WORD.search(plain):
            written = text.strip()
            if written not in ext:
                ext.append(written)
    return ids, ext


def read_can_start(value: str, known: Sequence[str], own: str) -> list[str]:
    """Stream ids a "Can Start" value waits for ("after Streams A & B complete" -> [A, B])."""
    plain = _MARKUP.sub("", value).strip()
    if re.match(r"^\s*(?:yes|immediately|now|oui|立即|可以|是)\b", plain, re.IGNORECASE) or not plain:
        return []
    if re.search(r"\bparallel\b|并行|immédiatement", plain, re.IGNORECASE) and not re.search(
        r"\b(?:after|when|once|following)\b", plain, re.IGNORECASE
    ):
        return []
    ids, _ext = read_dependencies(plain, [], known, own, lenient=False)
    if not ids:
        m = re.search(rf"\b(?:after|when|once)\s+({_ID}(?:{_SEP}{_ID})*)\b", plain, re.IGNORECASE)
        if m:
            ids = [i for i in (_bare_ids(m.group(1), known) or []) if i != own]
    return ids
