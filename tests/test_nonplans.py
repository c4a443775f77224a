"""What counts as a plan: 40 real CCPM non-analyses never move a synced plan; `plan` names what they are."""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import pytest

from bot.analysis.kind import classify
from bot.analysis.locate import split_lines
from bot.analysis.reader import read_analysis, what_is
from bot.cli import plan as plan_command
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from tests.paths import NONPLANS, SEED
from tests.test_sync_support import NAME, OWNER, REPO, client, issue, seed_issues

#: MANIFEST.tsv's `kind` column -> words the one-line reason must contain.
KIND_WORDS = {
    "stream-progress": "stream progress",
    "progress": "progress",
    "completion": "completion",
    "epic": "epic",
    "task": "task",
    "execution-status": "execution status",
}


def manifest() -> dict[str, str]:
    with (NONPLANS / "MANIFEST.tsv").open(encoding="utf-8") as f:
        return {row["file"]: row["kind"] for row in csv.DictReader(f, delimiter="\t")}


KINDS = manifest()
FILES = sorted(NONPLANS / name for name in KINDS)
TEXTS = {p.name: p.read_bytes().decode("utf-8-sig") for p in FILES}


def test_the_manifest_lists_forty_documents_that_exist() -> None:
    assert len(FILES) == 40 and all(p.is_file() for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:40])
def test_a_non_plan_is_not_read_and_says_what_it_is(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    assert read_analysis(text) is None
    kind = what_is(text)
    assert kind.analysis is False and kind.what
    reason = kind.reason
    assert "\n" not in reason and len(reason) < 200
    words = KIND_WORDS.get(KINDS[path.name])
    if words is not None:  # "other": the reason still names what the document looks like
        assert words in reason.lower(), reason


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:40])
def test_plan_exits_2_with_the_one_line_reason(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(path=str(path), json=False, markdown=False, limit=65536)
    assert plan_command.run(args) == plan_command.EXIT_NO_ANALYSIS
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a parallel work analysis" in err
    assert what_is(path.read_bytes().decode("utf-8-sig")).what in err


def structure(snap: dict[str, object]) -> dict[str, object]:
    """Everything but the summary comment: issues, states, labels, sub-issues, links, other comments."""
    issues: dict[str, dict[str, object]] = snap["issues"]  # type: ignore[assignment]
    out = {}
    for n, item in issues.items():
        kept = {k: v for k, v in item.items() if k not in ("comments", "updated_at")}
        comments = item.get("comments") or []
        kept["comments"] = [
            c["body"] for c in comments if not c["body"].startswith("<!-- parallel-work-bot:summary")  # type: ignore[index]
        ]
        out[n] = kept
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:40])
async def test_a_maintainers_non_plan_comment_changes_nothing(sandbox: Sandbox, path: Path) -> None:
    text = TEXTS[path.name]
    seed_issues(sandbox)
    async with client(sandbox) as gh:
        await sync_issue(gh, OWNER, NAME, 4)
        before = sandbox.snapshot(REPO)
        comment = sandbox.create_comment(REPO, 4, text)
        assert comment["author_association"] in ("OWNER", "MEMBER", "COLLABORATOR")
        result = await sync_issue(gh, OWNER, NAME, 4)
    assert result.found_analysis  # the seed in the older comment is still the plan
    assert result.writes == 0, result.planned
    after = sandbox.snapshot(REPO)
    before_parent, after_parent = issue(before, 4), issue(after, 4)
    assert after_parent["comments"][:-1] == before_parent["comments"]
    rest = {k: v for k, v in after.items() if k != "issues"}
    assert rest == {k: v for k, v in before.items() if k != "issues"}
    expected = structure(before)
    expected["4"]["comments"] = [*expected["4"]["comments"], text]  # type: ignore[index]
    assert structure(after) == expected


def test_a_single_stream_title_is_a_stream_file_but_a_bare_stream_comment_is_left_to_the_reader() -> None:
    progress = "# Stream B: Parser\n\n## Scope\nParser\n\n## Files\n- `a.ts`\n"
    assert classify(split_lines(progress)).what == "a CCPM stream progress file"
    bare = "### Stream A: Only\n**Estimated Hours**: 3\n**Files**: `a.ts`\n"
    assert classify(split_lines(bare)).analysis is None
    assert read_analysis(bare) is not None


def test_frontmatter_analyzed_wins_over_a_progress_title() -> None:
    text = SEED.read_text().replace("# Parallel Work Analysis: Issue #4", "# Issue #4 progress")
    assert classify(split_lines(text)).analysis is True
    without = re.sub(r"(?m)^(analyzed|parallelization_factor):.*\n", "", text)
    assert classify(split_lines(without)).what == "a progress report"
    assert read_analysis(without) is None


def test_the_seed_and_a_titled_analysis_are_plans() -> None:
    assert classify(split_lines(SEED.read_text())).analysis is True
    titled = "# Issue #12 Analysis: Parser\n\n### Stream A: Core\n**Files**: `a.ts`\n"
    assert classify(split_lines(titled)).analysis is True


def test_hostile_titles_and_frontmatter_classify_in_bounded_time() -> None:
    """Linear: long runs of the characters the patterns look for finish (the benchmark has the figures)."""
    fills = ("Stream ", "stream A ", "# ", "### Stream A\n", "---\n", "a: b\n", "流" * 3, " " * 5)
    for fill in fills:
        text = "---\n" + fill * 8000 + "\n---\n# " + fill * 8000 + "\n"
        assert classify(split_lines(text)).analysis in (True, False, None)
