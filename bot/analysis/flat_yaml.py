"""Flat frontmatter (one `key: value` of a simple scalar per line) read exactly as the YAML loader reads it.

Most frontmatter is such lines, and PyYAML's composer and constructor (Python even with its C parser) cost
more than the rest of the reading of them. Anything else (nesting, flow collections, comments, anchors,
tags, escapes, odd numbers) is declined: the caller then asks the YAML loader, so no reading changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

#: A top-level key, the colon, then nothing or spaces and the value.
_ENTRY = re.compile(r"([A-Za-z_][\w\-]{0,63}):(?: +(.*))?", re.ASCII)
_STR = "tag:yaml.org,2002:str"
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_TRUE = {"yes", "true", "on"}
_FALSE = {"no", "false", "off"}

Resolvers = Mapping[str | None, Sequence[tuple[str, re.Pattern[str]]]]


def _tag(value: str, resolvers: Resolvers) -> str:
    """The tag the loader's implicit resolvers give a plain scalar (as PyYAML's BaseResolver.resolve)."""
    for tag, rx in [*resolvers.get(value[:1] if value else "", ()), *resolvers.get(None, ())]:
        if rx.match(value):
            return tag
    return _STR


def _plain(value: str, resolvers: Resolvers) -> tuple[bool, object]:
    """(True, the value) of a plain scalar the loader would read alike, else (False, None)."""
    tag = _tag(value, resolvers)
    kind = tag.rsplit(":", 1)[-1]
    if kind == "str":
        return True, value
    if kind == "null":
        return True, None
    if kind == "bool":
        low = value.lower()
        return (True, True) if low in _TRUE else (low in _FALSE, False)
    if kind == "int":
        plain = value.replace("_", "")
        return (True, int(plain, 10)) if _DECIMAL.fullmatch(plain) else (False, None)
    if kind == "float" and "_" not in value and ":" not in value and "inf" not in value.lower():
        if "nan" in value.lower():
            return False, None
        low = value.lower()
        sign = -1 if low[0] == "-" else 1
        return True, sign * float(low[1:] if low[0] in "+-" else low)
    return False, None


def _scalar(raw: str, resolvers: Resolvers) -> tuple[bool, object]:
    """(True, the value) of one value as written after `key: `, when it is a simple scalar."""
    if not raw:
        return _plain("", resolvers)
    quote = raw[0]
    if quote in "\"'":
        end = raw.find(quote, 1)
        if end < 0 or raw[end + 1 :].strip(" ") or (quote == '"' and "\\" in raw):
            return False, None  # (an escape, a doubled quote, something after it)
        return True, raw[1:end]
    if not raw[0].isalnum() or raw.endswith(":") or ": " in raw or " #" in raw:
        return False, None  # an indicator first, a nested key, a comment
    return _plain(raw.rstrip(" "), resolvers)


def read_flat(block: Sequence[str], resolvers: Resolvers) -> dict[str, object] | None:
    """The mapping the YAML loader would read from `block`, when every line is a flat entry; else None.

    `resolvers`: the loader's implicit resolvers (its `yaml_implicit_resolvers`), so scalars resolve alike.
    """
    data: dict[str, object] = {}
    match: Callable[[str], re.Match[str] | None] = _ENTRY.fullmatch
    for line in block:
        if not line.strip(" "):
            continue
        m = match(line) if line.isprintable() else None
        if m is None:
            return None
        key = m.group(1)
        if _tag(key, resolvers) != _STR:
            return None  # a key read as a number, a boolean or null
        ok, value = _scalar(m.group(2) or "", resolvers)
        if not ok:
            return None
        data[key] = value
    return data or None
