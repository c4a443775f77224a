"""Property tests: the reader never raises, the schedule is the longest path, the summary is always safe."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.analysis.checker import check_plan
from bot.analysis.models import Analysis, Diagnostic, Frontmatter, HourRange, Severity, Stream
from bot.analysis.reader import read_analysis
from bot.analysis.render import render_summary
from tests.gfm_filters import problems

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real analyses, so generated text often looks like one (and reaches deep into the reader).
FRAGMENTS = [
    "---\n",
    "issue: 4\n",
    "estimated_hours: 2-3\n",
    "parallelization_factor: x\n",
    "conflicts_with: [5, a]\n",
    "# Parallel Work Analysis: Issue #4\n",
    "## Parallel Streams\n",
    "### Stream A: Core\n",
    "### Stream 1 - X\n",
    "#### **Stream B: Other (2 days)**\n",
    "**Files**:\n",
    "- `src/**`\n",
    "**Estimated Hours**: 1.5h\n",
    "**Dependencies**: Stream A, Stream Z\n",
    "**Can Start**: after Streams A & B complete\n",
    "- **Dependencies**:\n  - Stream B\n",
    "| Stream | Hours |\n|---|---|\n| A | 2 |\n",
    "```markdown\n",
    "```\n",
    "<details>\n",
    "</details>\n",
    "## Expected Timeline\n",
    "- Wall time: 3.0 hours\n",
    "- Efficiency gain: 40%\n",
    "## Coordination Points\n### Shared Files\n- `package.json`\n",
    "### 流A：前端\n",
    "**依赖**: 流A\n",
    "@octocat <script>x</script> | ``` \r\n",
    "\x00\ufeff\u202e",
    "Stream ",
    "A",
    "\n",
]

document = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=40).map("".join),
)


@FAST
@given(document)
def test_any_text_reads_checks_and_renders_without_exception(text: str) -> None:
    analysis = read_analysis(text)
    if analysis is None:
        return
    report = check_plan(analysis)
    md = render_summary(report)
    assert len(md) <= 65536
    allowed = {analysis.issue or 0, *analysis.conflicts_with}
    assert not problems(md, allowed), problems(md, allowed)


hour_ranges = st.tuples(st.integers(0, 40), st.integers(0, 20)).map(lambda t: (t[0] / 4, (t[0] + t[1]) / 4))


@st.composite
def dag_plans(draw: st.DrawFn) -> tuple[list[Stream], dict[str, HourRange]]:
    n = draw(st.integers(1, 8))
    ids = [f"S{i}" for i in range(n)]
    hours: dict[str, HourRange] = {}
    streams = []
    for i, sid in enumerate(ids):
        deps = draw(st.lists(st.sampled_from(ids[:i]), unique=True, max_size=i)) if i else []
        h = draw(st.none() | hour_ranges)
        hours[sid] = h if h is not None else (0.0, 0.0)
        streams.append(Stream(id=sid, name=sid, line=i + 1, hours=h, depends_on=deps))
    order = draw(st.permutations(streams))  # listed in any order: dependencies may come later
    return list(order), hours


def brute_force_longest(streams: list[Stream], hours: dict[str, HourRange], k: int) -> float:
    """The longest chain of dependencies, by enumerating every path (fine for 8 streams)."""
    by_id = {s.id: s for s in streams}

    def paths_from(sid: str) -> list[float]:
        own = hours[sid][k]
        below = [p for d in by_id[sid].depends_on for p in paths_from(d)]
        return [own + p for p in below] or [own]

    return max(p for s in streams for p in paths_from(s.id))


@FAST
@given(dag_plans())
def test_schedule_is_the_longest_path_and_respects_dependencies(
    plan: tuple[list[Stream], dict[str, HourRange]],
) -> None:
    streams, hours = plan
    report = check_plan(Analysis(streams=streams))
    assert not report.has_errors
    assert report.wall_hours is not None
    for k in (0, 1):
        assert abs(report.wall_hours[k] - brute_force_longest(streams, hours, k)) < 1e-9
    finish = {ss.stream.id: ss.finish for ss in report.schedule}
    for ss in report.schedule:
        assert ss.start is not None and ss.finish is not None
        for k in (0, 1):
            dep_finishes = [finish[d][k] for d in ss.stream.depends_on]  # type: ignore[index]
            assert all(ss.start[k] >= f - 1e-9 for f in dep_finishes)
            assert abs(ss.start[k] - max(dep_finishes, default=0.0)) < 1e-9  # earliest start
            assert abs(ss.finish[k] - ss.start[k] - hours[ss.stream.id][k]) < 1e-9
    # The critical path is a chain of dependencies whose hours add up to the (high) wall time.
    path = report.critical_path
    by_id = {s.id: s for s in streams}
    assert all(a in by_id[b].depends_on for a, b in itertools.pairwise(path))
    assert abs(sum(hours[s][1] for s in path) - report.wall_hours[1]) < 1e-9


untrusted = st.lists(
    st.sampled_from([*"@<>|`&#*_[]()\\\"'!~ -/\n\rabcXYZ019", "<script>", "<img src=x>", "```", "@octocat"]),
    max_size=60,
).map("".join)


@st.composite
def hostile_analyses(draw: st.DrawFn) -> Analysis:
    n = draw(st.integers(0, 25))
    streams = [
        Stream(
            id=draw(untrusted.filter(bool)) if i % 7 == 0 else f"S{i}",
            name=draw(untrusted),
            line=i + 1,
            hours=draw(st.none() | hour_ranges | st.tuples(st.floats(), st.floats())),
            agent_type=draw(st.none() | untrusted),
            files=draw(st.lists(untrusted, max_size=3)),
            depends_on=draw(
                st.lists(st.sampled_from([f"S{j}" for j in range(max(i, 1))]) | untrusted, max_size=3)
            ),
            external_deps=draw(st.lists(untrusted, max_size=2)),
            can_start=draw(st.none() | untrusted),
        )
        for i in range(n)
    ]
    diagnostics = [
        Diagnostic(severity=Severity.WARNING, code="reader-note", message=m, line=1)
        for m in draw(st.lists(untrusted, max_size=5))
    ]
    return Analysis(
        issue=draw(st.none() | st.integers(1, 10**6)),
        title=draw(st.none() | untrusted),
        frontmatter=Frontmatter(
            parallelization_factor=draw(st.none() | st.floats()),
            estimated_hours=draw(st.none() | st.tuples(st.floats(), st.floats())),
        ),
        streams=streams,
        diagnostics=diagnostics,
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(hostile_analyses(), st.sampled_from([65536, 65536, 4000, 1500]))
def test_rendered_summary_is_within_limit_and_safe(analysis: Analysis, limit: int) -> None:
    md = render_summary(check_plan(analysis), limit=limit)
    assert len(md) <= limit
    assert md.startswith("<!-- parallel-work-bot:summary ")
    allowed = {analysis.issue or 0, *analysis.conflicts_with}
    assert not problems(md, allowed), problems(md, allowed)
    # Only our own fence, the diagram, may appear: a ``` in a name cannot open one.
    fences = [line for line in md.splitlines() if line.startswith("```")]
    assert fences in ([], ["```mermaid", "```"])
