"""`parallel-work-bot db init`: create or upgrade procrastinate's schema, and ours (idempotent)."""

from __future__ import annotations

import argparse
import os
import sys
import time

import psycopg

from bot.store.schema import apply_schema_sync


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", required=True)
    init = sub.add_parser("init", help="create the job and delivery tables (safe to run again)")
    init.add_argument("--database-url", default=None, help="PostgreSQL URL (default: $DATABASE_URL)")
    init.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                      help="keep trying this long while PostgreSQL is starting (default 30)")


def run(args: argparse.Namespace) -> int:
    url = args.database_url or os.environ.get("DATABASE_URL") or ""
    if not url:
        print("db init: DATABASE_URL is not set (a PostgreSQL URL such as postgresql://user@host/db)",
              file=sys.stderr)
        return 2
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        try:
            report = apply_schema_sync(url)
            break
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                print(f"db init: cannot reach PostgreSQL: {reason}", file=sys.stderr)
                return 1
            time.sleep(1.0)
    if report.created:
        what = "created"
    elif report.migrated:
        what = f"upgraded ({len(report.migrated)} migrations: {', '.join(report.migrated)})"
    else:
        what = "already present and up to date"
    print(f"db init: procrastinate schema {what}; delivery and pacing tables ready")
    return 0
