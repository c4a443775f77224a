"""Hidden markers the bot writes into GitHub text to find its own comments, regions and sub-issues again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from bot.conventions import DONE, HANDOFF, LABELSET, STREAMS, Identity, marker
from bot.conventions import MARKER_PREFIX as PREFIX

#: The renderer starts the summary comment with `<!-- parallel-work-bot:summary issue=<N> plan=<hash> -->`.
SUMMARY_PREFIX = PREFIX + "summary"
CONFLICT_PREFIX = PREFIX + "conflict"
STREAM_PREFIX = PREFIX + "stream"
STREAM_CLOSE = "<!-- /parallel-work-bot:stream -->"
#: In a stream region: the bot closed this sub-issue as its stream left the plan (so it may reopen it).
REMOVED_MARKER = PREFIX + "removed -->"
FAILURE_OPEN = PREFIX + "failure -->"
FAILURE_CLOSE = "<!-- /parallel-work-bot:failure -->"

_STREAM_RE = re.compile(r"<!-- parallel-work-bot:stream parent=(\d+) id=([A-Za-z0-9_.-]{1,40}) -->")
_REGION_RE = re.compile(
    r"<!-- parallel-work-bot:stream parent=\d+ id=[A-Za-z0-9_.-]{1,40} -->"
    r".*?<!-- /parallel-work-bot:stream -->",
    re.DOTALL,
)
_CONFLICT_RE = re.compile(r"<!-- parallel-work-bot:conflict of=#(\d+) -->")
_LINKS_RE = re.compile(r"<!-- parallel-work-bot:links conflicts=([\d,]*) deps=([\d,]*) -->")
_STREAMS_RE = re.compile(r"<!-- parallel-work-bot:streams ([A-Za-z0-9_.=,-]{0,20000}) -->")
_LABELSET_RE = re.compile(r"<!-- parallel-work-bot:labelset ([A-Za-z0-9%._~,-]{0,20000}) -->")
_HANDOFF_RE = re.compile(r"<!-- parallel-work-bot:handoff ([A-Za-z0-9_.=,+\[\]-]{0,60000}) -->")
DONE_MARKER = marker(DONE)
_FAILURE_RE = re.compile(
    r"\n*<!-- parallel-work-bot:failure -->.*?<!-- /parallel-work-bot:failure -->", re.DOTALL
)


@dataclass(frozen=True)
class StreamMarker:
    """Which plan (parent issue) and which stream a sub-issue belongs to."""

    parent: int
    stream_id: str


def is_bot(item: Any, me: Identity) -> bool:
    """Only markers written by us count (our login or our App): nobody else's may steer us."""
    return me.owns(item)


def safe_id(stream_id: str) -> str:
    """A stream id as it may appear in a marker (short letters or numbers; anything else is dropped)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", stream_id)[:40] or "_"


def stream_open(parent: int, stream_id: str) -> str:
    """The opening marker of a stream sub-issue's bot-owned body region."""
    return f"{STREAM_PREFIX} parent={parent} id={safe_id(stream_id)} -->"


def bare_summary_marker(issue: int) -> str:
    """The first line of a summary the bot writes without a plan (task links only, or a failure note)."""
    return f"{SUMMARY_PREFIX} issue={issue} plan=none -->"


def conflict_marker(of: int) -> str:
    """The marker that starts the bot's comment on an issue named in #`of`'s conflicts_with."""
    return f"{CONFLICT_PREFIX} of=#{of} -->"


def parse_stream_marker(body: str | None) -> StreamMarker | None:
    """The stream marker in an issue body, if any."""
    if not body:
        return None
    m = _STREAM_RE.search(body)
    return StreamMarker(int(m.group(1)), m.group(2)) if m else None


def region_of(body: str | None) -> str | None:
    """The bot-owned region (markers included) of a sub-issue body, or None when it has none."""
    if not body:
        return None
    m = _REGION_RE.search(body)
    return m.group(0) if m else None


def replace_region(body: str | None, region: str) -> str:
    """The body with its bot-owned region replaced by `region`; text a person wrote outside it is kept."""
    if body and _REGION_RE.search(body):
        return _REGION_RE.sub(lambda _m: region, body, count=1)
    if body:
        return region + "\n\n" + body
    return region


def is_summary(comment: Any, me: Identity) -> bool:
    """True for our summary comment (the renderer's marker on the first line, written by us)."""
    body = comment.get("body") or ""
    return is_bot(comment, me) and body.lstrip().startswith(SUMMARY_PREFIX)


def is_ours(comment: Any, me: Identity) -> bool:
    """True for any comment we wrote (summary, conflict note, reply): never read as an analysis."""
    body = comment.get("body") or ""
    return is_bot(comment, me) and PREFIX in body


def conflict_of(comment: Any, me: Identity) -> int | None:
    """The issue number our conflict comment points back to, or None (also for anyone else's)."""
    if not is_bot(comment, me):
        return None
    m = _CONFLICT_RE.search(comment.get("body") or "")
    return int(m.group(1)) if m else None


def strip_failure(body: str) -> str:
    """The summary without a failure note a previous failed job left in it."""
    return _FAILURE_RE.sub("", body)


def with_failure(body: str, note: str) -> str:
    """The summary with a (single) failure note appended."""
    return f"{strip_failure(body).rstrip()}\n\n{FAILURE_OPEN}\n{note}\n{FAILURE_CLOSE}\n"


def links_marker(conflicts: list[int], deps: list[int]) -> str:
    """The summary's record of the conflict flags and issue-level links the bot made (to undo them later)."""
    return f"{PREFIX}links conflicts={','.join(map(str, conflicts))} deps={','.join(map(str, deps))} -->"


def streams_marker(numbers: dict[str, int]) -> str:
    """The summary's record of each stream's sub-issue (stream id -> number), removed streams included."""
    pairs = sorted(numbers.items(), key=lambda kv: kv[1])
    return marker(STREAMS, ",".join(f"{safe_id(sid)}={n}" for sid, n in pairs if n > 0))


def previous_streams(comments: list[Any], me: Identity) -> dict[str, int]:
    """Stream id -> sub-issue number as our summary recorded it last time (empty without one)."""
    for comment in comments:
        if is_summary(comment, me):
            m = _STREAMS_RE.search(comment.get("body") or "")
            out: dict[str, int] = {}
            for pair in (m.group(1).split(",") if m else []):
                sid, _, num = pair.partition("=")
                if sid and num.isdigit():
                    out.setdefault(sid, int(num))
            return out
    return {}


def previous_links(comments: list[Any], me: Identity) -> tuple[list[int], list[int]]:
    """The conflicts and issue-level dependencies our summary says we made last time."""
    for comment in comments:
        if is_summary(comment, me):
            m = _LINKS_RE.search(comment.get("body") or "")
            if m:
                return [int(x) for x in m.group(1).split(",") if x], [
                    int(x) for x in m.group(2).split(",") if x
                ]
            break
    return [], []


def _summary_body(comments: list[Any], me: Identity) -> str:
    return next((str(c.get("body") or "") for c in comments if is_summary(c, me)), "")


def labelset_marker(names: list[str]) -> str:
    """The summary's record of the label names a repository's configuration gave (defaults: none written)."""
    return marker(LABELSET, ",".join(quote(n, safe="") for n in names))


def previous_labelset(comments: list[Any], me: Identity) -> list[str] | None:
    """The label names our summary recorded last time; None when it recorded none (the defaults)."""
    m = _LABELSET_RE.search(_summary_body(comments, me))
    return [unquote(x) for x in m.group(1).split(",") if x] if m else None


def handoff_marker(handed: dict[str, list[str]]) -> str:
    """The summary's record of who the bot assigned each ready stream to (stream id -> logins)."""
    return marker(HANDOFF, ",".join(f"{safe_id(sid)}={'+'.join(people)}"
                                     for sid, people in sorted(handed.items()) if people))


def previous_handoff(comments: list[Any], me: Identity) -> dict[str, list[str]]:
    """Stream id -> the logins the bot assigned it to, as our summary recorded last time."""
    m = _HANDOFF_RE.search(_summary_body(comments, me))
    out: dict[str, list[str]] = {}
    for pair in (m.group(1).split(",") if m else []):
        sid, _, people = pair.partition("=")
        if sid and people:
            out[sid] = [p for p in people.split("+") if p]
    return out


def previously_done(comments: list[Any], me: Identity) -> bool:
    """Our summary says the bot closed the plan's issue because every stream was done."""
    return DONE_MARKER in _summary_body(comments, me)
