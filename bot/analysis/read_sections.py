"""The document's outline and its prose sections: overview, coordination points, timeline, approach, notes."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import AnyStr

from bot.analysis.hours import parse_hours
from bot.analysis.locate import HEADING_STARTS, heading, heading_text
from bot.analysis.models import CoordinationPoints, HourRange, Section, StatedTimeline
from bot.analysis.read_fields import BULLET, label_value
from bot.analysis.read_files import looks_like_path, paths_of

#: Per heading pattern made of literal words only, those words lower-cased: Outline.first finds the first
#: heading holding one without trying the pattern on every heading.
_WORDS: dict[re.Pattern[str], tuple[str, ...]] = {}


def _words(*words: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of `words`, as written."""
    pattern = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
    _WORDS[pattern] = tuple(w.lower() for w in words)
    return pattern


_TIMELINE = _words("expected timeline", "timeline", "时间线", "预期时间", "calendrier", "chronologie")
_RISK = _words("conflict risk", "冲突风险", "risque")
_NOTES = re.compile(r"^(?:notes?|备注|注意事项|remarques)\b", re.IGNORECASE)
_OVERVIEW = _words("overview", "概述", "概览", "aperçu", "vue d'ensemble", "summary")
_APPROACH = _words("recommended approach")
_COORDINATION = _words("coordination", "协调", "协作")
_SHARED_FILES = re.compile(r"shared\s+files|共享文件|fichiers partagés", re.IGNORECASE)
_SEQUENTIAL = re.compile(r"sequential|顺序|séquentiel", re.IGNORECASE)

# Possessive quantifiers (*+): neighbouring optional spaces/bold must not backtrack on long lines.
_WALL_RX = re.compile(r"\bwall[\s-]*+(?:clock\s*+)?time\**+\s*+\**+\s*+[:：]\**+", re.IGNORECASE)
_TOTAL_RX = re.compile(
    r"\btotal\s++(?:work|effort|hours|(?:implementation|development|estimated)\s++(?:time|effort))"
    r"\**+\s*+\**+\s*+[:：]\**+",
    re.IGNORECASE,
)
_EFF_RX = re.compile(
    r"efficiency\s++gain\**+\s*+\**+\s*+[:：]\**+\s*+~?\s*+(\d++(?:\.\d++)?)\s*+%", re.IGNORECASE
)


_APPROACH_LABEL = re.compile(r"recommended\s+approach", re.IGNORECASE)


class Outline:
    """The located lines with their code mask and every heading outside code, each with where it ends.

    `base` is the 0-based input line of lines[0], so sections carry lines of the original input.
    """

    def __init__(self, lines: list[str], mask: list[bool], base: int) -> None:
        self.lines, self.mask, self.base = lines, mask, base
        #: (index, level, text) of every heading outside code.
        self.heads: list[tuple[int, int, str]] = []
        for i in [k for k, line in enumerate(lines) if line.startswith(HEADING_STARTS)]:
            h = None if mask[i] else heading(lines[i])
            if h:
                self.heads.append((i, h[0], heading_text(h[1])))
        self._joined: tuple[str, str | None] | None = None  # the heading texts joined, for `first`
        self._starts: list[int] = []
        self._text: str | None = None
        self._folded: bytes | None = None
        #: Per heading, where its section ends (the next heading of the same or a higher level), in one pass.
        self.ends = [len(lines)] * len(self.heads)
        stack: list[int] = []
        for pos, (i, level, _t) in enumerate(self.heads):
            while stack and self.heads[stack[-1]][1] >= level:
                self.ends[stack.pop()] = i
            stack.append(pos)

    def text(self) -> str:
        """The lines joined by line breaks (worked out once, for every search)."""
        if self._text is None:
            self._text = "\n".join(self.lines)
        return self._text

    def folded(self) -> bytes:
        """The text as UTF-8 with its ASCII letters lower-cased: where an ASCII word is, ignoring case.

        Far cheaper than str.lower on a text with other characters, and alike for these searches: no other
        character lower-cases to an ASCII letter but U+212A (to "k") and U+0130 (to "i" and a combining dot).
        """
        if self._folded is None:
            self._folded = self.text().encode("utf-8", "surrogatepass").lower()
        return self._folded

    @staticmethod
    def lines_holding(word: AnyStr, text: AnyStr) -> list[int]:
        """The indexes of the lines of `text` (the lines joined, or folded) that hold `word`, each once.

        Line breaks are counted from one find to the next, and each search resumes on the next line: one pass
        over the text, however many lines hold the word.
        """
        out: list[int] = []
        newline = "\n" if isinstance(text, str) else b"\n"
        at = text.find(word)
        k = counted = 0
        while at >= 0:
            k += text.count(newline, counted, at)
            counted = at
            out.append(k)
            eol = text.find(newline, at)
            at = text.find(word, eol) if eol >= 0 else -1
        return out

    def first(self, pattern: re.Pattern[str]) -> tuple[int, int] | None:
        """(heading index, section end) of the first heading matching `pattern`."""
        words = _WORDS.get(pattern)
        if words is not None:
            pos = self._first_holding(pattern, words)
            return None if pos is None else (self.heads[pos][0], self.ends[pos])
        for pos, (i, _level, text) in enumerate(self.heads):
            if pattern.search(text):
                return i, self.ends[pos]
        return None

    def _first_holding(self, pattern: re.Pattern[str], words: tuple[str, ...]) -> int | None:
        """The position in `heads` of the first heading holding one of the literal `words` (`pattern`).

        One search over the headings joined by line breaks: a literal never spans one, so the earliest
        match is in the first heading that has one. ASCII headings are searched lower-cased, without the
        pattern (no ASCII letter matches another one ignoring case but its other case).
        """
        if self._joined is None:
            texts = [t for _i, _l, t in self.heads]
            joined = "\n".join(texts)
            self._joined = (joined, joined.lower() if joined.isascii() else None)
            self._starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        joined, low = self._joined
        if low is not None:
            found = [at for at in (low.find(w) for w in words) if at >= 0]
            at = min(found) if found else -1
        else:
            m = pattern.search(joined)
            at = m.start() if m is not None else -1
        return bisect_right(self._starts, at) - 1 if at >= 0 else None

    def section(self, pattern: re.Pattern[str]) -> Section | None:
        """The body of the first section whose heading matches `pattern`."""
        found = self.first(pattern)
        if found is None:
            return None
        i, end = found
        return Section(text="\n".join(self.lines[i + 1 : end]).strip(), line=self.base + i + 1)

    def title(self) -> str | None:
        """The text of the first level-1 heading."""
        return next((t for (_i, level, t) in self.heads if level == 1), None)

    def overview(self) -> Section | None:
        """The Overview (or Summary) section."""
        return self.section(_OVERVIEW)

    def conflict_risk(self) -> Section | None:
        """The Conflict Risk section."""
        return self.section(_RISK)

    def notes(self) -> Section | None:
        """The Notes section."""
        return self.section(_NOTES)

    def recommended_approach(self) -> Section | None:
        """A "**Recommended Approach**: value" line, else the section of that name."""
        for k in self.lines_holding("pproach", self.text()):  # (most documents have no such line)
            line = self.lines[k]
            if self.mask[k]:
                continue
            lv = label_value(line)
            if lv and _APPROACH_LABEL.fullmatch(lv[0]) and lv[1]:
                return Section(text=lv[1], line=self.base + k + 1)
        return self.section(_APPROACH)

    def coordination(self) -> CoordinationPoints:
        """Shared files and sequential requirements under the Coordination Points heading."""
        found = self.first(_COORDINATION)
        if found is None:
            return CoordinationPoints()
        i, end = found
        lines, mask = self.lines, self.mask
        shared: dict[str, None] = {}  # each once, without scanning a list
        seq: list[str] = []
        current: str | None = None
        for k in range(i + 1, end):
            if mask[k]:
                continue
            hm = heading(lines[k])
            bm = BULLET.match(lines[k])
            t = heading_text(hm[1]) if hm else ""
            if not hm and not bm:  # (a bullet's label names no sub-list)
                lv = label_value(lines[k])
                if lv:
                    t = lv[0]
            if t:
                if _SHARED_FILES.search(t):
                    current = "shared"
                    continue
                if _SEQUENTIAL.search(t):
                    current = "seq"
                    continue
                if hm:
                    current = None
                    continue
            if current is None or not lines[k].strip():
                continue
            if current == "shared":
                if bm and len(bm.group("indent")) > 1:
                    continue  # a note under a shared file, not another file
                paths = (
                    paths_of(bm.group("text"))
                    if bm
                    else [c for c in re.findall(r"`([^`\n]+)`", lines[k]) if looks_like_path(c)]
                )
                for path in paths:
                    shared[path] = None
            elif bm and len(bm.group("indent")) <= 1:
                seq.append(bm.group("text").strip())
        return CoordinationPoints(
            shared_files=list(shared), sequential_requirements=seq, line=self.base + i + 1
        )

    def timeline(self) -> StatedTimeline:
        """Stated wall time, total work and efficiency gain: in the timeline section first, then anywhere."""
        lines = self.lines
        found = self.first(_TIMELINE)
        start, end = found if found is not None else (0, len(lines))
        # Only lines holding the key word (any case) are looked at (cheap substring test before any regex).
        cand: dict[str, list[int]] = {"wall": [], "total": [], "efficiency": []}
        folded = self.folded()  # (the words end in no "i" or "k": see `folded`)
        for word, ks in cand.items():
            for k in self.lines_holding(word.encode(), folded):
                if (":" in lines[k] or "：" in lines[k]) and not self.mask[k]:
                    ks.append(k)

        def ordered(ks: list[int]) -> list[int]:
            """The timeline section's lines first, then (when there is such a section) the whole document."""
            inside = [k for k in ks if start <= k < end]
            return inside + ([k for k in ks if not start <= k < end] if found is not None else [])

        def grab(rx: re.Pattern[str], ks: list[int]) -> tuple[HourRange | None, int | None]:
            for k in ordered(ks):
                m = rx.search(lines[k])
                if m:
                    rest = lines[k][m.end() :]
                    # "6 hours (longest) + 4 hours (synthesis) = 10 hours": the result counts.
                    if "=" in rest:
                        rest = rest.rsplit("=", 1)[1]
                    value = parse_hours(rest)
                    if value is not None:
                        return value, k
            return None, None

        wall, wall_k = grab(_WALL_RX, cand["wall"])
        total, total_k = grab(_TOTAL_RX, cand["total"])
        eff: float | None = None
        for k in ordered(cand["efficiency"]):
            m = _EFF_RX.search(lines[k])
            if m:
                eff = float(m.group(1))
                break
        if found is not None:
            where: int | None = self.base + start + 1
        else:
            firsts = [x for x in (wall_k, total_k) if x is not None]
            where = self.base + min(firsts) + 1 if firsts else None
        return StatedTimeline(wall_hours=wall, total_hours=total, efficiency_gain=eff, line=where)
