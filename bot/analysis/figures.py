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


#: Figures already formatted: a plan shows the same few (hours, starts, finishes) many times over.
_SHOWN: dict[float, str] = {}
_MAX_SHOWN = 4096


def _num(x: float) -> str:
    text = _SHOWN.get(x) if x else None  # (0.0 and -0.0 are one key but print differently)
    if text is not None:
        return text
    if not math.isfinite(x):
        return str(x)
    # Rounded to 2 decimals, a whole number prints as "N.00" (then shown "N.0"), any other without ".00".
    # `:.2f` rounds the exact value half-even, as round(x, 2) does: rounding first would change nothing.
    text = f"{x:.2f}"
    text = text[:-1] if text.endswith(".00") else text.rstrip("0")
    if len(_SHOWN) >= _MAX_SHOWN:
        _SHOWN.clear()  # bounded, whatever the documents hold
    _SHOWN[x] = text
    return text
