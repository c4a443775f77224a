"""Short constructors for diagnostics (one call per finding, its severity in the name) and their id lists."""

from __future__ import annotations

from collections.abc import Sequence

from bot.analysis.models import Diagnostic, Severity


def error(code: str, message: str, line: int | None = None) -> Diagnostic:
    """An error: the plan cannot be followed as written (the sync writes only the summary)."""
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, line=line)


def warning(code: str, message: str, line: int | None = None) -> Diagnostic:
    """A warning: the plan can be followed, but something in it is doubtful."""
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, line=line)


def info(code: str, message: str, line: int | None = None) -> Diagnostic:
    """A note on how the document was read."""
    return Diagnostic(severity=Severity.INFO, code=code, message=message, line=line)


def id_list(ids: Sequence[str], limit: int) -> str:
    """Stream ids for a message: "A and B", "A, B, C", at most `limit` of them and then "…"."""
    if len(ids) == 2:
        return f"{ids[0]} and {ids[1]}"
    return ", ".join(ids[:limit]) + (", …" if len(ids) > limit else "")
