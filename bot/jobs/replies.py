"""What the bot replies on an issue: usage, refusal, a dry run's writes, an unknown command."""

from __future__ import annotations

from bot.analysis.markdown import code_span, escape_inline, truncate
from bot.conventions import REPLY, marker
from bot.sync.engine import SyncResult

MAX_LISTED_WRITES = 200


USAGE = """\
**parallel-work-bot** turns a parallel work analysis into GitHub structure: one summary comment, labels, \
one sub-issue per stream and the *blocked by* links between them.

| Command (on its own line in a comment) | What it does |
|---|---|
| `/analyze` | Sync this issue from the newest analysis in its body or comments. |
| `/analyze dry-run` | List the writes a sync would make, and make none. |
| `/analyze help` | Show this help. |

Posting or editing a comment that holds an analysis (YAML frontmatter, then `### Stream A: Name` \
sections with **Files**, **Estimated Hours** and **Dependencies**) syncs the issue by itself; so does \
closing or reopening one of its stream sub-issues. Only people with write access to the repository \
can trigger the bot."""

REFUSAL = """\
Thank you for this! parallel-work-bot only acts on plans and `/analyze` commands from people with write \
access to this repository, so it has not created or changed anything here. Someone with write access can \
post or re-post the plan to have it synced."""


def reply_marker(key: str) -> str:
    """The hidden marker of the bot's reply to one command comment (or refusal), so a retry edits it."""
    return marker(REPLY, key)


def render_dry_run(result: SyncResult, number: int) -> str:
    """The reply to `/analyze dry-run`: the writes a sync would make, as a numbered list."""
    if not (result.found_analysis or result.found_task_links):
        return (f"**Dry run**: no parallel work analysis found on #{number} (nor task links), "
                "so a sync would write nothing. `/analyze help` shows what the bot reads.")
    planned = list(result.planned)
    if not planned:
        return f"**Dry run**: #{number} is already in sync; a sync would make **no writes**."
    lines = [f"**Dry run**: a sync of #{result.issue} would make **{len(planned)}** "
             f"write{'s' if len(planned) != 1 else ''} (none was made):", ""]
    for i, write in enumerate(planned[:MAX_LISTED_WRITES], 1):
        desc = escape_inline(write.description)
        lines.append(f"{i}. {code_span(f'{write.method} {write.path}')} {desc}".rstrip())
    if len(planned) > MAX_LISTED_WRITES:
        lines.append(f"\n… and {len(planned) - MAX_LISTED_WRITES} more.")
    if result.errors:
        lines.append("\nThe plan has errors: only the summary (with the errors) would be written.")
    return "\n".join(lines)


def render_unknown(text: str | None) -> str:
    """The reply to `/analyze <something unknown>`."""
    shown = escape_inline(truncate(text or "", 100))  # cut before escaping: never inside a code span
    return (f"I don't know the command **/analyze {shown}**. The commands are `/analyze`, "
            f"`/analyze dry-run` and `/analyze help`; nothing was changed.")
