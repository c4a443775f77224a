"""`parallel-work-bot serve`: run the GitHub App (web app, plus the job worker when there is no database)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli import eventloop
from bot.cli.signals import until_stopped
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("bot.serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options override the environment (HOST, PORT); everything else comes from environment variables."""
    parser.add_argument("--host", default=None, help="address to listen on (default: $HOST or 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default: $PORT or 8000)")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N",
                        help="jobs run at once by the in-process worker, without DATABASE_URL (default 4)")


async def serve(
    settings: Settings, host: str | None = None, port: int | None = None, concurrency: int = 4,
) -> None:
    """Serve until SIGINT or SIGTERM."""
    from bot.app.server import BotServer

    server = BotServer(settings, concurrency=concurrency)
    await server.start(host, port)
    eventloop.settle_heap()
    log.info("listening", extra={"url": server.webhook_url, "jobs": server.queue.backend,
                                 "github": settings.github_api_url, "app_id": settings.github_app_id})
    try:
        await until_stopped()
    finally:
        log.info("stopping")
        await server.stop()


def run(args: argparse.Namespace) -> int:
    """Read the settings (one clear line on error), set up logging, serve."""
    try:
        overrides = {}
        if args.port is not None:
            overrides["port"] = args.port
        settings = load_settings(**overrides)
        settings.require_app()
    except ConfigError as exc:
        print(f"parallel-work-bot serve: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, secrets=[settings.webhook_secret(), settings.private_key_pem()])
    try:
        # Without a database this process runs the syncs too: a loop that accepts fairly (see eventloop).
        eventloop.run(serve(settings, args.host, args.port, args.concurrency),
                      fair_accept=settings.database_url is None)
    except OSError as exc:  # e.g. the port is taken
        print(f"parallel-work-bot serve: {exc}", file=sys.stderr)
        return 1
    return 0
