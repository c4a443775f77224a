"""Webhook events: one module per event, each with its own gidgethub Router, combined here into `router`.

What a delivery becomes (the job re-reads GitHub, so the newest text always wins). The web never reads a
plan: its only test of text is a bounded substring test (`may_hold_plan`); the job does the full read, off
the event loop, and stays silent when there is no plan (so nobody is refused for a comment without one).
Every job is keyed by the plan's issue: an event on a stream's sub-issue names its parent (our stream
marker in a bot-written body, or GitHub's `parent_issue_url`), so it coalesces and locks with the plan.

- `issue_comment` created/edited: a line `/analyze [help|dry-run|...]` -> a command job (it parses the
  comment again when it runs; waiting command jobs of one plan, sub-command and author coalesce: the job
  that runs reacts on its own comment only, the comments coalesced into it get no reaction); text that may
  hold an analysis (or an edit that removed one) -> a sync job when the author is surely a writer, else a
  job that reads the text, then asks the collaborator-permission API and, without write access, replies
  once politely. On a stream's sub-issue a plan gets a reply saying where the plan lives.
- `issue_comment` deleted: an analysis -> a sync; our own summary (by our login, with its marker) deleted
  by a person -> a sync, which writes it again.
- `issues` opened/edited with what may be an analysis or task frontmatter -> the same; closed/reopened on
  an issue the bot planned (its marker or labels) -> a sync of its plan.
- `push` to the default branch adding, changing or removing plan files (`.claude/epics/**/*-analysis.md`,
  `.claude/epics/<epic>/<N>.md`) -> a push job, which queues a sync of each issue they are for (more than
  20 commits: the job asks the compare API); tags, other branches, deleted branches -> nothing.
- `installation` created and `installation_repositories` added -> one scan job per repository, which
  queues a sync of every issue the default branch holds plan files for.
- Anything written by a bot (this App included), pull requests, other `installation*` actions and `ping`
  -> nothing queued.
"""

from __future__ import annotations

from gidgethub import routing

from bot.events import installation, issue_comment, issues, ping, push
from bot.events.common import Intake

#: Every event the App handles; anything else is answered 200 and ignored.
router = routing.Router(issue_comment.router, issues.router, installation.router, ping.router, push.router)
EVENTS = frozenset({"issue_comment", "issues", "installation", "installation_repositories", "ping", "push"})

__all__ = ["EVENTS", "Intake", "router"]
