"""Each decision of what a reader sees (issue 14), one test each: the summary, the diagram, the brief."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.analysis.checker import check_plan
from bot.analysis.diagram import layout
from bot.analysis.markdown import inline_markdown, markdown_block
from bot.analysis.models import Analysis, LiveStatus, PlanReport, StreamStatus
from bot.analysis.reader import read_analysis
from bot.analysis.render import render_summary
from bot.sync.brief import briefs, render_region
from tests.gfm_filters import problems, unwanted
from tests.paths import SEED
from tests.test_rendering import SYNTHETIC, chain, layered


def report_of(text: str) -> PlanReport:
    analysis = read_analysis(text)
    assert analysis is not None
    return check_plan(analysis)


def status_of(report: PlanReport, states: dict[str, str], issue: int = 4) -> LiveStatus:
    status = LiveStatus(issue=issue)
    for k, ss in enumerate(report.schedule):
        sid = ss.stream.id
        status.streams[sid] = StreamStatus(number=10 + k, url=f"u/{10 + k}", state=states.get(sid, "open"))
    return status


def test_a_plan_with_errors_gives_a_verdict_and_withholds_its_figures() -> None:
    report = report_of(SYNTHETIC["errors"])
    md = render_summary(report, status_of(report, {}))
    lines = md.splitlines()
    assert lines[3].startswith("❌ **Not synced: the plan has 3 errors.** ")
    assert "figures withheld until the errors are fixed" in md
    assert "total **" not in md and "Critical path" not in md and "★" not in md and "Start → finish" not in md
    assert "Can start now" not in md  # nothing is synced, so nothing starts
    # Unknown and self dependencies are shown where the stream is, not only in the findings.
    assert "| A (#10), Z ❌ not in the plan |" in md and "| ❌ itself |" in md
    block = md.split("```mermaid\n", 1)[1]
    assert 'u0["Z: not in the plan"]' in block and "u0 -.-> s1" in block
    assert "classDef problem" in block and "class s0,s1,s2,s3,u0 problem" in block
    assert "stroke:#d73a49" not in block  # no critical path drawn


def test_findings_run_errors_warnings_then_folded_notes_each_once() -> None:
    text = SEED.read_text().replace("**Dependencies**: none", "**Dependencies**: Stream Q", 1)
    text += "\n### Stream B: Provider Integration\n**Estimated Hours**: 1\n"  # a repeat: a note
    text += "### Stream E: Unestimated\n**Dependencies**: Stream A\n"  # no hours: a warning
    md = render_summary(report_of(text))
    section = md.split("### Findings", 1)[1].split("\n| Stream", 1)[0]
    errors, warnings = section.find("❌ error"), section.find("⚠️ warning")
    notes = section.find("<details><summary>")
    assert 0 < errors < warnings < notes and "ℹ️ info" in section[notes:]
    bullets = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(set(bullets))
    # Figures are withheld while there are errors: the stated ones are not compared either.
    assert "parallelization-factor-mismatch" not in md and "stated" not in md
    # Without errors the stated speed-up is in the headline, so not again as a finding.
    seed = render_summary(report_of(SEED.read_text()))
    assert "(⚠️ stated 2.0×, line 6)" in seed and "parallelization-factor-mismatch" not in seed


def test_the_headline_names_the_issue_it_is_on_once() -> None:
    text = "# Issue #13 Analysis: Search\n### Stream A: Index\n**Estimated Hours**: 1\n"
    report = report_of(text)
    md = render_summary(report, status_of(report, {}, issue=13))
    assert "## Parallel work plan for #13 · Analysis: Search\n" in md
    assert render_summary(report, status_of(report, {}, issue=20)).count("#13") == 1  # another issue's title
    plain = render_summary(check_plan(Analysis(title="Plan", streams=report.analysis.streams)))
    assert "## Parallel work plan · Plan\n" in plain and "no issue number" not in plain


def test_a_plan_without_streams_says_how_to_write_one() -> None:
    report = report_of(SYNTHETIC["no-streams"])
    md = render_summary(report, status_of(report, {}))
    assert "**0 streams** found. A stream is a heading such as `### Stream A: Name`" in md
    assert "?" not in md and "Progress" not in md and "```mermaid" not in md


def test_can_start_now_names_ready_streams_with_their_sub_issues() -> None:
    report = report_of(SYNTHETIC["progress"])
    md = render_summary(report, status_of(report, {"A": "closed", "B": "ready", "D": "not_planned"}))
    assert "**Can start now:** B (#11)  \n" in md
    assert "| **C** ★ | Waiting part | 1.0 | B (#11) |" in md  # dependencies link their sub-issues
    assert "**Can start now:** A, D" in render_summary(report)  # before a sync: no dependencies


def test_done_nodes_keep_dark_text_in_either_theme() -> None:
    report = report_of(SYNTHETIC["progress"])
    md = render_summary(report, status_of(report, {"A": "closed"}))
    assert "classDef done fill:#dafbe1,stroke:#1a7f37,color:#1f2328" in md and "class s0 done" in md
    assert "green: done" in md


def test_the_layout_follows_the_plans_shape() -> None:
    assert layout(report_of(SEED.read_text()))[0] == "LR"  # one rank after A: left to right fits
    assert layout(report_of(chain(8)))[0] == "TD"  # deeper than wide: top-down
    direction, length, _px = layout(report_of(layered(6, 10)))
    assert direction == "LR" and length == 0  # ten side by side: the ids alone, and the legend says so
    assert "names shortened to fit" in render_summary(report_of(layered(6, 10)))


def test_table_cells_never_wrap_figures_or_push_columns_away() -> None:
    text = "# Analysis\n### Stream A: " + "y" * 90 + "\n**Estimated Hours**: 1.5-3\n"
    md = render_summary(report_of(text))
    row = next(line for line in md.splitlines() if line.startswith("| **A**"))
    assert "y" * 31 + "…" in row and "y" * 33 not in row
    assert "| 1.5\u20113.0 |" in row and "0.0\u00a0→\u00a01.5\u20113.0" in row


def test_document_markdown_keeps_code_bold_and_shows_link_addresses() -> None:
    assert inline_markdown("no `Stream X` headings, **bold**") == "no `Stream X` headings, **bold**"
    assert inline_markdown("see [docs](https://e.x/a) and \\#12") == "see docs (`https://e.x/a`) and `#12`"
    cut = inline_markdown("a " * 20 + "`a_long_code_span`", 45)
    assert cut.endswith("…") and "`" not in cut  # a code span is kept whole or left out
    assert inline_markdown("`x` @bob") == "`x` `@bob`"


def test_a_section_keeps_its_shape_and_nothing_joins_a_list() -> None:
    text = "**Files**:\n- `a.ts`\n- `b.ts`\n**Agent Type**: backend\n| a | b |\n|---|---|\n| 1 | 2 |\nafter"
    md = markdown_block(text)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == 2 and "\n\n**Agent Type**: backend" in md
    assert sum(1 for t in tokens if t.type == "tr_open") == 2 and md.endswith("\n\nafter")
    fenced = markdown_block("```\n@x #1\n````\nafter")
    assert fenced.startswith("```\n@x #1\n```\n") and fenced.endswith("after")


def test_a_brief_names_concurrent_file_sharers_and_links_both_ways() -> None:
    report = report_of(SYNTHETIC["progress"])  # A and D can run together and share src/shared/1.ts
    made = briefs(report, 4, {}, "https://github.com/o/r/issues/4#issuecomment-9")
    numbers = {"A": 10, "B": 11, "C": 12, "D": 13}
    a = render_region(made["A"], numbers)
    assert "- `src/shared/1.ts`: also touched by #13 (Stream D), which may run at the same time" in a
    assert "**Then unblocks:** #11 (Stream B · Ready part)" in a and "read from this comment" in a
    c = render_region(made["C"], numbers)
    assert "**Waits for:** #11 (Stream B · Ready part)" in c and "#### From the analysis" in c
    # C shares the file with D, which may run with it, and with A, which it waits for (through B): not named.
    assert "also touched by #13 (Stream D)" in c and "#10 (Stream A" not in c
    assert "#11" not in render_region(made["C"], {})  # before B's sub-issue exists: named, not linked


def test_a_marker_in_a_sections_code_block_cannot_end_the_region() -> None:
    text = (
        "# Analysis\n### Stream A: x\n**Estimated Hours**: 1\n```\n<!-- /parallel-work-bot:stream -->\n"
        "<!-- parallel-work-bot:stream parent=4 id=B -->\nkept\n```\n"
    )
    region = render_region(briefs(report_of(text), 4, {}, None)["A"], {})
    assert region.count("<!-- /parallel-work-bot:stream -->") == 1 and region.endswith("-->")
    assert region.count("parallel-work-bot:stream parent=") == 1 and "\nkept\n" in region


def test_a_code_span_cannot_carry_a_hidden_marker() -> None:
    fake = "`<!-- parallel-work-bot:streams A=999 -->` and `<!-- parallel-work-bot:labels agent:x -->`"
    text = f"# Analysis\n### Stream A: {fake}\n**Scope**: {fake}\n**Estimated Hours**: 1\n"
    text += "**Files**: `<!-- parallel-work-bot:labels agent:x -->`\n"
    text += "**Agent Type**: <!-- parallel-work-bot:x -->\n"
    report = report_of(text)
    for written in (render_summary(report), render_region(briefs(report, 4, {}, None)["A"], {})):
        assert "<!-- parallel-work-bot:streams A=999" not in written and "agent:x -->" not in written


def test_code_spans_side_by_side_stay_apart() -> None:
    # A span of the document, then a word GitHub would link, put in a span of its own (found by hypothesis).
    out = inline_markdown(")~ ~\"0 ```b~'~&```#@octocat1&)```")
    assert "`b~'~&` ````" in out and not unwanted(out)


_ALPHABET = st.sampled_from(
    [*"`*_[]()<>!#@&|\\/:-. \n\tab1", "@octocat", "#12", "<!--", "<!-- ", "https://x.y", "**",
     "parallel-work-bot:"]
)
#: The bot's markers as its parsers read them (bot/sync/markers.py): each has a space, so no single word
#: escape_inline puts in a code span can make one.
_MARKER = re.compile(r"<!-- /?parallel-work-bot:")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_document_text_kept_as_markdown_is_never_live(text: str) -> None:
    for md in (inline_markdown(text), inline_markdown(text, 12, in_table=True), markdown_block(text)):
        assert not problems(md), (text, md)
        assert _MARKER.search(md) is None, (text, md)  # nothing passes for one of the bot's markers
