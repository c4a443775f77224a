"""A sync within GitHub's content limits: the writes that fit now, the rest later, and the summary's line."""

from __future__ import annotations

import time

import gidgethub.abc

from bot.github.pacing import BudgetedPacer, Room
from bot.sync.diff import Write

#: Writes kept back for the summary that says what waits (it is created or edited: one write).
SUMMARY_RESERVE = 1


async def room(gh: gidgethub.abc.GitHubAPI, want: int) -> Room | None:
    """What of `want` writes the client's pacer lets this sync make now (None: a client without budgets)."""
    pacer = getattr(gh, "pacer", None)
    if not isinstance(pacer, BudgetedPacer):
        return None
    return await pacer.room(str(getattr(gh, "pacer_key", "default")), want)


def split(writes: list[Write], space: Room | None, after: int = 0) -> tuple[list[Write], list[Write]]:
    """(now, later): the writes in their order up to what fits with the summary's, and the rest.

    `after`: writes that follow these only when nothing waits (the briefs naming sub-issues made now): all
    of them fit too, or they are left to the run that makes the rest.
    """
    if space is None or space.writes is None or len(writes) + after + SUMMARY_RESERVE <= space.writes:
        return writes, []
    keep = max(0, space.writes - SUMMARY_RESERVE)
    return writes[:keep], writes[keep:]


def building_line(created: int, total: int, later: int, resume_at: float, now: float | None = None) -> str:
    """The summary's progress line while a plan is built across jobs ("12 of 40 streams created; ...")."""
    now = time.time() if now is None else now
    rest = f"the rest ({later} write{'s' if later != 1 else ''})"
    when = ("follows in a moment" if resume_at - now < 60
            else f"at {time.strftime('%H:%M', time.gmtime(resume_at))} UTC (GitHub's hourly content limit)")
    return f"_Building: {created} of {total} streams created; {rest} {when}._"
