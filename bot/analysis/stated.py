"""Stated figures (frontmatter, Expected Timeline) compared with the computed ones: a warning per mismatch."""

from __future__ import annotations

import re

from bot.analysis import diagnostics
from bot.analysis.figures import fmt_hours
from bot.analysis.models import Analysis, Diagnostic, HourRange, PlanReport

#: Relative tolerance when comparing stated and computed figures (authors round).
REL_TOLERANCE = 0.05
#: Absolute tolerance for efficiency gain, in percentage points.
GAIN_TOLERANCE = 5.0


def _agrees(stated: HourRange, computed: HourRange, *, absolute: float = 0.0) -> bool:
    """Stated and computed ranges agree when they overlap, allowing for rounding."""
    slack_hi = max(computed[1] * REL_TOLERANCE, absolute, 0.01)
    slack_lo = max(stated[1] * REL_TOLERANCE, absolute, 0.01)
    return stated[0] <= computed[1] + slack_hi and computed[0] <= stated[1] + slack_lo


def _key_line(analysis: Analysis, key: str) -> int | None:
    """The input line of a frontmatter key, found in the located source; else the frontmatter's line."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:", re.M)
    head = analysis.source[:4000]
    m = pattern.search(head)
    if m is None:
        return analysis.frontmatter.line
    return analysis.source_line + head.count("\n", 0, m.start())


def _point(value: float | None) -> HourRange | None:
    return None if value is None else (value, value)


def stated_warnings(analysis: Analysis, report: PlanReport) -> list[Diagnostic]:
    """A warning, with both numbers, for each stated figure that the computed one does not bear out."""
    fm, tl = analysis.frontmatter, analysis.timeline
    # (code, stated, computed, message with both, the frontmatter key it is on (else the timeline), slack)
    checks: list[tuple[str, HourRange | None, HourRange | None, str, str | None, float]] = [
        ("estimated-hours-mismatch", fm.estimated_hours, report.total_hours,
         "Stated estimated_hours {} differs from the sum of stream hours {}", "estimated_hours", 0.0),
        ("parallelization-factor-mismatch", _point(fm.parallelization_factor), report.speedup,
         "Stated parallelization_factor {} differs from the computed speed-up {}",
         "parallelization_factor", 0.0),
        ("wall-time-mismatch", tl.wall_hours, report.wall_hours,
         "Stated wall time {} h differs from the computed {} h", None, 0.0),
        ("total-work-mismatch", tl.total_hours, report.total_hours,
         "Stated total work {} h differs from the computed {} h", None, 0.0),
        ("efficiency-gain-mismatch", _point(tl.efficiency_gain), report.efficiency_gain,
         "Stated efficiency gain {}% differs from the computed {}%", None, GAIN_TOLERANCE),
    ]  # fmt: skip
    out: list[Diagnostic] = []
    for code, stated, computed, message, key, absolute in checks:
        if stated is None or computed is None or _agrees(stated, computed, absolute=absolute):
            continue
        line = _key_line(analysis, key) if key else tl.line
        out.append(diagnostics.warning(code, message.format(fmt_hours(stated), fmt_hours(computed)), line))
    return out
