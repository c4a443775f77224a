"""A stream's labelled fields ("**Files**:", "- **Dependencies**:", "预估时间：") read into raw `Field`s."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis.limits import MAX_FIELD_CHARS, MAX_LABEL_CHARS
from bot.analysis.locate import HEADING_STARTS, heading, heading_text
from bot.analysis.read_files import paths_of

#: Every label an author may write, lower-cased, mapped to the field it names.
LABELS: dict[str, str] = {
    name: kind
    for kind, names in {
        "hours": [
            "estimated hours", "estimated time", "estimated duration", "estimated effort", "duration",
            "effort", "hours", "time", "estimate", "estimated", "time estimate",
            "预估时间", "预计时间", "估计时间", "工时", "预估工时", "预计工时",
            "durée", "durée estimée", "temps estimé", "estimation",
        ],
        "deps": [
            "dependencies", "dependency", "depends on", "depends", "blocked by", "prerequisites",
            "prerequisite", "依赖", "依赖关系", "前置依赖", "dépendances", "dépendance", "dépend de",
        ],
        "can_start": ["can start", "start", "can begin", "可开始", "开始时间", "peut commencer", "démarrage"],
        "scope": ["scope", "范围", "工作内容", "portée", "périmètre"],
        "files": [
            "files", "file", "文件", "fichiers", "files to modify", "files to create", "files modified",
            "files affected", "key files", "files touched", "涉及文件", "文件范围", "输出文件",
        ],
        "agent": ["agent type", "agent", "agent_type", "代理", "代理类型", "负责人", "type d'agent"],
    }.items()
    for name in names
}  # fmt: skip

BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_BULLET_HEAD = re.compile(r"(?:[-*+]|\d+[.)])[ \t]++")
_LABEL_JUNK = re.compile(r"^[^\w(（]+")
# Each try scans only up to the next `*`: linear on any line.
_BOLD_LABELS = re.compile(r"\*\*[^*]++\*\*[ \t]*+:|\*\*[^*]+:\*\*")
_SPACES = re.compile(r"\s+")


@dataclass
class Field:
    """One field as written: the value on the label's line and the bullet lines that continue it."""

    kind: str
    inline: str
    items: list[str] = field(default_factory=list)
    line: int = 0  # index in the located lines
    #: Characters left out: the label's line or items longer than MAX_FIELD_CHARS (reported, never silent).
    cut: int = 0

    def add(self, item: str) -> None:
        """Append a continuation item, keeping at most MAX_FIELD_CHARS of it."""
        self.items.append(self.capped(item))

    def capped(self, text: str) -> str:
        """`text` cut to MAX_FIELD_CHARS, counting what was left out."""
        if len(text) <= MAX_FIELD_CHARS:
            return text
        self.cut += len(text) - MAX_FIELD_CHARS
        return text[:MAX_FIELD_CHARS]


def label_kind(label: str) -> str | None:
    """The field a label names ("⏱️ **Estimated Hours** (total)" -> "hours"), or None.

    Labels are a few words: a longer text (a table header of a thousand `(`) names no field.
    """
    if len(label) > MAX_LABEL_CHARS:
        return None
    # A label written as listed (any case) normalises to itself: no need to normalise it. Nor does a
    # label of words and single spaces, without markers or brackets, that starts with a letter or digit.
    low = label.lower()
    kind = LABELS.get(low)
    if kind is not None or (
        (not low or low[:1].isalnum())
        and low[-1:] != " "
        and low.isprintable()  # (no whitespace but spaces)
        and "  " not in low
        and "**" not in low
        and "__" not in low
        and "(" not in low
    ):
        return kind
    norm = _SPACES.sub(" ", label.replace("**", "").replace("__", "")).strip().lower()
    norm = _LABEL_JUNK.sub("", norm)  # "⏱️ Estimated Hours", "🔗 Depends on"
    if "(" in norm:
        norm = _drop_parentheticals(norm)
    return LABELS.get(norm)


def _drop_parentheticals(text: str) -> str:
    """ "estimated hours (total)" -> "estimated hours": each closed (…) or （…） removed, scanning once."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "(（":
            close = min((p for p in (text.find(")", i), text.find("）", i)) if p >= 0), default=-1)
            if close >= 0:
                i = close + 1
                continue
        out.append(ch)
        i += 1
    return _SPACES.sub(" ", "".join(out)).strip()


def label_value(line: str) -> tuple[str, str] | None:
    """("Label", "value") for "**Label**: value", "**Label:** value", "- **Label**: value", "Label：value".

    Plain string operations rather than one regex: user lines can be megabytes of spaces, and a regex
    with neighbouring optional spaces and bold markers backtracks quadratically on them.
    """
    text = line[:MAX_FIELD_CHARS]
    if ":" not in text and "：" not in text:
        return None  # most lines of prose: no label without a colon
    text = text.lstrip()
    if text[:1] in "-*+" or text[:1].isdecimal():  # a bullet's first character (`\d` is any Nd digit)
        m = _BULLET_HEAD.match(text)
        if m:
            text = text[m.end() :]
    at = text.find(":", 0, 64)
    wide = text.find("：", 0, 64)
    if wide >= 0 and (at < 0 or wide < at):
        at = wide
    if at < 0:
        return None
    label = text[:at].replace("**", "").replace("__", "").strip().strip("*_").strip()
    if not label or len(label) > 40 or "`" in label or "|" in label or "*" in label:
        return None
    value = text[at + 1 :].strip()
    if value.startswith(("**", "__")):
        value = value[2:]
    return label, value.strip().strip("*").strip()


def _field_at(line: str) -> tuple[str, str] | None:
    got = label_value(line)
    if got is None:
        return None
    kind = label_kind(got[0])
    return (kind, got[1]) if kind is not None else None


def _split_pipes(line: str) -> list[str]:
    """'**Effort**: 8h | **Priority**: High | **Dependencies**: Task 60' -> one piece per field."""
    if "|" in line and len(_BOLD_LABELS.findall(line)) > 1:
        return [p for p in line.split("|") if p.strip()]
    return [line]


def _heading_field(lines: list[str], mask: list[bool], kind: str, i: int, end: int) -> tuple[Field, int]:
    """A field written as a heading ("#### Files"): every non-blank line up to the next heading is an item."""
    f = Field(kind, "", [], i)
    j = i + 1
    while j < end and not heading(lines[j]):
        if not mask[j] and lines[j].strip():
            bm = BULLET.match(lines[j])
            f.add(bm.group("text") if bm else lines[j].strip())
        j += 1
    return f, j


def _continuation(lines: list[str], mask: list[bool], found: Field, i: int, end: int) -> int:
    """Add the bullet lines continuing the field on line `i` (more indented when the label is a bullet).

    Returns the index of the first line after them.
    """
    own = BULLET.match(lines[i])
    own_indent = len(own.group("indent")) if own else -1
    j = i + 1
    while j < end:
        nxt = lines[j]
        if mask[j]:
            break
        if not nxt.strip():
            # A blank line is allowed only before the first item.
            k = j
            while k < end and not lines[k].strip():
                k += 1
            if found.items or found.inline or k >= end or not BULLET.match(lines[k]):
                break
            j = k
            continue
        bm = BULLET.match(nxt)
        indent = len(bm.group("indent")) if bm else -1
        if not bm or indent <= own_indent:
            break
        # Another field's label ends this one: at once under a plain label, or at the label's own indent.
        if (
            ((own_indent < 0 and not found.items) or indent == max(own_indent, 0))
            and (":" in nxt or "：" in nxt)  # (a label ends with a colon)
            and _field_at(nxt)
        ):
            break
        found.add(bm.group("text"))
        j += 1
    return j


def collect_fields(lines: list[str], mask: list[bool], start: int, end: int) -> dict[str, Field]:
    """The fields in lines[start:end] (a stream's section), outside code; the first of each kind wins."""
    fields: dict[str, Field] = {}
    i = start
    while i < end:
        line = lines[i]
        can_head = line.startswith(HEADING_STARTS)
        if mask[i] or (not can_head and ":" not in line and "：" not in line):
            i += 1  # code, or neither a heading nor a label (a label ends with a colon)
            continue
        hm = heading(line) if can_head else None
        if hm:
            kind = label_kind(heading_text(hm[1]).rstrip(":："))
            if kind and kind not in fields:
                fields[kind], i = _heading_field(lines, mask, kind, i, end)
            else:
                i += 1
            continue
        pieces = _split_pipes(line)
        found = None
        for piece in pieces:
            got = _field_at(piece)
            if got and got[0] not in fields:
                found = fields[got[0]] = Field(got[0], got[1], [], i)
                if len(piece) > MAX_FIELD_CHARS:
                    found.cut += len(piece) - MAX_FIELD_CHARS  # label_value read only its start
        if found is not None and len(pieces) == 1:
            i = _continuation(lines, mask, found, i, end)
        else:
            i += 1
    return fields


def field_files(f: Field) -> list[str]:
    """The paths a Files field names, in order, each once."""
    raw: list[str] = []
    if f.inline:
        raw.extend(
            paths_of(f.inline)
            if "`" in f.inline
            else [p for part in _COMMA.split(f.inline) for p in paths_of(part)]
        )
    for item in f.items:
        raw.extend(paths_of(item))
    return [r for r in dict.fromkeys(raw) if r]


_COMMA = re.compile(r",\s*")


def field_text(f: Field | None) -> str | None:
    """The field's value and continuation lines as one text, or None when empty or absent."""
    if f is None:
        return None
    if not f.items:
        return f.inline.strip() or None  # (most fields: the value on the label's line alone)
    text = "\n".join(p for p in [f.inline, *f.items] if p).strip()
    return text or None
