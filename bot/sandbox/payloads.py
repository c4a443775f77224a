"""Webhook payloads of what happens on the local GitHub, in GitHub's shapes (`push` for now)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.records import Json, Repo, iso, node_id
from bot.sandbox.repo import ZERO_SHA, Commit
from bot.sandbox.shapes import REPO_URLS, Shapes

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

#: GitHub's push payload lists at most this many commits (its documentation of `commits`).
#: The App installation the local GitHub's repositories belong to by default.
INSTALLATION_ID = 1
MAX_PUSH_COMMITS = 2048


def repository_payload(shapes: Shapes, repo: Repo) -> Json:
    """The `repository` of a push payload: GitHub sends `created_at`/`pushed_at` there as Unix times."""
    api = f"{shapes.api}/repos/{repo.full_name}"
    html = f"{shapes.html}/{repo.full_name}"
    owner = shapes.user(shapes.state.user(repo.owner))
    owner = {"name": repo.owner, "email": None, **owner}
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    pushed = repo.pushed_at if repo.pushed_at is not None else repo.created_at
    return {
        "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name, "full_name": repo.full_name,
        "private": repo.private, "owner": owner, "html_url": html, "description": repo.description,
        "fork": False, "url": html, **{k: api + v for k, v in REPO_URLS.items()},
        "created_at": int(repo.created_at), "updated_at": iso(pushed), "pushed_at": int(pushed),
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"{html}.git", "svn_url": html, "homepage": None, "size": 0, "stargazers_count": 0,
        "watchers_count": 0, "language": None, "has_issues": True, "has_projects": True,
        "has_downloads": True, "has_wiki": True, "has_pages": False, "has_discussions": False,
        "forks_count": 0, "mirror_url": None, "archived": False, "disabled": False,
        "open_issues_count": open_issues, "license": None, "forks": 0, "open_issues": open_issues,
        "watchers": 0, "default_branch": repo.default_branch, "stargazers": 0,
        "master_branch": repo.default_branch, "is_template": False, "topics": [],
        "visibility": "private" if repo.private else "public", "web_commit_signoff_required": False,
        "custom_properties": {},
    }


def _commit(shapes: Shapes, repo: Repo, commit: Commit) -> Json:
    """One commit of a push payload, with the files it added, removed and modified."""
    who = {"name": commit.name, "email": commit.email, "username": commit.author}
    return {
        "id": commit.sha, "tree_id": commit.tree, "distinct": True, "message": commit.message,
        "timestamp": iso(commit.timestamp), "url": f"{shapes.html}/{repo.full_name}/commit/{commit.sha}",
        "author": who, "committer": dict(who),
        "added": list(commit.added), "removed": list(commit.removed), "modified": list(commit.modified),
    }


def push_payload(
    shapes: Shapes,
    full_name: str,
    ref: str,
    *,
    before: str | None,
    sender: str | None = None,
    installation_id: int | None = None,
    max_commits: int = MAX_PUSH_COMMITS,
) -> Json:
    """The `push` webhook for the push that moved `ref` (`refs/heads/B`, `refs/tags/T`, or a branch name)
    from `before` (None: the ref was created) to where it points now (gone: the ref was deleted).

    Record `before = state.head(repo, branch)`, push one or more times, then build the payload: its
    `commits` are the pushed ones (those a new branch does not share with the default branch), oldest first,
    at most `max_commits`; a tag push lists none, as GitHub's does.
    """
    repo = shapes.state.repo(full_name)
    git = repo.git
    if not ref.startswith("refs/"):
        ref = f"refs/heads/{ref}"
    is_tag = ref.startswith("refs/tags/")
    name = ref.removeprefix("refs/tags/" if is_tag else "refs/heads/")
    after = (git.tags if is_tag else git.branches).get(name)
    commits: list[Commit] = []
    if after is not None and not is_tag:
        new_branch = before is None and name != repo.default_branch
        base = git.branches.get(repo.default_branch) if new_branch else before
        commits = git.between(base, after)
    login = sender or repo.owner
    user = shapes.state.user(login)
    head = git.commits[after] if after is not None else None
    compare = (
        f"{shapes.html}/{repo.full_name}/compare/{(before or ZERO_SHA)[:12]}...{after[:12]}"
        if before is not None and after is not None
        else f"{shapes.html}/{repo.full_name}/commit/{after}" if after is not None
        else f"{shapes.html}/{repo.full_name}/compare/{(before or ZERO_SHA)[:12]}...000000000000"
    )
    payload: Json = {
        "ref": ref,
        "before": before or ZERO_SHA,
        "after": after or ZERO_SHA,
        "repository": repository_payload(shapes, repo),
        "pusher": {"name": user.login, "email": f"{user.id}+{user.login}@users.noreply.github.com"},
        "sender": shapes.user(user),
        "created": before is None and after is not None,
        "deleted": after is None,
        "forced": False,
        "base_ref": None,
        "compare": compare,
        "commits": [_commit(shapes, repo, c) for c in commits[:max_commits]],
        "head_commit": _commit(shapes, repo, head) if head is not None else None,
    }
    if installation_id is not None:
        payload["installation"] = {
            "id": installation_id,
            "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{installation_id}",
        }
    return payload


def repository_json(
    api: str, html: str, full_name: str, repo_id: int, owner: dict[str, Any],
) -> dict[str, Any]:
    """The `repository` object of a webhook payload, in GitHub's shape."""
    url = f"{api}/repos/{full_name}"
    name = full_name.split("/", 1)[1]
    stamp = "2026-01-01T00:00:00Z"
    return {
        "id": repo_id, "node_id": f"R_{repo_id}", "name": name, "full_name": full_name, "private": False,
        "owner": owner, "html_url": f"{html}/{full_name}", "description": "The demo's repository",
        "fork": False,
        "url": url, **{k: url + v for k, v in REPO_URLS.items()},
        "created_at": stamp, "updated_at": stamp, "pushed_at": stamp,
        "git_url": f"git://github.com/{full_name}.git", "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"{html}/{full_name}.git", "svn_url": f"{html}/{full_name}", "homepage": None,
        "size": 0, "stargazers_count": 0, "watchers_count": 0, "language": None, "has_issues": True,
        "has_projects": True, "has_downloads": True, "has_wiki": True, "has_pages": False,
        "has_discussions": False, "forks_count": 0, "mirror_url": None, "archived": False, "disabled": False,
        "open_issues_count": 0, "license": None, "allow_forking": True, "is_template": False,
        "web_commit_signoff_required": False, "topics": [], "visibility": "public", "forks": 0,
        "open_issues": 0, "watchers": 0, "default_branch": "main",
    }


def issue_comment_payload(
    sandbox: Sandbox, repo: str, comment: dict[str, Any], *, action: str = "created",
    installation_id: int = INSTALLATION_ID,
) -> dict[str, Any]:
    """The `issue_comment` webhook GitHub would send for a comment of the local GitHub (GitHub's shape)."""
    number = int(str(comment["issue_url"]).rsplit("/", 1)[1])
    issue = dict(sandbox.issue_json(repo, number))
    issue.setdefault("draft", False)
    owner_login = repo.split("/", 1)[0]
    owner = sandbox.shapes.user(sandbox.state.user(owner_login))
    repo_id = sandbox.state.repo(repo).id
    return {
        "action": action,
        "issue": issue,
        "comment": comment,
        "repository": repository_json(sandbox.base_url, sandbox.shapes.html, repo, repo_id, owner),
        "sender": comment["user"],
        "installation": {
            "id": installation_id,
            "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{installation_id}"},
    }
