"""`parallel-work-bot plan PATH`: read, check and render an analysis document (`-` reads standard input)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.analysis.checker import check_plan
from bot.analysis.reader import read_analysis, what_is
from bot.analysis.render import COMMENT_LIMIT, render_summary, render_text, report_to_json

#: Exit statuses: the plan has no errors / has errors / there is no analysis or the input cannot be read.
EXIT_OK, EXIT_ERRORS, EXIT_NO_ANALYSIS = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `plan`."""
    parser.add_argument("path", help="analysis document (markdown), or - for standard input")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the checked plan as JSON")
    out.add_argument(
        "--markdown", action="store_true", help="print the GitHub summary comment the bot would post"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=COMMENT_LIMIT,
        help="character limit for --markdown (default: GitHub's 65536)",
    )


def _read(path: str) -> str:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    return data.decode("utf-8-sig")


def run(args: argparse.Namespace) -> int:
    """Print the plan; exit 0 (no errors), 1 (errors in the plan) or 2 (no analysis / unreadable input)."""
    try:
        text = _read(args.path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        print(f"parallel-work-bot plan: cannot read {args.path}: {reason}", file=sys.stderr)
        return EXIT_NO_ANALYSIS
    analysis = read_analysis(text)
    if analysis is None:
        kind = what_is(text)  # a task file, a progress report...: say which, in one line
        if kind.analysis is False:
            print(f"parallel-work-bot plan: {args.path}: {kind.reason}", file=sys.stderr)
        else:
            print(f"parallel-work-bot plan: no parallel work analysis found in {args.path}", file=sys.stderr)
        return EXIT_NO_ANALYSIS
    report = check_plan(analysis)
    if args.json:
        print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
    elif args.markdown:
        sys.stdout.write(render_summary(report, limit=args.limit))
    else:
        sys.stdout.write(render_text(report))
    return EXIT_ERRORS if report.has_errors else EXIT_OK
