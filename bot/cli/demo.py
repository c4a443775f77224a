"""`parallel-work-bot demo [PLAN] [--json]`: the whole App against a local GitHub, on this machine only."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.logs import setup_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PLAN (a file, or - for stdin; default: the bundled seed analysis), --json, --openapi."""
    parser.add_argument("plan", nargs="?", default=None,
                        help="analysis document to post (default: the bundled example); - reads stdin")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--steps", type=Path, default=None, metavar="FILE.yml",
                        help="run a scenario of steps (comments, edits, pushes, closes, CLI syncs) and print "
                             "the writes of each (bundled: push-then-comment, readiness, three-doors)")
    parser.add_argument("--openapi", type=Path, default=None,
                        help="GitHub's OpenAPI description for the contract check "
                             "(default: the copy packaged with the local GitHub)")
    parser.add_argument("--no-contract", action="store_true",
                        help="do not check requests against the description")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print what a user would see on GitHub (or the same as JSON)."""
    from bot.cli.demo_scenario import bundled_plan, default_openapi, run_and_render

    if args.steps is not None:
        return _steps(args)
    if args.plan is None:
        plan = bundled_plan()
    elif args.plan == "-":
        plan = sys.stdin.read()
    else:
        try:
            plan = Path(args.plan).read_text(encoding="utf-8")
        except OSError as exc:
            print(f"parallel-work-bot demo: cannot read {args.plan}: {exc.strerror}", file=sys.stderr)
            return 2
    openapi = None if args.no_contract else (args.openapi or default_openapi())
    if openapi is not None and not openapi.is_file():
        print(f"parallel-work-bot demo: no such file: {openapi}", file=sys.stderr)
        return 2
    handler = setup_logging("WARNING")
    try:
        text, status = run_and_render(plan, openapi, args.json)
    finally:
        logging.getLogger().removeHandler(handler)
    try:
        print(text)
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
    return status


def _steps(args: argparse.Namespace) -> int:
    """`demo --steps FILE.yml`."""
    from bot.cli.demo_steps import ScenarioError, run_scenario

    handler = setup_logging("WARNING")
    try:
        text, status = run_scenario(args.steps, args.json)
    except ScenarioError as exc:
        print(f"parallel-work-bot demo: {exc}", file=sys.stderr)
        return 2
    finally:
        logging.getLogger().removeHandler(handler)
    print(text)
    return status
