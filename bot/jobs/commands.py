"""The `/analyze` command language: which line of a comment is a command, and which sub-command it names."""

from __future__ import annotations

from bot.analysis.locate import code_mask
from bot.jobs.request import CommandName

COMMAND = "/analyze"
#: Longest echo of an unknown sub-command kept in the job (the reply quotes it, escaped).
MAX_COMMAND_TEXT = 100


def parse_command(body: str | None) -> tuple[CommandName, str] | None:
    """The `/analyze …` command of a comment: the first line outside code blocks (CommonMark's
    fences, as the reader sees them) that starts with it.

    Returns (command, text after /analyze) or None. A mention inside prose or a quote is not a command.
    """
    if not body or COMMAND not in body:
        return None
    lines = body.splitlines()
    for raw, in_code in zip(lines, code_mask(lines), strict=True):
        if in_code:
            continue
        line = raw.strip()
        if line != COMMAND and not (line.startswith(COMMAND) and line[len(COMMAND)].isspace()):
            continue
        rest = line[len(COMMAND):].strip()
        word = rest.lower()
        if word == "":
            return "analyze", ""
        if word == "help":
            return "help", rest
        if word in ("dry-run", "dryrun", "dry run", "--dry-run"):
            return "dry-run", rest
        return "unknown", rest[:MAX_COMMAND_TEXT]
    return None
