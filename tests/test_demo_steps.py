"""`parallel-work-bot demo --steps`: the bundled scenarios run on the local GitHub, each step's writes and
the final structure asserted; a broken scenario is one line, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.demo_steps import ScenarioError, load_scenario, run_steps
from tests.paths import ROOT
from tests.test_sync import SEED_MINIMUM

SCENARIOS = ROOT / "bot" / "examples" / "scenarios"


async def test_readiness_scenario_step_by_step() -> None:
    results, snap = await run_steps(load_scenario(SCENARIOS / "readiness.yml"))
    counts = [len(r.writes) for r in results]
    # plan -> the seed's structure; a reader's plan -> one reply; close A -> B, C, D ready + the summary;
    # reopen -> back; the plan deleted -> the structure stays (nothing is closed for it).
    assert counts == [SEED_MINIMUM, 1, 4, 4, 0]
    assert results[1].writes == ["POST /repos/octo/sandbox/issues/4/comments"]
    assert sum(w.endswith("/labels") for w in results[2].writes) == 3
    issues = snap["issues"]
    assert issues["4"]["sub_issues"] == [6, 7, 8, 9]
    assert [issues[str(n)]["blocked_by"] for n in (7, 8, 9)] == [[6], [6], [6]]
    assert "stream:ready" in issues["6"]["labels"]
    assert not any("stream:ready" in issues[str(n)]["labels"] for n in (7, 8, 9))


async def test_push_then_comment_scenario() -> None:
    results, snap = await run_steps(load_scenario(SCENARIOS / "push-then-comment.yml"))
    assert [len(r.writes) for r in results][:2] == [SEED_MINIMUM, 0]  # the file wins over the comment
    assert len(results[2].writes) > 0  # the file removed: the comment plan (D out, E in) is followed
    assert snap["issues"]["9"]["state"] == "closed" and snap["issues"]["4"]["sub_issues"] == [6, 7, 8, 9, 10]


def test_the_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--steps", str(SCENARIOS / "three-doors.yml"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    counts = [len(s["writes"]) for s in data["steps"]]
    assert counts[0] == SEED_MINIMUM and counts[1] == 0 and counts[3] == 0  # the CLI agrees with the App
    assert data["steps"][4]["writes"] and all("reactions" in w for w in data["steps"][4]["writes"])
    numbers = [i["number"] for i in data["issues"]]
    assert numbers == list(range(1, 11))  # nothing duplicated


def test_a_broken_scenario_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("steps:\n  - fly: away\n", encoding="utf-8")
    assert main(["demo", "--steps", str(bad)]) == 2
    assert "step 1: unknown step" in capsys.readouterr().err
    bad.write_text("just text", encoding="utf-8")
    with pytest.raises(ScenarioError, match="steps"):
        load_scenario(bad)


async def test_configure_scenario() -> None:
    results, snap = await run_steps(load_scenario(SCENARIOS / "configure.yml"))
    assert len(results[0].writes) == SEED_MINIMUM
    # The configuration pushed: the label made, swapped on the ready stream, the summary edited.
    writes = sorted(results[1].writes)
    assert writes[:3] == ["DELETE /repos/octo/sandbox/issues/6/labels/stream:ready",
                          "PATCH /repos/octo/sandbox/issues/comments/" + writes[1].rsplit("/", 1)[-1],
                          "POST /repos/octo/sandbox/issues/6/labels"]
    assert writes[3:] == ["POST /repos/octo/sandbox/labels"]
    labels = snap["issues"]["6"]["labels"]
    assert "ready-for-agent" in labels and "stream:ready" not in labels
    # The file under the configured path wins over the comment: D closed, E made.
    assert snap["issues"]["9"]["state"] == "closed" and snap["issues"]["4"]["sub_issues"] == [6, 7, 8, 9, 10]
