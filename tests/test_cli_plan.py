"""`parallel-work-bot plan`: exit statuses 0/1/2, the JSON shape, stdin, the terminal and markdown views."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT, SEED

CYCLE_DOC = """---
issue: 9
title: Cyclic plan
---

# Parallel Work Analysis: Issue #9

### Stream A: First
**Files**: `a.ts`
**Estimated Hours**: 2
**Dependencies**: Stream B

### Stream B: Second
**Files**: `b.ts`
**Estimated Hours**: 1
**Dependencies**: Stream A

### Stream C: Third
**Files**: `c.ts`
**Dependencies**: none
"""


def plan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "plan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
    )


def test_seed_exits_0_with_a_terminal_summary() -> None:
    result = plan(str(SEED))
    assert result.returncode == 0, result.stderr
    assert "Parallel work plan for #4: Configure Convex Backend" in result.stdout
    assert "Critical path: A → B (3.0 h)" in result.stdout
    assert "parallelization-factor-mismatch" in result.stdout
    assert "<!--" not in result.stdout  # the terminal view, not the comment


def test_seed_json_has_exactly_the_documented_shape() -> None:
    result = plan(str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "issue", "title", "streams", "total_hours", "wall_hours", "speedup", "critical_path",
        "conflicts_with", "stated", "diagnostics",
    }  # fmt: skip
    assert data["issue"] == 4
    assert data["title"] == "Configure Convex Backend"
    assert data["total_hours"] == [5.0, 5.0]
    assert data["wall_hours"] == [3.0, 3.0]
    assert data["speedup"] == [1.67, 1.67]
    assert data["critical_path"] == ["A", "B"]
    assert data["conflicts_with"] == [5]
    first = data["streams"][0]
    assert set(first) == {"id", "name", "hours", "depends_on", "files", "start", "finish"}
    assert first["id"] == "A" and first["name"] == "Core Setup & Schema"
    assert first["hours"] == [2.0, 2.0] and first["depends_on"] == []
    assert first["start"] == [0.0, 0.0] and first["finish"] == [2.0, 2.0]
    assert "convex/schema.ts" in first["files"]
    assert [s["depends_on"] for s in data["streams"][1:]] == [["A"], ["A"], ["A"]]
    assert data["stated"]["parallelization_factor"] == 2.0
    assert data["stated"]["estimated_hours"] == [5.0, 5.0]
    pf = [d for d in data["diagnostics"] if d["code"] == "parallelization-factor-mismatch"]
    assert pf == [{"severity": "warning", "code": "parallelization-factor-mismatch",
                   "message": pf[0]["message"], "line": 6}]  # fmt: skip


def test_plan_with_errors_exits_1(tmp_path: Path) -> None:
    doc = tmp_path / "cycle.md"
    doc.write_text(CYCLE_DOC, encoding="utf-8")
    result = plan(str(doc), "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    cycle = [d for d in data["diagnostics"] if d["code"] == "dependency-cycle"]
    assert len(cycle) == 1 and cycle[0]["severity"] == "error" and "A → B → A" in cycle[0]["message"]
    by_id = {s["id"]: s for s in data["streams"]}
    assert by_id["A"]["start"] is None and by_id["A"]["finish"] is None
    assert by_id["C"]["hours"] is None  # unknown hours are null
    assert by_id["C"]["finish"] == [0.0, 0.0]


def test_stdin_and_markdown_view() -> None:
    result = plan("-", "--markdown", stdin=SEED.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!-- parallel-work-bot:summary issue=4 plan=")
    assert "```mermaid" in result.stdout


def test_no_analysis_exits_2_with_a_one_line_reason() -> None:
    result = plan("-", stdin="Thanks, looks good to me! @octocat\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "no parallel work analysis" in result.stderr


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    result = plan(str(tmp_path / "missing.md"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot read" in result.stderr
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = plan(str(binary))
    assert result.returncode == 2 and "cannot read" in result.stderr
