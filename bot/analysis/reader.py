"""Reading a parallel work analysis (or a CCPM task's frontmatter) from any text into the pydantic models."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis.deps import StreamIds, canonical_id, named_problems, read_can_start, read_dependencies
from bot.analysis.hours import parse_hours
from bot.analysis.locate import (
    ANALYSIS_TITLE,
    STREAM_HEADING_TEXT,
    code_mask,
    heading,
    heading_text,
    locate,
    split_lines,
)
from bot.analysis.models import (
    Analysis,
    CoordinationPoints,
    Diagnostic,
    Frontmatter,
    HourRange,
    Section,
    Severity,
    StatedTimeline,
    Stream,
)
from bot.analysis.read_files import looks_like_path, paths_of
from bot.analysis.tasks import frontmatter_bounds, parse_frontmatter, read_task_frontmatter

__all__ = ["read_analysis", "read_task"]

# Cheap test before any parsing: an analysis names streams (or 流), or calls itself an analysis,
# or opens with frontmatter. Substring tests on the lower-cased text are far cheaper than a regex.
_KEYWORDS = ("stream", "流", "parallelization_factor", "analysis", "analyse", "分析")


def maybe_analysis(text: str) -> bool:
    """Cheapest conservative test: False only when the text surely holds no analysis (no parsing at all)."""
    low = text.lower()
    return any(k in low for k in _KEYWORDS) or low.lstrip("\ufeff \t\r\n").startswith("---")


_BOT_MARKER = "<!-- parallel-work-bot:"
_MAX_CHARS = 2_000_000
_MAX_FIELD_LINE = 4000  # a label sits at the start of its line; longer lines are not scanned further

_LABELS: dict[str, str] = {}
for _kind, _names in {
    "hours": [
        "estimated hours",
        "estimated time",
        "estimated duration",
        "estimated effort",
        "duration",
        "effort",
        "hours",
        "time",
        "estimate",
        "estimated",
        "time estimate",
        "预估时间",
        "预计时间",
        "估计时间",
        "工时",
        "预估工时",
        "预计工时",
        "durée",
        "durée estimée",
        "temps estimé",
        "estimation",
    ],
    "deps": [
        "dependencies",
        "dependency",
        "depends on",
        "depends",
        "blocked by",
        "prerequisites",
        "prerequisite",
        "依赖",
        "依赖关系",
        "前置依赖",
        "dépendances",
        "dépendance",
        "dépend de",
    ],
    "can_start": ["can start", "start", "can begin", "可开始", "开始时间", "peut commencer", "démarrage"],
    "scope": ["scope", "范围", "portée", "périmètre"],
    "files": [
        "files",
        "file",
        "文件",
        "fichiers",
        "files to modify",
        "files to create",
        "files modified",
        "files affected",
        "key files",
        "files touched",
        "涉及文件",
        "文件范围",
    ],
    "agent": ["agent type", "agent", "agent_type", "代理", "代理类型", "type d'agent"],
}.items():
    for _n in _names:
        _LABELS[_n] = _kind

_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_NAME_SEP = re.compile(r"^\s*(?:[:：\-–—.]|\)\s*[:：\-–—.]?)\s*")
_H1_ISSUE = re.compile(r"(?:issue|task|任务|#)\s*+#?\s*+(\d+)", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)|（([^（）]*)）")
_CONFLICTS = [
    re.compile(r"conflicts_with\s*:\s*\[([^\]\n]*)\]", re.IGNORECASE),
    re.compile(
        r"(?<![\w'’])(?:conflicts\s++with|conflicts_with)\s*+:?\s*+((?:(?:issues?\s*+)?#\d++(?:\s*+(?:,|and|&)\s*+)?)+)",
        re.IGNORECASE,
    ),
]
_TIMELINE = re.compile(r"expected timeline|timeline|时间线|预期时间|calendrier|chronologie", re.IGNORECASE)
_RISK = re.compile(r"conflict risk|冲突风险|risque", re.IGNORECASE)
_NOTES = re.compile(r"^(?:notes?|备注|注意事项|remarques)\b", re.IGNORECASE)
_OVERVIEW = re.compile(r"overview|概述|概览|aperçu|vue d'ensemble|summary", re.IGNORECASE)
_NEGATED = re.compile(r"(?:\bnot?|n['’]t|\bnever|\bwithout)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)


@dataclass
class _Field:
    kind: str
    inline: str
    items: list[str] = field(default_factory=list)
    line: int = 0  # index in the located lines


@dataclass
class _RawStream:
    sid: str
    name: str
    index: int
    level: int
    end: int
    fields: dict[str, _Field] = field(default_factory=dict)
    heading: str = ""


def _label_kind(label: str) -> str | None:
    norm = re.sub(r"\s+", " ", label.replace("**", "").replace("__", "")).strip().lower()
    norm = _LABEL_JUNK.sub("", norm)  # "⏱️ Estimated Hours", "🔗 Depends on"
    if "(" in norm:
        norm = re.sub(r"\s*[(（][^)）]*[)）]", "", norm).strip()
    return _LABELS.get(norm)


_LABEL_JUNK = re.compile(r"^[^\w(（]+")
_BULLET_HEAD = re.compile(r"(?:[-*+]|\d+[.)])[ \t]++")


def _label_value(line: str) -> tuple[str, str] | None:
    """("Label", "value") for "**Label**: value", "**Label:** value", "- **Label**: value", "Label：value".

    Plain string operations rather than one regex: user lines can be megabytes of spaces, and a regex
    with neighbouring optional spaces and bold markers backtracks quadratically on them.
    """
    text = line[:_MAX_FIELD_LINE].lstrip()
    m = _BULLET_HEAD.match(text)
    if m:
        text = text[m.end() :]
    cut = [p for p in (text.find(":", 0, 64), text.find("：", 0, 64)) if p >= 0]
    if not cut:
        return None
    at = min(cut)
    label = text[:at].replace("**", "").replace("__", "").strip().strip("*_").strip()
    if not label or len(label) > 40 or "`" in label or "|" in label or "*" in label:
        return None
    value = text[at + 1 :].strip()
    if value.startswith(("**", "__")):
        value = value[2:]
    return label, value.strip().strip("*").strip()


def _field_at(line: str) -> tuple[str, str] | None:
    got = _label_value(line)
    if got is None:
        return None
    kind = _label_kind(got[0])
    return (kind, got[1]) if kind is not None else None


def _split_pipes(line: str) -> list[str]:
    """'**Effort**: 8h | **Priority**: High | **Dependencies**: Task 60' -> one piece per field."""
    if line.count("|") and len(re.findall(r"\*\*[^*]+\*\*\s*:|\*\*[^*]+:\*\*", line)) > 1:
        return [p for p in line.split("|") if p.strip()]
    return [line]


def _collect_fields(lines: list[str], mask: list[bool], start: int, end: int) -> dict[str, _Field]:
    fields: dict[str, _Field] = {}
    i = start
    while i < end:
        line = lines[i]
        if mask[i]:
            i += 1
            continue
        hm = heading(line)
        if hm:
            kind = _label_kind(heading_text(hm[1]).rstrip(":："))
            if kind and kind not in fields:
                f = _Field(kind, "", [], i)
                j = i + 1
                while j < end and not heading(lines[j]):
                    if not mask[j] and lines[j].strip():
                        bm = _BULLET.match(lines[j])
                        f.items.append(bm.group("text") if bm else lines[j].strip())
                    j += 1
                fields[kind] = f
                i = j
                continue
            i += 1
            continue
        found = None
        for piece in _split_pipes(line):
            got = _field_at(piece)
            if got and got[0] not in fields:
                fields[got[0]] = _Field(got[0], got[1], [], i)
                found = fields[got[0]]
        if found is not None and len(_split_pipes(line)) == 1:
            # The value may continue on bullet lines below (more indented when the label is a bullet).
            own = _BULLET.match(line)
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
                    if found.items or found.inline or k >= end or not _BULLET.match(lines[k]):
                        break
                    j = k
                    continue
                bm = _BULLET.match(nxt)
                if not bm or len(bm.group("indent")) <= own_indent:
                    break
                if own_indent < 0 and _field_at(nxt) and not found.items:
                    break
                if _field_at(nxt) and len(bm.group("indent")) == (own_indent if own_indent >= 0 else 0):
                    break
                found.items.append(bm.group("text"))
                j += 1
            i = j
            continue
        i += 1
    return fields


def _files(f: _Field) -> list[str]:
    raw: list[str] = []
    if f.inline:
        raw.extend(
            paths_of(f.inline)
            if "`" in f.inline
            else [p for part in re.split(r",\s*", f.inline) for p in paths_of(part)]
        )
    for item in f.items:
        raw.extend(paths_of(item))
    out: list[str] = []
    for r in raw:
        if r and r not in out:
            out.append(r)
    return out


def _text_of(f: _Field | None) -> str | None:
    if f is None:
        return None
    parts = [f.inline, *f.items]
    text = "\n".join(p for p in parts if p).strip()
    return text or None


def _section_map(lines: list[str], mask: list[bool]) -> list[tuple[int, int, str]]:
    """Every heading outside code: (index, level, text)."""
    out: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        if mask[i]:
            continue
        h = heading(line)
        if h:
            out.append((i, h[0], heading_text(h[1])))
    return out


def _section_end(heads: list[tuple[int, int, str]], pos: int, total: int) -> int:
    _i, level, _t = heads[pos]
    for j in range(pos + 1, len(heads)):
        if heads[j][1] <= level:
            return heads[j][0]
    return total


def _all_ends(heads: list[tuple[int, int, str]], total: int) -> list[int]:
    """For every heading, where its section ends (next heading of the same or a higher level), in one pass."""
    ends = [total] * len(heads)
    stack: list[int] = []
    for pos, (i, level, _t) in enumerate(heads):
        while stack and heads[stack[-1]][1] >= level:
            ends[stack.pop()] = i
        stack.append(pos)
    return ends


def _find_section(
    lines: list[str], heads: list[tuple[int, int, str]], pattern: re.Pattern[str], base: int
) -> Section | None:
    for pos, (i, _level, text) in enumerate(heads):
        if pattern.search(text):
            end = _section_end(heads, pos, len(lines))
            body = "\n".join(lines[i + 1 : end]).strip()
            return Section(text=body, line=base + i + 1)
    return None


_Heads = list[tuple[int, int, str]]


# Possessive quantifiers (*+): neighbouring optional spaces/bold must not backtrack on long lines.
_WALL_RX = re.compile(r"\bwall[\s-]*+(?:clock\s*+)?time\**+\s*+\**+\s*+[:：]\**+", re.IGNORECASE)
_TOTAL_RX = re.compile(
    r"\btotal\s++(?:work|effort|hours|(?:implementation|development|estimated)\s++(?:time|effort))"
    r"\**+\s*+\**+\s*+[:：]\**+",
    re.IGNORECASE,
)
_EFF_RX = re.compile(
    r"efficiency\s++gain\**+\s*+\**+\s*+[:：]\**+\s*+~?\s*+(\d++(?:\.\d++)?)\s*+%", re.IGNORECASE
)


def _timeline(lines: list[str], mask: list[bool], heads: _Heads, base: int) -> StatedTimeline:
    start, end = 0, len(lines)
    tl_line: int | None = None
    for pos, (i, _level, text) in enumerate(heads):
        if _TIMELINE.search(text):
            start, end = i, _section_end(heads, pos, len(lines))
            tl_line = base + i + 1
            break
    # Only lines holding the key word are looked at (cheap substring test before any regex).
    cand: dict[str, list[int]] = {"wall": [], "total": [], "efficiency": []}
    for k, line in enumerate(lines):
        if mask[k] or (":" not in line and "：" not in line):
            continue
        low = line.lower()
        for word, found in cand.items():
            if word in low:
                found.append(k)

    def grab(rx: re.Pattern[str], ks: list[int]) -> tuple[HourRange | None, int | None]:
        for k in ks:
            m = rx.search(lines[k])
            if m:
                rest = lines[k][m.end() :]
                # "6 hours (longest) + 4 hours (synthesis) = 10 hours": the result counts.
                if "=" in rest:
                    rest = rest.rsplit("=", 1)[1]
                value = parse_hours(rest)
                if value is not None:
                    return value, k
        return None, None

    def ordered(ks: list[int]) -> list[int]:
        """The timeline section's lines first, then (when there is such a section) the whole document."""
        inside = [k for k in ks if start <= k < end]
        return inside + ([k for k in ks if not start <= k < end] if tl_line is not None else [])

    wall, wl = grab(_WALL_RX, ordered(cand["wall"]))
    total, tlk = grab(_TOTAL_RX, ordered(cand["total"]))
    eff: float | None = None
    for k in ordered(cand["efficiency"]):
        m = _EFF_RX.search(lines[k])
        if m:
            eff = float(m.group(1))
            break
    where = tl_line
    if where is None:
        firsts = [x for x in (wl, tlk) if x is not None]
        where = base + min(firsts) + 1 if firsts else None
    return StatedTimeline(wall_hours=wall, total_hours=total, efficiency_gain=eff, line=where)


def _coordination(
    lines: list[str], mask: list[bool], heads: list[tuple[int, int, str]], base: int
) -> CoordinationPoints:
    for pos, (i, _level, text) in enumerate(heads):
        if re.search(r"coordination|协调|协作", text, re.IGNORECASE):
            end = _section_end(heads, pos, len(lines))
            shared: list[str] = []
            seq: list[str] = []
            current: str | None = None
            for k in range(i + 1, end):
                if mask[k]:
                    continue
                hm = heading(lines[k])
                t = heading_text(hm[1]) if hm else ""
                if not hm:
                    lv = _label_value(lines[k])
                    if lv and not _BULLET.match(lines[k]):
                        t = lv[0]
                if t:
                    if re.search(r"shared\s+files|共享文件|fichiers partagés", t, re.IGNORECASE):
                        current = "shared"
                        continue
                    if re.search(r"sequential|顺序|séquentiel", t, re.IGNORECASE):
                        current = "seq"
                        continue
                    if hm:
                        current = None
                        continue
                bm = _BULLET.match(lines[k])
                if current is None or not lines[k].strip():
                    continue
                if current == "shared":
                    if bm and len(bm.group("indent")) > 1:
                        continue  # a note under a shared file, not another file
                    found = (
                        paths_of(bm.group("text"))
                        if bm
                        else [c for c in re.findall(r"`([^`\n]+)`", lines[k]) if looks_like_path(c)]
                    )
                    for path in found:
                        if path not in shared:
                            shared.append(path)
                elif bm and len(bm.group("indent")) <= 1:
                    seq.append(bm.group("text").strip())
            return CoordinationPoints(shared_files=shared, sequential_requirements=seq, line=base + i + 1)
    return CoordinationPoints()


def _conflicts(text: str) -> list[int]:
    out: list[int] = []
    for rx in _CONFLICTS:
        for m in rx.finditer(text):
            if _NEGATED.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            for n in re.findall(r"\d+", m.group(1)):
                if int(n) not in out:
                    out.append(int(n))
    return out


def _recommended(lines: list[str], mask: list[bool], heads: _Heads, base: int) -> Section | None:
    for k, line in enumerate(lines):
        if mask[k] or "pproach" not in line:
            continue
        lv = _label_value(line)
        if lv and re.fullmatch(r"recommended\s+approach", lv[0], re.IGNORECASE) and lv[1]:
            return Section(text=lv[1], line=base + k + 1)
    return _find_section(lines, heads, re.compile(r"recommended approach", re.IGNORECASE), base)


def _raw_streams(
    lines: list[str], mask: list[bool], heads: list[tuple[int, int, str]]
) -> tuple[list[_RawStream], list[tuple[str, int]]]:
    streams: list[_RawStream] = []
    dups: list[tuple[str, int]] = []
    seen: set[str] = set()
    marks: list[int] = []
    for pos, (_i, _level, text) in enumerate(heads):
        if STREAM_HEADING_TEXT.match(text):
            marks.append(pos)
    ends = _all_ends(heads, len(lines))
    for n, pos in enumerate(marks):
        i, level, text = heads[pos]
        m = STREAM_HEADING_TEXT.match(text)
        if m is None:  # pragma: no cover - marks only holds matching headings
            continue
        sid = canonical_id(m.group("id") or m.group("cid") or "")
        end = ends[pos]
        if n + 1 < len(marks):
            end = min(end, heads[marks[n + 1]][0])
        if sid in seen:
            dups.append((sid, i))
            continue
        seen.add(sid)
        name = _NAME_SEP.sub("", text[m.end() :], count=1).strip() if text[m.end() :].strip() else ""
        if text[m.end() :].lstrip().startswith("("):
            name = text[m.end() :].strip()
        streams.append(_RawStream(sid, name, i, level, end, {}, text))
    for s in streams:
        s.fields = _collect_fields(lines, mask, s.index + 1, s.end)
    # Rows of a stream table join the heading streams in order of appearance; the first of an id wins.
    rows = _table_streams(lines, mask, heads)
    for row in rows:
        if row.sid in seen:
            dups.append((row.sid, row.index))
            continue
        seen.add(row.sid)
        streams.append(row)
    streams.sort(key=lambda r: r.index)
    return streams, dups


_TABLE_ID = re.compile(
    r"^(?:(?:work\s*)?streams?\s*|工作流\s*|流\s*)?(?P<id>[A-Za-z]{1,2}|\d+)(?![A-Za-z0-9])\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_NAME_COLUMNS = ("name", "stream name", "title", "focus", "description", "scope", "名称", "nom", "描述")


_TABLE_RULE = re.compile(r"\|?[ \t]*+:?-{2,}+:?[ \t]*+(?:\|[ \t]*+:?-{2,}+:?[ \t]*+)*+\|?")


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def _table_streams(lines: list[str], mask: list[bool], heads: list[tuple[int, int, str]]) -> list[_RawStream]:
    """Streams as rows of a table whose first column is "Stream" (or "#"/"ID" under a Stream heading)."""
    out: list[_RawStream] = []
    head_at = {i: t for i, _lvl, t in heads}
    last_heading = ""
    i = 0
    n = len(lines)
    while i < n:
        if i in head_at:
            last_heading = head_at[i]
        line = lines[i]
        if mask[i] or "|" not in line or i + 1 >= n or not _TABLE_RULE.fullmatch(lines[i + 1].strip()):
            i += 1
            continue
        header = [c.replace("**", "").strip().lower() for c in _cells(line)]
        first = header[0] if header else ""
        is_stream_table = first in ("stream", "streams", "流", "工作流", "work stream", "workstream") or (
            first in ("#", "id") and re.search(r"stream|流", last_heading, re.IGNORECASE) is not None
        )
        j = i + 2
        while j < n and "|" in lines[j] and lines[j].strip() and not mask[j]:
            if is_stream_table:
                cells = [c.replace("**", "").strip() for c in _cells(lines[j])]
                m = _TABLE_ID.match(cells[0]) if cells else None
                if m:
                    row = _RawStream(canonical_id(m.group("id")), "", j, 7, j + 1, {}, cells[0])
                    rest = _NAME_SEP.sub("", m.group("rest"), count=1).strip()
                    for col, cell in zip(header[1:], cells[1:], strict=False):
                        kind = _label_kind(col)
                        if kind and kind not in row.fields and cell:
                            parts = [p.strip() for p in re.split(r"<br\s*/?>", cell, flags=re.IGNORECASE)]
                            row.fields[kind] = _Field(
                                kind,
                                parts[0] if kind != "files" else "",
                                parts[1:] if kind != "files" else parts,
                                j,
                            )
                        elif col in _NAME_COLUMNS and not row.name:
                            row.name = cell
                    row.name = rest or row.name
                    out.append(row)
            j += 1
        i = j
    return out


def _heading_hours(heading: str) -> HourRange | None:
    for m in _PAREN.finditer(heading):
        got = parse_hours(m.group(1) or m.group(2) or "", need_unit=True)
        if got is not None:
            return got
    return None


def _build(text: str) -> Analysis | None:
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
        truncated = True
    else:
        truncated = False
    located = locate(text)
    if located is None:
        return None
    lines = located.lines
    base = located.offset  # 0-based input line of lines[0]
    diags: list[Diagnostic] = []
    if truncated:
        diags.append(
            Diagnostic(
                severity=Severity.WARNING,
                code="input-truncated",
                message=f"input longer than {_MAX_CHARS} characters; the rest was not read",
            )
        )
    fm = Frontmatter()
    has_fm = False
    body_start = 0
    bounds = frontmatter_bounds(lines)
    if bounds is not None:
        _s, end = bounds
        fm, fdiags = parse_frontmatter(lines[1:end], base + 1)
        diags.extend(fdiags)
        has_fm = True
        body_start = end + 1
    # Blank out the frontmatter so headings/fields below never see it; indexes stay aligned.
    body = [""] * body_start + lines[body_start:]
    mask = code_mask(body)
    heads = _section_map(body, mask)
    raws, dups = _raw_streams(body, mask, heads)

    h1 = next((t for (_i, lvl, t) in heads if lvl == 1), None)
    issue = fm.issue
    if issue is None and h1 is not None:
        m = _H1_ISSUE.search(h1)
        if m:
            issue = int(m.group(1))
    # An analysis declares itself (frontmatter, a title) or describes its streams with fields. A comment
    # that merely has a heading "### Stream A status" must not replace the plan.
    declared = (
        fm.analyzed is not None
        or fm.parallelization_factor is not None
        or fm.estimated_hours is not None
        or bool(h1 and ANALYSIS_TITLE.search(h1))
        or bool(heads and ANALYSIS_TITLE.search(heads[0][2]))
    )
    described = any(r.fields for r in raws)
    if not (declared or (raws and (described or has_fm))):
        return None

    known = StreamIds([r.sid for r in raws])
    streams: list[Stream] = []
    for r in raws:
        hours: HourRange | None = None
        hf = r.fields.get("hours")
        if hf is not None:
            hours = parse_hours(" ".join([hf.inline, *hf.items]))
            if hours is None:
                diags.append(
                    Diagnostic(
                        severity=Severity.WARNING,
                        code="hours-unreadable",
                        message=f"Stream {r.sid}: hours {hf.inline[:60]!r} not understood",
                        line=base + hf.line + 1,
                    )
                )
        if hours is None:
            hours = _heading_hours(r.heading)
        depends: list[str] = []
        ext: list[str] = []
        source: str | None = None
        df = r.fields.get("deps")
        cf = r.fields.get("can_start")
        if df is not None:
            depends, ext = read_dependencies(df.inline, df.items, known, r.sid)
            source = "dependencies"
            unknown, itself = named_problems(df.inline, df.items, known, r.sid)
            for sid in unknown:
                message = f"Stream {r.sid} depends on Stream {sid}, which is not in the plan"
                diags.append(
                    Diagnostic(
                        severity=Severity.ERROR,
                        code="unknown-dependency",
                        message=message,
                        line=base + df.line + 1,
                    )
                )
            if itself:
                diags.append(
                    Diagnostic(
                        severity=Severity.ERROR,
                        code="self-dependency",
                        message=f"Stream {r.sid} depends on itself",
                        line=base + df.line + 1,
                    )
                )
            if cf is not None:
                alt = read_can_start(_text_of(cf) or "", known, r.sid)
                if alt and sorted(alt) != sorted(depends):
                    diags.append(
                        Diagnostic(
                            severity=Severity.INFO,
                            code="dependencies-disagree",
                            message=f"Stream {r.sid}: Dependencies and Can Start disagree; Dependencies wins",
                            line=base + df.line + 1,
                        )
                    )
        elif cf is not None:
            depends = read_can_start(_text_of(cf) or "", known, r.sid)
            source = "can_start"
        agent = _text_of(r.fields.get("agent"))
        streams.append(
            Stream(
                id=r.sid,
                name=r.name,
                line=base + r.index + 1,
                scope=_text_of(r.fields.get("scope")),
                files=_files(r.fields["files"]) if "files" in r.fields else [],
                agent_type=agent.replace("`", "").strip() if agent else None,
                can_start=_text_of(cf),
                hours=hours,
                depends_on=depends,
                external_deps=ext,
                depends_source=source,
            )
        )
    for sid, idx in dups:
        diags.append(
            Diagnostic(
                severity=Severity.INFO,
                code="stream-repeated",
                message=f"Stream {sid} appears again; the first one is read",
                line=base + idx + 1,
            )
        )
    if not streams:
        diags.append(
            Diagnostic(
                severity=Severity.WARNING,
                code="no-streams",
                message="no `Stream X` headings found",
                line=base + 1,
            )
        )

    source_text = "\n".join(lines)
    conflicts = list(fm.conflicts_with)
    for n in _conflicts("\n".join(body)):
        if n not in conflicts:
            conflicts.append(n)
    title = fm.title or h1
    return Analysis(
        issue=issue,
        title=title,
        frontmatter=fm if has_fm else Frontmatter(line=base + 1),
        overview=_find_section(body, heads, _OVERVIEW, base),
        streams=streams,
        coordination=_coordination(body, mask, heads, base),
        conflict_risk=_find_section(body, heads, _RISK, base),
        recommended_approach=_recommended(body, mask, heads, base),
        timeline=_timeline(body, mask, heads, base),
        notes=_find_section(body, heads, _NOTES, base),
        conflicts_with=conflicts,
        diagnostics=diags,
        source=source_text,
        source_line=base + 1,
    )


def read_analysis(text: str) -> Analysis | None:
    """The analysis in `text`, or None when there is none. Never raises: problems become diagnostics."""
    try:
        if not isinstance(text, str) or not maybe_analysis(text):
            return None
        if text.lstrip().startswith(_BOT_MARKER):
            return None  # the bot's own summary or sub-issue text is never a plan to follow
        return _build(text)
    except Exception as exc:  # a reader bug must not take the bot down
        message = f"the reader failed: {type(exc).__name__}: {exc}"[:300]
        bug = Diagnostic(severity=Severity.ERROR, code="reader-internal", message=message)
        return Analysis(diagnostics=[bug])


def read_task(text: str) -> Frontmatter | None:
    """CCPM task frontmatter at the top of an issue body (depends_on, conflicts_with, parallel), or None."""
    try:
        if not isinstance(text, str) or "---" not in text[:2000]:
            return None
        got = read_task_frontmatter(split_lines(text))
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
