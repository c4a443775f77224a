"""CCPM task files read by read_task: depends_on / conflicts_with as ints, parallel, issue from `github:`."""

from __future__ import annotations

import pytest

from bot.analysis.reader import read_analysis, read_task
from tests.paths import CORPUS

TASKS = CORPUS / "tasks"

# file -> (depends_on, conflicts_with, parallel, issue from the github URL), read by hand from each file.
EXPECTED: dict[str, tuple[list[int], list[int], bool, int | None]] = {
    "01-gaucheclement__Warhammer__10.md": ([], [13], True, 10),
    "02-Polloinfilzato__dm20-protocol__121.md": ([119, 120], [118, 119, 120], False, 121),
    "03-MajesteitBart__Seshlog__003.md": ([2], [2], False, None),
    "04-Montinou__stratixV2__002.md": ([], [1], True, None),
    "05-datlechin__hookshot__33.md": ([28, 29, 30, 31, 32], [], False, 33),
    "06-vinnie-luckfocus__lp2601-joyful-web__62.md": ([61], [], True, 62),
    "07-ContextLab__orchestrator__316.md": ([309, 310, 311, 312, 313, 314, 315], [], False, 316),
    "08-silver0510__solidseed__006.md": ([5], [], False, None),
    "09-curdriceaurora__fo-core__245.md": ([6, 7, 8, 9, 10], [], True, 245),
    "10-jobu711__options_arena__158.md": ([155, 157, 152, 153, 156], [], False, 158),
}


#: The task files of the corpus in use (the repository's holds those whose licence allows a copy).
PRESENT = sorted(name for name in EXPECTED if (TASKS / name).is_file())


def test_every_task_file_has_an_expectation() -> None:
    assert {p.name for p in TASKS.glob("*.md")} <= set(EXPECTED)
    assert len(PRESENT) >= 4


@pytest.mark.parametrize("name", PRESENT)
def test_task_file(name: str) -> None:
    depends_on, conflicts_with, parallel, issue = EXPECTED[name]
    fm = read_task((TASKS / name).read_text(encoding="utf-8"))
    assert fm is not None
    assert fm.depends_on == depends_on
    assert fm.conflicts_with == conflicts_with
    assert fm.parallel is parallel
    assert fm.issue == issue
    assert fm.line == 1  # the opening `---`
    assert "name" in fm.extra and "status" in fm.extra  # other keys are kept


@pytest.mark.parametrize("name", PRESENT)
def test_task_file_is_not_an_analysis(name: str) -> None:
    """A task body carries no streams: the sync must fall back to its frontmatter, not a streamless plan."""
    assert read_analysis((TASKS / name).read_text(encoding="utf-8")) is None


def test_zero_padded_ids_are_decimal_not_octal() -> None:
    fm = read_task("---\ndepends_on: [006, 007, 008, 009, 010, 011]\nconflicts_with: ['012', 13]\n---\n")
    assert fm is not None
    assert fm.depends_on == [6, 7, 8, 9, 10, 11]
    assert fm.conflicts_with == [12, 13]


def test_block_lists_and_strings() -> None:
    text = "---\ndepends_on:\n  - 061\n  - '#62'\nconflicts_with: 5, 6\nparallel: 'yes'\n---\nbody\n"
    fm = read_task(text)
    assert fm is not None
    assert fm.depends_on == [61, 62]
    assert fm.conflicts_with == [5, 6]
    assert fm.parallel is True


def test_crlf_task() -> None:
    text = (TASKS / "05-datlechin__hookshot__33.md").read_text(encoding="utf-8")
    fm = read_task(text.replace("\n", "\r\n"))
    assert fm is not None
    assert fm.depends_on == [28, 29, 30, 31, 32]
    assert fm.conflicts_with == []


@pytest.mark.parametrize(
    "text",
    ["", "LGTM", "/analyze", "no frontmatter here\n---\nissue: 4\n---\n", "---\n---\n", "---\nnot closed\n"],
)
def test_no_task_frontmatter(text: str) -> None:
    assert read_task(text) is None


def test_broken_yaml_is_salvaged_not_raised() -> None:
    fm = read_task("---\nname: [unclosed\ndepends_on: [3, 4]\nparallel: true\n---\n")
    assert fm is not None
    assert fm.depends_on == [3, 4]
    assert fm.parallel is True


def test_task_files_are_text() -> None:
    """read_task takes any str: binary-ish junk gives None, not an exception."""
    assert read_task("\x00\x01---\n\udcff") is None


def test_yaml_alias_bomb_and_cycle_stay_small() -> None:
    """Frontmatter is untrusted: nested aliases must not expand exponentially, nor a cycle loop forever."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "---\nissue: 3\n" + "\n".join(levels) + "\ntitle: *a8\ndepends_on: [4]\n---\n"
    fm = read_task(bomb)
    assert fm is not None
    assert fm.issue == 3 and fm.depends_on == [4]
    assert len(str(fm.extra)) < 200_000
    assert fm.title is not None and len(fm.title) <= 10_000
    cyclic = read_task("---\nissue: 5\nloop: &l [1, *l]\n---\n")
    assert cyclic is not None and cyclic.issue == 5
