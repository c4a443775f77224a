"""Escaping of untrusted document text for GitHub: no pings, no references, no raw HTML, no broken tables."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
#: What GitHub could turn into a mention, a reference or a link, found anywhere in a word (generously: a
#: word that merely looks like one goes into a code span too, where GitHub neither links nor mentions):
#: `@name`, `@org/team`, `user@sha`; `#N`, `owner/repo#N`, `user#N`; `GH-N`; URLs (`http://`, `www.`,
#: any scheme); a commit SHA (7 or more hex digits in a row).
_REFERENCE = re.compile(r"@\S|#\d|[Gg][Hh]-\d|://|[Ww][Ww][Ww]\.|[0-9A-Fa-f]{7}")
#: Anything escape_inline would change; most names and paths have none of it (fast path).
_NEEDS_ESCAPE = re.compile(
    r"[&<>@\\`*_\[\]|~#!\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|[^\S ]|  |^ | $|"
    + _REFERENCE.pattern
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]")
_UNPRINTABLE = re.compile(_CONTROL.pattern + "|" + _LINE_BREAK.pattern)
_BACKTICKS = re.compile(r"`+")


def one_line(text: str) -> str:
    """Collapse newlines and whitespace runs to single spaces; drop control and bidi-override characters."""
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def looks_like_reference(word: str) -> bool:
    """True when GitHub could make a mention, an issue/commit reference or a link of (part of) `word`."""
    return _REFERENCE.search(word) is not None


#: A word's leading and trailing punctuation, kept outside its code span: "(see `#12`)," reads naturally.
_LEADING = "([{\"'"
_TRAILING = ".,;:!?)]}\"'"


def _split_word(word: str) -> tuple[str, str, str] | None:
    """(before, code, after) for a word GitHub could link; None for a word it cannot."""
    if not _REFERENCE.search(word):
        return None
    core = word.lstrip(_LEADING)
    before = word[: len(word) - len(core)]
    stripped = core.rstrip(_TRAILING)
    after = core[len(stripped) :]
    if not _REFERENCE.search(stripped):
        return "", word, ""
    return before, stripped, after


#: `&<>` as entities, markdown punctuation backslash-escaped: one pass (str.translate).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]|~#!"}})


def _escape_word(word: str) -> str:
    return word.translate(_ESCAPES)


def escape_inline(text: str, *, in_table: bool = False) -> str:
    """Untrusted text made safe for a line of prose (or, `in_table`, a table cell) in GitHub markdown.

    One line. A word that GitHub could turn into a mention, a reference or a link (`@name`, `#12`,
    `owner/repo#12`, `GH-12`, a URL, a commit SHA) goes, whole and unchanged, into a code span: GitHub's
    filters skip code, and nothing invisible is put inside the word, so it copies exactly. In other words
    `&`, `<`, `>` are entity-escaped (no raw HTML) and markdown punctuation is backslash-escaped (`|` cannot
    break a table, a backtick cannot open code, `#` cannot start a heading).
    """
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = one_line(text)
    if not _REFERENCE.search(text):
        return _escape_word(text)
    out: list[str] = []
    plain: list[str] = []  # raw text since the last code span, escaped in one go
    for i, word in enumerate(text.split(" ")):
        if i:
            plain.append(" ")
        parts = _split_word(word)
        if parts is None:
            plain.append(word)
            continue
        before, code, after = parts
        plain.append(before)
        out.append(_escape_word("".join(plain)))
        out.append(code_span(code, in_table=in_table))
        plain = [after]
    out.append(_escape_word("".join(plain)))
    return "".join(out)


def plain_text(text: str, limit: int = 256) -> str:
    """Untrusted text for an issue title: one line, at most `limit` characters, no mention or reference.

    GitHub renders code spans in titles (and links references in some views), so a word that looks like a
    reference, or holds a backtick (which could pair with ours), is put in a code span as in escape_inline;
    other words are left exactly as they are (titles render no other markdown). Past `limit` the last word
    is cut (a code span is never cut: it is left out) and an ellipsis says so.
    """
    out = ""
    for word in one_line(text).split(" "):
        parts = _split_word(word) or (("", word, "") if "`" in word else None)
        piece = word if parts is None else parts[0] + code_span(parts[1]) + parts[2]
        sep = " " if out else ""
        if len(out) + len(sep) + len(piece) <= limit:
            out += sep + piece
            continue
        room = limit - len(out) - len(sep)
        if piece is word and room >= 2:  # a plain word may be cut; a code span is kept whole or dropped
            out += sep + truncate(word, room)
        elif room >= 1:
            out += sep + "…"
        break
    return out


def code_span(text: str, *, in_table: bool = False) -> str:
    """Text as an inline code span, byte for byte: no backtick inside can close it early.

    GitHub neither renders HTML nor mentions, links or references anything inside code, so only line
    breaks (made spaces), the fence length and CommonMark's space stripping matter; inside a table `|`
    is escaped (GitHub unescapes it before the cell is rendered, so the span still shows `|`).
    """
    if _UNPRINTABLE.search(text):
        text = _LINE_BREAK.sub(" ", _CONTROL.sub("", text))
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0) if "`" in text else 0
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each side when both are spaces (and not all are): pad to keep them.
    strips = text.startswith(" ") and text.endswith(" ") and text.strip(" ") != ""
    if not text:
        return "` `"  # CommonMark has no empty code span: one space is the closest
    if text.startswith("`") or text.endswith("`") or strips:
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def mermaid_label(text: str, limit: int = 60) -> str:
    """A quoted Mermaid node label; quotes, `#<>&@`, backticks, brackets, braces become entity codes (`#35;`).

    Nothing inside can end the label, the node, the ```` ```mermaid ```` fence, or inject HTML; the
    diagram sits in a code block, where GitHub links and mentions nothing.
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


#: A backtick run (a code span opens and closes with runs of one length), bold, a link: what document text
#: may keep of its markdown. Bold and link texts are bounded so every try is short (linear in the text).
_TICKS = re.compile(r"`+")
_BOLD = re.compile(r"\*\*(?=\S)([^*\n]{1,300}?)(?<=\S)\*\*")
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\(\s*([^()\s]{1,1000})(?:\s+\"[^\"\n]{0,300}\")?\s*\)")


def _spans(text: str) -> list[tuple[str, str]]:
    """(kind, text) pieces: "code" (a CommonMark code span's content) or "text" (unpaired ticks too)."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    by_len: dict[int, list[int]] = {}
    for k, (s, e) in enumerate(runs):
        by_len.setdefault(e - s, []).append(k)
    seen: dict[int, int] = {}  # per run length: how far its list has been searched (each run once: linear)
    out: list[tuple[str, str]] = []
    pos = 0
    k = 0
    while k < len(runs):
        s, e = runs[k]
        if s < pos:
            k += 1
            continue
        same = by_len[e - s]
        i = seen.get(e - s, 0)
        while i < len(same) and same[i] <= k:
            i += 1
        seen[e - s] = i
        if i == len(same):
            k += 1
            continue
        close = same[i]
        cs, ce = runs[close]
        if s > pos:
            out.append(("text", text[pos:s]))
        inner = text[e:cs]
        if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
            inner = inner[1:-1]
        out.append(("code", inner))
        pos = ce
        k = close + 1
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


def _plain(piece: str, in_table: bool) -> str:
    """escape_inline for a piece between kept markdown: its edge spaces kept (they separate the pieces)."""
    core = piece.strip()
    if not core:
        return " " if piece else ""
    lead = " " if piece[:1].isspace() else ""
    trail = " " if piece[-1:].isspace() else ""
    return lead + escape_inline(core, in_table=in_table) + trail


def inline_markdown(text: str, limit: int = 4000, *, in_table: bool = False) -> str:
    """Untrusted one-line text keeping what reads as markdown: code spans, **bold**, links shown as text.

    Code spans stay code spans (their content exactly as written), bold stays bold and a link becomes its
    text followed by its address in a code span (nothing from a document links); everything else goes
    through escape_inline. At most `limit` characters of the text are kept, cut between words or before a
    code span (never inside one), with an ellipsis.
    """
    text = one_line(text)
    pieces: list[tuple[str, str]] = []
    for kind, part in _spans(text):
        if kind == "code":
            pieces.append(("code", part))
            continue
        pos = 0
        for m in _LINK.finditer(part):
            pieces += _bold_pieces(part[pos : m.start()])
            pieces += [*_bold_pieces(m.group(1)), ("text", " ("), ("code", m.group(2)), ("text", ")")]
            pos = m.end()
        pieces += _bold_pieces(part[pos:])
    out: list[str] = []
    used = 0
    for kind, part in pieces:
        room = limit - used
        if len(part) > room:
            if kind == "text" and room > 1:
                out.append(_plain(truncate(part, room), in_table))
            else:
                out.append(" …" if out and not out[-1].endswith(" ") else "…")
            break
        used += len(part)
        if kind == "code":
            out.append(code_span(part, in_table=in_table))
        elif kind == "bold":
            out.append("**" + escape_inline(part, in_table=in_table) + "**")
        else:
            out.append(_plain(part, in_table))
    return "".join(out).strip()


def _bold_pieces(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos : m.start()]))
        out.append(("bold", m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out
