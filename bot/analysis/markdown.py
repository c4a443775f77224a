"""Escaping of untrusted document text for GitHub markdown: no pings, no raw HTML, no broken tables/fences."""

from __future__ import annotations

import re
import unicodedata

#: Put after every "@" so GitHub's mention filter (which wants a word character next) never fires.
ZWJ = "\u200d"

_WS = re.compile(r"\s+")
# Markdown punctuation that could start emphasis, links, code, strikethrough, tables or headings.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
#: Anything escape_inline would change; most names and paths have none of it (fast path).
_NEEDS_ESCAPE = re.compile(r"[&<>@\\`*_\[\]|~#!\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|[^\S ]|  |^ | $")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """Collapse newlines and whitespace runs to single spaces; drop control and bidi-override characters."""
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def defuse_mentions(text: str) -> str:
    """`@name` -> `@\u200dname`: looks the same, pings nobody (also team mentions `@org/team`)."""
    return text.replace("@", "@" + ZWJ)


def escape_inline(text: str) -> str:
    """Untrusted text made safe for a table cell or a line of prose in GitHub markdown.

    One line; `&`, `<`, `>` entity-escaped (no raw HTML, no entity tricks); markdown punctuation
    backslash-escaped (`|` cannot break a table, a backtick cannot open code); `@` defused so nothing pings.
    """
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = one_line(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return defuse_mentions(text)


def plain_text(text: str, limit: int = 256) -> str:
    """Untrusted text for places GitHub does not render as markdown (issue titles): one line, no pings."""
    return truncate(defuse_mentions(one_line(text)), limit)


def code_span(text: str, *, in_table: bool = False) -> str:
    """Text as an inline code span that no backtick inside can close early (`|` escaped inside tables).

    Code spans neither render HTML nor ping, so only line breaks and the fence length matter.
    """
    text = one_line(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or not text:
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def mermaid_label(text: str, limit: int = 60) -> str:
    """A quoted Mermaid node label; quotes, `#<>&@`, backticks, brackets, braces become entity codes (`#35;`).

    Nothing inside can end the label, the node, the ```` ```mermaid ```` fence, or inject HTML.
    """
    text = truncate(one_line(text), limit)
    out: list[str] = []
    for ch in text:
        if ch in '"#<>&@`[]{}|;\\' or unicodedata.category(ch).startswith("C"):
            out.append(f"#{ord(ch)};")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def html_attr_safe(text: str) -> str:
    """Text for inside an HTML comment (our hidden markers): no `--`, no `>`."""
    return re.sub(r"[^A-Za-z0-9_.=:/+-]", "_", text).replace("--", "__")
