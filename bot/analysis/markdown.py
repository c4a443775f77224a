"""Escaping of untrusted document text for GitHub: no pings, no references, no raw HTML, no broken tables."""

from __future__ import annotations

import re
import unicodedata

from bot.conventions import NAME

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
    if text.isprintable() and "  " not in text:
        return text.strip()  # no control character, and no whitespace but single spaces (most texts)
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


#: What mermaid_label changes in ASCII text (the characters listed there and the controls), for translate.
_MERMAID_ASCII = str.maketrans(
    {c: f"#{ord(c)};" for c in map(chr, range(128)) if c in '"#<>&@`[]{}|;\\' or not c.isprintable()}
)


def mermaid_label(text: str, limit: int = 60) -> str:
    """A quoted Mermaid node label; quotes, `#<>&@`, backticks, brackets, braces become entity codes (`#35;`).

    Nothing inside can end the label, the node, the ```` ```mermaid ```` fence, or inject HTML; the
    diagram sits in a code block, where GitHub links and mentions nothing.
    """
    text = truncate(one_line(text), limit)
    if text.isascii() or text.isprintable():  # a printable character is in no category C*
        return '"' + text.translate(_MERMAID_ASCII) + '"'
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


#: A CommonMark backslash escape in document text: the author meant the character itself.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _plain(piece: str, in_table: bool) -> str:
    """escape_inline for a piece between kept markdown: its edge spaces kept (they separate the pieces).

    The document's own backslash escapes are undone first (`\\*` is a `*`, `\\#12` is `#12`, which GitHub
    links anyway): what is escaped is what the author's text shows.
    """
    if "\\" in piece:
        piece = _ESCAPED.sub(r"\1", piece)
    core = piece.strip()
    if not core:
        return " " if piece else ""
    lead = " " if piece[:1].isspace() else ""
    trail = " " if piece[-1:].isspace() else ""
    return lead + escape_inline(core, in_table=in_table) + trail


def inline_markdown(text: str, limit: int = 4000, *, in_table: bool = False) -> str:
    """Untrusted one-line text keeping what reads as markdown: code spans, **bold**, links shown as text.

    Code spans stay code spans (their content exactly as written, unless it holds `<!--`: the bot's hidden
    markers are HTML comments, and one must never appear raw in what it writes), bold stays bold and a link
    becomes its text followed by its address in a code span (nothing from a document links); the rest goes
    through escape_inline. At most `limit` characters of the text are kept, cut between words or before a
    code span (never inside one), with an ellipsis.
    """
    text = one_line(text)
    if "`" not in text and "[" not in text and "**" not in text and len(text) <= limit:
        return _plain(text, in_table).strip()  # no code span, link or bold, nothing to cut: one piece
    pieces: list[tuple[str, str]] = []
    for kind, part in _spans(text):
        if kind == "code" and "<!--" not in part:
            pieces.append(("code", part))
            continue
        if kind == "code":  # an HTML comment kept raw could pass for one of the bot's hidden markers
            part = f"`{part}`"
        pos = 0
        for m in _LINK.finditer(part):
            pieces += _bold_pieces(part[pos : m.start()])
            pieces += [*_bold_pieces(m.group(1)), ("text", " ("), ("code", m.group(2)), ("text", ")")]
            pos = m.end()
        pieces += _bold_pieces(part[pos:])
    out: list[str] = []
    used = 0

    def put(text: str) -> None:
        # Two code spans (or a span and an escaped tick) side by side would make one run of backticks and
        # end neither: a space keeps them apart.
        if out and out[-1].endswith("`") and text.startswith("`"):
            out.append(" ")
        out.append(text)

    for kind, part in pieces:
        room = limit - used
        if len(part) > room:
            if kind == "text" and room > 1:
                put(_plain(truncate(part, room), in_table))
            else:
                put(" …" if out and not out[-1].endswith(" ") else "…")
            break
        used += len(part)
        if kind == "code":
            put(code_span(part, in_table=in_table))
        elif kind == "bold":
            put("**" + _plain(part, in_table).strip() + "**")
        else:
            put(_plain(part, in_table))
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


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE_LINE = re.compile(r"^\s{0,3}(?:[-*_=]\s*){3,}$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
#: Tags a document uses for layout (GitHub keeps them; shown as text they would be noise): dropped.
_LAYOUT_TAGS = re.compile(
    r"</?(?:details|summary|br|p|div|span|b|i|strong|em|sub|sup|hr)\b[^<>]{0,200}>", re.IGNORECASE
)


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return re.split(r"(?<!\\)\|", body)


def markdown_block(text: str, limit: int = 20000) -> str:
    """Untrusted multi-line markdown (a stream's section) made safe, keeping its shape.

    Headings (made level 4, under the bot's own), list items and their nesting, quotes, tables and code
    blocks stay what they are; each line's text goes through inline_markdown (no mention, reference,
    link or raw HTML is live; code spans and bold are kept); a code block keeps its lines exactly, inside
    a fence no line of it can close. Layout tags (`<details>`, `<br>`...) are dropped. Blocks are kept
    apart by blank lines, so a line after a list, a quote or a table never joins it. At most about
    `limit` characters of the text are kept, cut at a line, and then an ellipsis line says so.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    used = 0
    code: list[str] | None = None
    opener = ""
    list_levels: list[int] = []  # indents of the open list items, outermost first
    prev = ""  # the kind of the last block written: item, para, quote, table, heading, ""

    def put(kind: str, line: str) -> None:
        nonlocal prev
        if out and out[-1] != "" and kind != prev and not (kind == "item" and prev == "para"):
            out.append("")
        out.append(line)
        prev = kind

    cut = False
    for raw in lines:
        used += len(raw) + 1
        if used > limit:
            cut = True
            break
        if code is not None:
            closing = raw.strip()
            if closing.startswith(opener) and not closing.strip(opener[0]):
                out.extend(_code_block(code))
                code, prev = None, ""
            else:
                code.append(raw)
            continue
        fence = _FENCE.match(raw)
        if fence:
            opener, code, list_levels = fence.group(1), [], []
            continue
        line = _LAYOUT_TAGS.sub("", raw) if "<" in raw else raw
        if not line.strip():
            if not raw.strip() and out and out[-1] != "":
                out.append("")
                prev = ""
            continue
        if _RULE_LINE.match(line):
            list_levels = []
            put("rule", "***")
            continue
        m = _ITEM.match(line)
        if m:
            indent = len(m.group(1).expandtabs(4))
            while list_levels and list_levels[-1] >= indent:
                list_levels.pop()
            depth = len(list_levels)
            list_levels.append(indent)
            marker = "-" if m.group(2) in "-*+" else m.group(2)
            put("item", "  " * depth + f"{marker} " + inline_markdown(m.group(3)))
            continue
        if list_levels and line.startswith((" ", "\t")) and prev == "item":
            out.append("  " * len(list_levels) + inline_markdown(line))  # a continuation of the item
            continue
        list_levels = []
        h = _HEADING.match(line)
        if h:
            put("heading", "#### " + inline_markdown(h.group(2)))
            prev = "heading-done"
            continue
        q = _QUOTE.match(line)
        if q:
            put("quote", "> " + inline_markdown(q.group(1)))
            continue
        if line.strip().startswith("|"):
            if _TABLE_SEP.match(line):
                put("table", "|" + "---|" * len(_cells(line)))
            else:
                cells = [inline_markdown(c, in_table=True) or " " for c in _cells(line)]
                put("table", "| " + " | ".join(cells) + " |")
            continue
        put("para", inline_markdown(line))
    if code is not None:
        out.extend(_code_block(code))
    while out and out[-1] == "":
        out.pop()
    while out and out[0] == "":
        out.pop(0)
    if cut:
        out += ["", "_… (the rest of this section is in the plan)_"]
    return "\n".join(out)


#: An opening or closing hidden marker of the bot: a code block keeps lines as written, but never one of these
#: (it would end, or pass for, the bot's own region or record).
_MARKER_LIKE = re.compile(r"<!--\s*/?\s*" + re.escape(NAME) + ":")


def _code_block(lines: list[str]) -> list[str]:
    body = [
        "(a parallel-work-bot marker, left out)" if _MARKER_LIKE.search(line) else _CONTROL.sub("", line)
        for line in lines
    ]
    longest = max((len(m) for line in body for m in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["", fence, *body, fence, ""]
