"""Hour figures and ranges formatted for messages and tables: `2.0`, `1.67`, `2.0–3.0`."""

from __future__ import annotations

import math

from bot.analysis.models import HourRange


def fmt_hours(value: HourRange | float | None, unit: str = "") -> str:
    """A figure or range for messages: `2.0`, `1.67`, `2.0–3.0`; `?` when unknown."""
    if value is None:
        return "?"
    if isinstance(value, tuple):
        lo, hi = value
        if abs(lo - hi) <= 0.005:
            return _num(lo) + unit
        return f"{_num(lo)}–{_num(hi)}{unit}"
    return _num(value) + unit


def _num(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    r = round(x, 2)
    if abs(r - round(r)) < 1e-9:
        return f"{r:.1f}"
    return f"{r:.2f}".rstrip("0")
