"""`parallel-work-bot config check [FILE]`: what the bot would make of a repository's configuration file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.repoconfig import CONFIG_PATH, load_config_text

#: Exit statuses: the file is good (or absent: the defaults) / it has findings / it cannot be read.
EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2

COPILOT_NOTE = (
    "note: a hand-off assigns GitHub's Copilot coding agent, which needs a user token: the App (an "
    "installation token) cannot assign it and leaves it out; the CLI or the Action run with a user token can."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `config`."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="print the findings about a configuration file (exit 1 if any)")
    check.add_argument("file", nargs="?", default=CONFIG_PATH,
                       help=f"the file (default: {CONFIG_PATH}; - reads standard input)")


def run(args: argparse.Namespace) -> int:
    """Print each finding with its line; exit 0 (good, or no file), 1 (findings) or 2 (unreadable)."""
    path = str(args.file)
    try:
        if path == "-":
            text: str | None = sys.stdin.buffer.read().decode("utf-8-sig")
        else:
            file = Path(path)
            text = file.read_bytes().decode("utf-8-sig") if file.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot be read ({exc})", file=sys.stderr)
        return EXIT_UNREADABLE
    config, findings = load_config_text(text, "standard input" if path == "-" else path)
    for finding in findings:
        print(finding.message)
    if config.uses_copilot():
        print(COPILOT_NOTE)
    if text is None:
        print(f"{path}: no such file: the defaults apply")
    elif not findings:
        print(f"{path}: no findings")
    return EXIT_FINDINGS if findings else EXIT_OK
