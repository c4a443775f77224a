"""Every corpus document (and the seed) read and compared with the careful reading in expected.json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.analysis.models import Analysis
from bot.analysis.reader import read_analysis
from tests.paths import CORPUS, SEED

EXPECTED: list[dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TOL = 1e-3
_RESULTS: dict[str, list[str]] = {}


def _path(name: str) -> Path:
    return SEED if name == SEED.name else CORPUS / "docs" / name


def _hours_match(got: tuple[float, float] | None, want: list[float] | None) -> bool:
    """A null expectation means the rules find nothing: any reading is accepted there."""
    if want is None:
        return True
    return got is not None and all(abs(g - w) <= TOL for g, w in zip(got, want, strict=True))


def mismatches(analysis: Analysis | None, want: dict[str, Any]) -> list[str]:
    """Every difference between a reading and the expected one, as readable lines (empty: full match)."""
    if analysis is None:
        return ["read_analysis found no analysis"]
    out: list[str] = []
    if want["issue"] is not None and analysis.issue != want["issue"]:
        out.append(f"issue: got {analysis.issue}, want {want['issue']}")
    got_ids = [s.id for s in analysis.streams]
    want_ids = [s["id"] for s in want["streams"]]
    if got_ids != want_ids:
        out.append(f"stream ids: got {got_ids}, want {want_ids}")
    by_id = {s.id: s for s in analysis.streams}
    for ws in want["streams"]:
        gs = by_id.get(ws["id"])
        if gs is None:
            continue
        if gs.name != ws["name"]:
            out.append(f"stream {ws['id']} name: got {gs.name!r}, want {ws['name']!r}")
        if not _hours_match(gs.hours, ws["hours"]):
            out.append(f"stream {ws['id']} hours: got {gs.hours}, want {ws['hours']}")
        if gs.depends_on != ws["depends_on"]:
            out.append(f"stream {ws['id']} depends_on: got {gs.depends_on}, want {ws['depends_on']}")
        if gs.external_deps != ws["external_deps"]:
            out.append(f"stream {ws['id']} external_deps: got {gs.external_deps}, want {ws['external_deps']}")
    if analysis.conflicts_with != want["conflicts_with"]:
        out.append(f"conflicts_with: got {analysis.conflicts_with}, want {want['conflicts_with']}")
    stated = want["stated"]
    fm, tl = analysis.frontmatter, analysis.timeline
    for key, got in (
        ("estimated_hours", fm.estimated_hours),
        ("wall_hours", tl.wall_hours),
        ("total_hours", tl.total_hours),
    ):
        if not _hours_match(got, stated[key]):
            out.append(f"stated {key}: got {got}, want {stated[key]}")
    pf = stated["parallelization_factor"]
    if pf is not None and (fm.parallelization_factor is None or abs(fm.parallelization_factor - pf) > TOL):
        out.append(f"stated parallelization_factor: got {fm.parallelization_factor}, want {pf}")
    return out


def _score() -> Iterator[str]:
    full = sum(1 for problems in _RESULTS.values() if not problems)
    line = f"corpus: {full}/{len(_RESULTS)} documents fully matching"
    if len(_RESULTS) < len(EXPECTED):
        line += f" (only {len(_RESULTS)} of the {len(EXPECTED)} documents were run)"
    yield line
    for name, problems in sorted(_RESULTS.items()):
        for p in problems:
            yield f"  {name}: {p}"


def test_expected_covers_every_document() -> None:
    names = {e["file"] for e in EXPECTED}
    on_disk = {p.name for p in (CORPUS / "docs").glob("*.md")}
    assert on_disk <= names, f"documents without an expected reading: {sorted(on_disk - names)}"
    assert SEED.name in names


@pytest.mark.parametrize("want", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_document(want: dict[str, Any]) -> None:
    text = _path(want["file"]).read_text(encoding="utf-8")
    problems = mismatches(read_analysis(text), want)
    _RESULTS[want["file"]] = problems
    assert not problems, "\n".join(problems)


def _wrap(text: str, how: str) -> str:
    """The document as a comment would carry it: CRLF, or after prose in a fence or a <details> block."""
    if how == "crlf":
        return text.replace("\n", "\r\n")
    prose = "Here is the analysis for this issue.\n\nThoughts welcome.\n\n"
    if how == "fence":
        longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
        fence = "`" * max(3, longest + 1)
        return f"{prose}{fence}markdown\n{text}\n{fence}\n\nThanks!\n"
    return f"{prose}<details>\n<summary>Analysis</summary>\n\n{text}\n</details>\n\nThanks!\n"


@pytest.mark.parametrize("how", ["crlf", "fence", "details"])
@pytest.mark.parametrize("want", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_document_wrapped(want: dict[str, Any], how: str) -> None:
    """Wrapping a document the way comments do changes nothing in its reading (line numbers shift)."""
    text = _path(want["file"]).read_text(encoding="utf-8")
    plain = read_analysis(text)
    wrapped = read_analysis(_wrap(text, how))
    assert plain is not None and wrapped is not None
    assert mismatches(wrapped, want) == mismatches(plain, want)
    assert [s.model_dump(exclude={"line"}) for s in wrapped.streams] == [
        s.model_dump(exclude={"line"}) for s in plain.streams
    ]
    shift = wrapped.source_line - plain.source_line
    assert shift == (0 if how == "crlf" else 5 if how == "fence" else 7)
    assert [s.line for s in wrapped.streams] == [s.line + shift for s in plain.streams]


def test_mismatches_can_fail() -> None:
    """The comparison itself notices a wrong reading (guards against a vacuous corpus test)."""
    want = next(e for e in EXPECTED if e["file"] == SEED.name)
    analysis = read_analysis(SEED.read_text(encoding="utf-8"))
    assert analysis is not None
    assert mismatches(analysis, want) == []
    broken = analysis.model_copy(update={"conflicts_with": [], "streams": analysis.streams[:-1]})
    assert len(mismatches(broken, want)) == 2


@pytest.fixture(scope="module", autouse=True)
def _print_score(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: print the score (and every mismatch) past pytest's output capture."""
    yield
    if not _RESULTS:
        return
    capman = request.config.pluginmanager.getplugin("capturemanager")
    text = "\n" + "\n".join(_score())
    if capman is not None:
        with capman.global_and_fixture_disabled():
            print(text)
    else:  # pragma: no cover - capture plugin disabled
        print(text)
