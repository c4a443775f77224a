"""The `parallel-work-bot` command line: one subcommand per module of `bot.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Subcommand name -> module in bot.commands. Each module has `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("plan", "read, check and render an analysis document"),
    "sandbox": ("sandbox", "serve the local GitHub on loopback"),
    "demo": ("demo", "run the whole bot against the local GitHub and show the result"),
    "serve": ("serve", "run the GitHub App web server"),
    "worker": ("worker", "run job workers (with DATABASE_URL)"),
    "db": ("db", "database schema commands (with DATABASE_URL)"),
}


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser; subcommand modules are imported only when present."""
    parser = argparse.ArgumentParser(prog="parallel-work-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(f"bot.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.commands.{module_name}":
                continue
            raise
        sp = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sp)
        sp.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the chosen subcommand; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = args._run
    status: int = run(args)
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
