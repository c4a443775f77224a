"""The demo: one command, the App against the local GitHub; its payload follows GitHub's official schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.cli import main
from bot.cli.demo_scenario import bundled_plan, run_demo
from tests.paths import OPENAPI, SEED, WEBHOOKS

SCHEMA = WEBHOOKS / "schemas" / "official" / "issue-comment-created.schema.json"


def test_the_bundled_plan_is_the_seed() -> None:
    assert bundled_plan() == SEED.read_text(encoding="utf-8")


async def test_demo_payload_follows_githubs_official_schema() -> None:
    result = await run_demo(bundled_plan(), openapi=OPENAPI)
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(result.payload), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    assert result.payload["comment"]["body"] == bundled_plan()
    assert result.payload["installation"]["id"] == 1
    assert result.violations == []


def test_demo_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json", "--openapi", str(OPENAPI)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["repository"] == "octo/sandbox"
    issues = {i["number"]: i for i in data["issues"]}
    assert sorted(issues) == list(range(1, 10))
    for issue in issues.values():
        assert set(issue) >= {"number", "title", "body", "state", "labels", "parent", "sub_issues",
                              "blocked_by", "comments"}
    # Every sub-issue's body is there (what the demo built can be rendered and checked): each a brief.
    for n, sid in zip((6, 7, 8, 9), "ABCD", strict=True):
        assert issues[n]["body"].startswith(f"<!-- parallel-work-bot:stream parent=4 id={sid} -->")
        assert "#### From the analysis" in issues[n]["body"]
    assert "**Then unblocks:** #7 (Stream B" in issues[6]["body"]
    assert "**Waits for:** #6 (Stream A" in issues[9]["body"]
    four = issues[4]
    assert four["sub_issues"] == [6, 7, 8, 9] and four["parent"] is None
    assert {"parallel-plan", "plan:conflict"} <= set(four["labels"])
    assert [c["user"] for c in four["comments"]] == ["octocat", "parallel-work-bot[bot]"]
    assert four["comments"][1]["body"].startswith("<!-- parallel-work-bot:summary issue=4 ")
    assert all(issues[n]["parent"] == 4 for n in (6, 7, 8, 9))
    assert issues[6]["blocked_by"] == [] and all(issues[n]["blocked_by"] == [6] for n in (7, 8, 9))
    assert "stream:ready" in issues[6]["labels"]
    assert "plan:conflict" in issues[5]["labels"]
    assert [c["user"] for c in issues[5]["comments"]] == ["parallel-work-bot[bot]"]
    first, again = data["requests"]["first"], data["requests"]["redelivery"]
    assert set(first) == set(again) == {"writes", "reads", "not_modified"}
    assert first["writes"] > 0 and again["writes"] == 0
    assert data["deliveries"]["same_delivery_id"] == {"status": 200, "outcome": "duplicate"}
    assert data["contract_checked"] is True and data["contract_violations"] == []


def test_demo_text_output_with_a_plan_of_your_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(
        "---\nissue: 4\ntitle: Two streams\n---\n\n# Parallel Work Analysis: Issue #4\n\n"
        "## Parallel Streams\n\n"
        "### Stream A: Schema\n**Scope**: tables\n**Files**:\n- `db/schema.sql`\n**Agent Type**: backend\n"
        "**Estimated Hours**: 2\n**Dependencies**: none\n\n"
        "### Stream B: API @octocat\n**Scope**: endpoints\n**Files**:\n- `api/*.py`\n"
        "**Agent Type**: backend\n"
        "**Estimated Hours**: 3\n**Dependencies**: Stream A\n",
        encoding="utf-8",
    )
    assert main(["demo", str(plan), "--no-contract"]) == 0
    out = capsys.readouterr().out
    assert "Summary comment on #4" in out
    assert "#6" in out and "#7" in out and "waiting on #6" in out and "[ready]" in out
    assert "same delivery id again:     HTTP 200 duplicate" in out
    assert "same event, new delivery:   HTTP 202 queued: 0 writes" in out
    assert "contract check: off" in out


def test_demo_reports_a_missing_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", str(tmp_path / "nope.md")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and len(err.strip().splitlines()) == 1


async def test_the_demo_posts_a_plan_on_the_issue_it_names() -> None:
    plan = bundled_plan().replace("issue: 4", "issue: 7").replace("Issue #4", "Issue #7")
    assert "issue: 7" in plan
    result = await run_demo(plan, openapi=OPENAPI)
    assert result.plan_issue == 7
    issues = result.snapshot["issues"]
    planned = issues["7"]
    assert any("parallel-work-bot:summary issue=7" in c["body"] for c in planned["comments"])
    assert len(planned["sub_issues"]) == 4
    assert issues["4"]["comments"] == []  # an earlier issue, untouched


def test_demo_text_shows_each_issue_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    headings = [line.split(" · ")[0] for line in capsys.readouterr().out.splitlines()
                if line.startswith("── Issue #")]
    assert headings == ["── Issue #4", "── Issue #5"]
