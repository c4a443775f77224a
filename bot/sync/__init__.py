"""The sync: read an issue's GitHub state, compute the plan's desired state, write only the difference.

Data flows one way: `source` (newest analysis + task frontmatter) -> `current` (what GitHub shows, found again
through the hidden markers of `markers`) -> `desired` (pure, from the checked plan) -> `diff` (ordered writes)
-> `apply` (serial; a write with an unknown outcome ends the round and the state is read again).
`engine` holds `sync_issue`, `report_failure` and the per-issue lock; `labels` the bot's fixed label set.
"""

from bot.sync.diff import PlannedWrite
from bot.sync.engine import SyncResult, report_failure, sync_issue

__all__ = ["PlannedWrite", "SyncResult", "report_failure", "sync_issue"]
