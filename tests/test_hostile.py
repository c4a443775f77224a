"""Hostile input: every fill in every field and table context finishes, and every cap says what it left out.

Each document runs in its own thread with a generous bounded wait: that proves "finishes" (a regex that
backtracks quadratically on 40,000 characters takes minutes) without asserting any speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from bot.analysis import limits
from bot.analysis.checker import check_plan
from bot.analysis.models import Analysis, Diagnostic
from bot.analysis.reader import maybe_analysis, read_analysis
from bot.analysis.render import render_summary, report_to_json

#: Generous: real runs take milliseconds; a backtracking regex takes minutes on these sizes.
WAIT_SECONDS = 10.0
SIZE = 40_000

#: Units repeated to SIZE characters: single markdown/YAML/regex-relevant characters and short runs.
UNITS = [
    "(", " ", "`", "|", "*", "-", "[", "#", ":", "{", "<", "~", "_", "\\", '"', "\t", ".", "）", "（",
    "( ", "* ", "** ", "*a", "a/", "**/", "`a` ", "| ", "- ", "1-", "1 ", "#1, ", "Stream A, ", "<br>",
    "<details>", "\\|", "**a**: ", "a:", "- - ", "[a] ", "2h ", "after ", "A-", "Streams A & ",
]  # fmt: skip

#: Where a fill goes: each template's {F} is replaced by the fill.
CONTEXTS = {
    "frontmatter-value": "---\nissue: 1\ntitle: {F}\nconflicts_with: {F}\nestimated_hours: {F}\n---\n"
    "### Stream A: x\n**Estimated Hours**: 1\n",
    "frontmatter-key": "---\n{F}: 1\nissue: 2\n---\n### Stream A: x\n",
    "h1": "# {F}\n\n### Stream A: x\n**Estimated Hours**: 1\n",
    "stream-heading": "# Analysis\n### Stream A: {F}\n**Estimated Hours**: 1\n### Stream {F}\n",
    "files": "# Analysis\n### Stream A: x\n**Files**: {F}\n- {F}\n- `{F}`\n"
    "### Stream B: y\n**Files**: `{F}`\n",
    "files-heading": "# Analysis\n### Stream A: x\n#### Files\n{F}\n- {F}\n### Stream B: y\n- `src/*`\n",
    "dependencies": "# Analysis\n### Stream A: x\n**Dependencies**: {F}\n- {F}\n### Stream B: y\n"
    "- **Dependencies**:\n  - {F}\n",
    "hours": "# Analysis\n### Stream A: x\n**Estimated Hours**: {F}\n### Stream B: y\n**Hours**: 1{F}\n",
    "can-start": "# Analysis\n### Stream A: x\n**Can Start**: {F}\n"
    "### Stream B: y\n**Can Start**: after {F}\n",
    "scope": "# Analysis\n### Stream A: x\n**Scope**: {F}\n**Agent Type**: {F}\n",
    "label": "# Analysis\n### Stream A: x\n**{F}**: 1\n{F}: 2\n- {F}**: 3\n",
    "table-header": "| Stream | {F} | Files |\n|---|---|---|\n| A | x | y |\n| B | y | z |\n",
    "table-cells": "| Stream | Files | Dependencies | Hours |\n|---|---|---|---|\n"
    "| A {F} | {F} | {F} | {F} |\n| B | `{F}` | Stream A {F} | 1 |\n",
    "table-rule": "| Stream | Hours |\n|{F}|\n| A | 1 |\n",
    "code-fence": "```{F}\n### Stream A: x\n```\n```markdown\n{F}\n### Stream B: y\n```\n",
    "details": "<details>{F}<summary>{F}</summary>\n\n### Stream A: x\n{F}\n</details>\n",
    "coordination": "# Analysis\n### Stream A: x\n## Coordination Points\n### Shared Files\n- {F}\n"
    "`{F}`\n### Sequential\n- {F}\n",
    "timeline": "# Analysis\n### Stream A: x\n## Expected Timeline\n- Wall time: {F}\n"
    "- Total work: {F}\n- Efficiency gain: {F}%\n",
    "conflicts": "# Analysis\nThis conflicts with {F}\nconflicts_with: [{F}]\n### Stream A: x\n",
}  # fmt: skip


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def _full_run(text: str) -> None:
    """What the bot does with a comment: the pre-test, then read, check and render."""
    maybe_analysis(text)
    analysis = read_analysis(text)
    if analysis is not None:
        report = check_plan(analysis)
        render_summary(report)
        report_to_json(report)


def _finishes(fn: Callable[[], None]) -> BaseException | None:
    """Run `fn` in a daemon thread; fail the test if it is still running after WAIT_SECONDS."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(WAIT_SECONDS)
    assert not worker.is_alive(), f"still running after {WAIT_SECONDS} s"
    return errors[0] if errors else None


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_every_fill_in_every_context_finishes(context: str) -> None:
    template = CONTEXTS[context]
    for unit in UNITS:
        text = template.replace("{F}", _fill(unit))
        error = _finishes(lambda text=text: _full_run(text))  # type: ignore[misc]
        assert error is None, f"{context} with {unit!r} x {SIZE}: {error!r}"


@pytest.mark.parametrize(
    "text",
    [
        "| Stream | " + "(" * 2000 + " |\n|---|---|\n" + "| A | x |\n" * 6000,
        "# A\n### Stream A: x\n**Files**:\n- `a" + " " * 60_000 + "b`\n",
        "# A\n"
        + "".join(
            f"### Stream {c}: x\n**Files**:\n" + "".join(f"- `src/**/*{c}{i}*`\n" for i in range(1400))
            for c in "AB"
        ),
        "# A\n" + "".join(f"### Stream {c}: x\n**Files**:\n- `" + "*a" * 8000 + f"{c}`\n" for c in "AB"),
        "# A\n" + "".join(f"### Stream {i}: x\n**Files**: `*.t{i}`\n" for i in range(1025)),
        "# A\nconflicts with " + ", ".join(f"#{i}" for i in range(1, 9500)) + "\n### Stream A: x\n",
        "---\nissue: 1\nx: " + "[" * 5000 + "\n---\n### Stream A: x\n",
        "---\nissue: 1\n" + "".join(f"k{i}: " + "[" * 900 + "\n" for i in range(60)) + "---\n### Stream A\n",
        "# A\n" + "".join(f"### Stream {i}: x\n**Dependencies**: all other streams\n" for i in range(1500)),
        "| Stream | Dependencies |\n|---|---|\n"
        + "".join(f"| {i} | all previous streams |\n" for i in range(2500)),
    ],
    ids=[
        "table-parens", "files-spaces", "globs-2x1400", "long-globs", "1025-streams", "conflicts-9500",
        "yaml-flow", "yaml-salvage-deep", "all-others-1500", "all-previous-2500",
    ],
)  # fmt: skip
def test_known_stalls_finish(text: str) -> None:
    assert _finishes(lambda: _full_run(text)) is None


# --- every cap says what it left out -----------------------------------------------------------------------


def _read(text: str) -> Analysis:
    analysis = read_analysis(text)
    assert analysis is not None
    return analysis


def _codes(diags: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diags if d.code == code]


def test_a_long_dependencies_value_is_cut_with_a_word() -> None:
    value = "Stream B, " * 500  # 5,000 characters on the label's line
    a = _read(f"# Analysis\n### Stream A: x\n**Dependencies**: {value}\n### Stream B: y\n")
    (cut,) = _codes(a.diagnostics, "field-truncated")
    assert "Stream A" in cut.message and "Dependencies" in cut.message
    assert str(limits.MAX_FIELD_CHARS) in cut.message and cut.line == 3
    assert a.streams[0].depends_on == ["B"]


def test_a_long_item_and_table_cell_are_cut_with_a_word() -> None:
    long = "x" * (limits.MAX_FIELD_CHARS + 10)
    a = _read(f"# Analysis\n### Stream A: x\n**Files**:\n- `a.ts`\n- {long}\n")
    (cut,) = _codes(a.diagnostics, "field-truncated")
    assert "last 10 characters" in cut.message
    b = _read(f"| Stream | Scope |\n|---|---|\n| A | {long} |\n")
    assert len(_codes(b.diagnostics, "field-truncated")) == 1
    assert b.streams[0].scope == "x" * limits.MAX_FIELD_CHARS


def test_short_fields_say_nothing() -> None:
    a = _read("# Analysis\n### Stream A: x\n**Dependencies**: none\n**Files**: `a.ts`\n")
    caps = {"field-truncated", "dependencies-capped", "external-deps-capped", "files-capped"}
    assert not [d for d in a.diagnostics if d.code in caps]


def test_all_other_streams_is_capped_per_stream() -> None:
    n = limits.MAX_DEPENDENCIES + 20
    text = "# Analysis\n" + "".join(f"### Stream {i}: x\n**Estimated Hours**: 1\n" for i in range(1, n))
    text += f"### Stream {n}: last\n**Dependencies**: all other streams\n"
    a = _read(text)
    assert a.streams[-1].depends_on == [str(i) for i in range(1, limits.MAX_DEPENDENCIES + 1)]
    (capped,) = _codes(a.diagnostics, "dependencies-capped")
    assert f"Stream {n}" in capped.message and str(limits.MAX_DEPENDENCIES) in capped.message


def test_all_previous_streams_keeps_the_nearest() -> None:
    n = limits.MAX_DEPENDENCIES + 5
    text = "# Analysis\n" + "".join(f"### Stream {i}: x\n" for i in range(1, n))
    text += f"### Stream {n}: last\n**Dependencies**: all previous streams\n"
    a = _read(text)
    assert a.streams[-1].depends_on == [str(i) for i in range(n - limits.MAX_DEPENDENCIES, n)]
    assert len(_codes(a.diagnostics, "dependencies-capped")) == 1


def test_dependency_links_are_capped_for_the_whole_plan() -> None:
    n = limits.MAX_DEPENDENCY_LINKS // limits.MAX_DEPENDENCIES + limits.MAX_DEPENDENCIES + 30
    head = [f"| {i} | none |\n" for i in range(1, limits.MAX_DEPENDENCIES + 2)]
    rows = [f"| {i} | all previous streams |\n" for i in range(limits.MAX_DEPENDENCIES + 2, n)]
    a = _read("| Stream | Dependencies |\n|---|---|\n" + "".join(head + rows))
    links = sum(len(s.depends_on) for s in a.streams)
    assert links == limits.MAX_DEPENDENCY_LINKS
    last = [d for d in _codes(a.diagnostics, "dependencies-capped") if f"Stream {n - 1} " in d.message]
    assert len(last) == 1 and f"first {limits.MAX_DEPENDENCY_LINKS} dependency links" in last[0].message
    assert a.streams[-1].depends_on == []


def test_external_dependencies_are_capped() -> None:
    refs = ", ".join(f"#{i}" for i in range(1, limits.MAX_EXTERNAL_DEPS + 11))
    a = _read(f"# Analysis\n### Stream A: x\n**Dependencies**: {refs}\n")
    assert len(a.streams[0].external_deps) == limits.MAX_EXTERNAL_DEPS
    (capped,) = _codes(a.diagnostics, "external-deps-capped")
    assert "Stream A" in capped.message


def test_files_are_capped_per_stream() -> None:
    files = "".join(f"- `src/f{i}.ts`\n" for i in range(limits.MAX_FILES + 7))
    a = _read(f"# Analysis\n### Stream A: x\n**Files**:\n{files}")
    assert len(a.streams[0].files) == limits.MAX_FILES
    (capped,) = _codes(a.diagnostics, "files-capped")
    assert f"{limits.MAX_FILES + 7} files" in capped.message and "other 7" in capped.message


def test_conflicts_are_capped_with_a_word() -> None:
    n = limits.MAX_ISSUE_REFS + 50
    refs = ", ".join(f"#{i}" for i in range(1, n + 1))
    a = _read(f"# Analysis\nThis conflicts with {refs}\n### Stream A: x\n")
    assert a.conflicts_with == list(range(1, limits.MAX_ISSUE_REFS + 1))
    (capped,) = _codes(a.diagnostics, "issues-capped")
    assert str(n) in capped.message
    numbers = ", ".join(str(i) for i in range(1, n + 1))
    fm = _read(f"---\nissue: 1\nconflicts_with: [{numbers}]\n---\n### Stream A: x\n")
    assert len(fm.frontmatter.conflicts_with) == limits.MAX_ISSUE_REFS
    assert any("conflicts_with" in d.message for d in _codes(fm.diagnostics, "issues-capped"))


def test_deep_frontmatter_is_refused_before_parsing() -> None:
    depth = limits.MAX_YAML_DEPTH + 1
    a = _read(f"---\nissue: 7\nx: {'[' * depth}1{']' * depth}\n---\n### Stream A: x\n")
    assert a.issue == 7
    (bad,) = _codes(a.diagnostics, "frontmatter-invalid")
    assert "deeper than" in bad.message
    ok = _read(f"---\nissue: 7\nx: {'[' * 3}1{']' * 3}\n---\n### Stream A: x\n")
    assert ok.frontmatter.extra["x"] == [[[1]]] and not _codes(ok.diagnostics, "frontmatter-invalid")
    chain = _read("---\nissue: 8\nx:\n  " + "- " * depth + "y\n---\n### Stream A: x\n")
    assert chain.issue == 8 and _codes(chain.diagnostics, "frontmatter-invalid")


def _plan(files: dict[str, list[str]]) -> str:
    return "# Analysis\n" + "".join(
        f"### Stream {sid}: x\n**Estimated Hours**: 1\n**Files**:\n" + "".join(f"- `{f}`\n" for f in fs)
        for sid, fs in files.items()
    )


def test_overlaps_of_one_pair_are_named_a_few_times_then_summed_up() -> None:
    a = [f"src/*a{i}*" for i in range(30)]
    b = [f"src/*b{i}*" for i in range(30)]
    report = check_plan(_read(_plan({"A": a, "B": b})))
    (warning,) = _codes(report.diagnostics, "file-overlap")
    assert "Streams A and B" in warning.message and warning.message.endswith(" and more")
    assert warning.message.count(" ~ ") == limits.MAX_FILES_PER_PAIR


def test_the_overlap_check_says_when_it_stopped() -> None:
    streams = {str(i): [f"*.t{i}"] for i in range(1, 1100)}
    report = check_plan(_read(_plan(streams)))
    (partial,) = _codes(report.diagnostics, "overlap-check-partial")
    assert str(limits.MAX_OVERLAP_WORK) in partial.message and "not fully compared" in partial.message


def test_long_globs_are_compared_as_plain_paths_and_said_so() -> None:
    long = "src/" + "*a" * limits.MAX_PATH_CHARS
    report = check_plan(_read(_plan({"A": [long], "B": ["src/aaa"], "C": [long]})))
    (partial,) = _codes(report.diagnostics, "overlap-check-partial")
    assert "compared as plain paths" in partial.message
    overlaps = _codes(report.diagnostics, "file-overlap")
    assert len(overlaps) == 1 and "Streams A and C" in overlaps[0].message  # equal entries still count


def test_a_small_plan_is_checked_whole() -> None:
    report = check_plan(_read(_plan({"A": ["src/**", "a.ts"], "B": ["src/x/*.ts"], "C": ["lib/*"]})))
    assert not _codes(report.diagnostics, "overlap-check-partial")
    (warning,) = _codes(report.diagnostics, "file-overlap")
    assert '"src/**" (A) ~ "src/x/*.ts" (B)' in warning.message


def test_a_salvaged_long_frontmatter_value_is_cut_with_a_word() -> None:
    long = "y" * (limits.MAX_YAML_CHARS + 10)
    a = _read(f"---\nissue: 5\nnotes: {long}\n---\n### Stream A: x\n")
    assert a.issue == 5 and a.frontmatter.extra["notes"] == "y" * limits.MAX_SALVAGE_VALUE
    (cut,) = _codes(a.diagnostics, "frontmatter-invalid")
    left = len(long) - limits.MAX_SALVAGE_VALUE
    assert "notes" in cut.message and f"the last {left} characters" in cut.message


def test_streams_past_the_cap_are_reported() -> None:
    n = limits.MAX_STREAMS + 5
    a = _read("| Stream | Hours |\n|---|---|\n" + "".join(f"| {i} | 1 |\n" for i in range(1, n + 1)))
    assert len(a.streams) == limits.MAX_STREAMS and a.streams[-1].id == str(limits.MAX_STREAMS)
    (capped,) = _codes(a.diagnostics, "streams-capped")
    assert capped.line == limits.MAX_STREAMS + 3 and str(limits.MAX_STREAMS) in capped.message


def test_repeated_streams_are_named_a_few_times_then_counted() -> None:
    a = _read("| Stream | Hours |\n|---|---|\n" + "| A | 1 |\n" * 100)
    repeats = _codes(a.diagnostics, "stream-repeated")
    assert len(repeats) == limits.MAX_REPEATS_NAMED + 1
    assert f"{99 - limits.MAX_REPEATS_NAMED} more" in repeats[-1].message
