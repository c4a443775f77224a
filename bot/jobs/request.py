"""The job request: what a webhook hands to the queue, small and serialisable, read again by the worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

#: What the job does: sync the issue from its newest analysis, or answer an `/analyze …` command.
JobKind = Literal["sync", "command"]
#: The `/analyze` sub-commands: bare `/analyze` syncs; help and dry-run reply; anything else is "unknown".
CommandName = Literal["analyze", "dry-run", "help", "unknown"]


class JobRequest(BaseModel):
    """One unit of work for one issue. The worker re-reads GitHub, so the latest text always wins."""

    kind: JobKind = "sync"
    installation_id: int | None = None
    owner: str
    repo: str
    number: int
    reason: str = ""
    command: CommandName | None = None
    #: The comment holding the command (for reactions and the reply), when kind == "command".
    comment_id: int | None = None
    #: The text after `/analyze` as written, for the reply to an unknown command.
    command_text: str | None = None
    delivery_id: str | None = None

    @property
    def issue_key(self) -> str:
        """One job per issue at a time: the lock every job of this issue shares."""
        return f"{self.installation_id or 0}:{self.owner}/{self.repo}#{self.number}".lower()

    @property
    def queueing_key(self) -> str:
        """Coalescing: waiting sync jobs of one issue share this key; each command keeps its own."""
        if self.kind == "sync":
            return f"sync:{self.issue_key}"
        return f"command:{self.issue_key}:{self.comment_id}"
