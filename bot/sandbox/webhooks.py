"""Webhook deliveries as GitHub sends them for events on the local GitHub: payloads, signature, headers."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

#: The App installation the local GitHub's repositories belong to by default.
INSTALLATION_ID = 1


def repository_json(
    api: str, html: str, full_name: str, repo_id: int, owner: dict[str, Any],
) -> dict[str, Any]:
    """The `repository` object of a webhook payload, in GitHub's shape."""
    url = f"{api}/repos/{full_name}"
    name = full_name.split("/", 1)[1]
    stamp = "2026-01-01T00:00:00Z"
    templated = {
        "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}", "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors", "deployments_url": "/deployments", "downloads_url": "/downloads",
        "events_url": "/events", "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
        "languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
        "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
    }
    return {
        "id": repo_id, "node_id": f"R_{repo_id}", "name": name, "full_name": full_name, "private": False,
        "owner": owner, "html_url": f"{html}/{full_name}", "description": "The demo's repository",
        "fork": False,
        "url": url, **{k: url + v for k, v in templated.items()},
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


def sign(body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 value GitHub would send for this body (for the demo, tests and benchmarks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(event: str, delivery: str, body: bytes, secret: str | None) -> dict[str, str]:
    """The headers of a GitHub webhook delivery for this body."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/parallel-work-bot",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "1",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return headers


def dumps(payload: dict[str, Any]) -> bytes:
    """Serialise a payload compactly, as GitHub does."""
    return json.dumps(payload, separators=(",", ":")).encode()
