"""What the web process decides from a payload alone: commands, cheap plan detection, who is trusted."""

from __future__ import annotations

import pytest

from bot.analysis.reader import read_analysis
from bot.conventions import is_bot_account as is_bot
from bot.conventions import is_trusted_association as is_trusted
from bot.events.common import may_hold_plan
from bot.jobs.commands import parse_command
from tests.paths import CORPUS, SEED


@pytest.mark.parametrize(
    "body,expected",
    [
        ("/analyze", ("analyze", "")),
        ("  /analyze  \n", ("analyze", "")),
        ("Please look.\n/analyze\nthanks", ("analyze", "")),
        ("/analyze help", ("help", "help")),
        ("/analyze HELP", ("help", "HELP")),
        ("/analyze dry-run", ("dry-run", "dry-run")),
        ("/analyze dry run", ("dry-run", "dry run")),
        ("/analyze frobnicate now", ("unknown", "frobnicate now")),
        ("/analyzed", None),
        ("run /analyze please", None),
        ("> /analyze", None),
        ("```\n/analyze\n```", None),
        ("~~~\n/analyze help\n~~~\n/analyze dry-run", ("dry-run", "dry-run")),
        ("", None),
    ],
)
def test_parse_command(body: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(body) == expected


def test_unknown_command_text_is_bounded() -> None:
    parsed = parse_command("/analyze " + "x" * 5000)
    assert parsed is not None and parsed[0] == "unknown" and len(parsed[1]) == 100


def test_cheap_plan_test_never_misses_a_plan_the_reader_finds() -> None:
    texts = [SEED.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))]
    found = 0
    for text in texts:
        if read_analysis(text) is not None:
            found += 1
            assert may_hold_plan(text)
    assert found >= 40
    assert not may_hold_plan("Thanks, looks good to me!") and not may_hold_plan("LGTM")


def test_who_is_trusted_and_who_is_a_bot() -> None:
    assert is_trusted("OWNER")  # MEMBER and COLLABORATOR may be read/triage roles: the job asks
    assert not any(is_trusted(a) for a in ("MEMBER", "COLLABORATOR", "CONTRIBUTOR",
                                           "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "NONE",
                                           "MANNEQUIN", None))
    assert is_bot({"login": "dependabot[bot]", "type": "Bot"})
    assert is_bot({"login": "parallel-work-bot[bot]", "type": "User"})
    assert not is_bot({"login": "octocat", "type": "User"}) and not is_bot(None)


def test_a_command_inside_any_code_block_is_not_a_command() -> None:
    """The same fence rules as the reader: a longer fence holding a shorter one, tildes, indented fences."""
    nested = "````\n```\n/analyze\n```\n````\n"
    assert parse_command(nested) is None
    assert parse_command("~~~~\n/analyze\n~~~~\n") is None
    assert parse_command(nested + "/analyze dry-run") == ("dry-run", "dry-run")
