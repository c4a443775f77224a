"""Webhook events: one module per event, each with its own gidgethub Router, combined here into `router`."""

from __future__ import annotations

from gidgethub import routing

from bot.events import installation, issue_comment, issues, ping
from bot.events.common import Intake, parse_command

#: Every event the App handles; anything else is answered 200 and ignored.
router = routing.Router(issue_comment.router, issues.router, installation.router, ping.router)
EVENTS = frozenset({"issue_comment", "issues", "installation", "installation_repositories", "ping"})

__all__ = ["EVENTS", "Intake", "parse_command", "router"]
