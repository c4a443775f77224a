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
    # the engine: read GitHub -> desired state -> diff -> write the difference
    "sync": {"analysis", "conventions", "github"},
    # webhook events -> job requests (jobs.request / jobs.commands only: see test below)
    "events": {"analysis", "conventions", "jobs"},
    # the queue and what a job does
    "jobs": {"analysis", "config", "conventions", "github", "metrics", "store", "sync"},
    # the doors: the hosted App's web intake and server, the command line
    "app": {"config", "conventions", "events", "github", "jobs", "metrics"},
    "cli": {"analysis", "app", "config", "conventions", "jobs", "logs", "metrics", "sandbox", "store"},
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
