"""Renders a checked plan: the GitHub summary comment, the `plan --json` shape, and a terminal view.

All document text is untrusted and goes through bot.analysis.markdown (no mention, reference or link from it
is live: only the plan's issue, its sub-issues and the issues it flags are); the summary never exceeds the
comment limit (it drops the diagram, then folds and shortens lists, and says so).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence

from bot.analysis.diagram import Layout, Marks, choose_layout, edge_count, fits, unknown_of
from bot.analysis.diagram import diagram as draw
from bot.analysis.figures import fmt_hours
from bot.analysis.markdown import (
    code_span,
    escape_inline,
    html_attr_safe,
    inline_markdown,
    one_line,
    truncate,
)
from bot.analysis.models import (
    Diagnostic,
    HourRange,
    LiveStatus,
    PlanReport,
    ScheduledStream,
    Severity,
    Stream,
)
from bot.analysis.schedule import remaining_wall
from bot.conventions import MARKER_PREFIX, MAX_BODY, SUMMARY

#: GitHub's limit on an issue comment body, in characters.
COMMENT_LIMIT = MAX_BODY
#: Marker on the first line of the summary comment; followed by ` issue=<N> plan=<hash> -->`.
SUMMARY_MARKER = MARKER_PREFIX + SUMMARY
#: Beyond these the Mermaid diagram is unreadable (and Mermaid itself caps edges at 500).
MAX_DIAGRAM_STREAMS = 60
MAX_DIAGRAM_EDGES = 200
#: Above this many streams the table is folded into <details>.
FOLD_TABLE_ABOVE = 30
#: Warnings listed before the rest are folded away.
MAX_DIAGNOSTICS = 200
#: Critical-path streams named in the headline before the rest is elided.
MAX_PATH_SHOWN = 25
#: Issues named in a "Conflicts with" / "Blocked by" line before the rest is elided.
MAX_ISSUES_SHOWN = 50
_NAME_LIMIT = 100
_MESSAGE_LIMIT = 400
_ID_LIMIT = 24

_STATE_ICON = {"open": "⏳ open", "ready": "🟢 ready", "closed": "✅ closed", "not_planned": "⚪ not planned"}
_SEVERITY_ICON = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


# --- JSON and hash --------------------------------------------------------------------------------


def _r(value: HourRange | None, digits: int = 4) -> list[float] | None:
    if value is None:
        return None
    return [round(value[0], digits), round(value[1], digits)]


def report_to_json(report: PlanReport) -> dict[str, object]:
    """The `plan --json` shape of issue 3 (hours `null` where unknown; speed-up rounded to 2 decimals)."""
    a = report.analysis
    fm = a.frontmatter
    return {
        "issue": a.issue,
        "title": a.title,
        "streams": [
            {
                "id": ss.stream.id,
                "name": ss.stream.name,
                "hours": _r(ss.stream.hours),
                "depends_on": list(ss.stream.depends_on),
                "files": list(ss.stream.files),
                "start": _r(ss.start),
                "finish": _r(ss.finish),
            }
            for ss in report.schedule
        ],
        "total_hours": _r(report.total_hours),
        "wall_hours": _r(report.wall_hours),
        "speedup": _r(report.speedup, 2),
        "critical_path": list(report.critical_path),
        "conflicts_with": list(a.conflicts_with),
        "stated": {
            "estimated_hours": _r(fm.estimated_hours),
            "parallelization_factor": fm.parallelization_factor,
            "wall_hours": _r(a.timeline.wall_hours),
            "total_hours": _r(a.timeline.total_hours),
            "efficiency_gain": a.timeline.efficiency_gain,
        },
        "diagnostics": [
            {"severity": d.severity.value, "code": d.code, "message": d.message, "line": d.line}
            for d in report.diagnostics
        ],
    }


#: The encoder json.dumps would build on every call for these options, built once (without the check
#: for circular references: report_to_json builds a tree afresh).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def plan_hash(report: PlanReport) -> str:
    """12 hex digits naming the plan as rendered (streams, figures, diagnostics): same plan, same hash."""
    canonical = _CANONICAL.encode(report_to_json(report))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def summary_marker(report: PlanReport) -> str:
    """The hidden first line of the summary comment."""
    issue = report.analysis.issue
    issue_text = str(issue) if issue is not None else "none"
    return f"{SUMMARY_MARKER} issue={html_attr_safe(issue_text)} plan={plan_hash(report)} -->"


# --- the GitHub summary ---------------------------------------------------------------------------


def _h(value: HourRange | None) -> str:
    return fmt_hours(value) + " h" if value is not None else "?"


def _stated(text: str | None) -> str:
    return f" (stated {text})" if text else ""


def _cell(value: HourRange | None) -> str:
    """A figure for a narrow cell: a range never wraps at its dash (a no-break hyphen)."""
    return escape_inline(fmt_hours(value)).replace("–", "\u2011")


def _mh(value: HourRange | None) -> str:
    return escape_inline(_h(value))


#: The stated-vs-computed findings, by the headline figure they are about: shown there, not repeated below.
_STATED_CODES = {
    "total": ("estimated-hours-mismatch", "total-work-mismatch"),
    "wall": ("wall-time-mismatch",),
    "speed-up": ("parallelization-factor-mismatch",),
    "efficiency gain": ("efficiency-gain-mismatch",),
}
_IN_HEADLINE = {code for codes in _STATED_CODES.values() for code in codes}


def _headline_figures(report: PlanReport) -> list[tuple[str, str, str | None]]:
    """(name, computed, stated or None) of each headline figure, for the summary and the terminal view."""
    a = report.analysis
    fm, tl = a.frontmatter, a.timeline
    stated_total = fm.estimated_hours or tl.total_hours
    pf = fm.parallelization_factor
    out: list[tuple[str, str, str | None]] = [
        ("total", _h(report.total_hours), _h(stated_total) if stated_total else None),
        ("wall", _h(report.wall_hours), _h(tl.wall_hours) if tl.wall_hours else None),
        (
            "speed-up",
            fmt_hours(report.speedup) + "×" if report.speedup else "?",
            fmt_hours(pf) + "×" if pf is not None else None,
        ),
    ]
    gain, eg = report.efficiency_gain, tl.efficiency_gain
    if gain is not None or eg is not None:
        out.append(
            (
                "efficiency gain",
                fmt_hours(gain) + "%" if gain else "?",
                fmt_hours(eg) + "%" if eg is not None else None,
            )
        )
    return out


_LEADING_ISSUE = re.compile(r"^\s*(?:issue\s*)?#\s*(\d+)\b[\s:·\-–—]*", re.IGNORECASE)


def _title(report: PlanReport, issue: int | None) -> str:
    """The document's title without a leading "Issue #N" naming the issue the headline already names."""
    title = one_line(report.analysis.title or "")
    m = _LEADING_ISSUE.match(title)
    if m and issue is not None and int(m.group(1)) == issue:
        title = title[m.end() :]
    return inline_markdown(title, 200)


def _errors(report: PlanReport, status: LiveStatus | None) -> list[Diagnostic]:
    notes = list(status.notes) if status is not None else []
    return [d for d in [*report.diagnostics, *notes] if d.severity is Severity.ERROR]


def _headline(report: PlanReport, status: LiveStatus | None) -> list[str]:
    issue = status.issue if status is not None and status.issue is not None else report.analysis.issue
    title = _title(report, issue)
    heading = "## Parallel work plan" + (f" for #{issue}" if issue is not None else "")
    heading += f" · {title}" if title else ""
    n = len(report.schedule)
    lines = [heading, ""]
    errors = _errors(report, status)
    if errors:
        first = errors[0]
        where = f" (line {first.line})" if first.line is not None else ""
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        lines += [
            f"❌ **Not synced: the plan has {len(errors)} error{'s' if len(errors) != 1 else ''}.** "
            f"{inline_markdown(first.message, _MESSAGE_LIMIT)}{where}{more}. "
            "Sub-issues are created or changed once the errors are fixed.",
            "",
        ]
    count = f"**{n} stream{'s' if n != 1 else ''}**"
    if n == 0:
        lines.append(
            f"{count} found. A stream is a heading such as `### Stream A: Name`, with fields under it like "
            "`**Files**:`, `**Depends on**:` and `**Estimated Hours**:`."
        )
        return lines
    if errors:
        lines.append(f"{count} · figures withheld until the errors are fixed (the order of work is unknown)")
        return lines
    differs = {d.code: d.line for d in report.diagnostics if d.code in _IN_HEADLINE}
    parts = [count]
    for name, value, stated in _headline_figures(report):
        part = f"{name} **{escape_inline(value)}**"
        codes = [c for c in _STATED_CODES[name] if c in differs]
        if stated and codes:
            line = differs[codes[0]]
            part += f" (⚠️ stated {escape_inline(stated)}" + (f", line {line})" if line else ")")
        parts.append(part)
    lines.append(" · ".join(parts))
    return lines


def _is_done(ss: ScheduledStream, status: LiveStatus | None) -> bool:
    """Whether the stream's sub-issue is closed as completed."""
    st = status.streams.get(ss.stream.id) if status is not None else None
    return st is not None and st.state == "closed"


def _issues(numbers: Sequence[int]) -> str:
    """"#5, #6": at most MAX_ISSUES_SHOWN of them, so a document cannot crowd the rest out of the comment."""
    shown = ", ".join(f"#{n}" for n in numbers[:MAX_ISSUES_SHOWN])
    return shown + (f", … ({len(numbers)} issues)" if len(numbers) > MAX_ISSUES_SHOWN else "")


def stream_ref(sid: str, status: LiveStatus | None) -> str:
    """`A (#6)`: a stream by its id and, once it has one, its sub-issue."""
    st = status.streams.get(sid) if status is not None else None
    text = escape_inline(truncate(sid, _ID_LIMIT), in_table=True)
    return f"{text} (#{st.number})" if st is not None else text


def _can_start(report: PlanReport, status: LiveStatus | None) -> list[str]:
    """Streams that wait for nothing: ready sub-issues, or (before a sync) streams without dependencies."""
    if status is not None and status.streams:
        return [ss.stream.id for ss in report.schedule if (st := status.streams.get(ss.stream.id))
                and st.state == "ready"]
    return [ss.stream.id for ss in report.schedule if not ss.stream.depends_on and not ss.stream.unknown_deps]


def _source_line(status: LiveStatus | None) -> str | None:
    if status is None or not status.source_url:
        return None
    what = "this comment" if "#issuecomment-" in status.source_url else "the issue body"
    edited = f", edited {escape_inline(status.source_edited)}" if status.source_edited else ""
    return f"**Read from:** [{what}]({status.source_url}){edited}"


def _facts(report: PlanReport, status: LiveStatus | None) -> list[str]:
    lines: list[str] = []
    errors = bool(_errors(report, status))
    if report.schedule and not errors:
        ready = _can_start(report, status)
        if ready:
            shown = ", ".join(stream_ref(sid, status) for sid in ready[:MAX_PATH_SHOWN])
            more = f", … ({len(ready)} streams)" if len(ready) > MAX_PATH_SHOWN else ""
            lines.append(f"**Can start now:** {shown}{more}")
    if report.critical_path and not errors:
        path = report.critical_path
        ids = " → ".join(escape_inline(truncate(i, _ID_LIMIT)) for i in path[:MAX_PATH_SHOWN])
        if len(path) > MAX_PATH_SHOWN:
            ids += f" → … ({len(path)} streams)"
        lines.append(f"**Critical path:** {ids} ({_mh(report.wall_hours)})")
    if report.analysis.conflicts_with:
        lines.append("**Conflicts with:** " + _issues(report.analysis.conflicts_with))
    if status is not None:
        if status.blocked_by_issues:
            lines.append("**Blocked by:** " + _issues(status.blocked_by_issues))
        if report.schedule and status.streams:
            done = [ss for ss in report.schedule if _is_done(ss, status)]
            done_hours = (
                sum(ss.stream.hours[0] for ss in done if ss.stream.hours),
                sum(ss.stream.hours[1] for ss in done if ss.stream.hours),
            )
            progress = f"**Progress:** {len(done)} of {len(report.schedule)} streams done"
            if not errors:
                remaining = remaining_wall(report, [ss.stream.id for ss in done])
                progress += (
                    f" · {escape_inline(fmt_hours(done_hours))} h of {_mh(report.total_hours)}"
                    f" · remaining critical path {_mh(remaining)}"
                )
            lines.append(progress)
        source = _source_line(status)
        if source:
            lines.append(source)
    return [line + "  " for line in lines[:-1]] + lines[-1:]


#: A word this long has no place to wrap: in a table cell it would push the other columns off-screen.
_LONG_WORD = 32


def _short_words(text: str) -> str:
    """Words longer than _LONG_WORD shortened (outside code spans, which are kept whole or not at all)."""
    if len(text) <= _LONG_WORD or "`" in text:
        return text
    words = text.split(" ")
    if max(map(len, words)) <= _LONG_WORD:
        return text  # (most names: no word to shorten)
    return " ".join(truncate(w, _LONG_WORD) for w in words)


def _waits_for(s: Stream, status: LiveStatus | None, unknown: Sequence[str], refs: dict[str, str]) -> str:
    known = [d for d in s.depends_on if d not in unknown]
    parts: list[str] = []
    for d in known:
        ref = refs.get(d)
        if ref is None:
            ref = refs[d] = stream_ref(d, status)
        parts.append(ref)
    for d in unknown:
        what = escape_inline(truncate(d, _ID_LIMIT), in_table=True)
        parts.append("❌ itself" if d == s.id else f"{what} ❌ not in the plan")
    parts += [inline_markdown(_short_words(one_line(x)), 40, in_table=True) for x in s.external_deps]
    return ", ".join(parts) or "—"


def _row(
    ss: ScheduledStream, status: LiveStatus | None, unknown: Sequence[str], errors: bool, refs: dict[str, str]
) -> str:
    """One stream's table row; `refs`: each stream's reference as shown, filled as the rows ask for them."""
    s = ss.stream
    mark = " ★" if ss.on_critical_path and not errors else ""
    cells = [
        f"**{escape_inline(truncate(s.id, _ID_LIMIT), in_table=True)}**{mark}",
        inline_markdown(_short_words(one_line(s.name)), _NAME_LIMIT, in_table=True) or "—",
        _cell(s.hours) if s.hours is not None else "?",
        _waits_for(s, status, unknown, refs),
    ]
    if not errors:
        known = ss.start is not None and ss.finish is not None
        cells.append(f"{_cell(ss.start)}\u00a0→\u00a0{_cell(ss.finish)}" if known else "—")
    agent = inline_markdown(_short_words(one_line(s.agent_type)), 40, in_table=True) if s.agent_type else ""
    cells.append(agent or "—")
    if status is not None and status.streams:
        st = status.streams.get(s.id)
        state = _STATE_ICON.get(st.state, escape_inline(st.state, in_table=True)) if st else "—"
        cells += [f"#{st.number}" if st else "—", state]
    return "| " + " | ".join(cells) + " |"


def _table(
    report: PlanReport, status: LiveStatus | None, rows: Sequence[str], max_rows: int | None, errors: bool
) -> list[str]:
    header = ["Stream", "Name", "Hours", "Waits for"] + ([] if errors else ["Start → finish"]) + ["Agent"]
    if status is not None and status.streams:
        header += ["Issue", "State"]
    shown = rows if max_rows is None else rows[:max_rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += shown
    hidden = len(report.schedule) - len(shown)
    if hidden:
        lines += ["", f"_… {hidden} more streams not shown (comment size limit)._"]
    if not errors:
        lines += [
            "",
            "★ on the critical path (ties broken by stream order) · start → finish: hours from the start, "
            "with unlimited agents · an arrow always reads \"first, then\".",
        ]
    return lines


def _diagnostic_line(d: Diagnostic) -> str:
    where = f" (line {d.line})" if d.line is not None else ""
    icon = _SEVERITY_ICON.get(d.severity, d.severity.value)
    message = inline_markdown(d.message, _MESSAGE_LIMIT)
    return f"- {icon} {code_span(truncate(d.code, 60))}{where}: {message}"


def _findings(report: PlanReport, status: LiveStatus | None) -> list[Diagnostic]:
    """Errors, then warnings, then infos; each message once. Stated figures are left to the headline (or,
    with errors, to when the figures can be computed: they are withheld until then)."""
    notes = list(status.notes) if status is not None else []
    everything = [d for d in [*report.diagnostics, *notes] if d.code not in _IN_HEADLINE]
    seen: set[str] = set()
    out: list[Diagnostic] = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        for d in everything:
            if d.severity is severity and d.message not in seen:
                seen.add(d.message)
                out.append(d)
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _diagnostics(report: PlanReport, status: LiveStatus | None, max_items: int) -> tuple[list[str], int]:
    everything = _findings(report, status)
    if not everything:
        return [], 0
    errors = [d for d in everything if d.severity is Severity.ERROR]
    warnings = [d for d in everything if d.severity is Severity.WARNING]
    infos = [d for d in everything if d.severity is Severity.INFO]
    counts = [_plural(len(errors), "error"), _plural(len(warnings), "warning")]
    if infos:
        counts.append(_plural(len(infos), "note"))
    lines = [f"### Findings ({', '.join(counts)})", ""]
    shown = (errors + warnings)[:max_items]
    lines += [_diagnostic_line(d) for d in shown]
    room = max(0, max_items - len(shown))
    hidden = len(errors) + len(warnings) - len(shown) + max(0, len(infos) - room)
    if infos and room:
        if shown:
            lines.append("")
        lines += [f"<details><summary>{_plural(len(infos), 'note')}</summary>", ""]
        lines += [_diagnostic_line(d) for d in infos[:room]]
        lines += ["", "</details>"]
    if hidden:
        lines += ["", f"_… {hidden} more findings not shown (comment size limit)._"]
    return lines, hidden


def _compose(
    report: PlanReport,
    status: LiveStatus | None,
    *,
    diagram: bool,
    max_diagnostics: int,
    max_rows: int | None,
    notes: Sequence[str],
    rows: Sequence[str],
    marker: str,
    chosen: Layout | None,
) -> str:
    errors = bool(_errors(report, status))
    blocks: list[list[str]] = [[marker, *_headline(report, status)]]
    facts = _facts(report, status)
    if facts:
        blocks.append(facts)
    diag_lines, _ = _diagnostics(report, status, max_diagnostics)
    if diag_lines:
        blocks.append(diag_lines)
    if report.schedule:
        table = _table(report, status, rows, max_rows, errors)
        if len(report.schedule) > FOLD_TABLE_ABOVE or max_rows is not None:
            table = [
                f"<details><summary>Streams ({len(report.schedule)})</summary>",
                "",
                *table,
                "",
                "</details>",
            ]
        blocks.append(table)
    if diagram and report.schedule:
        done = frozenset(ss.stream.id for ss in report.schedule if _is_done(ss, status))
        lines, legend = draw(report, Marks(done, tuple(report.critical_path), errors), chosen)
        blocks.append(lines)
        blocks.append(["_Diagram: " + "; ".join(legend) + "._"])
    if notes:
        blocks.append(["_" + " ".join(notes) + "_"])
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def render_summary(
    report: PlanReport, status: LiveStatus | None = None, *, limit: int = COMMENT_LIMIT, diagram: bool = True
) -> str:
    """The summary comment: marker, headline, facts, findings, streams, Mermaid diagram; never over `limit`.

    With `status`, every stream shows its sub-issue and state, and the facts show progress.
    """
    n = len(report.schedule)
    unknown = unknown_of(report)
    errors = bool(_errors(report, status))
    refs: dict[str, str] = {}  # a plan of many streams names each one in many rows
    rows = [_row(ss, status, unknown.get(ss.stream.id, []), errors, refs) for ss in report.schedule]
    marker = summary_marker(report)
    notes: list[str] = []
    diagram = diagram and n > 0  # a repository may switch the diagram off
    chosen: Layout | None = None  # the diagram's layout, chosen once for the test and the drawing
    if diagram and (n > MAX_DIAGRAM_STREAMS or edge_count(report) > MAX_DIAGRAM_EDGES):
        diagram = False
        notes.append(
            f"Diagram omitted: more than {MAX_DIAGRAM_STREAMS} streams or {MAX_DIAGRAM_EDGES} dependencies."
        )
    elif diagram and not fits(report, chosen := choose_layout(report)):
        diagram = False
        notes.append("Diagram omitted: too many streams side by side to draw legibly at comment width.")

    def compose(diagram: bool, max_diagnostics: int, max_rows: int | None, notes: Sequence[str]) -> str:
        return _compose(
            report, status, diagram=diagram, max_diagnostics=max_diagnostics, max_rows=max_rows,
            notes=notes, rows=rows, marker=marker, chosen=chosen,
        )  # fmt: skip

    text = compose(diagram, MAX_DIAGNOSTICS, None, notes)
    if len(text) <= limit:
        return text
    shrink = "Shortened to fit GitHub's comment size limit:"
    if diagram:
        notes = [*notes, shrink, "diagram omitted."]
        text = compose(False, MAX_DIAGNOSTICS, None, notes)
        if len(text) <= limit:
            return text
    else:
        notes = [*notes, shrink]
    for max_diag in (50, 10):
        text = compose(False, max_diag, None, [*notes, "findings cut short."])
        if len(text) <= limit:
            return text
    notes = [
        *notes,
        "findings and the stream table cut short; run `parallel-work-bot plan` for the full report.",
    ]
    # The most rows that fit: the text without rows plus each row and its newline (then verify).
    base = len(compose(False, 10, 0, notes)) + 8  # slack for the digits of the "N more" count
    k = 0
    used = base
    while k < n and used + len(rows[k]) + 1 <= limit:
        used += len(rows[k]) + 1
        k += 1
    while k >= 0:
        text = compose(False, 10, k, notes)
        if len(text) <= limit:
            return text
        k -= 1
    # Only reachable with a tiny limit: cut at a line boundary (no fences remain open at this point).
    cut = text[: max(0, limit - 60)]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    return (cut + "\n_(truncated to fit the comment size limit)_\n")[:limit]


# --- terminal -------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _clip(text: str, width: int) -> str:
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1 and _width(text) > width:
            return out + "…"
        out += ch
    return out


def render_text(report: PlanReport) -> str:
    """The plan for a terminal: plain text (control characters removed), aligned columns."""
    a = report.analysis
    out: list[str] = []
    issue = f"#{a.issue}" if a.issue is not None else "(no issue number)"
    title = f": {one_line(a.title)}" if a.title else ""
    out.append(f"Parallel work plan for {issue}{title}")
    figures = [f"{len(report.schedule)} streams"]
    figures += [f"{name} {value}" + _stated(stated) for name, value, stated in _headline_figures(report)]
    out.append(" · ".join(figures))
    if report.critical_path:
        out.append(
            "Critical path: "
            + " → ".join(one_line(i) for i in report.critical_path)
            + f" ({_h(report.wall_hours)})"
        )
    if a.conflicts_with:
        out.append("Conflicts with: " + _issues(a.conflicts_with))
    if report.schedule:
        rows = [["", "Stream", "Name", "Hours", "Depends on", "Start → finish", "Agent"]]
        for ss in report.schedule:
            s = ss.stream
            when = (
                f"{fmt_hours(ss.start)} → {fmt_hours(ss.finish)}"
                if ss.start is not None and ss.finish is not None
                else "blocked (cycle)"
            )
            deps = ", ".join([*s.depends_on, *s.external_deps]) or "—"
            rows.append(
                [
                    "*" if ss.on_critical_path else "",
                    _clip(one_line(s.id), 12),
                    _clip(one_line(s.name), 40),
                    fmt_hours(s.hours) if s.hours is not None else "?",
                    _clip(one_line(deps), 24),
                    when,
                    _clip(one_line(s.agent_type or "—"), 24),
                ]
            )
        widths = [max(_width(r[c]) for r in rows) for c in range(len(rows[0]))]
        out.append("")
        for r in rows:
            out.append("  ".join(_pad(cell, widths[c]) for c, cell in enumerate(r)).rstrip())
        out.append("(* on the critical path)")
    if report.diagnostics:
        out.append("")
        out.append("Findings:")
        for d in report.diagnostics:
            where = f" line {d.line}" if d.line is not None else ""
            out.append(f"  {d.severity.value} {one_line(d.code)}{where}: {one_line(d.message)}")
    return "\n".join(out) + "\n"
