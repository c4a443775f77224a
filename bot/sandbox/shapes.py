"""JSON bodies of the local GitHub, shaped like GitHub's recorded responses (issue, comment, label ...)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.sandbox.records import REACTIONS, Comment, Issue, Json, Label, Reaction, Repo, User, iso, node_id
from bot.sandbox.state import State

#: The App's public facts (the `integration` shape); ids filled in by the Sandbox.
APP_SLUG = "parallel-work-bot"
APP_PERMISSIONS = {"issues": "write", "metadata": "read"}
APP_EVENTS = ["issues", "issue_comment", "sub_issues", "issue_dependencies"]


class Shapes:
    """Renders state objects to GitHub's JSON, with URLs rooted at the sandbox's base URL."""

    def __init__(self, state: State, app_id: int) -> None:
        self.state = state
        self.app_id = app_id
        self.app_created = state.clock()

    @property
    def api(self) -> str:
        """API root, e.g. `http://127.0.0.1:8123`."""
        return self.state.api_url

    @property
    def html(self) -> str:
        """Web root for `html_url`."""
        return self.state.html_url

    def user(self, user: User) -> Json:
        """`simple-user`."""
        return user.to_json(self.api, self.html)

    def app(self) -> Json:
        """`integration` (GET /app and `performed_via_github_app`)."""
        owner = self.state.user("octo")
        created = iso(self.app_created)
        return {
            "id": self.app_id,
            "slug": APP_SLUG,
            "node_id": node_id("A", self.app_id),
            "client_id": f"Iv1.{self.app_id:016x}",
            "owner": self.user(owner),
            "name": APP_SLUG,
            "description": "Turns a parallel work analysis into sub-issues, labels and blocked-by links.",
            "external_url": f"{self.html}/apps/{APP_SLUG}",
            "html_url": f"{self.html}/apps/{APP_SLUG}",
            "created_at": created,
            "updated_at": created,
            "permissions": dict(APP_PERMISSIONS),
            "events": list(APP_EVENTS),
            "installations_count": len(
                {r.installation_id for r in self.state.repos.values() if r.installation_id}
            ),
        }

    def installation(self, installation_id: int, account: User) -> Json:
        """`installation` (GET /repos/{o}/{r}/installation)."""
        created = iso(self.app_created)
        return {
            "id": installation_id,
            "account": self.user(account),
            "repository_selection": "selected",
            "access_tokens_url": f"{self.api}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{self.api}/installation/repositories",
            "html_url": f"{self.html}/settings/installations/{installation_id}",
            "app_id": self.app_id,
            "client_id": f"Iv1.{self.app_id:016x}",
            "target_id": account.id,
            "target_type": "Organization" if account.type == "Organization" else "User",
            "permissions": dict(APP_PERMISSIONS),
            "events": list(APP_EVENTS),
            "created_at": created,
            "updated_at": created,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "app_slug": APP_SLUG,
            "suspended_by": None,
            "suspended_at": None,
        }

    def label(self, repo: Repo, label: Label) -> Json:
        """`label`."""
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.api}/repos/{repo.full_name}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def rollup(self, url: str, reactions: list[Reaction]) -> Json:
        """`reaction-rollup`."""
        out: Json = {"url": url, "total_count": len(reactions)}
        for content in REACTIONS:
            out[content] = sum(1 for r in reactions if r.content == content)
        return out

    def reaction(self, reaction: Reaction) -> Json:
        """`reaction`."""
        return {
            "id": reaction.id,
            "node_id": node_id("REA", reaction.id),
            "user": self.user(reaction.user),
            "content": reaction.content,
            "created_at": iso(reaction.created_at),
        }

    def association(self, repo: Repo, user: User) -> str:
        """`author_association` of a user in a repository."""
        if user.type == "Bot":
            return "NONE"
        if user.login.casefold() == repo.owner.casefold():
            return "OWNER"
        perm = repo.permissions.get(user.login.casefold(), "none")
        return "COLLABORATOR" if perm != "none" else "NONE"

    def issue(self, repo: Repo, issue: Issue) -> Json:
        """`issue`, as GET /repos/{o}/{r}/issues/{n} answers it."""
        base = f"{self.api}/repos/{repo.full_name}"
        url = f"{base}/issues/{issue.number}"
        kind = "pull" if issue.is_pull_request else "issues"
        html = f"{self.html}/{repo.full_name}/{kind}/{issue.number}"
        subs = [self.state.issue_index[i][1] for i in issue.sub_issues]
        completed = sum(1 for s in subs if s.state == "closed")
        blockers = [self.state.issue_index[i][1] for i in issue.blocked_by]
        blocking = self.state.blocking(issue)
        out: Json = {
            "url": url,
            "repository_url": base,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": node_id("PR" if issue.is_pull_request else "I", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": [self.label(repo, repo.labels[k]) for k in issue.labels],
            "state": issue.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": None if issue.closed_at is None else iso(issue.closed_at),
            "author_association": self.association(repo, issue.user),
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {
                "total": len(subs),
                "completed": completed,
                "percent_completed": (completed * 100 // len(subs)) if subs else 0,
            },
            "issue_dependencies_summary": {
                "blocked_by": sum(1 for b in blockers if b.state == "open"),
                "total_blocked_by": len(blockers),
                "blocking": sum(1 for b in blocking if b.state == "open"),
                "total_blocking": len(blocking),
            },
            "body": issue.body,
            "closed_by": None if issue.closed_by is None else self.user(issue.closed_by),
            "reactions": self.rollup(f"{url}/reactions", issue.reactions),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": self.app() if issue.via_app else None,
            "state_reason": issue.state_reason,
        }
        if issue.parent is not None:
            parent_repo, parent = self.state.issue_index[issue.parent]
            out["parent_issue_url"] = f"{self.api}/repos/{parent_repo.full_name}/issues/{parent.number}"
        if issue.is_pull_request:
            pr = f"{base}/pulls/{issue.number}"
            out["draft"] = False
            out["pull_request"] = {
                "url": pr,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": None,
            }
        return out

    def comment(self, repo: Repo, comment: Comment) -> Json:
        """`issue-comment`."""
        _, issue = self.state.issue_index[comment.issue_id]
        url = f"{self.api}/repos/{repo.full_name}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": f"{self.html}/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}",
            "issue_url": f"{self.api}/repos/{repo.full_name}/issues/{issue.number}",
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "body": comment.body,
            "author_association": self.association(repo, comment.user),
            "reactions": self.rollup(f"{url}/reactions", comment.reactions),
            "performed_via_github_app": self.app() if comment.via_app else None,
        }

    def collaborator_permission(self, repo: Repo, user: User) -> Json:
        """`repository-collaborator-permission`: role `maintain` reads as `write`, `triage` as `read`."""
        role = repo.permissions.get(user.login.casefold(), "none")
        permission = {"maintain": "write", "triage": "read"}.get(role, role)
        collaborator: Any = dict(self.user(user))
        collaborator["role_name"] = role
        collaborator["permissions"] = {
            "admin": role == "admin",
            "maintain": role in ("admin", "maintain"),
            "push": role in ("admin", "maintain", "write"),
            "triage": role in ("admin", "maintain", "write", "triage"),
            "pull": role != "none",
        }
        return {"permission": permission, "role_name": role, "user": collaborator}
