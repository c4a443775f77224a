"""Which repository paths are CCPM plan files (analyses, task files) and which issue each one is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.conventions import ANALYSIS_FILE_SUFFIX, PLAN_FILES_ROOT

PlanKind = Literal["analysis", "task"]

#: An issue number as CCPM names files after it: no leading zero (`001.md` is a local task number).
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class PlanPath:
    """A plan file's kind, and the issue its name gives (None: an analysis named without a number)."""

    kind: PlanKind
    number: int | None


def plan_path(path: str, root: str = PLAN_FILES_ROOT) -> PlanPath | None:
    """What `path` (relative to the repository root) is: `<root>/**/<N>-analysis.md` is issue N's
    analysis (`<root>/**/<name>-analysis.md` one whose frontmatter names its issue), `<root>/<epic>/<N>.md`
    is issue N's task file; anything else (and a local task number such as `001.md`) is None."""
    prefix = root.strip("/") + "/"
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix):]
    parts = rest.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    name = parts[-1]
    if name.endswith(ANALYSIS_FILE_SUFFIX) and len(name) > len(ANALYSIS_FILE_SUFFIX):
        stem = name[: -len(ANALYSIS_FILE_SUFFIX)]
        return PlanPath("analysis", int(stem) if _NUMBER.fullmatch(stem) else None)
    if len(parts) == 2 and name.endswith(".md") and _NUMBER.fullmatch(name[:-3]):
        return PlanPath("task", int(name[:-3]))
    return None
