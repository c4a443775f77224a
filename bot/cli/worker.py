"""`parallel-work-bot worker`: run jobs from PostgreSQL (DATABASE_URL); run as many as you like."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

from bot.cli import eventloop
from bot.config import ConfigError, Settings, load_settings
from bot.jobs.queue import JobQueue
from bot.logs import setup_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=8, metavar="N",
                        help="jobs run at once by this process (different issues; default 8)")
    parser.add_argument("--name", default=f"worker-{os.getpid()}", help="worker name in logs")
    parser.add_argument("--poll-interval", type=float, default=1.0, metavar="SECONDS",
                        help="look for due jobs (retries, rescheduled ones) at least this often (default 1)")
    parser.add_argument("--heartbeat-interval", type=float, default=10.0, metavar="SECONDS",
                        help="how often this worker says it is alive (default 10)")
    parser.add_argument("--stalled-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="re-queue jobs of workers silent this long, e.g. killed (default 30)")
    parser.add_argument("--write-lease", type=float, default=10.0, metavar="SECONDS",
                        help="after a worker dies mid-write, its installation's next write waits this long"
                             " (the longest a write request can take; default 10), plus the longest a"
                             " worker keeps the write slot (five pacing intervals), and a second")


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    from bot.jobs.handler import build_handler

    queue = JobQueue.from_settings(settings, pool_size=args.concurrency * 2 + 4, write_lease=args.write_lease)
    # Writes of one installation are paced across every worker through PostgreSQL (queue.pacer).
    handler = build_handler(settings, pacer=queue.pacer)
    queue.handler = handler
    queue.on_give_up = handler.give_up
    handler.enqueue = queue.enqueue  # push and scan jobs queue one sync per issue
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    try:
        async with queue:
            eventloop.settle_heap()
            with contextlib.suppress(asyncio.CancelledError):
                await queue.run_worker(concurrency=args.concurrency, name=args.name,
                                       poll_interval=args.poll_interval,
                                       heartbeat_interval=args.heartbeat_interval,
                                       stalled_timeout=args.stalled_timeout)
    finally:
        await handler.close()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        settings.require_app()
    except ConfigError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    if not settings.database_url:
        print("worker: DATABASE_URL is not set (workers take jobs from PostgreSQL; without it, `serve` runs"
              " them)", file=sys.stderr)
        return 2
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    setup_logging(settings.log_level, secrets=[settings.webhook_secret(), settings.private_key_pem()])
    return eventloop.run(_main(args, settings))
