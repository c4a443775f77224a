"""JSON bodies of the local GitHub, shaped like GitHub's recorded responses (issue, comment, label,
repository, contents, trees, commits ...)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from bot.sandbox.records import (
    REACTIONS,
    Comment,
    Issue,
    IssueType,
    Json,
    Label,
    Reaction,
    Repo,
    User,
    iso,
    node_id,
)
from bot.sandbox.repo import MAX_CONTENT_BYTES, Blob, Change, Commit, TreeEntry
from bot.sandbox.state import State

#: The App's public facts (the `integration` shape); ids filled in by the Sandbox.
APP_SLUG = "parallel-work-bot"
APP_PERMISSIONS = {"contents": "read", "issues": "write", "metadata": "read"}
#: The `*_url` fields of a repository, after its API URL (GitHub's URI templates).
REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors",
    "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
    "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges",
    "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}", "subscribers_url": "/subscribers", "subscription_url": "/subscription",
    "tags_url": "/tags", "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}


def encode64(data: bytes) -> str:
    """Base64 the way GitHub's contents API sends it (Ruby's `encode64`): lines of 60 characters, each
    ending in a newline."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def role_permissions(role: str) -> dict[str, bool]:
    """The `permissions` object of a role (admin, maintain, write, triage, read, none)."""
    return {
        "admin": role == "admin",
        "maintain": role in ("admin", "maintain"),
        "push": role in ("admin", "maintain", "write"),
        "triage": role in ("admin", "maintain", "write", "triage"),
        "pull": role != "none",
    }
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
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(a) for a in issue.assignees],
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": None if issue.closed_at is None else iso(issue.closed_at),
            "author_association": self.association(repo, issue.user),
            "type": None if issue.type is None else self.issue_type(issue.type),
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
        collaborator["permissions"] = role_permissions(role)
        return {"permission": permission, "role_name": role, "user": collaborator}

    # ---- issue types ------------------------------------------------------------------------------------
    def issue_type(self, issue_type: IssueType) -> Json:
        """`issue-type`."""
        stamp = iso(issue_type.created_at)
        return {
            "id": issue_type.id,
            "node_id": node_id("IT", issue_type.id),
            "name": issue_type.name,
            "description": issue_type.description,
            "color": issue_type.color,
            "created_at": stamp,
            "updated_at": stamp,
            "is_enabled": issue_type.is_enabled,
        }

    # ---- repositories and git ---------------------------------------------------------------------------
    def repository(self, repo: Repo, permissions: dict[str, bool]) -> Json:
        """`full-repository` (GET /repos/{o}/{r}); `permissions` are the caller's."""
        url = f"{self.api}/repos/{repo.full_name}"
        html = f"{self.html}/{repo.full_name}"
        owner = self.user(self.state.user(repo.owner))
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        created = iso(repo.created_at)
        pushed = iso(repo.pushed_at if repo.pushed_at is not None else repo.created_at)
        size = sum(len(b.data) for b in self.head_files(repo).values()) // 1024
        return {
            "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name, "full_name": repo.full_name,
            "owner": owner, "private": repo.private, "html_url": html, "description": repo.description,
            "fork": False, "url": url, **{k: url + v for k, v in REPO_URLS.items()},
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{html}.git", "svn_url": html, "mirror_url": None, "homepage": None,
            "language": None, "forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0,
            "watchers": 0, "size": size, "default_branch": repo.default_branch,
            "open_issues_count": open_issues, "open_issues": open_issues, "is_template": False, "topics": [],
            "has_issues": True, "has_projects": True, "has_wiki": True, "has_pages": False,
            "has_downloads": True, "has_discussions": False, "archived": False, "disabled": False,
            "visibility": "private" if repo.private else "public", "pushed_at": pushed,
            "created_at": created, "updated_at": pushed, "permissions": permissions,
            "allow_forking": True, "web_commit_signoff_required": False, "license": None,
            "subscribers_count": 0, "network_count": 0,
        }

    def head_files(self, repo: Repo) -> dict[str, Blob]:
        """The files of the default branch (none in an empty repository)."""
        head = repo.git.branches.get(repo.default_branch)
        return repo.git.commits[head].files if head is not None else {}

    def _content_links(self, repo: Repo, path: str, kind: str, sha: str, ref: str) -> Json:
        base = f"{self.api}/repos/{repo.full_name}"
        self_url = f"{base}/contents/{quote(path)}?ref={quote(ref, safe='')}"
        git_url = f"{base}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
        where = f"{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref)}/{quote(path)}"
        html_url = f"{self.html}/{where}"
        raw = f"https://raw.githubusercontent.com/{repo.full_name}/{quote(ref)}/{quote(path)}"
        download = None if kind == "dir" else raw
        return {
            "url": self_url, "git_url": git_url, "html_url": html_url, "download_url": download,
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        }

    def content_file(self, repo: Repo, path: str, blob: Blob, ref: str) -> Json:
        """`content-file`: base64 content with its blob sha (over 1 MB: `encoding: none`, no content)."""
        small = len(blob.data) <= MAX_CONTENT_BYTES
        return {
            "type": "file", "encoding": "base64" if small else "none", "size": len(blob.data),
            "name": path.rpartition("/")[2], "path": path,
            "content": encode64(blob.data) if small else "", "sha": blob.sha,
            **self._content_links(repo, path, "file", blob.sha, ref),
        }

    def content_entry(self, repo: Repo, path: str, entry: TreeEntry, ref: str) -> Json:
        """One item of `content-directory`."""
        kind = "dir" if entry.type == "tree" else "file"
        return {
            "type": kind, "size": entry.size or 0, "name": entry.name, "path": path, "sha": entry.sha,
            **self._content_links(repo, path, kind, entry.sha, ref),
        }

    def tree_entry(self, repo: Repo, path: str, entry: TreeEntry) -> Json:
        """One item of `git-tree`'s `tree`."""
        out: Json = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        if entry.size is not None:
            out["size"] = entry.size
        kind = "trees" if entry.type == "tree" else "blobs"
        out["url"] = f"{self.api}/repos/{repo.full_name}/git/{kind}/{entry.sha}"
        return out

    def commit(self, repo: Repo, commit: Commit) -> Json:
        """`commit`, as the compare API lists it."""
        base = f"{self.api}/repos/{repo.full_name}"
        html = f"{self.html}/{repo.full_name}"
        who = {"name": commit.name, "email": commit.email, "date": iso(commit.timestamp)}
        author = self.user(self.state.user(commit.author))
        parents = [commit.parent] if commit.parent else []
        return {
            "url": f"{base}/commits/{commit.sha}", "sha": commit.sha,
            "node_id": node_id("C", int(commit.sha[:15], 16)), "html_url": f"{html}/commit/{commit.sha}",
            "comments_url": f"{base}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{base}/git/commits/{commit.sha}", "author": who, "committer": dict(who),
                "message": commit.message,
                "tree": {"sha": commit.tree, "url": f"{base}/git/trees/{commit.tree}"},
                "comment_count": 0,
                "verification": {
                    "verified": False, "reason": "unsigned", "signature": None, "payload": None,
                    "verified_at": None,
                },
            },
            "author": author, "committer": dict(author),
            "parents": [
                {"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{html}/commit/{p}"} for p in parents
            ],
        }

    def diff_entry(self, repo: Repo, change: Change, head: str) -> Json:
        """`diff-entry`: one changed file of a comparison, with its links at the head commit."""
        path = quote(change.filename)
        out: Json = {
            "sha": change.sha, "filename": change.filename, "status": change.status,
            "additions": change.additions, "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{self.html}/{repo.full_name}/blob/{head}/{path}",
            "raw_url": f"{self.html}/{repo.full_name}/raw/{head}/{path}",
            "contents_url": f"{self.api}/repos/{repo.full_name}/contents/{path}?ref={head}",
        }
        if change.patch is not None:
            out["patch"] = change.patch
        if change.previous_filename is not None:
            out["previous_filename"] = change.previous_filename
        return out
