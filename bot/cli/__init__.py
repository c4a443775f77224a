"""The `parallel-work-bot` command line: one subcommand per module of `bot.cli`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Subcommand -> help. Each is `bot.cli.<name>` with `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, str] = {
    "demo": "run the bot against a local GitHub and show what it builds (no account needed)",
    "plan": "read, check and render an analysis document",
    "sync": "sync the issues a checkout's plan files name, with a token (no App needed)",
    "action": "the GitHub Action's step: handle the workflow's event (push, issue_comment, issues...)",
    "config": "check a repository's .github/parallel-work-bot.yml",
    "serve": "run the GitHub App web server",
    "worker": "run job workers (needs DATABASE_URL)",
    "db": "database commands (needs DATABASE_URL)",
    "sandbox": "serve the local GitHub on loopback",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the parser; with `only`, import just that subcommand's module so start-up stays fast."""
    parser = argparse.ArgumentParser(
        prog="parallel-work-bot",
        description="Turn a parallel work analysis into GitHub structure.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            module = importlib.import_module(f"bot.cli.{name}")
            module.add_arguments(sp)
            sp.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the chosen subcommand; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)
    status: int = args._run(args)
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
