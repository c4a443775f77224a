"""File paths from the items of a Files / Shared Files list ("`a.ts` (note)", "Create: b.ts", "x, y")."""

from __future__ import annotations

import re

_SPAN = re.compile(r"`([^`\n]+)`")
_PATH_CHARS = re.compile(r"[\w@~.\-/*?\[\]{}()+=$#%!,:]+")
_BARE_NAMES = {
    "makefile",
    "dockerfile",
    "procfile",
    "license",
    "readme",
    "gemfile",
    "rakefile",
    "justfile",
    "cargo.toml",
    "caddyfile",
    "vagrantfile",
    "brewfile",
}
_VERB_PREFIX = re.compile(r"^[A-Za-z][A-Za-z \-]{0,24}:\s+")
_NEXT_SPAN = re.compile(r"[ \t]*+(?:,|and|&|\+|/)[ \t]*+`([^`\n]+)`")
_HEAD_CUT = re.compile(r"(?<!\s)\s++[-–—]\s|(?<!\s)\s++\(|：|:\s")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")
_NOTE_TAIL = re.compile(r"(?:\([^()]*+\)|（[^（）]*+）)$")


_EXTENSION = re.compile(r"[\w\-]\.[A-Za-z0-9]{1,10}$")
_DOTFILE = re.compile(r"^\.[\w\-]")
_ABBREVIATION = re.compile(r"(?:e\.g|i\.e|etc|vs|v\d+(?:\.\d+)*)\.?", re.IGNORECASE)


def looks_like_path(token: str) -> bool:
    """A single token that names a file, a directory or a glob (not a word of prose)."""
    token = token.strip().rstrip(",;:")
    if not token or not _PATH_CHARS.fullmatch(token) or token.startswith("http"):
        return False
    if "/" in token or "*" in token:
        return True
    if _EXTENSION.search(token) or _DOTFILE.match(token):
        return not _ABBREVIATION.fullmatch(token)
    return token.lower() in _BARE_NAMES


def _clean(path: str) -> str:
    path = path.strip()
    if path.endswith((")", "）")):
        path = _NOTE_TAIL.sub("", path).strip()
    return path.strip("`").strip().rstrip(",;:").strip()


_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
_BOLD_MARKERS = re.compile(r"^\*\*|\*\*(?=\s|:|$)|(?<=\s)\*\*")
_COMMAS = re.compile(r",\s+")


def paths_of(item: str) -> list[str]:
    """The paths one list item names; [] for an item of prose."""
    text = item.strip()
    if (
        "`" not in text
        and "\\" not in text
        and "**" not in text
        and "：" not in text
        and text[:1] != "["
        and len(text.split(None, 1)) == 1
    ):
        # One bare token (most Files items): no substitution, span, label or note applies to it.
        return [c] if looks_like_path(text) and (c := _clean(text)) else []
    if text[:1] == "`" and text.count("`") == 2 and "\\" not in text and "**" not in text:
        # "`a.ts` (note)": one code span first and no other to follow it.
        end = text.index("`", 1)
        if end > 1 and "\n" not in text:
            return [c] if (c := _clean(text[1:end])) else []
    # Each substitution only where its first character is (most items have none of them).
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    if text.startswith("["):
        text = _CHECKBOX.sub("", text)
    # Bold markers around words, not the `**` of a glob such as src/**/*.ts.
    if "**" in text:
        text = _BOLD_MARKERS.sub("", text)
    text = text.strip()
    spans = _SPAN.findall(text)
    if text.startswith("`") and spans:
        # "`a.ts`, `b.ts` - note": the leading run of code spans.
        lead = [_clean(spans[0])]
        pos = text.index("`", 1) + 1
        while len(lead) < 50 and (m := _NEXT_SPAN.match(text, pos)):
            lead.append(_clean(m.group(1)))
            pos = m.end()
        return [p for p in lead if p]
    prefixed = _VERB_PREFIX.match(text)
    if prefixed and not looks_like_path(prefixed.group(0).strip().rstrip(":")):
        text = text[prefixed.end() :]
        spans = _SPAN.findall(text)
        if text.startswith("`") and spans:
            return [p for p in [_clean(spans[0])] if p]
    if spans:
        return [c for c in (_clean(s) for s in spans) if c and looks_like_path(c.split()[0])][:3]
    head = _HEAD_CUT.split(text, maxsplit=1)[0]
    out: list[str] = []
    for part in _COMMAS.split(head):
        tokens = part.split()
        if tokens and looks_like_path(tokens[0]):
            out.append(_clean(tokens[0]))
    return [p for p in out if p]
