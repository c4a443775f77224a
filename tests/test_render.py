"""Renderer: summary comment (marker, table, diagram, findings, status), escaping, limits, JSON, hash."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from bot.analysis.checker import check_plan
from bot.analysis.markdown import code_span, escape_inline, mermaid_label, plain_text
from bot.analysis.models import (
    Analysis,
    Diagnostic,
    Frontmatter,
    LiveStatus,
    PlanReport,
    Severity,
    Stream,
    StreamStatus,
)
from bot.analysis.reader import read_analysis
from bot.analysis.render import plan_hash, render_summary, render_text, report_to_json
from tests.gfm_filters import problems
from tests.paths import CORPUS, SEED


@pytest.fixture(scope="module")
def seed() -> PlanReport:
    analysis = read_analysis(SEED.read_text(encoding="utf-8"))
    assert analysis is not None
    return check_plan(analysis)


def table_rows(md: str) -> list[list[str]]:
    """Cells of every table row as GitHub would split them (unescaped pipes only)."""
    rows = []
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def test_summary_of_the_seed(seed: PlanReport) -> None:
    md = render_summary(seed)
    first = md.splitlines()[0]
    assert first == f"<!-- parallel-work-bot:summary issue=4 plan={plan_hash(seed)} -->"
    assert re.fullmatch(r"[0-9a-f]{12}", plan_hash(seed))
    assert "#4" in md and "Configure Convex Backend" in md
    assert "**4 streams**" in md
    # A stated figure is shown only where it differs, once: in the headline, not again as a finding.
    assert "total **5.0 h** · wall **3.0 h** · " in md and "stated 5.0" not in md
    assert "speed-up **1.67×** (⚠️ stated 2.0×, line 6)" in md
    assert "efficiency gain **40.0%**" in md and "stated 40.0%" not in md
    assert "parallelization-factor-mismatch" not in md and "### Findings" not in md
    assert "**Can start now:** A  \n" in md
    assert "**Critical path:** A → B" in md
    assert "**Conflicts with:** #5" in md
    rows = table_rows(md)
    assert rows[0] == ["Stream", "Name", "Hours", "Waits for", "Start → finish", "Agent"]
    when = "0.0\u00a0→\u00a02.0"
    assert rows[1] == ["**A** ★", "Core Setup &amp; Schema", "2.0", "—", when, "backend-specialist"]
    assert rows[2][0] == "**B** ★" and rows[2][3] == "A" and rows[2][4] == "2.0\u00a0→\u00a03.0"
    assert rows[3][0] == "**C**"
    assert len(md) <= 65536


def test_mermaid_diagram_with_critical_path(seed: PlanReport) -> None:
    md = render_summary(seed)
    block = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "\ngraph LR\n" in block  # as deep as wide: left to right
    assert 's0["A: Core Setup #38; Schema (2.0#160;h)"]' in block
    assert block.count("-->") == 3 and "s0 --> s1" in block
    assert "class s0,s1 critical" in block
    assert "linkStyle 0 " in block  # the A → B edge


def test_markdown_parses_as_one_table_and_one_fence(seed: PlanReport) -> None:
    tokens = MarkdownIt("commonmark").enable("table").parse(render_summary(seed))
    assert [t.info for t in tokens if t.type == "fence"] == ["mermaid"]
    assert sum(1 for t in tokens if t.type == "table_open") == 1
    assert sum(1 for t in tokens if t.type == "tr_open") == 5


def test_hash_changes_with_the_plan(seed: PlanReport) -> None:
    again = check_plan(seed.analysis)
    assert plan_hash(again) == plan_hash(seed)
    changed = seed.analysis.model_copy(deep=True)
    changed.streams[1].hours = (2.0, 2.0)
    assert plan_hash(check_plan(changed)) != plan_hash(seed)


HOSTILE = (
    "@octocat <script>alert(1)</script> a|b ``` `x` [link](http://e.x) <img src=x onerror=1> **b** &lt;i&gt;"
)


def hostile_report() -> PlanReport:
    streams = [
        Stream(id="A", name=HOSTILE, line=3, hours=(1.0, 1.0), agent_type="@team/devs <b>", files=["x|y"]),
        Stream(
            id="B",
            name="line\nbreak ```mermaid\n```",
            line=9,
            hours=(1.0, 1.0),
            depends_on=["A"],
            external_deps=["@someone #12"],
        ),
    ]
    diags = [
        Diagnostic(severity=Severity.WARNING, code="x", message="ping @octocat <b>bold</b> | pipe", line=2)
    ]
    return check_plan(Analysis(issue=7, title="<h1>@admin</h1>", streams=streams, diagnostics=diags))


def test_untrusted_text_cannot_ping_inject_html_or_break_the_table() -> None:
    md = render_summary(hostile_report())
    assert not problems(md, {7}), problems(md, {7})
    rows = table_rows(md)
    assert all(len(r) == 6 for r in rows), rows
    # A ``` in a name cannot open or close a fence: one fence (the diagram), ending where we end it.
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    fences = [t for t in tokens if t.type == "fence"]
    assert [t.info for t in fences] == ["mermaid"]
    assert fences[0].content.rstrip().endswith("stroke-width:3px")
    # The rendered HTML has no tag from the input.
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    for tag in ("<script", "<img", "<b>", "<h1"):
        assert tag not in html


def test_escape_inline() -> None:
    out = escape_inline("@octocat <b>x</b> a|b `c`\nnext")
    assert not problems(out)
    assert out.startswith("`@octocat` &lt;b&gt;x")  # the mention whole, in code: nothing invisible inside
    assert "\\|" in out and "\\`c\\`" in out
    assert "\n" not in out
    assert escape_inline("a & b") == "a &amp; b"
    assert escape_inline("see #12, GH-3 and o/r#4.") == "see `#12`, `GH-3` and `o/r#4`."
    assert escape_inline("x|#1", in_table=True) == "`x\\|#1`"


def test_code_span_and_mermaid_label_cannot_be_escaped() -> None:
    span = code_span("a `` b", in_table=True)
    assert span.startswith("```") and span.endswith("```")
    assert code_span("x|y", in_table=True) == "`x\\|y`"
    label = mermaid_label('A"] --> B[```\n@x <b>')
    assert label.startswith('"') and label.endswith('"') and label.count('"') == 2
    assert "`" not in label and "<" not in label and "@" not in label and "\n" not in label
    assert plain_text("@octocat title #3") == "`@octocat` title `#3`" and "\n" not in plain_text("a\nb")


def test_status_links_sub_issues_and_shows_progress(seed: PlanReport) -> None:
    status = LiveStatus(
        streams={
            "A": StreamStatus(number=12, url="https://github.com/o/r/issues/12", state="closed"),
            "B": StreamStatus(number=13, url="https://github.com/o/r/issues/13", state="ready"),
            "C": StreamStatus(number=14, url="https://github.com/o/r/issues/14", state="ready"),
        },
        notes=[Diagnostic(severity=Severity.WARNING, code="missing-issue", message="#99 does not exist")],
        blocked_by_issues=[3],
    )
    md = render_summary(seed, status)
    rows = table_rows(md)
    assert rows[0][-2:] == ["Issue", "State"]
    assert rows[1][-2:] == ["#12", "✅ closed"]
    assert rows[2][-2:] == ["#13", "🟢 ready"]
    assert rows[4][-2:] == ["—", "—"]  # D has no sub-issue yet
    assert "1 of 4 streams done" in md and "2.0 h of 5.0 h" in md
    assert "remaining critical path 1.0 h" in md
    assert "`missing-issue`" in md and "**Blocked by:** #3" in md
    assert "class s0 done" in md  # finished streams are shaded in the diagram


def big_report(n: int, seed: int = 1) -> PlanReport:
    rng = random.Random(seed)
    streams = []
    for i in range(n):
        deps = [f"S{j}" for j in rng.sample(range(i), min(i, 2))]
        streams.append(
            Stream(
                id=f"S{i}",
                name=f"Work item {i} with a reasonably long descriptive name @user <b>",
                line=i + 1,
                hours=(1.0, 2.0),
                depends_on=deps,
                files=[f"src/m{rng.randrange(n)}/f{k}.ts" for k in range(3)],
                agent_type="backend-specialist",
            )
        )
    return check_plan(Analysis(issue=1, title="Big", streams=streams))


def test_large_plan_degrades_under_the_limit_and_says_so() -> None:
    report = big_report(3000)
    md = render_summary(report)
    assert len(md) <= 65536
    assert md.startswith("<!-- parallel-work-bot:summary issue=1 plan=")
    assert "```mermaid" not in md and "Diagram omitted" in md
    assert "<details><summary>Streams (3000)</summary>" in md
    assert "more streams not shown" in md
    assert "Shortened to fit" in md
    assert not problems(md, {1})


def test_headline_gives_ranges_low_and_high_beside_the_stated_figures() -> None:
    streams = [
        Stream(id="A", name="a", line=3, hours=(2.0, 3.0)),
        Stream(id="B", name="b", line=6, hours=(1.0, 2.0), depends_on=["A"]),
        Stream(id="C", name="c", line=9, hours=(1.0, 1.0), depends_on=["A"]),
    ]
    fm = Frontmatter(estimated_hours=(4.0, 6.0), parallelization_factor=1.2)
    md = render_summary(check_plan(Analysis(issue=2, frontmatter=fm, streams=streams)))
    assert "total **4.0–6.0 h** · " in md and "stated 4.0" not in md  # the stated range agrees
    assert "wall **3.0–5.0 h**" in md and "speed-up **1.2–1.33×** · " in md  # 1.2 is within the range
    # In a narrow cell a range never wraps at its dash, nor start → finish at the arrow.
    assert "| **B** ★ | b | 1.0\u20112.0 | A | 2.0\u20113.0\u00a0→\u00a03.0\u20115.0 |" in md


def test_a_huge_conflicts_list_cannot_crowd_out_the_plan() -> None:
    issues = ", ".join(f"#{n}" for n in range(1, 30000))
    text = f"# Analysis\nThis conflicts with {issues}\n### Stream A: x\n**Estimated Hours**: 1\n"
    analysis = read_analysis(text)
    # The reader keeps MAX_ISSUE_REFS (1000) of them and says how many it left out (issue 10).
    assert analysis is not None and len(analysis.conflicts_with) == 1000
    assert any(d.code == "issues-capped" and "29999" in d.message for d in analysis.diagnostics)
    md = render_summary(check_plan(analysis))
    assert len(md) <= 65536
    assert "**Conflicts with:** #1, #2," in md and "#51" not in md and "… (1000 issues)" in md
    assert table_rows(md)[1][0] == "**A** ★" and "```mermaid" in md


def test_medium_plan_folds_table_and_drops_diagram() -> None:
    md = render_summary(big_report(80))
    assert "<details><summary>Streams (80)</summary>" in md
    assert "```mermaid" not in md and "Diagram omitted" in md
    assert "more streams not shown" not in md


@pytest.mark.parametrize("limit", [2000, 6000, 20000])
def test_small_limits_are_respected(limit: int) -> None:
    md = render_summary(big_report(300), limit=limit)
    assert len(md) <= limit
    assert md.startswith("<!-- parallel-work-bot:summary")


def test_report_to_json_shape(seed: PlanReport) -> None:
    data = report_to_json(seed)
    assert list(data) == [
        "issue", "title", "streams", "total_hours", "wall_hours", "speedup", "critical_path",
        "conflicts_with", "stated", "diagnostics",
    ]  # fmt: skip
    assert data["issue"] == 4 and data["total_hours"] == [5.0, 5.0] and data["wall_hours"] == [3.0, 3.0]
    assert data["speedup"] == [1.67, 1.67] and data["critical_path"] == ["A", "B"]
    assert data["conflicts_with"] == [5]
    streams = data["streams"]
    assert isinstance(streams, list)
    assert streams[0] == {
        "id": "A", "name": "Core Setup & Schema", "hours": [2.0, 2.0], "depends_on": [],
        "files": streams[0]["files"], "start": [0.0, 0.0], "finish": [2.0, 2.0],
    }  # fmt: skip
    assert "convex/schema.ts" in streams[0]["files"]


def test_terminal_rendering(seed: PlanReport) -> None:
    text = render_text(seed)
    assert "Parallel work plan for #4: Configure Convex Backend" in text
    assert "speed-up 1.67× (stated 2.0×) · efficiency gain 40.0% (stated 40.0%)" in text
    assert "Critical path: A → B (3.0 h)" in text
    assert re.search(r"^\*\s+A\s+Core Setup & Schema\s+2\.0\s+—\s+0\.0 → 2\.0", text, re.M)
    assert "parallelization-factor-mismatch" in text
    hostile = render_text(hostile_report())
    assert "\x1b" not in render_text(
        check_plan(Analysis(streams=[Stream(id="A", name="evil \x1b[31mred", line=1)]))
    )
    assert "\n" not in hostile.splitlines()[0]


def test_every_corpus_document_renders_safely() -> None:
    rendered = 0
    for path in sorted((CORPUS / "docs").glob("*.md")):
        analysis = read_analysis(path.read_text(encoding="utf-8"))
        if analysis is None:
            continue
        md = render_summary(check_plan(analysis))
        rendered += 1
        assert md.startswith("<!-- parallel-work-bot:summary "), path.name
        assert len(md) <= 65536, path.name
        allowed = {analysis.issue or 0, *analysis.conflicts_with}
        assert not problems(md, allowed), (path.name, problems(md, allowed))
        fences = [line for line in md.splitlines() if line.startswith("```")]
        assert fences in ([], ["```mermaid", "```"]), path.name
    assert rendered >= 25  # 31 in the repository's corpus, 53 in the shared one
