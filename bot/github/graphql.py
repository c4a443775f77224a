"""GitHub's GraphQL API as the bot uses it: a host's endpoint, createIssue with its parent, per-host support.

`createIssue(input: {parentIssueId})` creates a stream's sub-issue already linked: one write instead of two
(REST's create, then link). GitHub Enterprise Server versions from before sub-issues have no `parentIssueId`:
the first refusal naming it marks the host, and from then on (in this process) its sub-issues are created
and linked through REST.
"""

from __future__ import annotations

from typing import Any

import gidgethub
import gidgethub.abc

#: The input field an older GitHub Enterprise Server lacks.
PARENT_FIELD = "parentIssueId"

#: Hosts (API base URLs) known to refuse `parentIssueId`.
_NO_PARENT: set[str] = set()

CREATE_ISSUE = (
    "mutation($input: CreateIssueInput!) {"
    " createIssue(input: $input) { issue { id fullDatabaseId number url } } }"
)


class ParentUnsupported(Exception):
    """This host's `createIssue` has no `parentIssueId` (nothing was created)."""


class NotCreated(Exception):
    """GitHub answered `createIssue` with errors and no issue: nothing was created (e.g. a label's node id
    that no longer resolves), so REST's create may be tried instead."""


class CreatedWithErrors(Exception):
    """GitHub answered `createIssue` with errors *and* an issue: it exists, perhaps not linked (re-read)."""


def graphql_url(base_url: str) -> str:
    """The GraphQL endpoint beside a REST base URL (`https://host/api/v3` -> `https://host/api/graphql`)."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


def creates_linked(base_url: str) -> bool:
    """Whether sub-issues may be created already linked on this host (not known to refuse it)."""
    return base_url.rstrip("/") not in _NO_PARENT


def forget_hosts() -> None:
    """Forget what was learnt about hosts (tests start a new local GitHub on a reused port)."""
    _NO_PARENT.clear()


def _names_parent_field(error: Any) -> bool:
    """A validation error (no `type`: nothing ran) that names `parentIssueId`."""
    return isinstance(error, dict) and "type" not in error and PARENT_FIELD in str(error.get("message", ""))


async def run(gh: gidgethub.abc.GitHubAPI, query: str, **variables: Any) -> Any:
    """One GraphQL request to `gh`'s host; its `data`. A host refusing `parentIssueId` is remembered."""
    try:
        return await gh.graphql(query, endpoint=graphql_url(gh.base_url), **variables)
    except gidgethub.QueryError as exc:
        errors = exc.response.get("errors") if isinstance(exc.response, dict) else None
        if any(_names_parent_field(e) for e in errors or []):
            _NO_PARENT.add(gh.base_url.rstrip("/"))
            raise ParentUnsupported(str(exc)) from exc
        raise


async def repository_ids(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, labels: list[str]
) -> tuple[str, dict[str, str]]:
    """The repository's node id and the node ids of those `labels` that exist (by exact name), one read."""
    params = ["$owner: String!", "$name: String!", *(f"$l{i}: String!" for i in range(len(labels)))]
    fields = " ".join(f"l{i}: label(name: $l{i}) {{ id name }}" for i in range(len(labels)))
    query = f"query({', '.join(params)}) {{ repository(owner: $owner, name: $name) {{ id {fields} }} }}"
    variables: dict[str, Any] = {"owner": owner, "name": repo, **{f"l{i}": n for i, n in enumerate(labels)}}
    data = await run(gh, query, **variables)
    found = data["repository"]
    ids = {
        name: str(found[f"l{i}"]["id"])
        for i, name in enumerate(labels)
        if isinstance(found.get(f"l{i}"), dict) and found[f"l{i}"].get("name", "").lower() == name.lower()
    }
    return str(found["id"]), ids


async def create_sub_issue(
    gh: gidgethub.abc.GitHubAPI, repository_id: str, parent_id: str, title: str, body: str,
    label_ids: list[str],
) -> dict[str, Any]:
    """Create an issue already a sub-issue of `parent_id` (node ids); `{number, id, node_id, html_url}` as
    REST would name them."""
    try:
        data = await run(gh, CREATE_ISSUE, input={
            "repositoryId": repository_id, "parentIssueId": parent_id, "title": title, "body": body,
            "labelIds": label_ids,
        })
    except gidgethub.QueryError as exc:
        answer = exc.response.get("data") if isinstance(exc.response, dict) else None
        made = ((answer or {}).get("createIssue") or {}).get("issue")
        if made:
            raise CreatedWithErrors(str(exc)) from exc
        raise NotCreated(str(exc)) from exc
    issue = data["createIssue"]["issue"]
    return {"number": int(issue["number"]), "id": int(issue["fullDatabaseId"]), "node_id": issue["id"],
            "html_url": issue["url"]}
