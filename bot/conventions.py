"""The bot's conventions, in one place: its identity, its hidden markers, GitHub's limits, its label defaults.

Everything else imports these; nothing restates them. Pure data and tiny pure helpers only (the plan core
imports this module too), so it sits below every other module of the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

# ---- identity -------------------------------------------------------------------------------------------

#: The App's name (its slug on GitHub), used in markers, the User-Agent and the default bot login.
NAME: Final = "parallel-work-bot"
#: The App's bot account, `<app-slug>[bot]` (BOT_LOGIN overrides it).
DEFAULT_BOT_LOGIN: Final = f"{NAME}[bot]"
USER_AGENT: Final = NAME
#: Collaborator permission levels (and role names) that may make text a plan or run `/analyze`.
WRITE_PERMISSIONS: Final = frozenset({"admin", "maintain", "write"})
#: `author_association` values taken as write access without asking the collaborator-permission API.
#: Only OWNER: GitHub gives MEMBER and COLLABORATOR to read and triage roles too.
TRUSTED_ASSOCIATIONS: Final = frozenset({"OWNER"})
#: `author_association` values whose holder may have write access (the job asks the permission API).
MAY_WRITE_ASSOCIATIONS: Final = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
#: Seconds a collaborator-permission answer is reused (per repository and login).
PERMISSION_CACHE_SECONDS: Final = 300


@dataclass(frozen=True)
class Identity:
    """Who the bot is: its bot login and its App id. Only items by this identity are the bot's own."""

    login: str = DEFAULT_BOT_LOGIN
    app_id: int | None = None
    #: Other doors' logins whose marked items are ours too (the App, the Action, the CLI's user: BOT_PEERS),
    #: so that the doors can take turns on one issue without duplicating anything.
    peers: frozenset[str] = frozenset()

    def owns(self, item: Any) -> bool:
        """True for a comment or issue written by us (our login, or `performed_via_github_app` is our App)."""
        if not isinstance(item, dict):
            return False
        user = item.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        if isinstance(login, str) and (
            login.casefold() == self.login.casefold() or login.casefold() in self._peers
        ):
            return True
        app = item.get("performed_via_github_app")
        return self.app_id is not None and isinstance(app, dict) and app.get("id") == self.app_id

    @property
    def _peers(self) -> frozenset[str]:
        return frozenset(p.casefold() for p in self.peers)


DEFAULT_IDENTITY: Final = Identity()


def is_bot_account(user: Any, bot_login: str = "") -> bool:
    """True for a bot account (an App's, a login ending `[bot]`, or ours): bots never trigger us."""
    if not isinstance(user, dict) or not user:
        return False
    login = str(user.get("login") or "")
    return user.get("type") == "Bot" or login.endswith("[bot]") or (bool(bot_login) and login == bot_login)


def may_be_writer(association: Any) -> bool:
    """Write access is possible (OWNER, MEMBER, COLLABORATOR); any other association never has it."""
    return isinstance(association, str) and association.upper() in MAY_WRITE_ASSOCIATIONS


def is_trusted_association(association: Any) -> bool:
    """Write access is certain from `author_association` alone (else the job asks the permission API)."""
    return isinstance(association, str) and association.upper() in TRUSTED_ASSOCIATIONS


# ---- hidden markers ----------------------------------------------------------------------------------------

#: Every marker the bot writes starts with this (an HTML comment GitHub does not show).
MARKER_PREFIX: Final = f"<!-- {NAME}:"
#: Closing markers of regions: `<!-- /parallel-work-bot:<kind> -->`.
MARKER_CLOSE_PREFIX: Final = f"<!-- /{NAME}:"


def marker(kind: str, attributes: str = "") -> str:
    """`<!-- parallel-work-bot:<kind> <attributes> -->`."""
    return f"{MARKER_PREFIX}{kind}{' ' + attributes if attributes else ''} -->"


def closing_marker(kind: str) -> str:
    """`<!-- /parallel-work-bot:<kind> -->`, the end of a bot-owned region."""
    return f"{MARKER_CLOSE_PREFIX}{kind} -->"


SUMMARY: Final = "summary"
CONFLICT: Final = "conflict"
STREAM: Final = "stream"
REMOVED: Final = "removed"
FAILURE: Final = "failure"
LINKS: Final = "links"
LABELS: Final = "labels"
#: The summary's record of stream id -> sub-issue number (finds a sub-issue a person rewrote or unlinked).
STREAMS: Final = "streams"
REPLY: Final = "reply"
#: In the summary: the repository file the plan was read from (path, blob and commit).
SOURCE: Final = "source"

# ---- plan files in a repository ------------------------------------------------------------------------

#: Where CCPM keeps epics, analyses (`<epic>/<N>-analysis.md`) and task files (`<epic>/<N>.md`).
PLAN_FILES_ROOT: Final = ".claude/epics"
ANALYSIS_FILE_SUFFIX: Final = "-analysis.md"
#: Which files are analyses when a repository's configuration does not say (`analysis_paths`).
ANALYSIS_PATHS: Final = (f"{PLAN_FILES_ROOT}/**/*{ANALYSIS_FILE_SUFFIX}",)
#: A repository's configuration file (and, in the owner's `.github` repository, the fallback for all).
CONFIG_PATH: Final = ".github/parallel-work-bot.yml"
#: The Actions workflow token's account: its marked items are the bot's for every door (BOT_PEERS adds more).
ACTIONS_LOGIN: Final = "github-actions[bot]"

#: The summary's records of a repository's own label names, of the streams handed off (and to whom), and
#: of the plan's issue closed once every stream was done.
LABELSET: Final = "labelset"
HANDOFF: Final = "handoff"
DONE: Final = "done"

# ---- GitHub's limits --------------------------------------------------------------------------------------

#: Content-creating requests of one installation, REST and GraphQL together: a minute's, an hour's.
CONTENT_PER_MINUTE: Final = 80
CONTENT_PER_HOUR: Final = 500
#: Characters in an issue body or a comment.
MAX_BODY: Final = 65536
#: Characters in an issue title.
MAX_TITLE: Final = 256
#: Sub-issues of one parent.
MAX_SUB_ISSUES: Final = 100
#: Characters in a label name, and in its description.
MAX_LABEL_NAME: Final = 50
MAX_LABEL_DESCRIPTION: Final = 100
#: Bytes of one webhook payload (GitHub caps deliveries at 25 MB).
MAX_WEBHOOK_BODY: Final = 25 * 1024 * 1024

# ---- the bot's own bounds ---------------------------------------------------------------------------------

#: Other issues one plan may flag (conflicts_with) or link (depends_on): more is a warning, not writes.
MAX_LINKED_ISSUES: Final = 25
#: Plan files (analyses and task files) one repository scan or one sync looks at; more are left unread.
MAX_PLAN_FILES: Final = 1000
#: Bytes of a plan file read (GitHub's contents API gives text up to 1 MB); a bigger one is skipped.
MAX_PLAN_FILE_BYTES: Final = 1024 * 1024
#: A push payload listing more commits than this is read through GitHub's compare API instead.
MAX_PUSH_COMMITS_LISTED: Final = 20
#: Sub-issues the summary's streams record remembers (the plan's own first, then the newest removed ones).
MAX_RECORDED_STREAMS: Final = 3 * MAX_SUB_ISSUES

# ---- label defaults ---------------------------------------------------------------------------------------

#: name -> (colour, description) of the labels the bot creates before first use.
LABEL_DEFAULTS: Final = {
    "parallel-plan": ("1d76db", "Has a parallel work plan synced by parallel-work-bot"),
    "plan:invalid": ("d93f0b", "The parallel work plan has errors: see the bot's summary"),
    "plan:conflict": ("fbca04", "Listed in a parallel plan's conflicts_with"),
    "stream": ("0e8a16", "A work stream of a parallel plan (sub-issue)"),
    "stream:ready": ("2ea44f", "All blockers of this stream are closed: it can start"),
}
AGENT_LABEL_PREFIX: Final = "agent:"
AGENT_LABEL_COLOR: Final = "c5def5"
#: GitHub's colour for a label it creates by itself when an unknown one is added to an issue.
GITHUB_AUTO_LABEL_COLOR: Final = "ededed"
#: Distinct `agent:*` labels the bot creates in one repository; past it a stream gets none (a finding).
MAX_AGENT_LABELS: Final = 20
