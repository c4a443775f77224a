"""`parallel-work-bot sync [PATH ...] --repo OWNER/NAME`: sync the issues a checkout's plan files name."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.conventions import PLAN_FILES_ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PATHs, --repo, --api-url, --dry-run, --login, --peer."""
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="analysis or task files, or folders holding them (default: the folders of "
                             f"the configuration's analysis_paths, and {PLAN_FILES_ROOT})")
    parser.add_argument("--repo", help="OWNER/NAME (default: the `origin` remote of this checkout)")
    parser.add_argument("--api-url", default=None,
                        help="GitHub's API (default: GITHUB_API_URL, else https://api.github.com; "
                             "GitHub Enterprise Server: https://HOST/api/v3)")
    parser.add_argument("--dry-run", action="store_true", help="list the writes it would make, make none")
    parser.add_argument("--login", help="your GitHub login, the token's owner (default: `gh api user`)")
    parser.add_argument("--peer", action="append", default=[], metavar="LOGIN",
                        help="another account whose bot comments are ours too (the App and the Action "
                             "already are)")


def run(args: argparse.Namespace) -> int:
    """Run the sync; a token comes from GITHUB_TOKEN, GH_TOKEN or `gh auth token`. Ctrl-C is safe."""
    from bot.local.context import GITHUB_COM_API, LocalError
    from bot.local.sync import SyncOptions, sync_checkout

    env = dict(os.environ)
    options = SyncOptions(
        paths=list(args.paths), repo=args.repo, dry_run=args.dry_run, login=args.login, peers=args.peer,
        api_url=(args.api_url or env.get("GITHUB_API_URL") or GITHUB_COM_API).rstrip("/"),
    )
    made: list[int] = [0]
    try:
        return asyncio.run(sync_checkout(options, env, out=sys.stdout, terminal=sys.stdout.isatty(),
                                         counted=made))
    except LocalError as exc:
        print(f"parallel-work-bot sync: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted after {made[0]} writes: run the same command again to finish "
              "(nothing is duplicated)", file=sys.stderr)
        return 130
    except Exception as exc:  # GitHub unreachable or refusing after the client's retries
        print(f"parallel-work-bot sync: stopped after {made[0]} writes: {type(exc).__name__}: {exc}; run the "
              "same command again to finish (nothing is duplicated)", file=sys.stderr)
        return 1
