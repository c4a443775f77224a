"""The reader: the seed in full, locating the analysis in a comment, CRLF, non-analyses, broken input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.analysis.deps import read_can_start, read_dependencies
from bot.analysis.hours import parse_hours
from bot.analysis.limits import MAX_STREAMS
from bot.analysis.models import Analysis, Severity
from bot.analysis.reader import read_analysis
from tests.paths import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def _read(text: str) -> Analysis:
    analysis = read_analysis(text)
    assert analysis is not None
    return analysis


def _essentials(a: Analysis) -> object:
    """What must not change when the same analysis is wrapped or re-encoded (lines aside)."""
    return (
        a.issue,
        a.title,
        a.frontmatter.model_dump(exclude={"line"}),
        [s.model_dump(exclude={"line"}) for s in a.streams],
        a.coordination.model_dump(exclude={"line"}),
        a.timeline.model_dump(exclude={"line"}),
        a.conflicts_with,
        a.recommended_approach.text if a.recommended_approach else None,
    )


# --- the seed ------------------------------------------------------------------------------------------


def test_seed_streams() -> None:
    a = _read(SEED_TEXT)
    assert [s.id for s in a.streams] == ["A", "B", "C", "D"]
    assert [s.name for s in a.streams] == [
        "Core Setup & Schema",
        "Provider Integration",
        "File Storage & Actions",
        "HTTP Actions for Webhooks",
    ]
    assert [s.depends_on for s in a.streams] == [[], ["A"], ["A"], ["A"]]
    assert [s.depends_source for s in a.streams] == ["dependencies"] * 4
    assert [s.hours for s in a.streams] == [(2.0, 2.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)]
    assert [s.external_deps for s in a.streams] == [[], [], [], []]
    assert [s.line for s in a.streams] == [16, 29, 39, 49]
    assert [s.agent_type for s in a.streams] == [
        "backend-specialist",
        "fullstack-specialist",
        "backend-specialist",
        "backend-specialist",
    ]
    assert a.streams[0].can_start == "immediately"
    assert a.streams[1].can_start == "after Stream A (needs generated types)"
    assert a.streams[0].scope == "Initialize Convex, create schema, configure environment variables"


def test_seed_files() -> None:
    a = _read(SEED_TEXT)
    assert a.streams[0].files == [
        "convex/schema.ts",
        "convex/tsconfig.json",
        "convex/_generated/*",
        ".env.local",
        "package.json",
    ]
    assert a.streams[1].files == ["src/app/providers.tsx", "src/app/layout.tsx"]
    assert a.streams[2].files == ["convex/files.ts", "convex/storage.ts"]
    assert a.streams[3].files == ["convex/http.ts"]


def test_seed_frontmatter_and_sections() -> None:
    a = _read(SEED_TEXT)
    assert a.issue == 4
    assert a.title == "Configure Convex Backend"
    fm = a.frontmatter
    assert fm.issue == 4
    assert fm.analyzed == "2026-02-07T05:09:50Z"  # kept as written, not a datetime
    assert fm.estimated_hours == (5.0, 5.0)
    assert fm.parallelization_factor == 2.0
    assert fm.line == 1
    assert a.conflicts_with == [5]  # from the Notes: "The `conflicts_with: [5]` (Clerk integration)"
    assert a.overview is not None and a.overview.line == 11
    assert a.overview.text.startswith("Set up Convex for real-time database")
    assert a.coordination.shared_files == ["package.json", ".env.local", "convex/_generated/*"]
    assert a.coordination.sequential_requirements[0] == "Convex must be initialized before any other work"
    assert len(a.coordination.sequential_requirements) == 3
    assert a.conflict_risk is not None and "Low Risk" in a.conflict_risk.text
    assert a.recommended_approach is not None and a.recommended_approach.text == "hybrid"
    assert a.recommended_approach.line == 77
    assert a.timeline.wall_hours == (3.0, 3.0)
    assert a.timeline.total_hours == (5.0, 5.0)
    assert a.timeline.efficiency_gain == 40.0
    assert a.notes is not None and a.notes.line == 99
    assert a.diagnostics == []
    assert a.source_line == 1
    assert a.source == SEED_TEXT.rstrip("\n") or a.source == SEED_TEXT


# --- finding the analysis ------------------------------------------------------------------------------

PROSE = "Thanks for filing this! I ran the analysis; here it is.\n\nPing me if anything is off.\n\n"


def _in_comment(doc: str) -> tuple[Analysis, list[str]]:
    """`doc` read from inside a ```markdown fence after prose, with the lines of that whole comment."""
    text = PROSE + "```markdown\n" + doc + "```\n"
    return _read(text), text.split("\n")


def test_after_prose() -> None:
    a = _read(PROSE + SEED_TEXT)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    shift = PROSE.count("\n")
    assert a.source_line == 1 + shift
    assert [s.line for s in a.streams] == [16 + shift, 29 + shift, 39 + shift, 49 + shift]
    assert a.frontmatter.line == 1 + shift


def test_without_frontmatter_after_prose() -> None:
    body = SEED_TEXT.split("---\n", 2)[2]
    a = _read("Here is my plan:\n\n" + body)
    assert [s.id for s in a.streams] == ["A", "B", "C", "D"]
    assert a.issue == 4  # from the H1 "Parallel Work Analysis: Issue #4"
    assert a.frontmatter.estimated_hours is None


@pytest.mark.parametrize(
    "opener,closer",
    [("```markdown", "```"), ("````markdown", "````"), ("~~~markdown", "~~~"), ("```md", "```")],
)
def test_in_markdown_fence(opener: str, closer: str) -> None:
    # The seed itself holds a bare ``` block: the outer fence must still end at its own closer.
    text = PROSE + opener + "\n" + SEED_TEXT + closer + "\n\nThat's all, thanks.\n"
    a = _read(text)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    shift = PROSE.count("\n") + 1
    assert a.source_line == 1 + shift
    assert a.streams[0].line == 16 + shift
    assert "That's all" not in a.source
    assert a.notes is not None and "That's all" not in a.notes.text


def test_in_details_block() -> None:
    text = (
        PROSE
        + "<details>\n<summary>Parallel work analysis</summary>\n\n"
        + SEED_TEXT
        + "\n</details>\n\nAfter the block.\n"
    )
    a = _read(text)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    assert a.streams[0].line == 16 + PROSE.count("\n") + 3
    assert "After the block" not in a.source
    assert "<details>" not in a.source and "summary" not in a.source.split("\n")[0]


def test_fence_inside_details() -> None:
    text = "<details><summary>Plan</summary>\n\n```markdown\n" + SEED_TEXT + "```\n</details>\n"
    a = _read(text)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    assert a.streams[0].line == 16 + 3


def test_stream_headings_in_a_code_block_are_not_streams() -> None:
    text = "Example of the format:\n\n```python\n### Stream A: not real\n```\n"
    assert read_analysis(text) is None


# --- line endings ----------------------------------------------------------------------------------------


def test_crlf() -> None:
    crlf = SEED_TEXT.replace("\n", "\r\n")
    a = _read(crlf)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    assert [s.line for s in a.streams] == [16, 29, 39, 49]
    assert "\r" not in a.source


def test_byte_order_mark_and_lone_cr() -> None:
    a = _read("\ufeff" + SEED_TEXT.replace("\n", "\r"))
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    assert [s.line for s in a.streams] == [16, 29, 39, 49]


def test_crlf_in_fence_after_prose() -> None:
    text = (PROSE + "```markdown\n" + SEED_TEXT + "```\n").replace("\n", "\r\n")
    a = _read(text)
    assert _essentials(a) == _essentials(_read(SEED_TEXT))
    assert a.streams[0].line == 16 + PROSE.count("\n") + 1


# --- not an analysis -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "LGTM",
        "/analyze",
        "/analyze --dry-run",
        "Thanks! 👍",
        "Please see #5, it conflicts a bit.",
        "---",
        "---\n---\n",
        "Looks good to me.\n\n---\n\nSigned, octocat",
        "Can you analyse the streams of data in the parser?",
        "```markdown\njust some markdown, no plan\n```",
        "### Stream A status\nDone, merged in #12.",
        "## Stream B is blocked\nWaiting on infra.",
    ],
)
def test_ordinary_comments_are_not_analyses(text: str) -> None:
    assert read_analysis(text) is None


def test_the_bots_own_summary_is_not_an_analysis() -> None:
    summary = (
        "<!-- parallel-work-bot:summary issue=4 plan=abc -->\n## Parallel work plan for #4\n\n"
        "| Stream | Name | Hours |\n|---|---|---|\n| **A** | Core | 2.0 |\n"
    )
    assert read_analysis(summary) is None
    without_marker = summary.split("\n", 1)[1]
    assert read_analysis(without_marker) is not None


def test_analysis_without_streams_is_read_with_a_warning() -> None:
    a = _read("# Issue #12 Analysis\n\nThis is too small to split; one agent does it all.\n")
    assert a.issue == 12
    assert a.streams == []
    assert [d.code for d in a.diagnostics] == ["no-streams"]


# --- broken input ----------------------------------------------------------------------------------------


def test_broken_yaml_frontmatter_is_a_diagnostic() -> None:
    text = (
        "---\nissue: 7\ntitle: [unclosed\nestimated_hours: 3\n---\n\n"
        "### Stream A: Only\n**Estimated Hours**: 3\n"
    )
    a = _read(text)
    bad = [d for d in a.diagnostics if d.code == "frontmatter-invalid"]
    assert len(bad) == 1 and bad[0].severity is Severity.WARNING
    assert bad[0].line is not None and 2 <= bad[0].line <= 5
    assert a.issue == 7  # salvaged key by key
    assert a.frontmatter.estimated_hours == (3.0, 3.0)
    assert [s.id for s in a.streams] == ["A"] and a.streams[0].hours == (3.0, 3.0)


def test_frontmatter_that_is_not_a_mapping() -> None:
    a = _read("---\n- just\n- a list\n---\n\n### Stream A: X\n")
    assert [d.code for d in a.diagnostics] == ["frontmatter-invalid"]
    assert [s.id for s in a.streams] == ["A"]


def test_unreadable_hours_point_at_their_line_in_the_original_input() -> None:
    a, original = _in_comment(
        "# Analysis\n\n### Stream A: X\n**Estimated Hours**: a while\n**Dependencies**: none\n"
    )
    (hours,) = [d for d in a.diagnostics if d.code == "hours-unreadable"]
    assert hours.line is not None
    assert original[hours.line - 1] == "**Estimated Hours**: a while"
    assert a.streams[0].hours is None


def test_huge_input() -> None:
    parts = ["# Issue #99 Analysis\n"]
    for i in range(3000):
        dep = f"Stream {i - 1}" if i else "none"
        parts.append(
            f"### Stream {i}: Part {i}\n**Files**: `src/p{i}.ts`\n**Estimated Hours**: 1.5\n"
            f"**Dependencies**: {dep}\n\n"
        )
    a = _read("".join(parts))
    assert len(a.streams) == MAX_STREAMS < 3000  # the rest are left out, and said so
    assert a.streams[-1].depends_on == [str(MAX_STREAMS - 2)]
    assert a.streams[321].files == ["src/p321.ts"]
    assert a.streams[MAX_STREAMS - 1].line == 1 + 1 + (MAX_STREAMS - 1) * 5
    (capped,) = [d for d in a.diagnostics if d.code == "streams-capped"]
    assert capped.line == 1 + 1 + MAX_STREAMS * 5


@pytest.mark.parametrize(
    "text",
    [
        "Stream A " + " " * 200_000 + "x",
        "### Stream A: X\n**Dependencies**: Stream A" + " " * 100_000 + "!\n",
        "<details>\n" * 20_000,
        "```markdown\n" * 20_000,
        "| Stream | Hours |\n|---|---|\n" + "| A | 1 |\n" * 20_000,
        "x" * 3_000_000,
        # Each of these once made a regex backtrack quadratically (minutes); now they take milliseconds.
        "# Issue #1 Analysis\n### Stream A: x\nWall time: " + " " * 300_000 + "x\n",
        "# Issue #1 Analysis\n### Stream A: x\n" + " " * 300_000 + "*:\n",
        "# Issue #1 Analysis\n### Stream A: x\n**Dependencies**:\n"
        + "".join(" " * i + "- A\n" for i in range(1500)),
        "# Issue " + " " * 300_000 + "x\n### Stream A" + " " * 300_000 + "x #\n",
        "```" + " " * 300_000 + "`\n" + "| " * 150_000 + "\n",
        "# Analysis\n"
        + "".join(f"### Stream {i}: x\n**Dependencies**: all other streams\n" for i in range(1000)),
    ],
    ids=[
        "long-spaces",
        "long-dependency",
        "many-details",
        "many-fences",
        "big-table",
        "3MB",
        "wall-spaces",
        "field-spaces",
        "indent-staircase",
        "heading-spaces",
        "fence-and-pipes",
        "all-others-x1000",
    ],
)
def test_hostile_inputs_do_not_raise(text: str) -> None:
    result = read_analysis(text)
    assert result is None or isinstance(result, Analysis)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("#*-|`~:\n\r >AB12()[]streamStream流依赖 &,.hd")), max_size=400))
def test_any_text_never_raises(text: str) -> None:
    result = read_analysis(text)
    assert result is None or not any(d.code == "reader-internal" for d in result.diagnostics)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000), st.integers(min_value=0, max_value=len(SEED_TEXT)))
def test_any_text_spliced_into_the_seed_never_raises(noise: str, at: int) -> None:
    result = read_analysis(SEED_TEXT[:at] + noise + SEED_TEXT[at:])
    assert result is None or not any(d.code == "reader-internal" for d in result.diagnostics)


# --- the reading rules in small ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2", (2.0, 2.0)),
        ("2.0", (2.0, 2.0)),
        ("1.5h", (1.5, 1.5)),
        ("5 hours", (5.0, 5.0)),
        ("2-3", (2.0, 3.0)),
        ("2–3 hours", (2.0, 3.0)),
        ("2 to 3 hours", (2.0, 3.0)),
        ("~3", (3.0, 3.0)),
        ("≈3h", (3.0, 3.0)),
        ("3+", (3.0, 3.0)),
        ("30 min", (0.5, 0.5)),
        ("45分钟", (0.75, 0.75)),
        ("2 days", (16.0, 16.0)),
        ("1-2 days", (8.0, 16.0)),
        ("2 weeks", (80.0, 80.0)),
        ("2 heures", (2.0, 2.0)),
        ("1 jour", (8.0, 8.0)),
        ("1h 30m", (1.5, 1.5)),
        ("1 hour 30 minutes", (1.5, 1.5)),
        ("3 小时", (3.0, 3.0)),
        ("2天", (16.0, 16.0)),
        ("a while", None),
        ("TBD", None),
    ],
)
def test_hours(value: str, expected: tuple[float, float] | None) -> None:
    assert parse_hours(value) == expected


KNOWN = ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    "value,ids,ext",
    [
        ("none", [], []),
        ("None (can start immediately)", [], []),
        ("N/A", [], []),
        ("-", [], []),
        ("Stream A", ["A"], []),
        ("Streams A, B", ["A", "B"], []),
        ("Streams A & B", ["A", "B"], []),
        ("A and B", ["A", "B"], []),
        ("Streams A-C", ["A", "B", "C"], []),
        ("Stream A (needs schema)", ["A"], []),
        ("Stream A complete", ["A"], []),
        ("流A 和 流B", ["A", "B"], []),
        ("All other streams", ["A", "B", "C"], []),
        ("all previous streams", ["A", "B", "C"], []),
        ("Task 60, 62", [], ["#60", "#62"]),
        ("Issue #12 and Stream B", ["B"], ["#12"]),
        ("Base abstraction from Task 003 Stream A", [], ["#3"]),
        ("depends on B", ["B"], []),
        ("Requires C and A", ["C", "A"], []),
        ("needs a schema", [], []),
        ("Task 60 and after B", ["B"], ["#60"]),
        ("Blocks Stream C", [], []),
    ],
)
def test_dependencies(value: str, ids: list[str], ext: list[str]) -> None:
    got_ids, got_ext = read_dependencies(value, [], KNOWN, "D")
    assert got_ids == ids
    assert got_ext == ext


@pytest.mark.parametrize(
    "value,ids",
    [
        ("immediately", []),
        ("Yes (parallel with Stream 1)", []),
        ("now", []),
        ("after Stream A", ["A"]),
        ("after Streams A & B complete", ["A", "B"]),
        ("After A and B", ["A", "B"]),
        ("when A is 50% done", ["A"]),
        ("No - wait for Stream C", ["C"]),
        ("after the schema is ready", []),
        ("after 61 completes", []),
    ],
)
def test_can_start(value: str, ids: list[str]) -> None:
    assert read_can_start(value, KNOWN, "D") == ids


def test_dependencies_on_bullet_lines_and_can_start_fallback() -> None:
    text = """# Analysis: Issue #3

### Stream A: Base
**Dependencies**: none

### Stream B: Next
**Dependencies**:
- Stream A (needs the schema)
- Task 12
- Blocks Stream C

### Stream C: Last
**Can Start**: after Streams A & B complete

### Stream D: Free
**Can Start**: Yes (parallel with Stream 1)
"""
    a = _read(text)
    by = {s.id: s for s in a.streams}
    assert by["B"].depends_on == ["A"] and by["B"].external_deps == ["#12"]
    assert by["C"].depends_on == ["A", "B"] and by["C"].depends_source == "can_start"
    assert by["D"].depends_on == [] and by["D"].depends_source == "can_start"
    assert by["A"].depends_source == "dependencies"


@pytest.mark.parametrize(
    "heading,sid,name",
    [
        ("### Stream A: Core", "A", "Core"),
        ("## **Stream B: Bold**", "B", "Bold"),
        ("#### 🔧 Stream 1 - Tools", "1", "Tools"),
        ("### Stream 01. Padded", "1", "Padded"),
        ("### Stream a: lower", "A", "lower"),
        ("### Stream AA — Double", "AA", "Double"),
        ("### 流A：数据层", "A", "数据层"),
        ("### 工作流 B: 接口", "B", "接口"),
        ("### Stream C: Model Core (2 days)", "C", "Model Core (2 days)"),
    ],
)
def test_stream_headings(heading: str, sid: str, name: str) -> None:
    a = _read(f"# Analysis\n\n{heading}\n")
    assert [(s.id, s.name) for s in a.streams] == [(sid, name)]


@pytest.mark.parametrize(
    "heading",
    [
        "### Phase 1: Setup",
        "### Step 2: Build",
        "### Work Stream Breakdown",
        "### Stream Analysis",
        "### Streams overview",
        "### Task 3: Something",
        "### Part A: Something",
    ],
)
def test_not_stream_headings(heading: str) -> None:
    a = _read(f"# Issue #1 Analysis\n\n{heading}\n")
    assert a.streams == []


def test_heading_parenthetical_hours_and_first_id_wins() -> None:
    text = (
        "# Analysis\n\n### Stream A: Model Core (2 days)\n\n### Stream B: Other\n**Duration**: 3h\n\n"
        "## Recap\n### Stream A: recap\n**Estimated Hours**: 99\n"
    )
    a = _read(text)
    assert [(s.id, s.hours) for s in a.streams] == [("A", (16.0, 16.0)), ("B", (3.0, 3.0))]
    # Another name under a used id is another stream that would be lost: a warning, not an aside.
    [reused] = [d for d in a.diagnostics if d.code == "stream-id-reused"]
    assert reused.line == 9 and reused.severity is Severity.WARNING and '"recap"' in reused.message
    same = _read(text.replace("Stream A: recap", "Stream A: Model Core (2 days)"))
    assert any(d.code == "stream-repeated" and d.severity is Severity.INFO for d in same.diagnostics)


def test_stream_table() -> None:
    text = """# Issue #12 Analysis

| Stream | Name | Hours | Dependencies | Files |
|---|---|---|---|---|
| A | Schema | 2h | none | `db/schema.sql` |
| B | API | 1-2 | A | api/x.ts<br>api/y.ts |
| **Stream C: UI** | | 3 hours | Streams A, B | |
| **Total** | | 6-7h | | |
"""
    a = _read(text)
    assert [(s.id, s.name, s.hours, s.depends_on) for s in a.streams] == [
        ("A", "Schema", (2.0, 2.0), []),
        ("B", "API", (1.0, 2.0), ["A"]),
        ("C", "UI", (3.0, 3.0), ["A", "B"]),
    ]
    assert a.streams[1].files == ["api/x.ts", "api/y.ts"]
    assert a.streams[0].line == 5


@pytest.mark.parametrize(
    "line",
    [
        "**Dependencies**: Stream A",
        "**Dependencies:** Stream A",
        "- **Dependencies**: Stream A",
        "Dependencies: Stream A",
        "*Dependencies*: Stream A",
        "🔗 **Depends on**: Stream A",
        "**Blocked by**：Stream A",
        "**Prerequisites (blocking)**: Stream A",
    ],
)
def test_dependency_label_forms(line: str) -> None:
    a = _read(f"# Analysis\n### Stream A: x\n### Stream B: y\n{line}\n")
    assert a.streams[1].depends_on == ["A"]
    assert a.streams[1].depends_source == "dependencies"


def test_fields_as_bullets_pipes_and_languages() -> None:
    text = """# Task 26 Analysis

### Stream A: One
- **Effort**: 8-10 hours | **Priority**: High | **Dependencies**: Task 60, 62
- **Files**:
  - `lib/a.ts` (new)
  - `lib/b.ts`

### Stream B: Deux
**Durée**: 2 heures
**Dépendances**: Stream A

### 流C：三
**预估时间**: 45分钟
**依赖**: 等待 流A 和 流B 完成
"""
    a = _read(text)
    assert a.issue == 26
    by = {s.id: s for s in a.streams}
    assert by["A"].hours == (8.0, 10.0) and by["A"].external_deps == ["#60", "#62"]
    assert by["A"].files == ["lib/a.ts", "lib/b.ts"]
    assert by["B"].hours == (2.0, 2.0) and by["B"].depends_on == ["A"]
    assert by["C"].hours == (0.75, 0.75) and by["C"].depends_on == ["A", "B"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("---\nissue: 3\nconflicts_with: [5, 006]\n---\n# A\n### Stream A: x\n", [5, 6]),
        ("# Issue #3 Analysis\n### Stream A: x\nThis conflicts with #7 and #8.\n", [7, 8]),
        ("# Issue #3 Analysis\n### Stream A: x\nConflicts with: #9, #10\n", [9, 10]),
        ("# Issue #3 Analysis\n### Stream A: x\nThis doesn't conflict with #11.\n", []),
        ("# Issue #3 Analysis\n### Stream A: x\nNote: `conflicts_with: [12]`\n", [12]),
    ],
)
def test_conflicts_with(text: str, expected: list[int]) -> None:
    assert _read(text).conflicts_with == expected


@pytest.mark.parametrize(
    "text,issue",
    [
        ("---\ntask: '006'\n---\n# Analysis\n### Stream A: x\n", 6),
        ("---\ntask_id: 21\n---\n# Issue #99 Analysis\n### Stream A: x\n", 21),
        ("---\nid: 288-analysis\n---\n# Issue #288 Analysis\n### Stream A: x\n", 288),
        ("# 任务005：分析\n### Stream A: x\n", 5),
        ("# Analysis #256\n### Stream A: x\n", 256),
        ("# Task 26 Analysis\n### Stream A: x\n", 26),
    ],
)
def test_issue_number(text: str, issue: int) -> None:
    assert _read(text).issue == issue


def test_extra_frontmatter_keys_are_kept() -> None:
    a = _read(
        "---\nissue: 2\nepic: chaining\nestimated_hours: 12-16\ncomplexity: high\n---\n# A\n### Stream A: x\n"
    )
    assert a.frontmatter.extra == {"epic": "chaining", "complexity": "high"}
    assert a.frontmatter.estimated_hours == (12.0, 16.0)


def test_timeline_takes_the_parallel_figures() -> None:
    text = (
        "# Analysis\n### Stream A: x\n## Expected Timeline\nWith parallel execution:\n"
        "- Wall time: 6 hours (longest) + 4 hours (synthesis) = 10 hours\n- Total work: 22 hours\n"
        "- Efficiency gain: 55%\n\nWithout parallel execution:\n- Wall time: 22 hours\n"
    )
    tl = _read(text).timeline
    assert (tl.wall_hours, tl.total_hours, tl.efficiency_gain) == ((10.0, 10.0), (22.0, 22.0), 55.0)
    assert tl.line == 3


def test_unknown_and_self_dependencies_are_errors_with_lines() -> None:
    text = (
        "# Analysis\n### Stream A: x\n**Dependencies**: Stream F\n"
        "### Stream B: y\n**Dependencies**: Stream B, Stream A\n"
        "### Stream C: z\n**Dependencies**: Wait for Streams A & B to complete\n"
    )
    a = _read(text)
    found = {(d.code, d.line, d.severity) for d in a.diagnostics}
    assert found == {("unknown-dependency", 3, Severity.ERROR), ("self-dependency", 5, Severity.ERROR)}
    assert [s.depends_on for s in a.streams] == [[], ["A"], ["A", "B"]]


def test_a_reader_bug_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.analysis.reader as reader

    def broken(text: str) -> Analysis | None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(reader, "_build", broken)
    a = read_analysis(SEED_TEXT)
    assert a is not None and a.streams == []
    assert [(d.code, d.severity) for d in a.diagnostics] == [("reader-internal", Severity.ERROR)]
    assert "IndexError" in a.diagnostics[0].message


@pytest.mark.parametrize(
    "junk", ["[" * 5000, "{a: " * 3000, "x" * 30_000], ids=["deep-list", "deep-map", "long"]
)
def test_deep_or_huge_yaml_is_read_key_by_key(junk: str) -> None:
    a = _read(f"---\nissue: 3\njunk: {junk}\n---\n\n### Stream A: x\n**Estimated Hours**: 1\n")
    assert a.issue == 3
    assert [d.code for d in a.diagnostics] == ["frontmatter-invalid"]
    assert [s.id for s in a.streams] == ["A"]


def test_frontmatter_error_line_points_into_the_original_comment() -> None:
    a, original = _in_comment(
        "---\nissue: 9\ntitle: [unclosed\n---\n\n### Stream A: x\n**Estimated Hours**: 1\n"
    )
    (bad,) = [d for d in a.diagnostics if d.code == "frontmatter-invalid"]
    assert bad.line is not None
    assert original[a.frontmatter.line - 1] == "---"
    assert a.frontmatter.line < bad.line <= a.frontmatter.line + 4
    assert original[a.streams[0].line - 1] == "### Stream A: x"
