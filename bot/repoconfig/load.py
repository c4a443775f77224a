"""Reading the configuration text: YAML with line numbers, checked by the model; a bad key is a finding
(with its line) and its default goes on, so a typo never stops the bot. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from bot.analysis.models import Diagnostic, Severity
from bot.repoconfig.model import DEFAULT_CONFIG, RepoConfig

#: Where a repository keeps the file (and where the owner's `.github` repository keeps the fallback).
CONFIG_PATH = ".github/parallel-work-bot.yml"
#: Characters of configuration read; a larger file is a finding and the defaults.
MAX_CONFIG_CHARS = 64 * 1024
#: Rounds of "drop what is wrong, check again" (each drops every value one check found wrong).
_MAX_ROUNDS = 8

Path = tuple[str | int, ...]


def finding(path: str, line: int | None, message: str, code: str = "config-invalid") -> Diagnostic:
    """A finding about the configuration file, naming the file and its line in the message."""
    where = path + (f" line {line}" if line is not None else "")
    return Diagnostic(severity=Severity.WARNING, code=code, message=f"{where}: {message}")


def _lines(node: yaml.Node, path: Path, out: dict[Path, int]) -> None:
    """Every key's and item's 1-based line, by its path in the data."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out[(*path, key.value)] = key.start_mark.line + 1
                _lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)


def _line_of(lines: dict[Path, int], loc: Path) -> int | None:
    for k in range(len(loc), -1, -1):
        if loc[:k] in lines:
            return lines[loc[:k]]
    return None


def _drop(data: Any, loc: Path) -> bool:
    """Remove the value at `loc` (its default then applies); False when nothing there could be removed."""
    if not loc:
        return False
    parent = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return _drop(data, loc[:-1])
    last = loc[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        del parent[last]
        return True
    return _drop(data, loc[:-1])


def _describe(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"]) or "the file"
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc}: ignored"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{loc}: {message}; its default is used"


def load_config_text(text: str | None, path: str = CONFIG_PATH) -> tuple[RepoConfig, list[Diagnostic]]:
    """The configuration a file's text gives, and the findings about it (empty for a good file).

    None or an empty file gives the defaults and no finding. Whatever is wrong is left out (its default
    applies) and named with its line; the rest of the file still counts.
    """
    if text is None or not text.strip():
        return DEFAULT_CONFIG, []
    if len(text) > MAX_CONFIG_CHARS:
        return DEFAULT_CONFIG, [finding(path, None, f"longer than {MAX_CONFIG_CHARS} characters: "
                                                    "not read, the defaults apply")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        return DEFAULT_CONFIG, [finding(path, line, f"{problem}: the defaults apply", "config-yaml")]
    if data is None:
        return DEFAULT_CONFIG, []
    if not isinstance(data, dict):
        return DEFAULT_CONFIG, [finding(path, 1, "the file must be a mapping of keys: the defaults apply")]
    lines: dict[Path, int] = {}
    if node is not None:
        _lines(node, (), lines)
    found: list[tuple[int, Diagnostic]] = []
    for _ in range(_MAX_ROUNDS):
        try:
            return RepoConfig.model_validate(data), [d for _, d in sorted(found, key=lambda f: f[0])]
        except ValidationError as exc:
            errors = exc.errors()
        # Drop deepest first, later items first, so earlier locations stay valid.
        dropped = False
        for error in sorted(errors, key=lambda e: [str(p).zfill(6) for p in e["loc"]], reverse=True):
            loc = tuple(error["loc"])
            line = _line_of(lines, loc)
            found.append((line or 0, finding(path, line, _describe(error))))
            dropped = _drop(data, loc) or dropped
        if not dropped:
            break
    found.append((0, finding(path, None, "could not be read: the defaults apply")))
    return DEFAULT_CONFIG, [d for _, d in sorted(found, key=lambda f: f[0])]
