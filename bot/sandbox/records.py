"""The local GitHub's records (users, repositories, issues, comments, labels, reactions, issue types),
GitHub's limits and the error answers its rules give."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.repo import Git

Json = dict[str, Any]

#: GitHub refuses a comment or issue body longer than this many characters.
MAX_BODY = 65536
#: GitHub allows at most this many sub-issues per parent.
MAX_SUB_ISSUES = 100
#: GitHub allows at most this many dependencies of each kind per issue.
MAX_DEPENDENCIES = 50
#: Colour GitHub gives a label created implicitly by labelling an issue.
DEFAULT_LABEL_COLOR = "ededed"
#: Labels GitHub gives a new repository (recorded in fixtures/labels: name, colour, description).
DEFAULT_LABELS = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
)
#: GitHub allows at most this many assignees per issue (more are silently dropped).
MAX_ASSIGNEES = 10
#: Colours an issue type may have.
ISSUE_TYPE_COLORS = ("gray", "blue", "green", "yellow", "orange", "red", "pink", "purple")
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def iso(ts: float) -> str:
    """GitHub's timestamp format (UTC, seconds, `Z`)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def node_id(prefix: str, db_id: int) -> str:
    """An opaque GraphQL-style node id, shaped like GitHub's (`I_kwDO...`)."""
    raw = base64.urlsafe_b64encode(db_id.to_bytes(8, "big")).decode().rstrip("=")
    return f"{prefix}_kwDO{raw}"


class IdAllocator:
    """Database ids: large, per kind, never equal to an issue number (so id/number mix-ups fail loudly)."""

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}
        self._bases = {
            "issue": 3_100_000_000,
            "comment": 2_400_000_000,
            "label": 7_000_000_000,
            "reaction": 280_000_000,
            "issue_type": 410,
            "repo": 880_000_000,
            "user": 90_000_000,
        }

    def next(self, kind: str) -> int:
        """The next id of this kind; steps of 7 so consecutive ids are not consecutive integers."""
        if kind not in self._counters:
            self._counters[kind] = itertools.count(self._bases.get(kind, 1_000_000), 7)
        return next(self._counters[kind])


@dataclass
class User:
    """A GitHub account (a person, or an App's bot user)."""

    login: str
    id: int
    type: str = "User"

    def to_json(self, api: str, html: str) -> Json:
        """The `simple-user` shape."""
        login = self.login
        return {
            "login": login,
            "id": self.id,
            "node_id": node_id("U" if self.type == "User" else "BOT", self.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{self.id}?v=4",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": f"{html}/{login}"
            if self.type == "User"
            else f"{html}/apps/{login.removesuffix('[bot]')}",
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "type": self.type,
            "user_view_type": "public",
            "site_admin": False,
        }


@dataclass
class Label:
    """A repository label; issues refer to it by its case-folded name."""

    id: int
    name: str
    color: str
    description: str | None = None
    default: bool = False

    @property
    def key(self) -> str:
        """Label names are case-insensitive on GitHub."""
        return self.name.casefold()


@dataclass
class Reaction:
    """An emoji reaction on an issue or a comment."""

    id: int
    user: User
    content: str
    created_at: float


@dataclass
class IssueType:
    """An issue type a repository offers (GitHub: defined by the organisation, e.g. Task, Bug, Feature)."""

    id: int
    name: str
    description: str | None
    color: str | None
    created_at: float
    is_enabled: bool = True


@dataclass(kw_only=True)
class Post:
    """What issues and comments share: an author, when it was written and changed, reactions."""

    id: int
    user: User
    created_at: float
    updated_at: float
    via_app: bool = False
    reactions: list[Reaction] = field(default_factory=list)


@dataclass(kw_only=True)
class Comment(Post):
    """An issue comment."""

    issue_id: int
    body: str


@dataclass(kw_only=True)
class Issue(Post):
    """An issue (or a pull request, which the issues API lists too). Links hold database ids."""

    number: int
    title: str
    body: str | None
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    closed_by: User | None = None
    labels: list[str] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    parent: int | None = None
    sub_issues: list[int] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)
    blocking: list[int] = field(default_factory=list)  # reverse of blocked_by, kept in step
    is_pull_request: bool = False
    assignees: list[User] = field(default_factory=list)
    type: IssueType | None = None


@dataclass
class Repo:
    """A repository with its issues, comments, labels, issue types and git history."""

    owner: str
    name: str
    id: int
    installation_id: int | None
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_number: int = 1
    default_branch: str = "main"
    private: bool = False
    description: str | None = None
    created_at: float = 0.0
    pushed_at: float | None = None
    git: Git = field(default_factory=Git)
    issue_types: list[IssueType] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """`owner/name`."""
        return f"{self.owner}/{self.name}"


class SandboxError(Exception):
    """A GitHub error answer: status, message and (for 422) GitHub's `errors` list."""

    def __init__(self, status: int, message: str, errors: list[Any] | None = None, *, doc: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.doc = doc

    def to_json(self) -> Json:
        """GitHub's error body (`basic-error` / `validation-error`)."""
        out: Json = {"message": self.message, "documentation_url": self.doc or "https://docs.github.com/rest"}
        if self.errors is not None:
            out["errors"] = self.errors
        out["status"] = str(self.status)
        return out


def not_found() -> SandboxError:
    """GitHub's 404 (also for what exists but the token may not see)."""
    return SandboxError(404, "Not Found")


def invalid(
    resource: str, field_name: str, code: str = "invalid", message: str | None = None
) -> SandboxError:
    """GitHub's 422 `Validation Failed` with one error entry."""
    err: Json = {"resource": resource, "code": code, "field": field_name}
    if message:
        err["message"] = message
    return SandboxError(422, "Validation Failed", [err])

def is_color(color: str) -> bool:
    """Six hex digits, as GitHub requires for label colours."""
    return len(color) == 6 and all(c in "0123456789abcdefABCDEF" for c in color)


def check_body(body: str | None, resource: str, *, required: bool = False) -> None:
    """422 when a body is missing (if required) or longer than GitHub's 65,536 characters."""
    if body is None or (required and not body.strip()):
        if required:
            raise invalid(resource, "body", "missing_field")
        return
    if len(body) > MAX_BODY:
        raise invalid(resource, "body", "custom", f"body is too long (maximum is {MAX_BODY} characters)")
