"""In-memory GitHub state of the local GitHub: repositories (with their git history), issues, comments,
labels, reactions, assignees, issue types and links, changed only through GitHub's rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from bot.sandbox.records import (
    DEFAULT_LABEL_COLOR,
    DEFAULT_LABELS,
    ISSUE_TYPE_COLORS,
    MAX_ASSIGNEES,
    MAX_DEPENDENCIES,
    MAX_SUB_ISSUES,
    REACTIONS,
    Comment,
    IdAllocator,
    Issue,
    IssueType,
    Json,
    Label,
    Post,
    Reaction,
    Repo,
    SandboxError,
    User,
    check_body,
    invalid,
    is_color,
    not_found,
)

#: An issue or a comment.
P = TypeVar("P", bound=Post)


class State:
    """Every repository, user and issue of the local GitHub; mutations are plain synchronous methods."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.ids = IdAllocator()
        self.repos: dict[str, Repo] = {}
        self.users: dict[str, User] = {}
        self.issue_index: dict[int, tuple[Repo, Issue]] = {}
        self.api_url = "http://127.0.0.1"
        self.html_url = "https://github.com"

    # ---- users and repositories -------------------------------------------------------------------------
    def user(self, login: str, type_: str | None = None) -> User:
        """The user with this login, created on first mention (logins ending `[bot]` are Bots)."""
        key = login.casefold()
        if key not in self.users:
            kind = type_ or ("Bot" if login.endswith("[bot]") else "User")
            self.users[key] = User(login=login, id=self.ids.next("user"), type=kind)
        return self.users[key]

    def add_repo(self, full_name: str, installation_id: int | None, *, default_labels: bool = False) -> Repo:
        """Create a repository (idempotent) owned by its owner, who is an admin; with `default_labels`, it has
        the nine labels GitHub gives a new repository (`default: true`)."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be OWNER/NAME, got {full_name!r}")
        key = full_name.casefold()
        if key in self.repos:
            repo = self.repos[key]
            repo.installation_id = installation_id
            return repo
        self.user(owner)
        repo = Repo(
            owner=owner, name=name, id=self.ids.next("repo"), installation_id=installation_id,
            created_at=self.clock(),
        )
        repo.permissions[owner.casefold()] = "admin"
        self.repos[key] = repo
        if default_labels:
            for name, color, description in DEFAULT_LABELS:
                self.create_label(repo, name, color, description).default = True
        return repo

    def repo(self, full_name: str) -> Repo:
        """The repository, or KeyError."""
        return self.repos[full_name.casefold()]

    def _repo(self, repo: Repo | str) -> Repo:
        return repo if isinstance(repo, Repo) else self.repo(repo)

    # ---- git --------------------------------------------------------------------------------------------
    def push(
        self,
        repo: Repo | str,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        message: str = "Update files",
        author: str | None = None,
    ) -> str:
        """Commit file changes (`{path: text or bytes, or None to delete}`) on `branch` as `author` (default:
        the owner) and return the new commit's sha. A branch that does not exist yet starts at the default
        branch's head (as a branch made from it), or with no parent in an empty repository."""
        r = self._repo(repo)
        login = author or r.owner
        user = self.user(login)
        start = r.git.branches.get(r.default_branch) if branch not in r.git.branches else None
        commit = r.git.commit(
            branch, files, message=message, author=user.login, name=user.login,
            email=f"{user.id}+{user.login}@users.noreply.github.com", timestamp=self.clock(), start=start,
        )
        r.pushed_at = commit.timestamp
        return commit.sha

    def head(self, repo: Repo | str, branch: str) -> str | None:
        """The sha a branch points at (None when it does not exist)."""
        return self._repo(repo).git.branches.get(branch)

    def tag(self, repo: Repo | str, name: str, ref: str) -> str:
        """Create a lightweight tag at a ref; returns the commit sha."""
        return self._repo(repo).git.tag(name, ref)

    def delete_branch(self, repo: Repo | str, branch: str) -> None:
        """Delete a branch (its commits stay reachable by sha); ValueError for the default branch."""
        r = self._repo(repo)
        if branch == r.default_branch:
            raise ValueError("the default branch cannot be deleted")
        del r.git.branches[branch]

    # ---- issue types and assignees ----------------------------------------------------------------------
    def set_issue_types(
        self, repo: Repo | str, types: Sequence[str | tuple[str, str | None, str | None]]
    ) -> list[IssueType]:
        """The issue types a repository offers, replacing earlier ones: names, or (name, description, colour)
        with a colour of ISSUE_TYPE_COLORS; an issue keeps a type that is removed (as its record)."""
        r = self._repo(repo)
        made: list[IssueType] = []
        for item in types:
            name, description, color = (item, None, None) if isinstance(item, str) else item
            if color is not None and color not in ISSUE_TYPE_COLORS:
                raise ValueError(f"issue type colour must be one of {ISSUE_TYPE_COLORS}, got {color!r}")
            existing = next((t for t in r.issue_types if t.name.casefold() == name.casefold()), None)
            made.append(existing or IssueType(
                id=self.ids.next("issue_type"), name=name, description=description, color=color,
                created_at=self.clock(),
            ))
        r.issue_types = made
        return made

    def issue_type(self, repo: Repo, name: str) -> IssueType | None:
        """The enabled issue type of this name (any case), or None: GitHub drops a type it cannot set."""
        return next(
            (t for t in repo.issue_types if t.is_enabled and t.name.casefold() == name.casefold()), None
        )

    def has_push(self, repo: Repo, user: User) -> bool:
        """Whether a person may push (GitHub lets only them set assignees, labels and types on issues)."""
        if user.login.casefold() == repo.owner.casefold():
            return True
        return repo.permissions.get(user.login.casefold(), "none") in ("admin", "maintain", "write")

    def can_be_assigned(self, repo: Repo, login: str) -> bool:
        """Whether a user may be assigned to the repository's issues: the owner or any collaborator."""
        if login.casefold() == repo.owner.casefold():
            return True
        return repo.permissions.get(login.casefold(), "none") != "none"

    def assign(self, repo: Repo, issue: Issue, logins: Sequence[str]) -> None:
        """Add assignees; those who cannot be assigned, and any past GitHub's ten, are silently dropped."""
        for login in logins:
            if len(issue.assignees) >= MAX_ASSIGNEES:
                break
            if not self.can_be_assigned(repo, login):
                continue
            user = self.user(login)
            if all(a.id != user.id for a in issue.assignees):
                issue.assignees.append(user)
        self.touch(issue)

    def unassign(self, issue: Issue, logins: Sequence[str]) -> None:
        """Remove assignees (logins not assigned are ignored, as GitHub does)."""
        gone = {login.casefold() for login in logins}
        issue.assignees = [a for a in issue.assignees if a.login.casefold() not in gone]
        self.touch(issue)

    # ---- issues -----------------------------------------------------------------------------------------
    def create_issue(
        self,
        repo: Repo,
        title: str,
        body: str | None,
        user: User,
        *,
        labels: list[str] | None = None,
        via_app: bool = False,
        pull_request: bool = False,
    ) -> Issue:
        """A new open issue with the next number; unknown labels are created (colour `ededed`)."""
        check_body(body, "Issue")
        if not title.strip():
            raise invalid("Issue", "title", "missing_field")
        issue = self._new(
            Issue, "issue", number=repo.next_number, title=title, body=body, user=user,
            is_pull_request=pull_request, via_app=via_app,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self.issue_index[issue.id] = (repo, issue)
        if labels:
            self.add_labels(repo, issue, labels)
        return issue

    def issue(self, repo: Repo, number: int) -> Issue:
        """The issue by number; 410 when it was deleted, 404 when it never existed."""
        try:
            return repo.issues[number]
        except KeyError:
            if number in repo.deleted:
                raise SandboxError(410, "This issue was deleted") from None
            raise not_found() from None

    def delete_issue(self, repo: Repo, number: int) -> None:
        """Delete an issue as an admin can: its comments and links go too; its number answers 410."""
        issue = self.issue(repo, number)
        if issue.parent is not None:
            self.remove_sub_issue(self.issue_index[issue.parent][1], issue.id)
        for child_id in list(issue.sub_issues):
            self.remove_sub_issue(issue, child_id)
        for blocker_id in list(issue.blocked_by):
            self.remove_blocked_by(issue, blocker_id)
        for blocked_id in list(issue.blocking):
            self.remove_blocked_by(self.issue_index[blocked_id][1], issue.id)
        for comment_id in issue.comment_ids:
            del repo.comments[comment_id]
        del repo.issues[number]
        del self.issue_index[issue.id]
        repo.deleted.add(number)

    def issue_by_id(self, db_id: int) -> tuple[Repo, Issue]:
        """The issue by database id, or 404."""
        try:
            return self.issue_index[db_id]
        except KeyError:
            raise not_found() from None

    def _new(self, kind: type[P], id_kind: str, **fields: Any) -> P:
        """A new issue or comment with the next database id of its kind, written and changed now."""
        now = self.clock()
        return kind(id=self.ids.next(id_kind), created_at=now, updated_at=now, **fields)

    def touch(self, item: Post) -> None:
        """Bump `updated_at` (ETags change with it)."""
        item.updated_at = max(self.clock(), item.updated_at)

    def set_state(self, issue: Issue, state: str, reason: str | None, user: User) -> None:
        """Close (reason `completed` unless given) or reopen (reason `reopened`) an issue."""
        if state == "closed" and issue.state != "closed":
            issue.state = "closed"
            issue.state_reason = reason or "completed"
            issue.closed_at = self.clock()
            issue.closed_by = user
        elif state == "closed":
            if reason:
                issue.state_reason = reason
        elif state == "open" and issue.state != "open":
            issue.state = "open"
            issue.state_reason = "reopened"
            issue.closed_at = None
            issue.closed_by = None
        self.touch(issue)

    # ---- labels -----------------------------------------------------------------------------------------
    def create_label(
        self, repo: Repo, name: str, color: str = DEFAULT_LABEL_COLOR, description: str | None = None
    ) -> Label:
        """A new repository label; 422 when it exists (names are case-insensitive) or the colour is bad."""
        color = color.removeprefix("#")
        if not name.strip():
            raise invalid("Label", "name", "missing_field")
        if not is_color(color):
            raise invalid("Label", "color")
        if name.casefold() in repo.labels:
            raise invalid("Label", "name", "already_exists")
        label = Label(id=self.ids.next("label"), name=name, color=color, description=description)
        repo.labels[label.key] = label
        return label

    def ensure_label(self, repo: Repo, name: str) -> Label:
        """The label by name (any case), created with colour `ededed` when missing, as GitHub does."""
        found = repo.labels.get(name.casefold())
        return found if found is not None else self.create_label(repo, name)

    def add_labels(self, repo: Repo, issue: Issue, names: list[str]) -> None:
        """Add labels to an issue (keeping order, no duplicates)."""
        for name in names:
            label = self.ensure_label(repo, name)
            if label.key not in issue.labels:
                issue.labels.append(label.key)
        self.touch(issue)

    def rename_label(self, repo: Repo, label: Label, new_name: str) -> None:
        """Rename a label everywhere it is used."""
        old = label.key
        if new_name.casefold() != old and new_name.casefold() in repo.labels:
            raise invalid("Label", "name", "already_exists")
        del repo.labels[old]
        label.name = new_name
        repo.labels[label.key] = label
        for issue in repo.issues.values():
            issue.labels = [label.key if k == old else k for k in issue.labels]

    def delete_label(self, repo: Repo, label: Label) -> None:
        """Delete a label from the repository and from every issue."""
        del repo.labels[label.key]
        for issue in repo.issues.values():
            if label.key in issue.labels:
                issue.labels.remove(label.key)

    # ---- comments ---------------------------------------------------------------------------------------
    def create_comment(
        self, repo: Repo, issue: Issue, body: str, user: User, *, via_app: bool = False
    ) -> Comment:
        """A new comment on an issue; 422 for an empty or too long body."""
        check_body(body, "IssueComment", required=True)
        comment = self._new(Comment, "comment", issue_id=issue.id, body=body, user=user, via_app=via_app)
        repo.comments[comment.id] = comment
        issue.comment_ids.append(comment.id)
        self.touch(issue)
        return comment

    def comment(self, repo: Repo, comment_id: int) -> Comment:
        """A comment by id, or 404."""
        try:
            return repo.comments[comment_id]
        except KeyError:
            raise not_found() from None

    def delete_comment(self, repo: Repo, comment: Comment) -> None:
        """Remove a comment."""
        del repo.comments[comment.id]
        _, issue = self.issue_index[comment.issue_id]
        issue.comment_ids.remove(comment.id)
        self.touch(issue)

    # ---- reactions --------------------------------------------------------------------------------------
    def react(self, target: list[Reaction], user: User, content: str) -> tuple[Reaction, bool]:
        """Add a reaction; returns (reaction, created). The same user+content twice gives the existing one."""
        if content not in REACTIONS:
            raise invalid("Reaction", "content")
        for existing in target:
            if existing.user.id == user.id and existing.content == content:
                return existing, False
        reaction = Reaction(id=self.ids.next("reaction"), user=user, content=content, created_at=self.clock())
        target.append(reaction)
        return reaction, True

    # ---- sub-issues -------------------------------------------------------------------------------------
    def add_sub_issue(self, parent: Issue, child_id: int, *, replace_parent: bool = False) -> Issue:
        """Link a child (by database id) under parent; 422 for self, a second parent, over 100, cycles."""
        child_repo, child = self.issue_by_id(child_id)
        parent_repo, _ = self.issue_index[parent.id]
        if child_repo.owner.casefold() != parent_repo.owner.casefold():
            raise invalid(
                "Issue", "sub_issue_id", "custom", "Sub-issue must belong to the same owner as the parent"
            )
        if child.id == parent.id:
            raise invalid("Issue", "sub_issue_id", "custom", "An issue cannot be a sub-issue of itself")
        if child.parent is not None and not (replace_parent and child.parent != parent.id):
            raise invalid("Issue", "sub_issue_id", "custom", "Sub issue may only have one parent")
        if len(parent.sub_issues) >= MAX_SUB_ISSUES:
            raise invalid(
                "Issue", "sub_issue_id", "custom", f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues"
            )
        ancestor = parent.parent
        while ancestor is not None:
            if ancestor == child.id:
                raise invalid(
                    "Issue", "sub_issue_id", "custom", "Sub-issue cannot be an ancestor of the parent"
                )
            ancestor = self.issue_index[ancestor][1].parent
        if child.parent is not None:
            _, old = self.issue_index[child.parent]
            old.sub_issues.remove(child.id)
            self.touch(old)
        child.parent = parent.id
        parent.sub_issues.append(child.id)
        self.touch(parent)
        self.touch(child)
        return parent

    def remove_sub_issue(self, parent: Issue, child_id: int) -> Issue:
        """Unlink a child from its parent; 404 when it is not a sub-issue of this parent."""
        if child_id not in parent.sub_issues:
            raise not_found()
        _, child = self.issue_index[child_id]
        parent.sub_issues.remove(child_id)
        child.parent = None
        self.touch(parent)
        self.touch(child)
        return parent

    def reprioritize(
        self, parent: Issue, child_id: int, after_id: int | None, before_id: int | None
    ) -> Issue:
        """Move a sub-issue right after `after_id` or right before `before_id` (exactly one of them)."""
        if (after_id is None) == (before_id is None):
            raise SandboxError(
                422, "Validation Failed", ["Exactly one of after_id or before_id must be provided"]
            )
        anchor = after_id if after_id is not None else before_id
        if child_id not in parent.sub_issues or anchor not in parent.sub_issues:
            raise not_found()
        if anchor == child_id:
            raise SandboxError(
                422, "Validation Failed", ["A sub-issue cannot be positioned relative to itself"]
            )
        parent.sub_issues.remove(child_id)
        pos = parent.sub_issues.index(anchor) + (1 if after_id is not None else 0)
        parent.sub_issues.insert(pos, child_id)
        self.touch(parent)
        return parent

    # ---- dependencies -----------------------------------------------------------------------------------
    def add_blocked_by(self, issue: Issue, blocker_id: int) -> Issue:
        """Record that `issue` is blocked by the issue with database id `blocker_id`."""
        _, blocker = self.issue_by_id(blocker_id)
        if blocker.id == issue.id:
            raise invalid("IssueDependency", "issue_id", "custom", "An issue cannot be blocked by itself")
        if blocker.id in issue.blocked_by:
            raise invalid("IssueDependency", "issue_id", "already_exists", "This dependency already exists")
        if issue.id in blocker.blocked_by:
            raise invalid(
                "IssueDependency",
                "issue_id",
                "custom",
                "Adding this dependency would create a circular dependency",
            )
        if len(issue.blocked_by) >= MAX_DEPENDENCIES:
            raise invalid(
                "IssueDependency",
                "issue_id",
                "custom",
                f"An issue can be blocked by at most {MAX_DEPENDENCIES} issues",
            )
        issue.blocked_by.append(blocker.id)
        blocker.blocking.append(issue.id)
        self.touch(issue)
        self.touch(blocker)
        return issue

    def remove_blocked_by(self, issue: Issue, blocker_id: int) -> Issue:
        """Remove a blocked-by link; 404 when absent."""
        if blocker_id not in issue.blocked_by:
            raise not_found()
        issue.blocked_by.remove(blocker_id)
        self.touch(issue)
        _, blocker = self.issue_index[blocker_id]
        blocker.blocking.remove(issue.id)
        self.touch(blocker)
        return issue

    def blocking(self, issue: Issue) -> list[Issue]:
        """Issues that `issue` blocks, in the order they were linked."""
        return [self.issue_index[i][1] for i in issue.blocking]

    # ---- snapshot ---------------------------------------------------------------------------------------
    def ref(self, repo: Repo, db_id: int) -> int | str:
        """An issue as its number in `repo`, or `owner/name#n` when it lives elsewhere."""
        other_repo, other = self.issue_index[db_id]
        return other.number if other_repo is repo else f"{other_repo.full_name}#{other.number}"

    def snapshot(self, repo: Repo) -> Json:
        """Plain data of a repository for tests and the demo: issues with labels, comments and links."""
        issues: Json = {}
        for number, issue in sorted(repo.issues.items()):
            issues[str(number)] = {
                "id": issue.id,
                "number": number,
                "title": issue.title,
                "body": issue.body,
                "user": issue.user.login,
                "state": issue.state,
                "state_reason": issue.state_reason,
                "labels": [repo.labels[k].name for k in issue.labels],
                "comments": [
                    {"id": c.id, "user": c.user.login, "body": c.body}
                    for c in (repo.comments[cid] for cid in issue.comment_ids)
                ],
                "parent": None if issue.parent is None else self.ref(repo, issue.parent),
                "sub_issues": [self.ref(repo, i) for i in issue.sub_issues],
                "blocked_by": [self.ref(repo, i) for i in issue.blocked_by],
                "reactions": [r.content for r in issue.reactions],
                "pull_request": issue.is_pull_request,
                "assignees": [a.login for a in issue.assignees],
                "type": None if issue.type is None else issue.type.name,
            }
        return {
            "repo": repo.full_name,
            "labels": {label.name: label.color for label in repo.labels.values()},
            "issues": issues,
        }
