"""The local GitHub over real HTTP: issues, comments, labels, reactions, permissions, ETags, paging, auth."""

from __future__ import annotations

import json
import re

import aiohttp
from gidgethub.aiohttp import GitHubAPI

from bot.sandbox import Sandbox
from tests.fixtures.sandbox import REPO, Api
from tests.paths import FIXTURES, OPENAPI

ISSUES = f"/repos/{REPO}/issues"


async def test_create_issue_is_shaped_like_github_and_authored_by_the_bot(sandbox: Sandbox, api: Api) -> None:
    r = await api("POST", ISSUES, {"title": "Epic", "body": "text"})
    assert r.status == 201
    issue = r.data
    assert issue["number"] == 1
    assert issue["id"] != issue["number"] and issue["id"] > 2**31  # database id: large, not the number
    assert issue["node_id"].startswith("I_")
    assert issue["user"] == {**issue["user"], "login": "parallel-work-bot[bot]", "type": "Bot"}
    assert issue["performed_via_github_app"]["slug"] == "parallel-work-bot"
    assert issue["state"] == "open" and issue["state_reason"] is None
    assert issue["sub_issues_summary"] == {"total": 0, "completed": 0, "percent_completed": 0}
    assert "pull_request" not in issue and "parent_issue_url" not in issue
    assert issue["html_url"].endswith(f"/{REPO}/issues/1")
    assert issue["url"] == f"{sandbox.base_url}{ISSUES}/1"
    assert r.headers["Location"] == issue["url"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", issue["created_at"])
    got = await api("GET", f"{ISSUES}/1")
    assert got.status == 200 and got.data == issue


async def test_seeded_issue_has_the_recorded_fixture_keys(sandbox: Sandbox) -> None:
    recorded = json.loads((FIXTURES / "add-labels-to-issue.normalized-fixture.json").read_text())[0][
        "response"
    ]
    ours = sandbox.create_issue(REPO, "Issue without a label", body=None)
    missing = set(recorded) - set(ours)
    assert not missing, f"keys GitHub sends that we do not: {missing}"
    assert {k: type(v) for k, v in recorded["user"].items()} == {
        k: type(v) for k, v in ours["user"].items() if k in recorded["user"]
    }
    assert set(recorded["reactions"]) - {"url"} == set(ours["reactions"]) - {"url"}


async def test_issue_create_labels_are_created_case_insensitively(sandbox: Sandbox, api: Api) -> None:
    await api("POST", f"/repos/{REPO}/labels", {"name": "Epic", "color": "ff0000"})
    r = await api("POST", ISSUES, {"title": "t", "labels": ["epic", "stream:A"]})
    assert r.status == 201
    assert [(lb["name"], lb["color"]) for lb in r.data["labels"]] == [
        ("Epic", "ff0000"),
        ("stream:A", "ededed"),
    ]
    labels = await api("GET", f"/repos/{REPO}/labels")
    assert sorted(lb["name"] for lb in labels.data) == ["Epic", "stream:A"]


async def test_issue_create_requires_a_title(sandbox: Sandbox, api: Api) -> None:
    r = await api("POST", ISSUES, {"title": "   "})
    assert r.status == 422
    assert r.data["message"] == "Validation Failed"
    assert r.data["errors"][0]["field"] == "title"


async def test_update_issue_closes_with_reason_and_reopens(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    r = await api("PATCH", f"{ISSUES}/1", {"state": "closed", "state_reason": "not_planned"})
    assert (r.status, r.data["state"], r.data["state_reason"]) == (200, "closed", "not_planned")
    assert r.data["closed_at"] and r.data["closed_by"]["login"] == "parallel-work-bot[bot]"
    r = await api("PATCH", f"{ISSUES}/1", {"state": "open"})
    assert (r.data["state"], r.data["state_reason"], r.data["closed_at"]) == ("open", "reopened", None)
    r = await api("PATCH", f"{ISSUES}/1", {"state": "closed"})
    assert r.data["state_reason"] == "completed"
    r = await api("PATCH", f"{ISSUES}/1", {"title": "new", "body": "b", "labels": ["X"]})
    assert (r.data["title"], r.data["body"], [lb["name"] for lb in r.data["labels"]]) == ("new", "b", ["X"])
    snap = sandbox.snapshot(REPO)["issues"]["1"]
    assert (snap["state"], snap["state_reason"], snap["labels"]) == ("closed", "completed", ["X"])


async def test_unknown_issue_and_invisible_repo_are_404(sandbox: Sandbox, api: Api) -> None:
    sandbox.add_repo("other/secret", installation_id=2)
    sandbox.create_issue("other/secret", "hidden")
    assert (await api("GET", f"{ISSUES}/99")).status == 404
    r = await api("GET", "/repos/other/secret/issues/1")
    assert r.status == 404 and r.data["message"] == "Not Found"
    assert (await api("GET", "/repos/nobody/nothing/issues")).status == 404


async def test_bad_and_expired_tokens_get_401(sandbox: Sandbox, api: Api) -> None:
    r = await api("GET", ISSUES, token="ghs_not_a_token")
    assert r.status == 401 and r.data["message"] == "Bad credentials"
    assert (await api("GET", ISSUES, token="")).status == 401
    short = sandbox.issue_token(1, ttl=3600)
    assert (await api("GET", ISSUES, token=short)).status == 200
    sandbox.expire_token(short)
    assert (await api("GET", ISSUES, token=short)).status == 401


async def test_token_expiry_follows_the_injected_clock() -> None:
    now = [1_000_000.0]
    sb = Sandbox(clock=lambda: now[0])
    sb.add_repo(REPO)
    token = sb.issue_token(1, ttl=60)
    await sb.start()
    try:
        async with aiohttp.ClientSession() as session:
            caller = Api(session, sb.base_url, token)
            assert (await caller("GET", ISSUES)).status == 200
            now[0] += 61
            assert (await caller("GET", ISSUES)).status == 401
    finally:
        await sb.stop()


async def test_comments_create_list_get_update_delete(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    sandbox.create_comment(REPO, 1, "human words", user="alice")
    r = await api("POST", f"{ISSUES}/1/comments", {"body": "<!-- parallel-work-bot:summary -->"})
    assert r.status == 201
    mine = r.data
    assert mine["user"]["type"] == "Bot" and mine["issue_url"].endswith("/issues/1")
    assert mine["id"] > 2**31 and "#issuecomment-" in mine["html_url"]
    listed = await api("GET", f"{ISSUES}/1/comments")
    assert [c["user"]["login"] for c in listed.data] == ["alice", "parallel-work-bot[bot]"]
    assert listed.data[0]["author_association"] == "NONE"
    r = await api("PATCH", f"/repos/{REPO}/issues/comments/{mine['id']}", {"body": "edited"})
    assert r.status == 200 and r.data["body"] == "edited"
    assert (await api("GET", f"/repos/{REPO}/issues/comments/{mine['id']}")).data["body"] == "edited"
    all_comments = await api("GET", f"/repos/{REPO}/issues/comments?sort=created&direction=desc")
    assert [c["body"] for c in all_comments.data] == ["edited", "human words"]
    assert (await api("DELETE", f"/repos/{REPO}/issues/comments/{mine['id']}")).status == 204
    assert (await api("GET", f"/repos/{REPO}/issues/comments/{mine['id']}")).status == 404
    assert (await api("GET", f"{ISSUES}/1")).data["comments"] == 1


async def test_comment_body_limit_is_65536(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    assert (await api("POST", f"{ISSUES}/1/comments", {"body": "x" * 65536})).status == 201
    r = await api("POST", f"{ISSUES}/1/comments", {"body": "x" * 65537})
    assert r.status == 422
    assert r.data["errors"][0]["field"] == "body" and "too long" in r.data["errors"][0]["message"]
    assert (await api("POST", f"{ISSUES}/1/comments", {"body": ""})).status == 422
    assert len(sandbox.snapshot(REPO)["issues"]["1"]["comments"]) == 1


async def test_repo_labels_crud_and_errors(sandbox: Sandbox, api: Api) -> None:
    r = await api("POST", f"/repos/{REPO}/labels", {"name": "Blocked", "color": "d73a4a", "description": "d"})
    assert r.status == 201 and r.data["color"] == "d73a4a" and r.data["default"] is False
    dup = await api("POST", f"/repos/{REPO}/labels", {"name": "blocked"})
    assert dup.status == 422 and dup.data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    bad = await api("POST", f"/repos/{REPO}/labels", {"name": "foo", "color": "invalid"})
    assert bad.data["errors"] == [{"resource": "Label", "code": "invalid", "field": "color"}]  # as recorded
    assert (await api("GET", f"/repos/{REPO}/labels/BLOCKED")).data["name"] == "Blocked"
    r = await api("PATCH", f"/repos/{REPO}/labels/blocked", {"new_name": "blocked-by", "color": "000000"})
    assert (r.status, r.data["name"], r.data["color"]) == (200, "blocked-by", "000000")
    assert (await api("GET", f"/repos/{REPO}/labels/Blocked")).status == 404
    assert (await api("DELETE", f"/repos/{REPO}/labels/blocked-by")).status == 204
    assert (await api("GET", f"/repos/{REPO}/labels")).data == []


async def test_issue_labels_add_set_remove_as_recorded(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    r = await api("POST", f"{ISSUES}/1/labels", {"labels": ["Foo", "bAr", "baZ"]})
    assert r.status == 200
    assert [(lb["name"], lb["color"], lb["description"]) for lb in r.data] == [
        ("Foo", "ededed", None),
        ("bAr", "ededed", None),
        ("baZ", "ededed", None),
    ]
    r = await api("POST", f"{ISSUES}/1/labels", ["foo", "New"])  # bare-array form; `foo` exists
    assert [lb["name"] for lb in r.data] == ["Foo", "bAr", "baZ", "New"]
    r = await api("DELETE", f"{ISSUES}/1/labels/BAR")
    assert [lb["name"] for lb in r.data] == ["Foo", "baZ", "New"]
    r = await api("DELETE", f"{ISSUES}/1/labels/absent")
    assert r.status == 404 and r.data["message"] == "Label does not exist"
    r = await api("PUT", f"{ISSUES}/1/labels", {"labels": ["only"]})
    assert [lb["name"] for lb in r.data] == ["only"]
    assert [lb["name"] for lb in (await api("GET", f"{ISSUES}/1/labels")).data] == ["only"]
    assert (await api("DELETE", f"{ISSUES}/1/labels")).status == 204
    assert sandbox.snapshot(REPO)["issues"]["1"]["labels"] == []
    assert len(sandbox.snapshot(REPO)["labels"]) == 5


async def test_reactions_on_issues_and_comments(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    comment = sandbox.create_comment(REPO, 1, "/plan")
    path = f"/repos/{REPO}/issues/comments/{comment['id']}/reactions"
    first = await api("POST", path, {"content": "eyes"})
    assert first.status == 201 and first.data["content"] == "eyes"
    again = await api("POST", path, {"content": "eyes"})
    assert again.status == 200 and again.data["id"] == first.data["id"]
    await api("POST", path, {"content": "+1"})
    assert [x["content"] for x in (await api("GET", f"{path}?content=%2B1")).data] == ["+1"]
    got = await api("GET", f"/repos/{REPO}/issues/comments/{comment['id']}")
    assert got.data["reactions"]["total_count"] == 2 and got.data["reactions"]["eyes"] == 1
    assert (await api("DELETE", f"{path}/{first.data['id']}")).status == 204
    assert (await api("DELETE", f"{path}/{first.data['id']}")).status == 404
    r = await api("POST", f"{ISSUES}/1/reactions", {"content": "rocket"})
    assert r.status == 201
    assert [x["content"] for x in (await api("GET", f"{ISSUES}/1/reactions")).data] == ["rocket"]
    assert (await api("DELETE", f"{ISSUES}/1/reactions/{r.data['id']}")).status == 204
    assert sandbox.snapshot(REPO)["issues"]["1"]["reactions"] == []


async def test_collaborator_permission(sandbox: Sandbox, api: Api) -> None:
    sandbox.set_permission(REPO, "alice", "write")
    sandbox.set_permission(REPO, "mallory", "read")
    path = f"/repos/{REPO}/collaborators/{{}}/permission"
    octo = await api("GET", path.format("octo"))
    assert (octo.data["permission"], octo.data["role_name"]) == ("admin", "admin")  # the owner
    alice = await api("GET", path.format("alice"))
    assert alice.data["permission"] == "write" and alice.data["user"]["login"] == "alice"
    assert (await api("GET", path.format("mallory"))).data["permission"] == "read"
    assert (await api("GET", path.format("stranger"))).data["permission"] == "none"


async def test_etag_and_304_are_free(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    first = await api("GET", f"{ISSUES}/1")
    etag = first.headers["ETag"]
    used = int(first.headers["x-ratelimit-used"])
    again = await api("GET", f"{ISSUES}/1", headers={"If-None-Match": etag})
    assert again.status == 304 and again.data is None
    assert again.headers["ETag"] == etag
    assert int(again.headers["x-ratelimit-used"]) == used  # a 304 does not count
    await api("POST", f"{ISSUES}/1/comments", {"body": "change"})
    changed = await api("GET", f"{ISSUES}/1", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    acct = sandbox.accounting(1)
    assert (acct.reads, acct.writes, acct.not_modified) == (2, 1, 1)
    assert acct.points == 2 * 1 + 1 * 5


async def test_every_get_has_an_etag_and_every_answer_rate_limit_headers(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    for path in (
        ISSUES,
        f"{ISSUES}/1",
        f"/repos/{REPO}/labels",
        f"{ISSUES}/1/comments",
        f"{ISSUES}/1/sub_issues",
    ):
        r = await api("GET", path)
        assert r.status == 200 and r.headers["ETag"].startswith('W/"')
    r = await api("POST", f"{ISSUES}/1/comments", {"body": "x"})
    assert "ETag" not in r.headers
    for name in ("limit", "remaining", "reset", "used", "resource"):
        assert f"x-ratelimit-{name}" in r.headers
    assert int(r.headers["x-ratelimit-remaining"]) == 5000 - 6


async def test_pagination_over_250_issues(sandbox: Sandbox, api: Api) -> None:
    for i in range(250):
        sandbox.create_issue(REPO, f"issue {i}")
    seen: list[int] = []
    path: str | None = f"{ISSUES}?per_page=100&state=all"
    pages = 0
    while path:
        r = await api("GET", path)
        pages += 1
        seen += [issue["number"] for issue in r.data]
        links = dict(
            (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', r.headers.get("Link", ""))
        )
        if pages == 1:
            assert "page=3" in links["last"] and "prev" not in links
        path = links["next"].removeprefix(sandbox.base_url) if "next" in links else None
    assert pages == 3
    assert seen == list(range(250, 0, -1))  # newest first, each once
    capped = await api("GET", f"{ISSUES}?per_page=500")
    assert len(capped.data) == 100
    default = await api("GET", ISSUES)
    assert len(default.data) == 30


async def test_issue_list_filters_and_includes_pull_requests(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "a", labels=["Epic"])
    sandbox.create_issue(REPO, "b", user="alice")
    sandbox.create_issue(REPO, "pr", pull_request=True)
    await api("PATCH", f"{ISSUES}/2", {"state": "closed"})
    assert [i["number"] for i in (await api("GET", ISSUES)).data] == [3, 1]
    assert [i["number"] for i in (await api("GET", f"{ISSUES}?state=closed")).data] == [2]
    assert [i["number"] for i in (await api("GET", f"{ISSUES}?labels=epic&state=all")).data] == [1]
    assert [i["number"] for i in (await api("GET", f"{ISSUES}?creator=alice&state=all")).data] == [2]
    pr = (await api("GET", f"{ISSUES}/3")).data
    assert pr["pull_request"]["url"].endswith("/pulls/3")


async def test_rate_limit_endpoint_is_free_and_exhaustion_is_a_403(sandbox: Sandbox, api: Api) -> None:
    r = await api("GET", "/rate_limit")
    assert r.data["resources"]["core"]["limit"] == 5000
    assert r.data["rate"]["used"] == 0
    sandbox.create_issue(REPO, "t")
    sandbox.set_rate_limit(1, remaining=1, reset_in=120)
    assert (await api("GET", f"{ISSUES}/1")).status == 200
    r = await api("GET", f"{ISSUES}/1")
    assert r.status == 403 and "rate limit exceeded" in r.data["message"]
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-reset"]) >= int(sandbox.clock()) + 100
    assert (await api("GET", "/rate_limit")).data["rate"]["remaining"] == 0


async def test_user_token_writes_as_the_user(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    alice = sandbox.user_token("alice")
    r = await api("POST", f"{ISSUES}/1/comments", {"body": "/plan"}, token=alice)
    assert r.data["user"]["login"] == "alice" and r.data["user"]["type"] == "User"
    assert r.data["performed_via_github_app"] is None
    assert sandbox.accounting("user:alice").writes == 1


async def test_malformed_json_is_400(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    r = await api("POST", f"{ISSUES}/1/comments", raw=b"{not json")
    assert r.status in (400, 422)
    sandbox.violations.clear()  # the contract check may also flag the undecodable body; that is the point


async def test_unsupported_api_version_is_400(sandbox: Sandbox, api: Api) -> None:
    r = await api("GET", ISSUES, headers={"X-GitHub-Api-Version": "2019-01-01"})
    assert r.status == 400 and "2019-01-01" in r.data["message"]
    assert (await api("GET", ISSUES, headers={"X-GitHub-Api-Version": "2026-03-10"})).status == 200


async def test_label_names_with_slashes_spaces_and_percent(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t", labels=["area/backend", "good first issue", "50%"])
    got = await api("GET", f"/repos/{REPO}/labels/area%2Fbackend")
    assert got.status == 200 and got.data["url"].endswith("/labels/area%2Fbackend")
    assert (await api("GET", f"/repos/{REPO}/labels/GOOD%20first%20issue")).data["name"] == "good first issue"
    r = await api("DELETE", f"{ISSUES}/1/labels/50%25")
    assert [lb["name"] for lb in r.data] == ["area/backend", "good first issue"]


async def test_log_can_be_bounded(sandbox: Sandbox, api: Api) -> None:
    sandbox.max_log = 3
    for _ in range(5):
        await api("GET", ISSUES)
    assert [e.seq for e in sandbox.log] == [3, 4, 5]


async def test_context_manager_and_issue_json() -> None:
    async with Sandbox() as sb:
        sb.add_repo(REPO)
        sb.create_issue(REPO, "seeded", user="parallel-work-bot[bot]")
        data = sb.issue_json(REPO, 1)
        assert data["url"] == f"{sb.base_url}{ISSUES}/1"
        assert data["user"]["type"] == "Bot" and data["performed_via_github_app"] is not None
    assert sb.contract is None and sb.violations == []


async def test_enterprise_path_prefix() -> None:
    """Served under `/api/v3` like GitHub Enterprise Server: routes, body URLs and Link headers carry it."""
    sb = Sandbox(OPENAPI, path_prefix="/api/v3/")
    sb.add_repo(REPO)
    token = sb.issue_token(1)
    for i in range(5):
        sb.create_issue(REPO, f"i{i}")
    await sb.start()
    try:
        assert sb.base_url.endswith("/api/v3")
        async with aiohttp.ClientSession() as session:
            gh = GitHubAPI(session, "test", oauth_token=token, base_url=sb.base_url)
            numbers = [i["number"] async for i in gh.getiter(f"{ISSUES}?per_page=2")]
            assert numbers == [5, 4, 3, 2, 1]
            issue = await gh.getitem(f"{ISSUES}/1")
            assert issue["url"] == f"{sb.base_url}{ISSUES}/1"
            caller = Api(session, sb.base_url.removesuffix("/api/v3"), token)
            assert (await caller("GET", f"{ISSUES}/1")).status == 404  # nothing outside the prefix
    finally:
        await sb.stop()
    assert [e.path for e in sb.log][:3] == [ISSUES] * 3
    assert sb.violations == [f"GET {ISSUES}/1: operation not in the description"]


async def test_deleted_issue_is_410_and_its_links_are_gone(sandbox: Sandbox, api: Api) -> None:
    ids = [sandbox.create_issue(REPO, f"i{k}")["id"] for k in range(3)]
    sandbox.create_comment(REPO, 2, "doomed")
    await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[1]})
    await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": ids[1]})
    sandbox.delete_issue(REPO, 2)
    r = await api("GET", f"{ISSUES}/2")
    assert r.status == 410 and r.data["message"] == "This issue was deleted"
    assert (await api("GET", f"{ISSUES}/99")).status == 404
    assert [i["number"] for i in (await api("GET", f"{ISSUES}?state=all")).data] == [3, 1]
    assert (await api("GET", f"{ISSUES}/1")).data["sub_issues_summary"]["total"] == 0
    assert (await api("GET", f"{ISSUES}/3/dependencies/blocked_by")).data == []
    assert (await api("GET", f"/repos/{REPO}/issues/comments")).data == []
    assert (await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[1]})).status == 404


async def test_installation_without_issue_write_gets_403(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "t")
    sandbox.installation_permissions[1] = {"issues": "read", "metadata": "read"}
    assert (await api("GET", f"{ISSUES}/1")).status == 200
    r = await api("POST", f"{ISSUES}/1/comments", {"body": "no"})
    assert r.status == 403 and r.data["message"] == "Resource not accessible by integration"
    sandbox.installation_permissions[1] = {"metadata": "read"}
    assert (await api("GET", f"{ISSUES}/1")).status == 403
    assert (await api("GET", f"/repos/{REPO}/collaborators/octo/permission")).status == 200
    assert sandbox.snapshot(REPO)["issues"]["1"]["comments"] == []
