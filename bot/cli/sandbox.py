"""`parallel-work-bot sandbox`: serve the local GitHub on loopback with a repository and a token."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.signals import until_stopped
from bot.sandbox import FAULT_KINDS, Sandbox
from bot.sandbox.graphql import PARENT_ISSUE_ID

HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the subcommand."""
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--token", help="installation token to accept (default: a new one, printed)")
    parser.add_argument("--repo", default="octo/sandbox", help="repository OWNER/NAME to create")
    parser.add_argument(
        "--no-default-labels",
        action="store_true",
        help="start the repository without GitHub's nine default labels",
    )
    parser.add_argument("--installation-id", type=int, default=1, help="installation id of the repository")
    parser.add_argument("--app-id", type=int, default=1, help="App id that App JWTs must carry as `iss`")
    parser.add_argument("--public-key", type=Path, help="PEM public key that App JWTs are checked against")
    parser.add_argument(
        "--openapi", type=Path, help="GitHub's OpenAPI description: turns the contract check on"
    )
    parser.add_argument(
        "--path-prefix", default="", help="serve under a path, e.g. /api/v3 (GitHub Enterprise)"
    )
    parser.add_argument(
        "--secondary-limit",
        type=int,
        metavar="N",
        help="answer the secondary-limit 403 past N content-creating requests a minute (GitHub: 80)",
    )
    parser.add_argument(
        "--hourly-limit",
        type=int,
        metavar="N",
        help="answer the secondary-limit 403 past N content-creating requests an hour (GitHub: 500)",
    )
    parser.add_argument(
        "--without-parent-issue-id",
        action="store_true",
        help="serve GraphQL's createIssue without parentIssueId, as an older GitHub Enterprise Server does",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="script a fault, KIND[:key=value,...] (repeatable); kinds: "
        + ", ".join(FAULT_KINDS)
        + "; keys: nth, method, path, operation (GraphQL: query, mutation), probability, seed, times,"
        " retry_after, reset_in, delay",
    )


def build(args: argparse.Namespace) -> Sandbox:
    """The sandbox the arguments describe (not started)."""
    public_key = args.public_key.read_text() if args.public_key else None
    sb = Sandbox(
        args.openapi,
        app_id=args.app_id,
        public_key_pem=public_key,
        validate_responses=False,
        secondary_limit=args.secondary_limit,
        hourly_limit=args.hourly_limit,
        graphql_without=frozenset({PARENT_ISSUE_ID}) if args.without_parent_issue_id else frozenset(),
        max_log=10_000,
        path_prefix=args.path_prefix,
    )
    sb.add_repo(args.repo, installation_id=args.installation_id, default_labels=not args.no_default_labels)
    sb.token = sb.issue_token(args.installation_id, ttl=365 * 24 * 3600, token=args.token)
    for spec in args.fault:
        sb.faults.add(spec)
    return sb


async def serve(sb: Sandbox, port: int, announce_token: bool) -> None:
    """Serve until interrupted."""
    await sb.start(HOST, port)
    print(f"local GitHub at {sb.base_url}  repo {next(iter(sb.state.repos.values())).full_name}", flush=True)
    if announce_token:
        print(f"installation token: {sb.token}", flush=True)
    if sb.contract is not None:
        print("contract check: on", flush=True)
    try:
        await until_stopped()
    finally:
        await sb.stop()
        for line in sb.violations:
            print(f"contract violation: {line}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the local GitHub until Ctrl-C."""
    try:
        sb = build(args)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    asyncio.run(serve(sb, args.port, announce_token=args.token is None))
    return 0
