"""The sync: read an issue's GitHub state, compute the plan's desired state, write only the difference."""

from bot.sync.diff import PlannedWrite
from bot.sync.engine import SyncResult, report_failure, sync_issue

__all__ = ["PlannedWrite", "SyncResult", "report_failure", "sync_issue"]
