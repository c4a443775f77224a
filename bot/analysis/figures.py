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
    # Rounded to 2 decimals, a whole number prints as "N.00" (then shown "N.0"), any other without ".00".
    # `:.2f` rounds the exact value half-even, as round(x, 2) does: rounding first would change nothing.
    text = f"{x:.2f}"
    return text[:-1] if text.endswith(".00") else text.rstrip("0")
