"""Route handlers of the local GitHub: one function per operation of the description, and the route table."""

from __future__ import annotations

import itertools
from typing import Any

from bot.sandbox.accounting import account_key
from bot.sandbox.calls import Answer, Call, Handler, Host
from bot.sandbox.records import (
    DEFAULT_LABEL_COLOR,
    Comment,
    Issue,
    Json,
    Reaction,
    Repo,
    SandboxError,
    check_body,
    invalid,
    is_color,
    iso,
    not_found,
)
from bot.sandbox.repo import MAX_DIRECTORY_ENTRIES, diff
from bot.sandbox.responses import paginate
from bot.sandbox.shapes import APP_PERMISSIONS, role_permissions


def _obj(call: Call) -> dict[str, Any]:
    body = call.body
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise SandboxError(400, "Problems parsing JSON")
    return body


def get_app(sb: Host, call: Call) -> Answer:
    sb.require_app(call)
    return Answer(200, sb.shapes.app())


def create_installation_token(sb: Host, call: Call) -> Answer:
    sb.require_app(call)
    installation_id = call.int_param("installation_id")
    if installation_id not in sb.installations:
        raise not_found()
    token = sb.credentials.issue_installation_token(installation_id, sb.token_ttl)
    assert token.expires_at is not None
    return Answer(
        201,
        {
            "token": token.value,
            "expires_at": iso(token.expires_at),
            "permissions": dict(sb.installation_permissions.get(installation_id, APP_PERMISSIONS)),
            "repository_selection": "selected",
        },
    )


def get_rate_limit(sb: Host, call: Call) -> Answer:
    acct = sb.ledger.account(account_key(call.identity))
    core = {"limit": acct.limit, "remaining": acct.remaining, "reset": acct.reset, "used": acct.used}
    search = {"limit": 30, "remaining": 30, "reset": int(sb.clock()) + 60, "used": 0}
    return Answer(200, {"resources": {"core": core, "search": search}, "rate": core})


def get_repo_installation(sb: Host, call: Call) -> Answer:
    sb.require_app(call)
    try:
        repo = sb.state.repo(f"{call.param('owner')}/{call.param('repo')}")
    except KeyError:
        raise not_found() from None
    if repo.installation_id is None:
        raise not_found()
    return Answer(200, sb.shapes.installation(repo.installation_id, sb.state.user(repo.owner)))


def get_permission(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    user = sb.state.user(call.param("username"))
    return Answer(200, sb.shapes.collaborator_permission(repo, user))


# ---- issues ------------------------------------------------------------------------------------------------
def list_issues(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    q = call.query
    state = q.get("state", "open")
    issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
    if "labels" in q:
        wanted = [name.strip().casefold() for name in q["labels"].split(",") if name.strip()]
        issues = [i for i in issues if all(w in i.labels for w in wanted)]
    if "creator" in q:
        issues = [i for i in issues if i.user.login.casefold() == q["creator"].casefold()]
    if "since" in q:
        issues = [i for i in issues if iso(i.updated_at) >= q["since"]]
    sort = q.get("sort", "created")

    def sort_key(i: Issue) -> tuple[float, int]:
        value = {"updated": i.updated_at, "comments": float(len(i.comment_ids))}.get(sort, i.created_at)
        return (value, i.number)

    issues.sort(key=sort_key, reverse=q.get("direction", "desc") == "desc")
    return Answer(200, [sb.shapes.issue(repo, i) for i in issues], page=True)


def _label_names(body: Any, *, allow_string: bool) -> list[str]:
    """Label names from any of the body forms GitHub accepts."""
    if isinstance(body, dict):
        body = body.get("labels", [])
    if isinstance(body, str) and allow_string:
        body = [body]
    if not isinstance(body, list):
        raise invalid("Label", "labels")
    names: list[str] = []
    for item in body:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise invalid("Label", "name", "missing_field")
        names.append(name)
    return names


def create_issue(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    body = _obj(call)
    title = body.get("title")
    if title is None:
        raise invalid("Issue", "title", "missing_field")
    user, via_app = sb.actor(call)
    text = body.get("body")
    labels = _label_names(body.get("labels", []), allow_string=False) if body.get("labels") else None
    issue = sb.state.create_issue(repo, str(title), text, user, labels=labels, via_app=via_app)
    if _can_push(sb, call, repo):  # GitHub silently drops these from anyone else
        sb.state.assign(repo, issue, _assignee_logins(body))
        if isinstance(body.get("type"), str):
            issue.type = sb.state.issue_type(repo, body["type"])
    data = sb.shapes.issue(repo, issue)
    return Answer(201, data, {"Location": data["url"]})


def get_issue(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    return Answer(200, sb.shapes.issue(repo, issue))


def update_issue(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    body = _obj(call)
    user, _ = sb.actor(call)
    if "title" in body and body["title"] is not None and not str(body["title"]).strip():
        raise invalid("Issue", "title", "missing_field")
    if "body" in body:
        check_body(body["body"], "Issue")
    if "title" in body and body["title"] is not None:
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = body["body"]
    if "labels" in body and body["labels"] is not None:
        names = _label_names(body["labels"], allow_string=False)
        issue.labels = []
        sb.state.add_labels(repo, issue, names)
    if _can_push(sb, call, repo):  # GitHub silently drops assignee and type changes from anyone else
        if "assignees" in body or "assignee" in body:
            issue.assignees = []
            sb.state.assign(repo, issue, _assignee_logins(body))
        if "type" in body:
            _set_type(sb, repo, issue, body["type"])
    state = body.get("state")
    if state in ("open", "closed"):
        sb.state.set_state(issue, state, body.get("state_reason") if state == "closed" else None, user)
    elif body.get("state_reason") and issue.state == "closed":
        reason = body["state_reason"]
        if reason == "reopened":
            sb.state.set_state(issue, "open", None, user)
        else:
            issue.state_reason = reason
    sb.state.touch(issue)
    return Answer(200, sb.shapes.issue(repo, issue))


def _can_push(sb: Host, call: Call, repo: Repo) -> bool:
    """Whether the caller may set assignees and types: the App (its `issues: write` is checked before any
    handler runs) or a person with push access."""
    user, via_app = sb.actor(call)
    return via_app or sb.state.has_push(repo, user)


def _assignee_logins(body: Any) -> list[str]:
    """Logins from `assignees` (strings or `{login}` objects) and the older single `assignee`."""
    logins: list[str] = []
    if not isinstance(body, dict):
        return logins
    if isinstance(body.get("assignee"), str) and body["assignee"]:
        logins.append(body["assignee"])
    for item in body.get("assignees") or []:
        login = item.get("login") if isinstance(item, dict) else item
        if isinstance(login, str) and login:
            logins.append(login)
    return logins


def _set_type(sb: Host, repo: Repo, issue: Issue, value: Any) -> None:
    """Set (a name, or `{value: name}`) or clear (null) an issue's type; an unknown name changes nothing."""
    name = value.get("value") if isinstance(value, dict) else value
    if name is None:
        issue.type = None
    elif isinstance(name, str):
        found = sb.state.issue_type(repo, name)
        if found is not None:
            issue.type = found


# ---- assignees ---------------------------------------------------------------------------------------------
def add_assignees(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    if _can_push(sb, call, repo):
        sb.state.assign(repo, issue, _assignee_logins({"assignees": _obj(call).get("assignees")}))
    return Answer(201, sb.shapes.issue(repo, issue))


def remove_assignees(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    logins = _obj(call).get("assignees")
    if not isinstance(logins, list):
        raise invalid("Issue", "assignees", "missing_field")
    if _can_push(sb, call, repo):
        sb.state.unassign(issue, [x for x in logins if isinstance(x, str)])
    return Answer(200, sb.shapes.issue(repo, issue))


def check_assignee(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    if not sb.state.can_be_assigned(repo, call.param("assignee")):
        raise not_found()
    return Answer(204)


def list_issue_types(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return Answer(200, [sb.shapes.issue_type(t) for t in repo.issue_types if t.is_enabled])


# ---- repository and git ------------------------------------------------------------------------------------
def _granted(sb: Host, call: Call) -> dict[str, str] | None:
    """What an installation token was granted (None for other callers)."""
    ident = call.identity
    if ident.kind != "installation" or ident.installation_id is None:
        return None
    return sb.installation_permissions.get(ident.installation_id, APP_PERMISSIONS)


def _contents_repo(sb: Host, call: Call) -> Repo:
    """The path's repository, for reading its files: an installation needs the `contents` permission."""
    repo = sb.repo_for(call)
    granted = _granted(sb, call)
    if granted is not None and granted.get("contents") not in ("read", "write"):
        raise SandboxError(403, "Resource not accessible by integration")
    return repo


def get_repo(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    granted = _granted(sb, call)
    if granted is not None:  # an installation: what it may do with the repository's contents and issues
        permissions = {
            "admin": False, "maintain": False, "push": granted.get("contents") == "write",
            "triage": granted.get("issues") == "write", "pull": True,
        }
    else:
        login = call.identity.login or ""
        is_owner = login.casefold() == repo.owner.casefold()
        role = "admin" if is_owner else repo.permissions.get(login.casefold(), "none")
        permissions = role_permissions(role)
        permissions["pull"] = True  # a public repository: anyone may read it
    return Answer(200, sb.shapes.repository(repo, permissions))


def get_content(sb: Host, call: Call) -> Answer:
    repo = _contents_repo(sb, call)
    path = call.param("path").strip("/")
    ref = call.query.get("ref") or repo.default_branch
    if repo.git.empty:
        raise SandboxError(404, "This repository is empty.")
    commit = repo.git.resolve(ref)
    if commit is None:
        raise SandboxError(404, f"No commit found for the ref {ref}")
    blob = commit.files.get(path)
    if blob is not None:
        return Answer(200, sb.shapes.content_file(repo, path, blob, ref))
    tree = commit.dirs.get(path)
    if tree is None:
        raise not_found()
    prefix = f"{path}/" if path else ""
    entries = repo.git.trees[tree][:MAX_DIRECTORY_ENTRIES]
    return Answer(200, [sb.shapes.content_entry(repo, prefix + e.name, e, ref) for e in entries])


def get_tree(sb: Host, call: Call) -> Answer:
    repo = _contents_repo(sb, call)
    if repo.git.empty:
        raise SandboxError(409, "Git Repository is empty.")
    sha = repo.git.resolve_tree(call.param("tree_sha"))
    if sha is None:
        raise not_found()
    git = repo.git
    if "recursive" in call.query:  # any value, as on GitHub
        walked = list(itertools.islice(git.walk(sha), git.max_tree_entries + 1))
    else:
        walked = [(e.name, e) for e in git.trees[sha]]
    truncated = len(walked) > git.max_tree_entries
    tree = [sb.shapes.tree_entry(repo, path, e) for path, e in walked[: git.max_tree_entries]]
    url = f"{sb.shapes.api}/repos/{repo.full_name}/git/trees/{sha}"
    return Answer(200, {"sha": sha, "url": url, "tree": tree, "truncated": truncated})


#: The compare API lists at most this many commits a page, and at most this many files.
COMPARE_COMMITS = 250
COMPARE_FILES = 300


def compare(sb: Host, call: Call) -> Answer:
    repo = _contents_repo(sb, call)
    basehead = call.param("basehead")
    base_ref, sep, head_ref = basehead.partition("...")
    if not sep:
        raise not_found()
    refs = []
    for ref in (base_ref, head_ref):
        owner, colon, name = ref.rpartition(":")
        if colon and owner.casefold() != repo.owner.casefold():
            raise not_found()  # forks are not modelled: another owner's branch does not exist here
        found = repo.git.resolve(name)
        if found is None:
            raise not_found()
        refs.append(found)
    base, head = refs
    git = repo.git
    merge_base = git.merge_base(base.sha, head.sha)
    if merge_base is None:
        raise SandboxError(404, f"No common ancestor between {base_ref} and {head_ref}.")
    ahead = git.between(merge_base, head.sha)
    behind = git.between(merge_base, base.sha)
    status = (
        "identical" if not ahead and not behind else "ahead" if not behind else "behind" if not ahead
        else "diverged"
    )
    origin = sb.base_url[: len(sb.base_url) - len(sb.path_prefix)] if sb.path_prefix else sb.base_url
    page_of, link = paginate(call.request, ahead, origin, default=COMPARE_COMMITS, maximum=COMPARE_COMMITS)
    api = f"{sb.shapes.api}/repos/{repo.full_name}"
    html = f"{sb.shapes.html}/{repo.full_name}"
    data: Json = {
        "url": f"{api}/compare/{basehead}",
        "html_url": f"{html}/compare/{basehead}",
        "permalink_url": f"{html}/compare/{repo.owner}:{base.sha}...{repo.owner}:{head.sha}",
        "diff_url": f"{html}/compare/{basehead}.diff",
        "patch_url": f"{html}/compare/{basehead}.patch",
        "base_commit": sb.shapes.commit(repo, base),
        "merge_base_commit": sb.shapes.commit(repo, git.commits[merge_base]),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [sb.shapes.commit(repo, c) for c in page_of],
    }
    if call.query.get("page", "1") == "1":  # GitHub lists the files on the first page only
        changes = diff(git.commits[merge_base].files, head.files)[:COMPARE_FILES]
        data["files"] = [sb.shapes.diff_entry(repo, c, head.sha) for c in changes]
    return Answer(200, data, {"Link": link} if link else {})


# ---- comments ----------------------------------------------------------------------------------------------
def _comments_since(call: Call, comments: list[Comment]) -> list[Comment]:
    since = call.query.get("since")
    return [c for c in comments if since is None or iso(c.updated_at) >= since]


def list_repo_comments(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    comments = _comments_since(call, list(repo.comments.values()))
    by_updated = call.query.get("sort", "created") == "updated"
    comments.sort(key=lambda c: (c.updated_at if by_updated else c.created_at, c.id))
    if call.query.get("direction", "asc") == "desc":
        comments.reverse()
    return Answer(200, [sb.shapes.comment(repo, c) for c in comments], page=True)


def list_issue_comments(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    comments = _comments_since(call, [repo.comments[i] for i in issue.comment_ids])
    return Answer(200, [sb.shapes.comment(repo, c) for c in comments], page=True)


def create_comment(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    body = _obj(call)
    user, via_app = sb.actor(call)
    text = body.get("body")
    if not isinstance(text, str):
        raise invalid("IssueComment", "body", "missing_field")
    comment = sb.state.create_comment(repo, issue, text, user, via_app=via_app)
    data = sb.shapes.comment(repo, comment)
    return Answer(201, data, {"Location": data["url"]})


def get_comment(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return Answer(200, sb.shapes.comment(repo, sb.state.comment(repo, call.int_param("comment_id"))))


def update_comment(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    comment = sb.state.comment(repo, call.int_param("comment_id"))
    text = _obj(call).get("body")
    if not isinstance(text, str):
        raise invalid("IssueComment", "body", "missing_field")
    check_body(text, "IssueComment", required=True)
    comment.body = text
    sb.state.touch(comment)
    return Answer(200, sb.shapes.comment(repo, comment))


def delete_comment(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    sb.state.delete_comment(repo, sb.state.comment(repo, call.int_param("comment_id")))
    return Answer(204)


# ---- reactions ---------------------------------------------------------------------------------------------
def _list_reactions(sb: Host, call: Call, reactions: list[Reaction]) -> Answer:
    content = call.query.get("content")
    return Answer(200, [sb.shapes.reaction(r) for r in reactions if content in (None, r.content)], page=True)


def _react(sb: Host, call: Call, reactions: list[Reaction]) -> Answer:
    user, _ = sb.actor(call)
    content = _obj(call).get("content")
    if not isinstance(content, str):
        raise invalid("Reaction", "content", "missing_field")
    reaction, created = sb.state.react(reactions, user, content)
    return Answer(201 if created else 200, sb.shapes.reaction(reaction))


def _unreact(call: Call, reactions: list[Reaction]) -> Answer:
    reaction_id = call.int_param("reaction_id")
    for r in reactions:
        if r.id == reaction_id:
            reactions.remove(r)
            return Answer(204)
    raise not_found()


def list_comment_reactions(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return _list_reactions(sb, call, sb.state.comment(repo, call.int_param("comment_id")).reactions)


def create_comment_reaction(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return _react(sb, call, sb.state.comment(repo, call.int_param("comment_id")).reactions)


def delete_comment_reaction(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return _unreact(call, sb.state.comment(repo, call.int_param("comment_id")).reactions)


def list_issue_reactions(sb: Host, call: Call) -> Answer:
    return _list_reactions(sb, call, sb.issue_for(call)[1].reactions)


def create_issue_reaction(sb: Host, call: Call) -> Answer:
    return _react(sb, call, sb.issue_for(call)[1].reactions)


def delete_issue_reaction(sb: Host, call: Call) -> Answer:
    return _unreact(call, sb.issue_for(call)[1].reactions)


# ---- labels ------------------------------------------------------------------------------------------------
def list_repo_labels(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    return Answer(200, [sb.shapes.label(repo, lb) for lb in repo.labels.values()], page=True)


def create_label(sb: Host, call: Call) -> Answer:
    repo = sb.repo_for(call)
    body = _obj(call)
    name = body.get("name")
    if not isinstance(name, str):
        raise invalid("Label", "name", "missing_field")
    color = body.get("color") or DEFAULT_LABEL_COLOR
    label = sb.state.create_label(repo, name, str(color), body.get("description"))
    data = sb.shapes.label(repo, label)
    return Answer(201, data, {"Location": data["url"]})


def _repo_label(sb: Host, call: Call) -> tuple[Repo, Any]:
    repo = sb.repo_for(call)
    label = repo.labels.get(call.param("name").casefold())
    if label is None:
        raise not_found()
    return repo, label


def get_label(sb: Host, call: Call) -> Answer:
    repo, label = _repo_label(sb, call)
    return Answer(200, sb.shapes.label(repo, label))


def update_label(sb: Host, call: Call) -> Answer:
    repo, label = _repo_label(sb, call)
    body = _obj(call)
    if "color" in body and body["color"] is not None:
        color = str(body["color"]).removeprefix("#")
        if not is_color(color):
            raise invalid("Label", "color")
        label.color = color  # GitHub keeps the case it was given (recorded: "BADA55")
    if "description" in body:
        label.description = body["description"]
    if body.get("new_name"):
        sb.state.rename_label(repo, label, str(body["new_name"]))
    return Answer(200, sb.shapes.label(repo, label))


def delete_label(sb: Host, call: Call) -> Answer:
    repo, label = _repo_label(sb, call)
    sb.state.delete_label(repo, label)
    return Answer(204)


def _issue_labels(sb: Host, repo: Repo, issue: Issue) -> list[Json]:
    return [sb.shapes.label(repo, repo.labels[k]) for k in issue.labels]


def list_issue_labels(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    return Answer(200, _issue_labels(sb, repo, issue), page=True)


def add_issue_labels(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    sb.state.add_labels(repo, issue, _label_names(call.body, allow_string=False))
    return Answer(200, _issue_labels(sb, repo, issue))


def set_issue_labels(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    names = _label_names(call.body if call.body is not None else [], allow_string=True)
    issue.labels = []
    sb.state.add_labels(repo, issue, names)
    return Answer(200, _issue_labels(sb, repo, issue))


def remove_all_issue_labels(sb: Host, call: Call) -> Answer:
    _, issue = sb.issue_for(call)
    issue.labels = []
    sb.state.touch(issue)
    return Answer(204)


def remove_issue_label(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    key = call.param("name").casefold()
    if key not in issue.labels:
        raise SandboxError(404, "Label does not exist")
    issue.labels.remove(key)
    sb.state.touch(issue)
    return Answer(200, _issue_labels(sb, repo, issue))


# ---- sub-issues --------------------------------------------------------------------------------------------
def _int_field(call: Call, name: str, resource: str = "Issue") -> int:
    """A required integer field of the JSON body (a database id); 422 when missing or not an integer."""
    value = _obj(call).get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(resource, name, "missing_field" if value is None else "invalid")
    return value


def _optional_int_field(call: Call, name: str) -> int | None:
    return None if _obj(call).get(name) is None else _int_field(call, name)


def list_sub_issues(sb: Host, call: Call) -> Answer:
    _, issue = sb.issue_for(call)
    children = [sb.state.issue_index[i] for i in issue.sub_issues]
    return Answer(200, [sb.shapes.issue(r, c) for r, c in children], page=True)


def add_sub_issue(sb: Host, call: Call) -> Answer:
    repo, parent = sb.issue_for(call)
    child_id = _int_field(call, "sub_issue_id")
    sb.issue_of_id(repo, child_id)
    sb.state.add_sub_issue(parent, child_id, replace_parent=bool(_obj(call).get("replace_parent")))
    return Answer(201, sb.shapes.issue(repo, parent))  # GitHub answers with the parent, summary updated


def remove_sub_issue(sb: Host, call: Call) -> Answer:
    repo, parent = sb.issue_for(call)
    child_id = _int_field(call, "sub_issue_id")
    sb.state.remove_sub_issue(parent, child_id)
    return Answer(200, sb.shapes.issue(repo, parent))


def reprioritize_sub_issue(sb: Host, call: Call) -> Answer:
    repo, parent = sb.issue_for(call)
    child_id = _int_field(call, "sub_issue_id")
    after = _optional_int_field(call, "after_id")
    before = _optional_int_field(call, "before_id")
    sb.state.reprioritize(parent, child_id, after, before)
    return Answer(200, sb.shapes.issue(repo, parent))


def get_parent(sb: Host, call: Call) -> Answer:
    _, issue = sb.issue_for(call)
    if issue.parent is None:
        raise not_found()
    parent_repo, parent = sb.state.issue_index[issue.parent]
    return Answer(200, sb.shapes.issue(parent_repo, parent))


# ---- dependencies ------------------------------------------------------------------------------------------
def list_blocked_by(sb: Host, call: Call) -> Answer:
    _, issue = sb.issue_for(call)
    blockers = [sb.state.issue_index[i] for i in issue.blocked_by]
    return Answer(200, [sb.shapes.issue(r, b) for r, b in blockers], page=True)


def add_blocked_by(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    blocker_id = _int_field(call, "issue_id", "IssueDependency")
    sb.issue_of_id(repo, blocker_id)
    sb.state.add_blocked_by(issue, blocker_id)
    return Answer(201, sb.shapes.issue(repo, issue))


def remove_blocked_by(sb: Host, call: Call) -> Answer:
    repo, issue = sb.issue_for(call)
    sb.state.remove_blocked_by(issue, call.int_param("issue_id"))
    return Answer(200, sb.shapes.issue(repo, issue))


def list_blocking(sb: Host, call: Call) -> Answer:
    _, issue = sb.issue_for(call)
    return Answer(
        200, [sb.shapes.issue(sb.state.issue_index[b.id][0], b) for b in sb.state.blocking(issue)], page=True
    )


R = "/repos/{owner}/{repo}"
N = R + "/issues/{issue_number}"
C = R + "/issues/comments/{comment_id}"
#: (method, path template, handler): every operation of the description. Parameters GitHub lets span
#: several path segments (`x-multi-segment`) carry aiohttp's `:.+`.
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/app", get_app),
    ("GET", R, get_repo),
    ("GET", R + "/assignees/{assignee}", check_assignee),
    ("GET", R + "/compare/{basehead:.+}", compare),
    ("GET", R + "/contents/{path:.+}", get_content),
    ("GET", R + "/git/trees/{tree_sha:.+}", get_tree),
    ("GET", R + "/issue-types", list_issue_types),
    ("POST", N + "/assignees", add_assignees),
    ("DELETE", N + "/assignees", remove_assignees),
    ("POST", "/app/installations/{installation_id}/access_tokens", create_installation_token),
    ("GET", "/rate_limit", get_rate_limit),
    ("GET", R + "/collaborators/{username}/permission", get_permission),
    ("GET", R + "/installation", get_repo_installation),
    ("GET", R + "/issues", list_issues),
    ("POST", R + "/issues", create_issue),
    ("GET", R + "/issues/comments", list_repo_comments),
    ("GET", C, get_comment),
    ("PATCH", C, update_comment),
    ("DELETE", C, delete_comment),
    ("GET", C + "/reactions", list_comment_reactions),
    ("POST", C + "/reactions", create_comment_reaction),
    ("DELETE", C + "/reactions/{reaction_id}", delete_comment_reaction),
    ("GET", N, get_issue),
    ("PATCH", N, update_issue),
    ("GET", N + "/comments", list_issue_comments),
    ("POST", N + "/comments", create_comment),
    ("GET", N + "/dependencies/blocked_by", list_blocked_by),
    ("POST", N + "/dependencies/blocked_by", add_blocked_by),
    ("DELETE", N + "/dependencies/blocked_by/{issue_id}", remove_blocked_by),
    ("GET", N + "/dependencies/blocking", list_blocking),
    ("GET", N + "/labels", list_issue_labels),
    ("POST", N + "/labels", add_issue_labels),
    ("PUT", N + "/labels", set_issue_labels),
    ("DELETE", N + "/labels", remove_all_issue_labels),
    ("DELETE", N + "/labels/{name}", remove_issue_label),
    ("GET", N + "/parent", get_parent),
    ("GET", N + "/reactions", list_issue_reactions),
    ("POST", N + "/reactions", create_issue_reaction),
    ("DELETE", N + "/reactions/{reaction_id}", delete_issue_reaction),
    ("DELETE", N + "/sub_issue", remove_sub_issue),
    ("GET", N + "/sub_issues", list_sub_issues),
    ("POST", N + "/sub_issues", add_sub_issue),
    ("PATCH", N + "/sub_issues/priority", reprioritize_sub_issue),
    ("GET", R + "/labels", list_repo_labels),
    ("POST", R + "/labels", create_label),
    ("GET", R + "/labels/{name}", get_label),
    ("PATCH", R + "/labels/{name}", update_label),
    ("DELETE", R + "/labels/{name}", delete_label),
]
