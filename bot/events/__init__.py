"""Webhook events: one module per event, each with its own gidgethub Router, combined here into `router`.

What a delivery becomes (the job re-reads GitHub, so the newest text always wins):

- `issue_comment` created/edited: a line `/analyze [help|dry-run|...]` -> a command job; an analysis (or an
  edit that removed one) -> a sync job when the author is OWNER/MEMBER/COLLABORATOR, else a job that first
  asks the collaborator-permission API and, without write access, replies once politely and does nothing.
- `issues` opened/edited with an analysis or CCPM task links in the body -> the same; closed/reopened on an
  issue the bot planned (its marker or labels) -> a sync (of the parent, for a stream's sub-issue).
- Anything written by a bot (this App included), pull requests, `installation*` and `ping` -> nothing queued.
"""

from __future__ import annotations

from gidgethub import routing

from bot.events import installation, issue_comment, issues, ping
from bot.events.common import Intake

#: Every event the App handles; anything else is answered 200 and ignored.
router = routing.Router(issue_comment.router, issues.router, installation.router, ping.router)
EVENTS = frozenset({"issue_comment", "issues", "installation", "installation_repositories", "ping"})

__all__ = ["EVENTS", "Intake", "router"]
