"""Reading the configuration text: YAML with line numbers, checked by the model; a bad key is a finding
(with its line) and its default goes on, so a typo never stops the bot. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from bot.analysis.models import Diagnostic, Severity
from bot.conventions import CONFIG_PATH
from bot.repoconfig.model import DEFAULT_CONFIG, RepoConfig

__all__ = ["CONFIG_PATH", "LoadedConfig", "finding", "load_config_text"]
#: Characters of configuration read; a larger file is a finding and the defaults.
MAX_CONFIG_CHARS = 64 * 1024
#: Findings kept from one check (a file of a thousand unknown keys is named by its first ones).
MAX_FINDINGS = 50
#: Rounds of "drop what is wrong, check again" (each drops every value one check found wrong).
_MAX_ROUNDS = 8

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedConfig:
    """A repository's configuration, where it came from and what was wrong with it (what a sync takes)."""

    config: RepoConfig = DEFAULT_CONFIG
    findings: list[Diagnostic] = field(default_factory=list)
    #: `owner/repo:path` (or the checkout's path) of the file read; None: no file, the defaults.
    source: str | None = None
    #: The blob sha of the file read, when known.
    sha: str | None = None

    @classmethod
    def from_text(cls, text: str | None, path: str = CONFIG_PATH) -> LoadedConfig:
        """From a checkout's file (the CLI and the Action pass it: `sync_issue(..., config=...)`)."""
        config, findings = load_config_text(text, path)
        return cls(config, findings, path if text is not None else None)


def finding(path: str, line: int | None, message: str, code: str = "config-invalid") -> Diagnostic:
    """A finding about the configuration file, naming the file and its line in the message."""
    where = path + (f" line {line}" if line is not None else "")
    return Diagnostic(severity=Severity.WARNING, code=code, message=f"{where}: {message}")


def _lines(root: yaml.Node) -> dict[Path, int]:
    """Every key's and item's 1-based line, by its path in the data. Each node is walked once (an alias
    repeats a node: `&a`/`*a` chains must not multiply the walk), without recursion (no depth limit)."""
    out: dict[Path, int] = {}
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, Path]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        out.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    out.setdefault((*path, key.value), key.start_mark.line + 1)
                    todo.append((value, (*path, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return out


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
        if not parent:  # nothing right was left in it: the key's default applies
            _drop(data, loc[:-1])
        return True
    return _drop(data, loc[:-1])


def _describe(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"]) or "the file"
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc}: ignored"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["loc"] and isinstance(error["loc"][-1], int):
        return f"{loc}: {message}; left out"
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
    except RecursionError:
        return DEFAULT_CONFIG, [finding(path, None, "nested too deeply: the defaults apply", "config-yaml")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        return DEFAULT_CONFIG, [finding(path, line, f"{problem}: the defaults apply", "config-yaml")]
    if data is None:
        return DEFAULT_CONFIG, []
    if not isinstance(data, dict):
        return DEFAULT_CONFIG, [finding(path, 1, "the file must be a mapping of keys: the defaults apply")]
    lines = _lines(node) if node is not None else {}
    found: list[tuple[int, Diagnostic]] = []
    config: RepoConfig | None = None
    for _ in range(_MAX_ROUNDS):
        try:
            config = RepoConfig.model_validate(data)
            break
        except ValidationError as exc:
            errors = exc.errors(include_input=False)
        except RecursionError:
            break
        # Drop deepest first, later items first, so earlier locations stay valid.
        dropped = False
        for error in sorted(errors, key=lambda e: [str(p).zfill(6) for p in e["loc"]], reverse=True):
            loc = tuple(error["loc"])
            line = _line_of(lines, loc)
            found.append((line or 0, finding(path, line, _describe(error))))
            dropped = _drop(data, loc) or dropped
        if not dropped:
            break
    if config is None:
        found.append((0, finding(path, None, "could not be read: the defaults apply")))
    shown = [d for _, d in sorted(found, key=lambda f: f[0])]
    if len(shown) > MAX_FINDINGS:
        hidden = len(shown) - MAX_FINDINGS
        shown = [*shown[:MAX_FINDINGS], finding(path, None, f"{hidden} more findings not shown")]
    return config or DEFAULT_CONFIG, shown
