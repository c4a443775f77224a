"""YAML frontmatter (of an analysis or a CCPM task) read into `Frontmatter`; YAML errors are diagnostics."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.analysis import diagnostics
from bot.analysis.flat_yaml import read_flat
from bot.analysis.hours import hours_value
from bot.analysis.limits import MAX_ISSUE_REFS, MAX_SALVAGE_VALUE, MAX_YAML_CHARS, MAX_YAML_DEPTH
from bot.analysis.models import Diagnostic, Frontmatter

#: libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontmatterLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """Safe YAML without timestamps (kept as written) and with "010" read as ten, not octal eight."""


FrontmatterLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_DECIMAL = re.compile(r"[-+]?\d+")


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    raw = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    plain = raw.replace("_", "")
    if _DECIMAL.fullmatch(plain):
        return int(plain, 10)
    return loader.construct_yaml_int(node)  # type: ignore[arg-type]


FrontmatterLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

_ISSUE_KEYS = ("issue", "task", "task_id", "issue_number", "id")
_KNOWN = {
    "issue",
    "title",
    "analyzed",
    "estimated_hours",
    "parallelization_factor",
    "conflicts_with",
    "depends_on",
    "parallel",
}
_MAX_NODES = 5000  # values kept in `extra`, all keys together
_MAX_ITEMS = 1000
_MAX_STR = 10_000
_SALVAGE = re.compile(r"^([A-Za-z_][\w\-]*+)[ \t]*+:[ \t]*+(.*)$")


def frontmatter_end(lines: list[str]) -> int | None:
    """Index of the closing `---` (or `...`) when `lines` open with frontmatter, else None."""
    if not lines or lines[0].strip() != "---":
        return None
    for j in range(1, min(len(lines), 500)):
        if lines[j].strip() in ("---", "..."):
            return j
    return None


_ISSUE_NUMBER = re.compile(r"(?:#|(?:issue|task)\s*+#?)?\s*+(\d++)", re.IGNORECASE)


def _int_of(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        m = _ISSUE_NUMBER.fullmatch(value.strip())
        if m:
            return int(m.group(1))
    return None


def int_list(value: object, limit: int | None = None) -> list[int]:
    """Issue numbers from a YAML value: [006, 7], "5, 6", "#5", 5, or a block list; each once, at most
    `limit` + 1 of them (one more than kept tells the caller that some were left out)."""
    items: list[object]
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = list(value[: max(1000, (limit or 0) + 1)])
    elif isinstance(value, str):
        items = [int(n) for n in _DIGITS.findall(value)]
    else:
        items = [value]
    out: dict[int, None] = {}
    for item in items:
        n = _int_of(item)
        if n is not None:
            out[n] = None
            if limit is not None and len(out) > limit:
                break
    return list(out)


_DIGITS = re.compile(r"\d+")


def issue_refs(*sources: list[int]) -> tuple[list[int], int]:
    """The issue numbers of every source, each once, in order: at most MAX_ISSUE_REFS, and how many more."""
    seen: dict[int, None] = {}
    for source in sources:
        for n in source:
            seen[n] = None
    found = list(seen)
    return found[:MAX_ISSUE_REFS], max(0, len(found) - MAX_ISSUE_REFS)


_BRACKETS = re.compile(r"[\[\]{}]")


def flow_depth(text: str) -> int:
    """How deep YAML collections nest in `text`, by one linear scan (no parsing).

    Counts flow brackets (`[`, `{`, even inside quotes: an over-estimate only refuses odd YAML) and, per line,
    chained block indicators (`- - - x`, `? ? x`), which nest without indentation.
    """
    depth = deepest = 0
    opening = text.count("[") + text.count("{")
    # The brackets alone, in order (found by one regex) when they are few; else every character.
    for ch in (_BRACKETS.findall(text) if opening * 4 < len(text) else text) if opening else ():
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "]}" and depth:
            depth -= 1
    for line in text.split("\n"):
        if line.lstrip()[:1] not in ("-", "?", ":"):
            continue  # its first token is no block indicator: a chain of none
        chain = 0
        for token in line.split():
            if token not in ("-", "?", ":"):
                break
            chain += 1
        deepest = max(deepest, chain)
    return deepest


def _bool_of(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "y", "on", "1"):
            return True
        if low in ("false", "no", "n", "off", "0"):
            return False
    return None


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _float_of(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _NUMBER.search(value)
        if m:
            return float(m.group(0))
    return None


def _jsonable(value: object, budget: list[int], depth: int = 0) -> Any:
    """A JSON-friendly copy, cut short ("…") past a node budget: YAML aliases can nest exponentially
    ("billion laughs") or in a cycle, and frontmatter is untrusted text."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 32:
        return "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:_MAX_STR]
    if isinstance(value, list | tuple):
        return [_jsonable(v, budget, depth + 1) for v in value[:_MAX_ITEMS]]
    if isinstance(value, dict):
        items = list(value.items())[:_MAX_ITEMS]
        return {str(k)[:_MAX_STR]: _jsonable(v, budget, depth + 1) for k, v in items}
    return str(value)[:_MAX_STR]


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str | int | float | bool):
        return str(value)[:_MAX_STR]
    return str(_jsonable(value, [50]))[:_MAX_STR]


def build_frontmatter(data: dict[Any, Any], line: int) -> Frontmatter:
    """A `Frontmatter` from loaded YAML; unknown keys kept (JSON-friendly) in `extra`."""
    issue: int | None = None
    for key in _ISSUE_KEYS:
        if key in data:
            issue = _int_of(data[key])
            if issue is not None:
                break
    if issue is None and isinstance(data.get("github"), str):
        m = re.search(r"/issues/(\d+)", data["github"])
        if m:
            issue = int(m.group(1))
    title = data.get("title")
    analyzed = data.get("analyzed")
    budget = [_MAX_NODES]
    extra = {str(k)[:_MAX_STR]: _jsonable(v, budget) for k, v in data.items() if str(k) not in _KNOWN}
    return Frontmatter(
        issue=issue,
        title=_scalar_text(title),
        analyzed=_scalar_text(analyzed),
        estimated_hours=hours_value(data.get("estimated_hours")),
        parallelization_factor=_float_of(data.get("parallelization_factor")),
        conflicts_with=int_list(data.get("conflicts_with"), MAX_ISSUE_REFS)[:MAX_ISSUE_REFS],
        depends_on=int_list(data.get("depends_on"), MAX_ISSUE_REFS)[:MAX_ISSUE_REFS],
        parallel=_bool_of(data.get("parallel")),
        extra=extra,
        line=line,
    )


def _salvage(block: list[str], why: str, where: int, diags: list[Diagnostic]) -> dict[str, object]:
    """Top-level `key: value` lines, each value read on its own (short ones as YAML, long ones as text).

    One "frontmatter-invalid" diagnostic says `why`, and which values were cut to MAX_SALVAGE_VALUE.
    """
    data: dict[str, object] = {}
    cut: list[str] = []
    for raw in block:
        m = _SALVAGE.match(raw)
        if not m:
            continue
        value = m.group(2).strip()
        if len(value) > MAX_SALVAGE_VALUE or flow_depth(value) > MAX_YAML_DEPTH:
            data[m.group(1)] = value[:MAX_SALVAGE_VALUE]  # kept as text, not parsed
            if len(value) > MAX_SALVAGE_VALUE:
                cut.append(f"{m.group(1)[:40]} (the last {len(value) - MAX_SALVAGE_VALUE} characters)")
            continue
        try:
            data[m.group(1)] = yaml.load(value, Loader=FrontmatterLoader) if value else None
        except (yaml.YAMLError, RecursionError, ValueError, TypeError):
            data[m.group(1)] = value
    if cut:
        shown = ", ".join(cut[:5]) + (f" and {len(cut) - 5} more" if len(cut) > 5 else "")
        why += f"; not read, past {MAX_SALVAGE_VALUE} characters a value: {shown}"
    diags.append(_invalid(why, where))
    return data


def _invalid(message: str, line: int) -> Diagnostic:
    return diagnostics.warning("frontmatter-invalid", message, line)


_TITLE_LINE = re.compile(r"^title[ \t]*+:[ \t]*+([^'\"].*)$")


def parse_frontmatter(block: list[str], line: int) -> tuple[Frontmatter, list[Diagnostic]]:
    """Frontmatter from the YAML lines between the delimiters; `line`: 1-based line of the opening `---`.

    Broken YAML gives a diagnostic and whatever simple `key: value` lines can be salvaged.
    """
    text = "\n".join(block)
    diags: list[Diagnostic] = []
    data: object
    if len(text) > MAX_YAML_CHARS:
        why = f"frontmatter longer than {MAX_YAML_CHARS} characters; read key by key"
        data = _salvage(block, why, line, diags)
    elif flow_depth(text) > MAX_YAML_DEPTH:
        why = f"frontmatter nests deeper than {MAX_YAML_DEPTH} levels; read key by key"
        data = _salvage(block, why, line, diags)
    elif (flat := read_flat(block, FrontmatterLoader.yaml_implicit_resolvers)) is not None:
        data = flat  # (flat lines, read as the loader below would read them)
    else:
        try:
            data = yaml.load(text, Loader=FrontmatterLoader)  # a SafeLoader subclass
        except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = line + 1 + mark.line if mark is not None else line
            problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
            why = f"frontmatter is not valid YAML ({problem[:120]}); read key by key"
            data = _salvage(block, why, where, diags)
    if data is None:
        data = {}
    if isinstance(data, dict) and isinstance(data.get("title"), str):
        # `title: Issue #288 Analysis` - YAML reads " #..." as a comment; the author meant a title.
        for raw in [r for r in block if " #" in r]:  # (what YAML took for a comment starts with " #")
            m = _TITLE_LINE.match(raw)
            full = m.group(1).strip() if m else ""
            if full != data["title"] and full.startswith(data["title"]) and " #" in full:
                data["title"] = full
                break
    if not isinstance(data, dict):
        diags.append(_invalid("frontmatter is not a mapping of keys to values", line))
        data = {}
    for key in ("conflicts_with", "depends_on"):
        if len(int_list(data.get(key), MAX_ISSUE_REFS)) > MAX_ISSUE_REFS:
            message = (
                f"frontmatter {key} names more than {MAX_ISSUE_REFS} issues; "
                f"only the first {MAX_ISSUE_REFS} are read"
            )
            diags.append(diagnostics.warning("issues-capped", message, line))
    return build_frontmatter(data, line), diags


def read_task_frontmatter(lines: list[str]) -> tuple[Frontmatter, list[Diagnostic]] | None:
    """Frontmatter at the top of `lines` (leading blank lines allowed), or None when there is none."""
    first = next((i for i, s in enumerate(lines) if s.strip()), None)
    if first is None:
        return None
    end = frontmatter_end(lines[first:])
    if end is None:
        return None
    return parse_frontmatter(lines[first + 1 : first + end], first + 1)
