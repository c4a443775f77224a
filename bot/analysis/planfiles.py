"""Which repository paths are CCPM plan files (analyses, task files) and which issue each one is for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from bot.analysis.globs import glob_dir
from bot.conventions import ANALYSIS_FILE_SUFFIX, ANALYSIS_PATHS, PLAN_FILES_ROOT

PlanKind = Literal["analysis", "task"]

#: An issue number as CCPM names files after it: no leading zero (`001.md` is a local task number).
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class PlanPath:
    """A plan file's kind, and the issue its name gives (None: an analysis named without a number)."""

    kind: PlanKind
    number: int | None


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    """A glob as `globs.py` reads them: `*` within a segment, `**` any depth (`**/` may vanish), `?` one
    character; everything else literal."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _named(name: str) -> int | None:
    """The issue an analysis's file name gives: `<N>-analysis.md` or `<N>.md` (not `001.md`)."""
    stem = name[: -len(".md")] if name.endswith(".md") else name
    stem = stem.removesuffix(ANALYSIS_FILE_SUFFIX[: -len(".md")])
    return int(stem) if _NUMBER.fullmatch(stem) else None


def _clean(path: str) -> list[str] | None:
    parts = path.split("/")
    return None if any(p in ("", ".", "..") for p in parts) else parts


@dataclass(frozen=True)
class PlanPaths:
    """A repository's plan files: analyses are the paths its `analysis_paths` patterns match (by default
    `.claude/epics/**/*-analysis.md`); task files are always CCPM's `.claude/epics/<epic>/<N>.md`."""

    patterns: tuple[str, ...] = ANALYSIS_PATHS
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(_compile(p) for p in self.patterns))

    @classmethod
    def of(cls, patterns: Iterable[str] | None) -> PlanPaths:
        """The plan paths of these patterns (None or none at all: the default)."""
        given = tuple(patterns or ())
        return cls(given or ANALYSIS_PATHS)

    def kind(self, path: str) -> PlanPath | None:
        """What `path` (relative to the repository root) is: issue N's task file `<root>/<epic>/<N>.md`, an
        analysis (issue N's when named `<N>-analysis.md` or `<N>.md`, else the one its frontmatter names),
        or None (also a local task number such as `001.md`)."""
        parts = _clean(path)
        if parts is None:
            return None
        name = parts[-1]
        root = PLAN_FILES_ROOT.strip("/").split("/")
        if (len(parts) == len(root) + 2 and parts[: len(root)] == root and name.endswith(".md")
                and _NUMBER.fullmatch(name[:-3])):
            return PlanPath("task", int(name[:-3]))
        if name == ANALYSIS_FILE_SUFFIX or not any(rx.fullmatch(path) for rx in self._compiled):
            return None
        return PlanPath("analysis", _named(name))

    def folders(self) -> list[str]:
        """The folders that hold every plan file (CCPM's root for task files, each pattern's literal
        folder), outermost only; `""` is the repository's root."""
        found = sorted({PLAN_FILES_ROOT.strip("/") + "/", *(glob_dir(p) for p in self.patterns)})
        return [f for f in found if not any(f != g and f.startswith(g) for g in found)]


DEFAULT_PLAN_PATHS = PlanPaths()


def plan_path(path: str, paths: PlanPaths = DEFAULT_PLAN_PATHS) -> PlanPath | None:
    """What `path` is under the default patterns (or `paths`): see `PlanPaths.kind`."""
    return paths.kind(path)


def by_name(name: str, *, given: bool) -> PlanPath | None:
    """A file outside the patterns, known by its name alone: `<N>-analysis.md` (`<name>-analysis.md`: its
    frontmatter names the issue) anywhere, `<N>.md` a task file only when given by name."""
    if name.endswith(ANALYSIS_FILE_SUFFIX) and name != ANALYSIS_FILE_SUFFIX:
        return PlanPath("analysis", _named(name))
    if given and name.endswith(".md") and _NUMBER.fullmatch(name[:-3]):
        return PlanPath("task", int(name[:-3]))
    return None
