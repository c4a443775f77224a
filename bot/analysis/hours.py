"""Durations as authors write them ("2-3 hours", "1.5h", "2 days", "45分钟") read into hour ranges."""

from __future__ import annotations

import re

from bot.analysis.models import HourRange

# Unit words, longest first so "hours" wins over "h"; each maps to a factor in hours.
_UNITS: list[tuple[str, float]] = [
    ("hours", 1.0),
    ("hour", 1.0),
    ("hrs", 1.0),
    ("hr", 1.0),
    ("heures", 1.0),
    ("heure", 1.0),
    ("小时", 1.0),
    ("h", 1.0),
    ("minutes", 1 / 60),
    ("minute", 1 / 60),
    ("mins", 1 / 60),
    ("min", 1 / 60),
    ("分钟", 1 / 60),
    ("m", 1 / 60),
    ("days", 8.0),
    ("day", 8.0),
    ("jours", 8.0),
    ("jour", 8.0),
    ("天", 8.0),
    ("d", 8.0),
    ("weeks", 40.0),
    ("week", 40.0),
    ("semaines", 40.0),
    ("semaine", 40.0),
    ("周", 40.0),
    ("w", 40.0),
]
_UNIT_RE = "|".join(re.escape(u) for u, _ in _UNITS)
_FACTORS = dict(_UNITS)
_NUM = r"\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?<![\w.])(?:[~≈约][ \t]*+)?(?P<a>{_NUM})\s*(?P<ua>(?:{_UNIT_RE})(?![A-Za-z]))?\s*\+?"
    rf"(?:\s*(?:-|–|—|~|to|à|至|到)\s*(?P<b>{_NUM})\s*(?P<ub>(?:{_UNIT_RE})(?![A-Za-z]))?)?",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")
_MINUTES_AFTER = re.compile(r"\s*(?:and\s+)?(\d+)\s*(?:m|min|mins|minutes?|分钟)(?![A-Za-z])", re.IGNORECASE)


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def _factor(unit: str | None) -> float:
    if not unit:
        return 1.0
    return _FACTORS.get(unit.lower(), _FACTORS.get(unit, 1.0))


def parse_hours(text: str, *, need_unit: bool = False) -> HourRange | None:
    """First duration in `text` as (low, high) hours; None when nothing usable.

    need_unit: only accept an amount with a unit (used for heading parentheticals, where a bare
    number is more likely a count than a duration).
    """
    if not _DIGIT.search(text):
        return None  # every duration has a number
    for m in _AMOUNT.finditer(text):
        ua, ub = m.group("ua"), m.group("ub")
        if need_unit and not (ua or ub):
            continue
        low = _num(m.group("a")) * _factor(ua or ub)
        if m.group("b") is None:
            # "1h 30m", "1 hour 30 minutes": a compound duration adds up.
            more = _MINUTES_AFTER.match(text, m.end()) if ua and _factor(ua) == 1.0 else None
            if more:
                low += _num(more.group(1)) / 60
            return (round(low, 6), round(low, 6))
        high = _num(m.group("b")) * _factor(ub or ua)
        if high < low:
            low, high = high, low
        return (round(low, 6), round(high, 6))
    return None


def hours_value(value: object) -> HourRange | None:
    """A frontmatter value (number or "12-16" string) as an hour range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (float(value), float(value))
    if isinstance(value, str):
        return parse_hours(value)
    return None
