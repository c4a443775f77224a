"""The local GitHub's `POST /graphql`: each request parsed and validated against GitHub's schema, then served.

What it serves is what the bot uses: `repository(owner, name) { id label(name) { id } }`, `node(id)`, and the
`createIssue` mutation (with `labelIds` and `parentIssueId`: an issue created already a sub-issue). Anything
else the schema allows answers an error naming the field and is recorded as a violation, so a test never
passes on a field the local GitHub only pretends to serve. Errors have GitHub's shapes: parse and validation
errors (200, `errors` with `message` and `locations`), execution errors (200, `errors` with `type`:
NOT_FOUND, FORBIDDEN, UNPROCESSABLE), 401 for bad credentials (the server's own check). The state, the
`issues` permission, faults and accounting are the REST routes' (bot.sandbox.server).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    OperationDefinitionNode,
)

from bot.sandbox.auth import Identity
from bot.sandbox.calls import Host
from bot.sandbox.records import MAX_SUB_ISSUES, Issue, Json, Repo, SandboxError, node_id
from bot.sandbox.shapes import APP_PERMISSIONS

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "schema.graphql"
DOCS = "https://docs.github.com/graphql"
#: The input field GitHub Enterprise Server versions before sub-issues lack.
PARENT_ISSUE_ID = "CreateIssueInput.parentIssueId"


@functools.cache
def _sdl() -> DocumentNode:
    """GitHub's schema document, parsed once per process (the schema is large)."""
    return graphql.parse(SCHEMA_FILE.read_text(encoding="utf-8"), no_location=True)


@functools.cache
def schema(without: frozenset[str] = frozenset()) -> GraphQLSchema:
    """GitHub's schema; `without` names input fields (`Type.field`) an older GitHub lacks, left out.

    The published SDL declares two fields twice, so it is built without SDL validation (as GitHub's own
    tools read it); the requests are validated in full.
    """
    doc = _sdl()
    if without:
        definitions = []
        for node in doc.definitions:
            if isinstance(node, InputObjectTypeDefinitionNode):
                gone = {w.split(".", 1)[1] for w in without if w.split(".", 1)[0] == node.name.value}
                if gone:
                    node = copy.copy(node)
                    node.fields = tuple(f for f in node.fields or () if f.name.value not in gone)
            definitions.append(node)
        doc = DocumentNode(definitions=tuple(definitions))
    return graphql.build_ast_schema(doc, assume_valid_sdl=True)


@dataclass
class Parsed:
    """A request that parsed: its document, the operation to run, its variables."""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any] | None
    operation_name: str | None

    @property
    def is_mutation(self) -> bool:
        """True when the operation is a mutation (GitHub charges it as a write)."""
        return self.operation.operation == graphql.OperationType.MUTATION


def parse_request(raw: bytes) -> Parsed | tuple[int, Json]:
    """The request's document and operation, or the answer GitHub gives to what does not parse."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return 400, {"message": "Problems parsing JSON", "documentation_url": DOCS, "status": "400"}
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return 200, {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return 200, {"errors": [{"message": "Variables are invalid JSON."}]}
    name = body.get("operationName")
    name = name if isinstance(name, str) and name else None
    try:
        document = graphql.parse(body["query"])
    except GraphQLError as exc:
        return 200, {"errors": [_public(exc)]}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name is not None and o.name.value == name)]
    if len(chosen) != 1:
        message = (f'Operation "{name}" not found' if name is not None and not chosen
                   else "An operation name is required")
        return 200, {"errors": [{"message": message}]}
    return Parsed(document, chosen[0], variables, name)


class Refused(Exception):
    """An execution error GitHub reports with a `type` (NOT_FOUND, FORBIDDEN, UNPROCESSABLE)."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


_TYPES = {401: "FORBIDDEN", 403: "FORBIDDEN", 404: "NOT_FOUND", 410: "NOT_FOUND", 422: "UNPROCESSABLE"}


@dataclass
class Context:
    """What the resolvers of one request share: the local GitHub and who is asking."""

    sb: Host
    identity: Identity

    def unserved(self, info: GraphQLResolveInfo) -> GraphQLError:
        """A field the schema has but the local GitHub does not serve: an error, and a violation."""
        what = f"{info.parent_type.name}.{info.field_name}"
        self.sb.violations.append(f"POST /graphql: {what} is not served by the local GitHub")
        return GraphQLError(f"The local GitHub does not serve {what}")

    def visible(self, repo: Repo) -> bool:
        """Whether the caller may see `repo` (an installation only its own repositories)."""
        if self.identity.kind == "installation":
            return repo.installation_id == self.identity.installation_id
        return self.identity.kind == "user"


def _decode(node: object, prefix: str) -> int | None:
    """The database id inside one of the local GitHub's node ids of kind `prefix` (None if not one)."""
    if not isinstance(node, str) or not node.startswith(prefix + "_kwDO"):
        return None
    raw = node[len(prefix) + 5 :]
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return None
    db_id = int.from_bytes(data, "big")
    return db_id if len(data) == 8 and node_id(prefix, db_id) == node else None


def _unresolved(node: object) -> Refused:
    return Refused("NOT_FOUND", f"Could not resolve to a node with the global id of '{node}'")


# ---- object shapes: dicts whose values are values or callables taking the field's arguments ----------
def _repository(ctx: Context, repo: Repo) -> Json:
    def label(name: str) -> Json | None:
        found = repo.labels.get(name.casefold())
        return None if found is None else {
            "__typename": "Label", "id": node_id("LA", found.id), "name": found.name, "color": found.color,
            "description": found.description,
        }

    return {
        "__typename": "Repository", "id": node_id("R", repo.id), "databaseId": repo.id, "name": repo.name,
        "nameWithOwner": repo.full_name, "url": f"{ctx.sb.state.html_url}/{repo.full_name}",
        "label": label, "hasIssuesEnabled": True,
    }


def _issue(ctx: Context, repo: Repo, issue: Issue) -> Json:
    def parent() -> Json | None:
        if issue.parent is None:
            return None
        parent_repo, parent_issue = ctx.sb.state.issue_index[issue.parent]
        return _issue(ctx, parent_repo, parent_issue)

    return {
        "__typename": "Issue", "id": node_id("I", issue.id), "databaseId": issue.id,
        "fullDatabaseId": str(issue.id), "number": issue.number,
        "title": issue.title, "body": issue.body or "", "state": issue.state.upper(),
        "url": f"{ctx.sb.state.html_url}/{repo.full_name}/issues/{issue.number}",
        "repository": lambda: _repository(ctx, repo), "parent": parent,
    }


# ---- root fields ---------------------------------------------------------------------------------------
def _query_repository(ctx: Context, owner: str, name: str, **_: Any) -> Json:
    try:
        repo = ctx.sb.state.repo(f"{owner}/{name}")
    except KeyError:
        repo = None
    if repo is None or not ctx.visible(repo):
        raise Refused("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    return _repository(ctx, repo)


def _query_node(ctx: Context, id: str) -> Json | None:
    db_id = _decode(id, "I")
    if db_id is not None and db_id in ctx.sb.state.issue_index:
        repo, issue = ctx.sb.state.issue_index[db_id]
        if ctx.visible(repo):
            return _issue(ctx, repo, issue)
    repo_id = _decode(id, "R")
    for repo in ctx.sb.state.repos.values():
        if repo.id == repo_id and ctx.visible(repo):
            return _repository(ctx, repo)
    raise _unresolved(id)


def _create_issue(ctx: Context, input: dict[str, Any]) -> Json:
    sb, ident = ctx.sb, ctx.identity
    for unserved in ("assigneeIds", "milestoneId", "projectIds", "issueTemplate"):
        if input.get(unserved):
            sb.violations.append(
                f"POST /graphql: CreateIssueInput.{unserved} is not served by the local GitHub")
            raise GraphQLError(f"The local GitHub does not serve CreateIssueInput.{unserved}")
    repo_id = _decode(input["repositoryId"], "R")
    repo = next((r for r in sb.state.repos.values() if r.id == repo_id and ctx.visible(r)), None)
    if repo is None:
        raise _unresolved(input["repositoryId"])
    if ident.kind == "installation" and ident.installation_id is not None:
        granted = sb.installation_permissions.get(ident.installation_id, APP_PERMISSIONS).get("issues")
        if granted != "write":
            raise Refused("FORBIDDEN", "Resource not accessible by integration")
    title = str(input["title"])
    if not title.strip():
        raise Refused("UNPROCESSABLE", "Title can't be blank")
    labels: list[str] = []
    for label_id in input.get("labelIds") or []:
        db_id = _decode(label_id, "LA")
        found = next((lab for lab in repo.labels.values() if lab.id == db_id), None)
        if found is None:
            raise _unresolved(label_id)
        labels.append(found.name)
    parent: Issue | None = None
    if input.get("parentIssueId") is not None:
        parent_id = _decode(input["parentIssueId"], "I")
        if parent_id is None or parent_id not in sb.state.issue_index:
            raise _unresolved(input["parentIssueId"])
        parent_repo, parent = sb.state.issue_index[parent_id]
        if not ctx.visible(parent_repo) or parent_repo.owner.casefold() != repo.owner.casefold():
            raise _unresolved(input["parentIssueId"])
        if len(parent.sub_issues) >= MAX_SUB_ISSUES:
            raise Refused("UNPROCESSABLE", f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues")
    user, via_app = (sb.state.user(sb.bot_login, "Bot"), True) if ident.kind == "installation" else (
        sb.state.user(ident.login or "ghost"), False)
    issue = sb.state.create_issue(
        repo, title, input.get("body"), user, labels=labels or None, via_app=via_app)
    if parent is not None:
        sb.state.add_sub_issue(parent, issue.id)
    return {"__typename": "CreateIssuePayload", "clientMutationId": input.get("clientMutationId"),
            "issue": _issue(ctx, repo, issue)}


ROOT: dict[tuple[str, str], Callable[..., Any]] = {
    ("Query", "repository"): _query_repository,
    ("Query", "node"): _query_node,
    ("Mutation", "createIssue"): _create_issue,
}


def _resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    ctx: Context = info.context
    if source is None:
        root = ROOT.get((info.parent_type.name, info.field_name))
        if root is None:
            raise ctx.unserved(info)
        try:
            return root(ctx, **args)
        except SandboxError as exc:
            raise Refused(_TYPES.get(exc.status, "UNPROCESSABLE"), exc.message) from exc
    if isinstance(source, dict) and info.field_name in source:
        value = source[info.field_name]
        return value(**args) if callable(value) else value
    raise ctx.unserved(info)


def _public(error: GraphQLError) -> Json:
    """An error as GitHub shows it: `type` for execution errors, `locations` and `path` when known."""
    out: Json = {"message": error.message}
    original = error.original_error
    if isinstance(original, Refused):
        out = {"type": original.type, **out}
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return out


def execute(sb: Host, identity: Identity, parsed: Parsed, without: frozenset[str]) -> Json:
    """Validate the request against the schema and run it: GitHub's `{data, errors}` body."""
    target = schema(without)
    problems = graphql.validate(target, parsed.document)
    if problems:
        return {"errors": [_public(p) for p in problems]}
    result = graphql.execute(
        target, parsed.document, context_value=Context(sb, identity), variable_values=parsed.variables,
        operation_name=parsed.operation_name, field_resolver=_resolve,
    )
    if hasattr(result, "__await__"):  # no resolver is asynchronous
        raise TypeError("asynchronous GraphQL execution is not supported")
    out: Json = {}
    if result.data is not None or not result.errors:
        out["data"] = result.data
    if result.errors:
        out["errors"] = [_public(e) for e in result.errors]
    return out
