"""The architecture holds: imports run one way, the plan core stays pure, every module says what it holds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

BOT = ROOT / "bot"

#: Which parts of `bot` each part may import (besides itself): entry points -> features -> core.
ALLOWED: dict[str, set[str]] = {
    # the conventions (identity, markers, GitHub's limits, label defaults): below everything
    "conventions": set(),
    # the pure plan core: reading, checking, rendering the summary
    "analysis": {"conventions"},
    # GitHub I/O, and the local GitHub the tests and the demo talk to
    "github": {"conventions"},
    "sandbox": {"conventions"},
    # PostgreSQL: the job queue's store, and the cross-process pacer (bot.github.pacing's protocol and budget)
    "store": {"conventions", "github"},
    "config": {"conventions"},
    "logs": set(),
    "metrics": set(),
    # a repository's .github/parallel-work-bot.yml: the model and its loading (pure), reading it from GitHub
    "repoconfig": {"analysis", "conventions"},
    # the engine: read GitHub -> desired state -> diff -> write the difference
    "sync": {"analysis", "conventions", "github", "repoconfig"},
    # webhook events -> job requests (jobs.request / jobs.commands only: see test below)
    "events": {"analysis", "conventions", "jobs"},
    # the queue and what a job does
    "jobs": {"analysis", "config", "conventions", "github", "metrics", "repoconfig", "store", "sync"},
    # the doors: the hosted App's web intake and server, the command line
    "app": {"config", "conventions", "events", "github", "jobs", "metrics"},
    # the doors run from a checkout with a token: the CLI's sync and the GitHub Action
    "local": {"analysis", "config", "conventions", "events", "github", "jobs", "repoconfig", "sync"},
    "cli": {"analysis", "app", "config", "conventions", "jobs", "local", "logs", "metrics", "repoconfig",
            "sandbox", "store"},
    "__main__": {"cli"},
    "__init__": set(),
}

#: Modules the pure plan core must never import: no I/O, no event loop, no GitHub types.
IMPURE = {"aiohttp", "gidgethub", "asyncio", "socket", "subprocess", "urllib", "http", "requests", "psycopg"}


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py"))


def part_of(path: Path) -> str:
    rel = path.relative_to(BOT).with_suffix("")
    return rel.parts[0]


def bot_imports(tree: ast.AST) -> set[str]:
    """The parts of `bot` a module imports (absolute imports; relative ones stay inside the part)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bot" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_every_part_is_known() -> None:
    assert {part_of(p) for p in modules()} <= set(ALLOWED)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path: Path) -> None:
    part = part_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = bot_imports(tree) - ALLOWED[part] - {part}
    assert not wrong, f"{path.relative_to(ROOT)} ({part}) imports {sorted(wrong)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_opens_with_a_one_line_docstring(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.relative_to(ROOT)} has no module docstring"
    assert doc.strip().splitlines()[0].strip(), "the first line says what the module holds"


def test_events_use_only_the_job_request_and_command_parts_of_jobs() -> None:
    """Events make job requests; they never reach the queue or the handler (which would be a cycle)."""
    for path in sorted((BOT / "events").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.jobs"):
                assert node.module in ("bot.jobs.request", "bot.jobs.commands"), f"{path.name}: {node.module}"


def test_the_allowed_map_has_no_cycle() -> None:
    seen: dict[str, int] = {}

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, " -> ".join((*stack, node))
        if seen.get(node):
            return
        for nxt in sorted(ALLOWED.get(node, set())):
            visit(nxt, (*stack, node))
        seen[node] = 1

    for name in ALLOWED:
        visit(name, ())


@pytest.mark.parametrize(
    "path", sorted((BOT / "analysis").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_plan_core_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
            pytest.fail(f"{path.name} opens a file")
    assert not imported & IMPURE, f"{path.name} imports {sorted(imported & IMPURE)}"


def module_name(path: Path) -> str:
    """`bot.x.y` for bot/x/y.py, `bot.x` for bot/x/__init__.py."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph(sources: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Which modules of `bot` each module imports: every import statement, those under `if TYPE_CHECKING:`
    and inside functions included (a cycle hidden there is still two modules that need each other).
    `sources` replaces the text of some modules (to show the check can fail)."""
    known = {module_name(p): p for p in modules()}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        text = (sources or {}).get(name) or path.read_text(encoding="utf-8")
        edges: set[str] = set()
        for node in ast.walk(ast.parse(text)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from bot.x import y` imports the module bot.x.y when there is one, else names of bot.x
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            edges |= {t for t in targets if t in known and t != name}
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_two_modules_import_each_other() -> None:
    """No import cycle between modules of `bot`, TYPE_CHECKING imports included."""
    assert cycles(module_graph()) == []


def test_the_cycle_check_sees_type_checking_imports() -> None:
    """The check above can fail: a TYPE_CHECKING import back to an importer is a cycle."""
    routes = (BOT / "sandbox" / "routes.py").read_text(encoding="utf-8")
    typing_only = routes + "\nif TYPE_CHECKING:\n    from bot.sandbox.server import Sandbox\n"
    relative = routes + "\ndef late() -> None:\n    from . import server\n"
    for text in (typing_only, relative):
        graph = module_graph({"bot.sandbox.routes": text})
        assert ["bot.sandbox.routes", "bot.sandbox.server"] in cycles(graph)
