"""Finding the streams (headings and stream-table rows) and reading each into a `Stream` with its findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis import diagnostics
from bot.analysis.deps import (
    DepsRead,
    StreamIds,
    canonical_id,
    read_can_start,
    read_can_start_deps,
    read_deps_checked,
)
from bot.analysis.hours import parse_hours
from bot.analysis.limits import (
    MAX_DEPENDENCIES,
    MAX_DEPENDENCY_LINKS,
    MAX_EXTERNAL_DEPS,
    MAX_FIELD_CHARS,
    MAX_FILES,
    MAX_REPEATS_NAMED,
    MAX_STREAMS,
)
from bot.analysis.locate import stream_heading
from bot.analysis.models import Diagnostic, HourRange, Stream
from bot.analysis.read_fields import Field, collect_fields, field_files, field_text, label_kind
from bot.analysis.read_sections import Outline

_NAME_SEP = re.compile(r"^\s*(?:[:：\-–—.]|\)\s*[:：\-–—.]?)\s*")
_PAREN = re.compile(r"\(([^()]*)\)|（([^（）]*)）")
_TABLE_ID = re.compile(
    r"^(?:(?:work\s*)?streams?\s*|工作流\s*|流\s*)?(?P<id>[A-Za-z]{1,2}|\d+)(?![A-Za-z0-9])\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_TABLE_RULE = re.compile(r"\|?[ \t]*+:?-{2,}+:?[ \t]*+(?:\|[ \t]*+:?-{2,}+:?[ \t]*+)*+\|?")
_STREAM_COLUMNS = ("stream", "streams", "流", "工作流", "work stream", "workstream")
_NAME_COLUMNS = ("name", "stream name", "title", "focus", "description", "scope", "名称", "nom", "描述")


@dataclass
class RawStream:
    """A stream as found, before its fields are interpreted: id, name, where it is and its fields."""

    sid: str
    name: str
    index: int  # index in the located lines of its heading or table row
    fields: dict[str, Field] = field(default_factory=dict)
    heading: str = ""
    #: The lines under its heading, as written (streams' sections do not overlap: linear in the document).
    section: str = ""


def find_streams(outline: Outline) -> tuple[list[RawStream], list[tuple[str, int, str]]]:
    """Streams in document order, and the (id, line index) of every repeat.

    The first heading of an id wins; a stream-table row joins them unless a heading or row has its id.
    At most MAX_STREAMS + 1 are returned: `build_streams` keeps MAX_STREAMS and reports the rest.
    """
    lines, heads = outline.lines, outline.heads
    streams: list[RawStream] = []
    dups: list[tuple[str, int, str]] = []
    seen: set[str] = set()

    def is_new(sid: str, index: int, name: str = "") -> bool:
        if sid in seen:
            dups.append((sid, index, name))
            return False
        seen.add(sid)
        return True

    marks = [(pos, m) for pos, (_i, _l, text) in enumerate(heads) if (m := stream_heading(text))]
    for n, (pos, m) in enumerate(marks):
        i, _level, text = heads[pos]
        sid = canonical_id(m.group("id") or m.group("cid") or "")
        rest = text[m.end() :]
        name = rest.strip() if rest.lstrip().startswith("(") else _NAME_SEP.sub("", rest, count=1).strip()
        # A stream's section ends where its heading's section ends, or at the next stream heading.
        end = outline.ends[pos]
        if n + 1 < len(marks):
            end = min(end, heads[marks[n + 1][0]][0])
        if sid in seen:
            # A repeat is another stream (not a recap of this one) only when it has hours or dependencies of
            # its own: its name is kept for the finding then. Sections do not overlap: linear in the text.
            own = collect_fields(lines, outline.mask, i + 1, end) if len(dups) < MAX_REPEATS_NAMED else {}
            is_new(sid, i, name if ("hours" in own or "deps" in own) else "")
            continue
        is_new(sid, i)
        if len(streams) > MAX_STREAMS:
            break
        section = "\n".join(lines[i + 1 : end]).strip("\n")
        fields = collect_fields(lines, outline.mask, i + 1, end)
        streams.append(RawStream(sid, name, i, fields, text, section))
    streams.extend(row for row in _table_streams(outline) if is_new(row.sid, row.index, row.name))
    streams.sort(key=lambda r: r.index)
    return streams[: MAX_STREAMS + 1], dups


_PIPE = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip() for c in _PIPE.split(body)]


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _table_row(
    header: list[str], kinds: list[str | None], cells: list[str], j: int
) -> RawStream | None:
    """A stream from one row of a stream table, its columns read as fields by their header's `kinds`."""
    m = _TABLE_ID.match(cells[0]) if cells else None
    if m is None:
        return None
    row = RawStream(canonical_id(m.group("id")), "", j, {}, cells[0])
    for col, kind, cell in zip(header[1:], kinds[1:], cells[1:], strict=False):
        if kind and kind not in row.fields and cell:
            f = Field(kind, "", [], j)
            parts = [f.capped(p.strip()) for p in _BR.split(cell)]
            if kind == "files":
                f.items = parts
            else:
                f.inline, f.items = parts[0], parts[1:]
            row.fields[kind] = f
        elif col in _NAME_COLUMNS and not row.name:
            row.name = cell
    row.name = _NAME_SEP.sub("", m.group("rest"), count=1).strip() or row.name
    return row


_STREAM_WORD = re.compile(r"stream|流", re.IGNORECASE)


def _table_streams(outline: Outline) -> list[RawStream]:
    """Streams as rows of a table whose first column is "Stream" (or "#"/"ID" under a Stream heading)."""
    lines, mask, heads = outline.lines, outline.mask, outline.heads
    out: list[RawStream] = []
    last_heading = ""
    h = 0  # the next heading in `heads` not yet passed
    n = len(lines)
    after = 0  # the first line after the last table read (its rows are not looked at again)
    for i in [k for k, line in enumerate(lines) if "|" in line]:  # a table's header has a pipe
        if i < after or mask[i] or i + 1 >= n or not _TABLE_RULE.fullmatch(lines[i + 1].strip()):
            continue
        while h < len(heads) and heads[h][0] <= i:
            last_heading = heads[h][2]
            h += 1
        line = lines[i]
        header = [c.replace("**", "").strip().lower() for c in _cells(line)]
        kinds = [label_kind(c) for c in header]  # once per table, not once per row
        first = header[0] if header else ""
        is_stream_table = first in _STREAM_COLUMNS or (
            first in ("#", "id") and _STREAM_WORD.search(last_heading) is not None
        )
        j = i + 2
        while j < n and "|" in lines[j] and lines[j].strip() and not mask[j]:
            if is_stream_table:
                cells = [c.replace("**", "").strip() for c in _cells(lines[j])]
                row = _table_row(header, kinds, cells, j)
                if row is not None:
                    out.append(row)
                    if len(out) > MAX_STREAMS:
                        return out  # more than the reader keeps: build_streams says so
            j += 1
        after = j
        while h < len(heads) and heads[h][0] < j:
            h += 1  # headings among the rows read are not the heading of a later table
    return out


def _bare_name(name: str) -> str:
    return re.sub(r"[\W_]+", " ", _PAREN.sub(" ", name)).strip().casefold()


def _other_name(name: str, first: str) -> bool:
    """Whether a repeated id names another piece of work: "Model Core" and "Model Core (2 days)" do not."""
    a, b = _bare_name(name), _bare_name(first)
    return bool(a and b) and not (a.startswith(b) or b.startswith(a))


def _heading_hours(heading: str) -> HourRange | None:
    """A duration in the heading's parentheses: "Stream C: Model Core (2 days)"."""
    for m in _PAREN.finditer(heading):
        got = parse_hours(m.group(1) or m.group(2) or "", need_unit=True)
        if got is not None:
            return got
    return None


def build_streams(
    raws: list[RawStream], dups: list[tuple[str, int, str]], base: int
) -> tuple[list[Stream], list[Diagnostic]]:
    """Every raw stream read into a `Stream`, with the findings about them (lines of the original input)."""
    diags: list[Diagnostic] = []
    if len(raws) > MAX_STREAMS:
        line = base + raws[MAX_STREAMS].index + 1
        message = f"more than {MAX_STREAMS} streams; those from line {line} on were not read"
        diags.append(diagnostics.warning("streams-capped", message, line))
        raws = raws[:MAX_STREAMS]
    known = StreamIds([r.sid for r in raws])
    streams: list[Stream] = []
    links = MAX_DEPENDENCY_LINKS  # left for the whole plan
    for r in raws:
        limit = min(MAX_DEPENDENCIES, links)
        hours: HourRange | None = None
        hf = r.fields.get("hours")
        if hf is not None:
            hours = parse_hours(" ".join([hf.inline, *hf.items]))
            if hours is None:
                message = f"Stream {r.sid}: hours {hf.inline[:60]!r} not understood"
                diags.append(diagnostics.warning("hours-unreadable", message, base + hf.line + 1))
        if hours is None:
            hours = _heading_hours(r.heading)
        unknown: list[str] = []
        source: str | None = None
        df = r.fields.get("deps")
        cf = r.fields.get("can_start")
        if df is not None:
            got, unknown, itself = read_deps_checked(df.inline, df.items, known, r.sid, limit)
            source = "dependencies"
            found, unknown = _dependency_findings(
                r.sid, (unknown, itself), cf, got.ids, known, base + df.line + 1
            )
            diags.extend(found)
        elif cf is not None:
            got = read_can_start_deps(field_text(cf) or "", known, r.sid, limit)
            source = "can_start"
        else:
            got = DepsRead()
        depends, ext = got.ids, got.external
        links -= len(depends)
        f_dep = df or cf
        where = base + f_dep.line + 1 if f_dep is not None else base + r.index + 1
        diags.extend(_cap_findings(r, got, limit, where, base))
        files = field_files(r.fields["files"]) if "files" in r.fields else []
        if len(files) > MAX_FILES:
            message = (
                f"Stream {r.sid} lists {len(files)} files; only the first {MAX_FILES} are read "
                f"(the other {len(files) - MAX_FILES} are not checked for overlaps)"
            )
            diags.append(diagnostics.warning("files-capped", message, base + r.fields["files"].line + 1))
            files = files[:MAX_FILES]
        agent = field_text(r.fields.get("agent"))
        streams.append(
            Stream(
                id=r.sid,
                name=r.name,
                line=base + r.index + 1,
                scope=field_text(r.fields.get("scope")),
                files=files,
                agent_type=agent.replace("`", "").strip() if agent else None,
                can_start=field_text(cf),
                hours=hours,
                depends_on=depends,
                external_deps=ext,
                depends_source=source,
                unknown_deps=unknown,
                section=r.section,
            )
        )
    names = {r.sid: r.name for r in raws}
    for sid, idx, name in dups[:MAX_REPEATS_NAMED]:
        first = names.get(sid, "")
        if name and first and _other_name(name, first):
            # Another stream under a used id (not a repeat of the same one): its work would be lost unseen.
            message = (
                f'Stream {sid} appears again as "{name[:80]}": only the first, "{first[:80]}", is read; '
                "give the second its own id"
            )
            diags.append(diagnostics.warning("stream-id-reused", message, base + idx + 1))
            continue
        message = f"Stream {sid} appears again; the first one is read"
        diags.append(diagnostics.info("stream-repeated", message, base + idx + 1))
    if len(dups) > MAX_REPEATS_NAMED:
        more = len(dups) - MAX_REPEATS_NAMED
        message = f"… and {more} more repeated streams (the first of each is read)"
        diags.append(diagnostics.info("stream-repeated", message, base + dups[MAX_REPEATS_NAMED][1] + 1))
    return streams, diags


_FIELD_NAMES = {
    "hours": "Hours", "deps": "Dependencies", "can_start": "Can Start", "scope": "Scope",
    "files": "Files", "agent": "Agent Type",
}  # fmt: skip


def _cap_findings(r: RawStream, got: DepsRead, limit: int, where: int, base: int) -> list[Diagnostic]:
    """What a cap of limits.py left out of this stream, one diagnostic per cap reached."""
    out: list[Diagnostic] = []
    for kind, f in r.fields.items():
        if f.cut:
            message = (
                f"Stream {r.sid}: {_FIELD_NAMES.get(kind, kind)} has text longer than {MAX_FIELD_CHARS} "
                f"characters; the last {f.cut} characters were not read"
            )
            out.append(diagnostics.warning("field-truncated", message, base + f.line + 1))
    if got.ids_capped:
        why = (
            f"names more than {MAX_DEPENDENCIES} streams as dependencies"
            if limit == MAX_DEPENDENCIES
            else f"is read after the plan's first {MAX_DEPENDENCY_LINKS} dependency links"
        )
        kept = f" ({got.ids[0]} … {got.ids[-1]})" if got.ids else ""
        message = f"Stream {r.sid} {why}; only {len(got.ids)} of its dependencies are kept{kept}"
        out.append(diagnostics.warning("dependencies-capped", message, where))
    if got.external_capped:
        message = (
            f"Stream {r.sid} names more than {MAX_EXTERNAL_DEPS} external dependencies; "
            f"only the first {MAX_EXTERNAL_DEPS} are kept"
        )
        out.append(diagnostics.warning("external-deps-capped", message, where))
    return out


def _dependency_findings(
    sid: str,
    problems: tuple[list[str], bool],
    cf: Field | None,
    depends: list[str],
    known: StreamIds,
    line: int,
) -> tuple[list[Diagnostic], list[str]]:
    """Unknown streams and the stream itself named as dependencies (`problems`, as `named_problems` finds
    them: findings, and those ids); a Can Start that disagrees."""
    out: list[Diagnostic] = []
    unknown, itself = problems
    for other in unknown:
        message = f"Stream {sid} depends on Stream {other}, which is not in the plan"
        out.append(diagnostics.error("unknown-dependency", message, line))
    if itself:
        out.append(diagnostics.error("self-dependency", f"Stream {sid} depends on itself", line))
    if cf is not None:
        alt = read_can_start(field_text(cf) or "", known, sid)
        if alt and sorted(alt) != sorted(depends):
            message = f"Stream {sid}: Dependencies and Can Start disagree; Dependencies wins"
            out.append(diagnostics.info("dependencies-disagree", message, line))
    return out, [*unknown, *([sid] if itself else [])]
