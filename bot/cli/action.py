"""`parallel-work-bot action`: the GitHub Action's step (action.yml runs it inside a workflow)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments: the workflow's environment says everything (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH...)."""


def run(args: argparse.Namespace) -> int:
    """Handle the workflow's event; exit 2 when it is not run inside a workflow."""
    from bot.local.action import run_action
    from bot.local.context import LocalError

    try:
        return asyncio.run(run_action(dict(os.environ), out=sys.stdout))
    except LocalError as exc:
        print(f"parallel-work-bot action: {exc}", file=sys.stderr)
        return 2
