"""Renders a checked plan: the GitHub summary comment, the `plan --json` shape, and a terminal view.

All document text is untrusted and goes through bot.analysis.markdown (no mention, reference or link from it
is live: only the plan's issue, its sub-issues and the issues it flags are); the summary never exceeds the
comment limit (it drops the diagram, then folds and shortens lists, and says so).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence

from bot.analysis.figures import fmt_hours
from bot.analysis.markdown import code_span, escape_inline, html_attr_safe, mermaid_label, one_line, truncate
from bot.analysis.models import Diagnostic, HourRange, LiveStatus, PlanReport, ScheduledStream, Severity
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


def plan_hash(report: PlanReport) -> str:
    """12 hex digits naming the plan as rendered (streams, figures, diagnostics): same plan, same hash."""
    canonical = json.dumps(report_to_json(report), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
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


def _mf(value: HourRange | None) -> str:
    """A figure for markdown: the document's numbers can be long enough to look like a commit SHA."""
    return escape_inline(fmt_hours(value))


def _mh(value: HourRange | None) -> str:
    return escape_inline(_h(value))


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


def _headline(report: PlanReport) -> list[str]:
    a = report.analysis
    issue = f"#{a.issue}" if a.issue is not None else "(no issue number)"
    title = f" · {escape_inline(truncate(one_line(a.title), 200))}" if a.title else ""
    n = len(report.schedule)
    parts = [f"**{n} stream{'s' if n != 1 else ''}**"]
    parts += [
        f"{name} **{escape_inline(value)}**" + _stated(escape_inline(stated) if stated else None)
        for name, value, stated in _headline_figures(report)
    ]
    return [f"## Parallel work plan for {issue}{title}", "", " · ".join(parts)]


def _is_done(ss: ScheduledStream, status: LiveStatus | None) -> bool:
    """Whether the stream's sub-issue is closed as completed."""
    st = status.streams.get(ss.stream.id) if status is not None else None
    return st is not None and st.state == "closed"


def _issues(numbers: Sequence[int]) -> str:
    """"#5, #6": at most MAX_ISSUES_SHOWN of them, so a document cannot crowd the rest out of the comment."""
    shown = ", ".join(f"#{n}" for n in numbers[:MAX_ISSUES_SHOWN])
    return shown + (f", … ({len(numbers)} issues)" if len(numbers) > MAX_ISSUES_SHOWN else "")


def _facts(report: PlanReport, status: LiveStatus | None) -> list[str]:
    lines: list[str] = []
    if report.critical_path:
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
        done = [ss for ss in report.schedule if _is_done(ss, status)]
        done_hours = (
            sum(ss.stream.hours[0] for ss in done if ss.stream.hours),
            sum(ss.stream.hours[1] for ss in done if ss.stream.hours),
        )
        remaining = remaining_wall(report, [ss.stream.id for ss in done])
        total = _mh(report.total_hours)
        lines.append(
            f"**Progress:** {len(done)} of {len(report.schedule)} streams done · "
            f"{_mf(done_hours)} h of {total} · remaining critical path {_mh(remaining)}"
        )
    return [line + "  " for line in lines[:-1]] + lines[-1:]


def _row(ss: ScheduledStream, status: LiveStatus | None) -> str:
    s = ss.stream
    mark = " ★" if ss.on_critical_path else ""
    deps = [escape_inline(truncate(d, _ID_LIMIT), in_table=True) for d in s.depends_on]
    deps += [escape_inline(truncate(x, 40), in_table=True) for x in s.external_deps]
    if ss.start is None or ss.finish is None:
        when = "blocked (cycle)"
    else:
        when = f"{_mf(ss.start)} → {_mf(ss.finish)}"
    cells = [
        f"**{escape_inline(truncate(s.id, _ID_LIMIT), in_table=True)}**{mark}",
        escape_inline(truncate(one_line(s.name), _NAME_LIMIT), in_table=True) or "—",
        _mf(s.hours) if s.hours is not None else "?",
        ", ".join(deps) or "—",
        when,
        escape_inline(truncate(one_line(s.agent_type), 40), in_table=True) if s.agent_type else "—",
    ]
    if status is not None:
        st = status.streams.get(s.id)
        state = _STATE_ICON.get(st.state, escape_inline(st.state, in_table=True)) if st else "—"
        cells += [f"#{st.number}" if st else "—", state]
    return "| " + " | ".join(cells) + " |"


def _table(
    report: PlanReport, status: LiveStatus | None, rows: Sequence[str], max_rows: int | None
) -> list[str]:
    header = ["Stream", "Name", "Hours", "Depends on", "Start → finish", "Agent"]
    if status is not None:
        header += ["Issue", "State"]
    shown = rows if max_rows is None else rows[:max_rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += shown
    hidden = len(report.schedule) - len(shown)
    if hidden:
        lines += ["", f"_… {hidden} more streams not shown (comment size limit)._"]
    lines += [
        "",
        "★ on the critical path (ties broken by stream order); hours start → finish with unlimited agents.",
    ]
    return lines


def _diagram(report: PlanReport, status: LiveStatus | None = None) -> list[str]:
    index = {ss.stream.id: i for i, ss in enumerate(report.schedule)}
    lines = ["```mermaid", "graph LR"]
    for i, ss in enumerate(report.schedule):
        s = ss.stream
        hours = f" ({fmt_hours(s.hours)} h)" if s.hours is not None else ""
        label = truncate(one_line(f"{truncate(s.id, _ID_LIMIT)}: {s.name}"), 50) + hours
        lines.append(f"  s{i}[{mermaid_label(label, 80)}]")
    critical = set(zip(report.critical_path, report.critical_path[1:], strict=False))
    edge_no = 0
    styled: list[int] = []
    for i, ss in enumerate(report.schedule):
        for d in dict.fromkeys(ss.stream.depends_on):
            j = index.get(d)
            if j is None or j == i:
                continue
            lines.append(f"  s{j} --> s{i}")
            if (d, ss.stream.id) in critical:
                styled.append(edge_no)
            edge_no += 1
    crit_nodes = [f"s{i}" for i, ss in enumerate(report.schedule) if ss.on_critical_path]
    if crit_nodes:
        lines.append("  classDef critical stroke:#d73a49,stroke-width:3px")
        lines.append(f"  class {','.join(crit_nodes)} critical")
    if styled:
        lines.append(f"  linkStyle {','.join(map(str, styled))} stroke:#d73a49,stroke-width:3px")
    done = [f"s{i}" for i, ss in enumerate(report.schedule) if _is_done(ss, status)]
    if done:
        lines.append("  classDef done fill:#dafbe1,stroke:#1a7f37")
        lines.append(f"  class {','.join(done)} done")
    lines.append("```")
    return lines


def _edge_count(report: PlanReport) -> int:
    return sum(len(ss.stream.depends_on) for ss in report.schedule)


def _diagnostic_line(d: Diagnostic) -> str:
    where = f" (line {d.line})" if d.line is not None else ""
    icon = _SEVERITY_ICON.get(d.severity, d.severity.value)
    message = escape_inline(truncate(one_line(d.message), _MESSAGE_LIMIT))
    return f"- {icon} {code_span(truncate(d.code, 60))}{where}: {message}"


def _diagnostics(report: PlanReport, status: LiveStatus | None, max_items: int) -> tuple[list[str], int]:
    items = [d for d in report.diagnostics if d.severity is Severity.ERROR]
    items += [d for d in report.diagnostics if d.severity is not Severity.ERROR]
    notes = list(status.notes) if status is not None else []
    everything = items + notes
    if not everything:
        return [], 0
    errors = sum(1 for d in everything if d.severity is Severity.ERROR)
    warnings = len(everything) - errors
    title = f"### Findings ({errors} error{'s' if errors != 1 else ''}, {warnings} other)"
    shown = everything[:max_items]
    lines = [title, ""] + [_diagnostic_line(d) for d in shown]
    hidden = len(everything) - len(shown)
    if hidden:
        lines.append(f"- _… {hidden} more not shown (comment size limit)._")
    if errors:
        lines += ["", "_The plan has errors: sub-issues are not created or changed until they are fixed._"]
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
) -> str:
    blocks: list[list[str]] = [[marker, *_headline(report)]]
    facts = _facts(report, status)
    if facts:
        blocks.append(facts)
    diag_lines, _ = _diagnostics(report, status, max_diagnostics)
    if diag_lines:
        blocks.append(diag_lines)
    if report.schedule:
        table = _table(report, status, rows, max_rows)
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
        blocks.append(_diagram(report, status))
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
    rows = [_row(ss, status) for ss in report.schedule]
    marker = summary_marker(report)
    notes: list[str] = []
    diagram = diagram and n > 0  # a repository may switch the diagram off
    if diagram and (n > MAX_DIAGRAM_STREAMS or _edge_count(report) > MAX_DIAGRAM_EDGES):
        diagram = False
        notes.append(
            f"Diagram omitted: more than {MAX_DIAGRAM_STREAMS} streams or {MAX_DIAGRAM_EDGES} dependencies."
        )

    def compose(diagram: bool, max_diagnostics: int, max_rows: int | None, notes: Sequence[str]) -> str:
        return _compose(
            report, status, diagram=diagram, max_diagnostics=max_diagnostics, max_rows=max_rows,
            notes=notes, rows=rows, marker=marker,
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
