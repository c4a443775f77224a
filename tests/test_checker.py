"""Checker: figures, schedule, critical path and every error/warning it reports (seed and built plans)."""

from __future__ import annotations

import pytest

from bot.analysis import globs
from bot.analysis.checker import check_plan, remaining_wall
from bot.analysis.models import (
    Analysis,
    CoordinationPoints,
    Diagnostic,
    Frontmatter,
    PlanReport,
    Severity,
    StatedTimeline,
    Stream,
)
from bot.analysis.reader import read_analysis
from tests.paths import SEED


def stream(
    sid: str,
    hours: float | tuple[float, float] | None = 1.0,
    deps: list[str] | None = None,
    files: list[str] | None = None,
    *,
    can_start: str | None = None,
    line: int = 0,
) -> Stream:
    h = None if hours is None else (hours if isinstance(hours, tuple) else (float(hours), float(hours)))
    return Stream(
        id=sid,
        name=f"Stream {sid}",
        line=line or 10 + ord(sid[0]),
        hours=h,
        depends_on=deps or [],
        files=files or [],
        can_start=can_start,
        depends_source="dependencies" if deps is not None else None,
    )


def plan(*streams: Stream, **kwargs: object) -> PlanReport:
    return check_plan(Analysis(streams=list(streams), **kwargs))


def codes(report: PlanReport, severity: Severity | None = None) -> list[str]:
    return [d.code for d in report.diagnostics if severity is None or d.severity is severity]


def only(report: PlanReport, code: str) -> list[Diagnostic]:
    return [d for d in report.diagnostics if d.code == code]


# --- the seed -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> PlanReport:
    analysis = read_analysis(SEED.read_text(encoding="utf-8"))
    assert analysis is not None
    return check_plan(analysis)


def test_seed_figures(seed: PlanReport) -> None:
    assert [ss.stream.id for ss in seed.schedule] == ["A", "B", "C", "D"]
    assert seed.total_hours == (5.0, 5.0)
    assert seed.wall_hours == (3.0, 3.0)
    assert seed.speedup is not None
    assert seed.speedup[0] == pytest.approx(5 / 3) and seed.speedup[1] == pytest.approx(5 / 3)
    assert seed.efficiency_gain == pytest.approx((40.0, 40.0))
    assert seed.critical_path == ["A", "B"]
    assert [ss.on_critical_path for ss in seed.schedule] == [True, True, False, False]
    assert seed.analysis.conflicts_with == [5]


def test_seed_schedule(seed: PlanReport) -> None:
    by_id = {ss.stream.id: ss for ss in seed.schedule}
    assert by_id["A"].start == (0.0, 0.0) and by_id["A"].finish == (2.0, 2.0)
    for sid in "BCD":
        assert by_id[sid].start == (2.0, 2.0) and by_id[sid].finish == (3.0, 3.0)


def test_seed_diagnostics(seed: PlanReport) -> None:
    assert not seed.has_errors
    [pf] = only(seed, "parallelization-factor-mismatch")
    assert pf.severity is Severity.WARNING
    assert "2.0" in pf.message and "1.67" in pf.message
    assert pf.line == 6  # `parallelization_factor: 2.0` in the seed's frontmatter
    assert only(seed, "file-overlap") == []
    assert only(seed, "shared-file-concurrent") == []
    # Stated figures that agree raise nothing.
    for code in (
        "estimated-hours-mismatch",
        "wall-time-mismatch",
        "total-work-mismatch",
        "efficiency-gain-mismatch",
    ):
        assert only(seed, code) == []


# --- dependency errors ----------------------------------------------------------------------------


def test_cycle_is_named_and_other_streams_still_scheduled() -> None:
    r = plan(stream("A", 1, ["B"]), stream("B", 2, ["A"]), stream("C", 3, []), stream("D", 1, ["A"]))
    [cyc] = only(r, "dependency-cycle")
    assert cyc.severity is Severity.ERROR
    assert "A → B → A" in cyc.message
    assert r.has_errors
    by_id = {ss.stream.id: ss for ss in r.schedule}
    assert by_id["A"].start is None and by_id["B"].finish is None
    assert by_id["D"].start is None  # behind the cycle
    assert by_id["C"].finish == (3.0, 3.0)
    assert r.wall_hours == (3.0, 3.0)
    assert r.total_hours == (7.0, 7.0)
    assert r.critical_path == ["C"]


def test_longer_cycle_named_first_then_next() -> None:
    # B waits for A, C for B, A for C: the arrows read "first, then", as everywhere the bot writes one.
    r = plan(stream("A", 1, ["C"]), stream("B", 1, ["A"]), stream("C", 1, ["B"]))
    [cyc] = only(r, "dependency-cycle")
    assert "A → B → C → A" in cyc.message and "each waits for the one before it" in cyc.message
    assert r.wall_hours is None and r.speedup is None


def test_two_separate_cycles_are_two_errors() -> None:
    r = plan(stream("A", 1, ["B"]), stream("B", 1, ["A"]), stream("C", 1, ["D"]), stream("D", 1, ["C"]))
    messages = sorted(d.message for d in only(r, "dependency-cycle"))
    assert len(messages) == 2
    assert "A → B → A" in messages[0] and "C → D → C" in messages[1]


def test_unknown_dependency() -> None:
    r = plan(stream("A", 1, []), stream("B", 1, ["A", "Z"], line=42))
    [d] = only(r, "unknown-dependency")
    assert d.severity is Severity.ERROR and d.line == 42 and "Z" in d.message
    assert r.wall_hours == (2.0, 2.0)  # the known dependency still counts


def test_self_dependency() -> None:
    r = plan(stream("A", 1, ["A"]), stream("B", 1, []))
    [d] = only(r, "self-dependency")
    assert d.severity is Severity.ERROR and "A" in d.message
    assert only(r, "dependency-cycle") == []
    assert r.wall_hours == (1.0, 1.0)


def test_duplicate_stream_ids_keep_the_first() -> None:
    r = plan(stream("A", 1, [], line=5), stream("B", 1, ["A"]), stream("A", 9, [], line=30))
    [d] = only(r, "duplicate-stream")
    assert d.severity is Severity.ERROR and d.line == 30 and "line 5" in d.message
    assert [ss.stream.id for ss in r.schedule] == ["A", "B"]
    assert r.total_hours == (2.0, 2.0)


def test_reader_diagnostic_with_same_code_and_line_is_not_repeated() -> None:
    reader_says = Diagnostic(severity=Severity.ERROR, code="duplicate-stream", message="dup", line=30)
    r = check_plan(
        Analysis(streams=[stream("A", 1, [], line=5), stream("A", 1, [], line=30)], diagnostics=[reader_says])
    )
    assert only(r, "duplicate-stream") == [reader_says]


# --- figures --------------------------------------------------------------------------------------


def test_ranges_give_low_and_high_figures() -> None:
    r = plan(stream("A", (2.0, 3.0), []), stream("B", (1.0, 4.0), ["A"]), stream("C", (1.0, 1.0), ["A"]))
    assert r.total_hours == (4.0, 8.0)
    assert r.wall_hours == (3.0, 7.0)
    by_id = {ss.stream.id: ss for ss in r.schedule}
    assert by_id["B"].start == (2.0, 3.0) and by_id["B"].finish == (3.0, 7.0)
    assert r.speedup == pytest.approx((8 / 7, 4 / 3))
    assert r.critical_path == ["A", "B"]


def test_critical_path_tie_broken_by_stream_order() -> None:
    r = plan(stream("A", 1, []), stream("B", 1, []), stream("C", 1, ["A", "B"]))
    assert r.critical_path == ["A", "C"]
    r = plan(stream("X", 2, []), stream("Y", 3, []), stream("Z", 1, ["X", "Y"]))
    assert r.critical_path == ["Y", "Z"]


def test_missing_hours_count_as_zero_and_warn() -> None:
    r = plan(stream("A", 2, []), stream("B", None, ["A"], line=77))
    [d] = only(r, "missing-hours")
    assert d.severity is Severity.WARNING and d.line == 77
    assert r.total_hours == (2.0, 2.0) and r.wall_hours == (2.0, 2.0)
    assert r.schedule[1].finish == (2.0, 2.0)


def test_no_hours_at_all_gives_no_speedup() -> None:
    r = plan(stream("A", None, []), stream("B", None, []))
    assert r.total_hours is None and r.speedup is None


def test_remaining_wall_counts_done_streams_as_zero() -> None:
    r = plan(stream("A", 2, []), stream("B", 1, ["A"]), stream("C", 5, []))
    assert remaining_wall(r, []) == (5.0, 5.0)
    assert remaining_wall(r, ["C"]) == (3.0, 3.0)
    assert remaining_wall(r, ["A", "C"]) == (1.0, 1.0)


# --- stated vs computed ---------------------------------------------------------------------------


def test_stated_figures_that_differ_warn_with_both_numbers() -> None:
    r = plan(
        stream("A", 2, []),
        stream("B", 2, []),
        frontmatter=Frontmatter(estimated_hours=(10.0, 12.0), parallelization_factor=2.0),
        timeline=StatedTimeline(wall_hours=(4.0, 4.0), total_hours=(3.0, 3.0), efficiency_gain=10.0, line=50),
    )
    assert not only(r, "parallelization-factor-mismatch")  # 2.0 == 4 / 2
    [eh] = only(r, "estimated-hours-mismatch")
    assert "10.0–12.0" in eh.message and "4.0" in eh.message
    [wall] = only(r, "wall-time-mismatch")
    assert "4.0" in wall.message and "2.0" in wall.message and wall.line == 50
    [tot] = only(r, "total-work-mismatch")
    assert "3.0" in tot.message and "4.0" in tot.message
    [gain] = only(r, "efficiency-gain-mismatch")
    assert "10.0" in gain.message and "50.0" in gain.message


def test_stated_range_overlapping_computed_is_fine() -> None:
    r = plan(stream("A", (3.0, 5.0), []), frontmatter=Frontmatter(estimated_hours=(4.0, 6.0)))
    assert only(r, "estimated-hours-mismatch") == []


def test_can_start_immediately_contradicting_dependencies() -> None:
    r = plan(
        stream("A", 1, []),
        stream("B", 1, ["A"], can_start="immediately", line=60),
        stream("C", 1, ["A"], can_start="after Stream A completes"),
        stream("D", 1, [], can_start="immediately"),
    )
    [d] = only(r, "can-start-contradiction")
    assert d.line == 60 and "B" in d.message


def test_more_streams_than_github_allows_sub_issues() -> None:
    many = [stream(f"S{i}", 1, [], line=i + 1) for i in range(101)]
    r = plan(*many)
    [d] = only(r, "too-many-streams")
    assert "101" in d.message and "100" in d.message
    assert only(plan(*many[:100]), "too-many-streams") == []


# --- file overlaps --------------------------------------------------------------------------------


def test_concurrent_streams_touching_one_file() -> None:
    r = plan(stream("A", 1, [], ["src/x.ts"]), stream("B", 1, [], ["./src/x.ts"]))
    [d] = only(r, "file-overlap")
    assert "A" in d.message and "B" in d.message and "src/x.ts" in d.message


def test_ordered_streams_may_share_files_even_transitively() -> None:
    r = plan(
        stream("A", 1, [], ["a.ts"]),
        stream("B", 1, ["A"], ["b.ts"]),
        stream("C", 1, ["B"], ["a.ts", "b.ts"]),
    )
    assert only(r, "file-overlap") == []


def test_glob_overlaps() -> None:
    r = plan(
        stream("A", 1, [], ["convex/*"]),
        stream("B", 1, [], ["convex/files.ts"]),
        stream("C", 1, [], ["src/**"]),
        stream("D", 1, [], ["src/app/x.tsx"]),
        stream("E", 1, [], ["convex/_generated/api.ts", "docs/readme.md"]),
    )
    pairs = sorted(d.message.split(" can run")[0] for d in only(r, "file-overlap"))
    assert pairs == ["Streams A and B", "Streams C and D"]


def test_glob_against_glob() -> None:
    r = plan(
        stream("A", 1, [], ["src/**"]), stream("B", 1, [], ["src/*/x.ts"]), stream("C", 1, [], ["lib/*"])
    )
    assert [d.message.split(" can run")[0] for d in only(r, "file-overlap")] == ["Streams A and B"]


def test_shared_files_touched_by_concurrent_streams() -> None:
    coordination = CoordinationPoints(shared_files=["`package.json` - deps", "convex/_generated/*"], line=88)
    r = plan(
        stream("A", 1, [], ["package.json"]),
        stream("B", 1, ["A"], ["package.json"]),
        stream("C", 1, ["A"], ["convex/_generated/api.ts"]),
        stream("D", 1, ["A"], ["convex/_generated/*"]),
        coordination=coordination,
    )
    [d] = only(r, "shared-file-concurrent")
    assert d.line == 88 and "convex/_generated/*" in d.message and "C and D" in d.message


def test_many_streams_on_one_file_are_reported_once() -> None:
    r = plan(*[stream(f"S{i}", 1, [], ["package.json"]) for i in range(30)])
    [d] = only(r, "file-overlap")
    assert "30 streams" in d.message


def test_glob_helpers() -> None:
    assert globs.overlaps("convex/*", "convex/files.ts")
    assert not globs.overlaps("convex/*", "convex/_generated/api.ts")
    assert globs.overlaps("src/**", "src/app/x.tsx")
    assert globs.overlaps("src/**/x.ts", "src/x.ts")
    assert not globs.overlaps("src/**/x.ts", "src/ax.ts")
    assert not globs.overlaps("a/*.ts", "a/*.js")
    assert globs.overlaps("app/[id]/page.tsx", "app/[id]/page.tsx")
    assert not globs.overlaps("app/[id]/page.tsx", "app/i/page.tsx")  # brackets are literal
    assert globs.normalize_path("`convex/_generated/*` (auto-generated)") == "convex/_generated/*"
    assert globs.normalize_path("src/components/") == "src/components/**"


def test_no_streams_reported_once_even_if_the_reader_did() -> None:
    reader_says = Diagnostic(severity=Severity.WARNING, code="no-streams", message="none", line=1)
    r = check_plan(Analysis(diagnostics=[reader_says]))
    assert only(r, "no-streams") == [reader_says]
    assert [d.code for d in check_plan(Analysis()).diagnostics] == ["no-streams"]


def test_leading_slash_means_repository_root() -> None:
    r = plan(stream("A", 1, [], ["/lib/monitoring/*"]), stream("B", 1, [], ["lib/monitoring/db.ts"]))
    assert len(only(r, "file-overlap")) == 1


def test_overlap_warnings_are_capped_and_counted() -> None:
    # 150 pairs of concurrent streams, each pair sharing its own file.
    streams = [stream(f"S{i}", 1, [], [f"f{i // 2}.ts"]) for i in range(300)]
    found = only(plan(*streams), "file-overlap")
    assert len(found) == 101
    assert "50 more" in found[-1].message
