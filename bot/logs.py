"""Structured logging: one JSON object a line off a terminal, and a filter that keeps secrets out of it."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

#: What looks like a credential anywhere: GitHub tokens, JWTs, PEM keys, auth headers, URL passwords.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
     "[REDACTED KEY]"),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,})"), "[REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[REDACTED JWT]"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\n]+"), r"\1[REDACTED]"),
    (re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/=-]{20,}"), r"\1\2[REDACTED]"),
    (re.compile(r"(?i)\b(token|access_token|secret|password|private_key|client_secret)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
     r"\1\2[REDACTED]"),
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1[REDACTED]@"),
]

#: One search that finds whatever any pattern above would: most log values hold none, and are let through
#: after this one pass instead of one substitution per pattern.
_ANY = re.compile("|".join(
    f"(?{'s' if p.flags & re.S else ''}{'i' if p.pattern.startswith('(?i)') else ''}:"
    f"{p.pattern.removeprefix('(?i)')})" if p.flags & re.S or p.pattern.startswith("(?i)")
    else f"(?:{p.pattern})"
    for p, _ in _PATTERNS))

#: Exact secret values registered at start-up (webhook secret, key text) are masked too.
_SECRETS: set[str] = set()
#: The same, longest first (a secret holding another is masked whole).
_SECRETS_ORDERED: list[str] = []

#: LogRecord attributes that are not user fields.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def add_secret(value: str | None) -> None:
    """Register a secret value so it is masked in every log line (ignored when short or empty)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)
        for line in value.splitlines():
            if len(line.strip()) >= 16:
                _SECRETS.add(line.strip())
        _SECRETS_ORDERED[:] = sorted(_SECRETS, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every credential-looking part replaced."""
    for secret in _SECRETS_ORDERED:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    if _ANY.search(text) is None:
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record so its message, fields and traceback hold no token or key."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED:
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = value
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: time, level, message, then key=value fields."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = " ".join(
            f"{k}={v}" for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")
        )
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line += f"  {fields}" if fields else ""
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def setup_logging(
    level: str = "INFO", *, stream: IO[str] | None = None, json_lines: bool | None = None,
    secrets: Iterable[str | None] = (),
) -> logging.Handler:
    """Send the root logger to `stream` (stderr): JSON lines unless it is a terminal; always redacted."""
    out = stream if stream is not None else sys.stderr
    for secret in secrets:
        add_secret(secret)
    if json_lines is None:
        json_lines = not (hasattr(out, "isatty") and out.isatty())
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_pwb", False)]:
        root.removeHandler(old)
    handler._pwb = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # aiohttp's access log is one line per delivery: keep it at warning unless debugging.
    access = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    logging.getLogger("aiohttp.access").setLevel(access)
    return handler
