"""GitHub's reference filters re-implemented over rendered HTML, for the tests (no tests here).

GitHub renders markdown (CommonMark + tables + autolinks), then runs its filters over the *text nodes*
of the HTML, skipping anything inside `pre`, `code`, `a`, `style` and `script`: mentions (`@name`,
`@org/team`), issue references (`#N`, `user#N`, `owner/repo#N`, `GH-N`), commit references (a 7–40 hex
SHA, `user@sha`, `owner/repo@sha`) and URL autolinks (`http(s)://`, `www.`), where a link to an issue or
pull request becomes a reference too. The patterns here are a little wider than GitHub's (no lookahead
subtleties, any case), so a text that passes here passes there. A link (`<a>`) counts as live as well.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

#: A GFM-like renderer: CommonMark with tables and strikethrough; raw HTML on (so raw HTML would show).
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
SKIPPED = frozenset({"pre", "code", "a", "style", "script"})

_MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9_-]*)?)")
_ISSUE = re.compile(r"#(\d+)")
#: The qualifier before a `#N` (`owner/repo`, `user`), looked for in a bounded window (no quadratic scans).
_QUALIFIER = re.compile(r"(?<![\w.-])(?:[\w.-]+/[\w.-]+|[\w-]+)\Z")
_GH = re.compile(r"(?<![A-Za-z0-9_])GH-(\d+)", re.IGNORECASE)
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<]*", re.IGNORECASE)
_ISSUE_PATH = re.compile(r"/(?:issues|pull|pulls|discussions)/(\d+)", re.IGNORECASE)
#: A SHA is not the number of an issue reference (`#1234567`, `GH-1234567`): those are issue references.
_SHA = re.compile(r"(?<![A-Za-z0-9_#])(?<!GH-)[0-9a-f]{7,40}(?![A-Za-z0-9_])", re.IGNORECASE)


@dataclass(frozen=True)
class Ref:
    """One live mention, reference or link GitHub would make: kind, matched text, issue number, qualifier."""

    kind: str  # "mention", "issue", "commit", "link"
    text: str
    number: int | None = None
    qualifier: str | None = None


@dataclass
class Rendered:
    """What a rendered markdown text holds, as GitHub's filters see it."""

    html: str
    text_nodes: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


class _Walker(HTMLParser):
    def __init__(self, out: Rendered) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out
        self.stack: list[str] = []
        self.buf: list[str] = []
        self.code_buf: list[str] | None = None

    def _flush(self) -> None:
        if self.buf:
            self.out.text_nodes.append("".join(self.buf))
            self.buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        self.out.tags.add(tag)
        if tag == "a":
            self.out.links.append(dict(attrs).get("href") or "")
        if tag == "code":
            self.code_buf = []
        if tag not in ("br", "hr", "img", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag == "code" and self.code_buf is not None:
            self.out.code.append("".join(self.code_buf))
            self.code_buf = None
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.code_buf is not None:
            self.code_buf.append(data)
        if not SKIPPED.intersection(self.stack):
            self.buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def render(markdown: str) -> Rendered:
    """The markdown rendered to HTML and taken apart: text nodes outside skipped elements, code, links."""
    out = Rendered(RENDERER.render(markdown))
    walker = _Walker(out)
    walker.feed(out.html)
    walker.close()
    return out


def refs_in_text(text: str) -> list[Ref]:
    """What GitHub's filters would make of one text node."""
    found: list[Ref] = []
    for m in _URL.finditer(text):
        number = _ISSUE_PATH.search(m.group(0))
        found.append(Ref("link", m.group(0), int(number.group(1)) if number else None, "url"))
    text_wo_urls = _URL.sub(" ", text)
    for m in _MENTION.finditer(text_wo_urls):
        found.append(Ref("mention", m.group(0)))
    for m in _ISSUE.finditer(text_wo_urls):
        before = _QUALIFIER.search(text_wo_urls[max(0, m.start() - 200) : m.start()])
        qualifier = before.group(0) if before else None
        found.append(Ref("issue", (qualifier or "") + m.group(0), int(m.group(1)), qualifier))
    for m in _GH.finditer(text_wo_urls):
        found.append(Ref("issue", m.group(0), int(m.group(1)), None))
    for m in _SHA.finditer(text_wo_urls):
        found.append(Ref("commit", m.group(0)))
    return found


def live_refs(markdown: str) -> list[Ref]:
    """Every live mention, reference and link in `markdown` once GitHub has rendered it."""
    rendered = render(markdown)
    found = [ref for node in rendered.text_nodes for ref in refs_in_text(node)]
    found += [Ref("link", href, None, "anchor") for href in rendered.links]
    return found


#: The bot's own line naming where the plan was read, linking GitHub's address of that comment, issue body
#: or file (never a document's text): the one link the summary makes on purpose.
_SOURCE_LINE = re.compile(
    r"^(?:_Plan read from (?:the file )?|\*\*Read from:\*\* )\[[^\]\n]*\]\((https://github\.com/[^)\s]+)\)",
    re.MULTILINE)


def unwanted(markdown: str, allowed: Collection[int] = ()) -> list[Ref]:
    """Live references other than plain `#N` to an issue in `allowed` (the bot's own, on purpose), and
    other than the summary's link to where its plan was read."""
    sources = set(_SOURCE_LINE.findall(markdown))
    return [
        r
        for r in live_refs(markdown)
        if not (r.kind == "issue" and r.qualifier is None and r.text.startswith("#") and r.number in allowed)
        and not (r.kind == "link" and r.text in sources)
    ]


#: Elements the bot's own markdown renders to (and the `<details>`/`<summary>` it writes as raw HTML).
OUR_TAGS = frozenset({
    "p", "h2", "h3", "h4", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "ul",
    "ol", "li", "blockquote", "details", "summary", "br", "hr",
})


def problems(markdown: str, allowed: Collection[int] = ()) -> list[object]:
    """What is wrong with text the bot writes: live references other than `allowed`, HTML from the input."""
    rendered = render(markdown)
    tags = rendered.tags - OUR_TAGS
    if set(rendered.links) <= set(_SOURCE_LINE.findall(markdown)):
        tags -= {"a"}  # only the summary's own link to where its plan was read
    return [*unwanted(markdown, allowed), *sorted(tags)]
