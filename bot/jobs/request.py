"""The job request: what a webhook hands to the queue, small and serialisable, read again by the worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: What the job does: sync the issue from its newest analysis, or answer an `/analyze …` command; `push`
#: and `scan` find the issues whose plan files a push changed (or the default branch holds) and queue a
#: sync of each (they are repository jobs: `number` is 0).
JobKind = Literal["sync", "command", "push", "scan"]
#: What handing a job request to the queue did: queued, folded into a waiting job of the same plan
#: ("coalesced"), or nothing because its delivery was accepted before ("duplicate").
Accepted = Literal["queued", "coalesced", "duplicate"]
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
    #: The plan's issue when `number` is a stream's sub-issue (resolved at intake from the payload), so
    #: that every job touching one plan is keyed, coalesced and locked by that plan's issue.
    plan: int | None = None
    #: A plan by an author whose access is not yet known (or a plan on a sub-issue), not a typed command: the
    #: job reads the text first and says nothing when it holds no plan.
    plan_check: bool = False
    #: Who wrote the command or the plan (command jobs): bursts coalesce per author, never across authors.
    author: str | None = None
    #: Push jobs: the pushed commit and the one before it (scan jobs: the commit to scan, None: the default
    #: branch), the plan files the payload lists as changed, and whether to ask the compare API for them.
    ref: str | None = None
    before: str | None = None
    paths: list[str] = Field(default_factory=list)
    compare: bool = False
    #: The repository's configuration file changed (a push): the sync asks GitHub for it again, whatever
    #: this process believed (another worker may have read the push).
    fresh_config: bool = False

    @property
    def plan_number(self) -> int:
        """The issue whose plan this job syncs."""
        return self.plan if self.plan is not None else self.number

    @property
    def issue_key(self) -> str:
        """One job per plan at a time: the lock every job of the plan's issue shares (its sub-issues too)."""
        return f"{self.installation_id or 0}:{self.owner}/{self.repo}#{self.plan_number}".lower()

    @property
    def queueing_key(self) -> str:
        """Coalescing: waiting sync jobs of one plan share this key; so do waiting command jobs of one plan,
        sub-command and author (one run per burst: the job re-reads its comment when it runs). A sync that
        must read the configuration afresh never folds into a waiting one that would not."""
        if self.kind == "sync":
            return f"sync:{self.issue_key}" + (":config" if self.fresh_config else "")
        if self.kind in ("push", "scan"):  # each push lists its own files: pushes never coalesce
            return f"{self.kind}:{self.issue_key}:{self.ref if self.kind == 'push' else ''}"
        return f"command:{self.issue_key}:{self.command}:{(self.author or '').lower()}"
