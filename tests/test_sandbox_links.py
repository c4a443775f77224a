"""The local GitHub's sub-issues and issue dependencies: added by database id, with GitHub's 422 rules."""

from __future__ import annotations

from bot.sandbox import MAX_SUB_ISSUES, Sandbox
from tests.fixtures.sandbox import REPO, Api

ISSUES = f"/repos/{REPO}/issues"


def seed(sandbox: Sandbox, n: int) -> list[int]:
    """Issues #1..#n; returns their database ids (index 0 = #1)."""
    return [sandbox.create_issue(REPO, f"issue {i}")["id"] for i in range(1, n + 1)]


async def test_add_list_and_parent(sandbox: Sandbox, api: Api) -> None:
    ids = seed(sandbox, 4)
    for child in ids[1:]:
        r = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": child})
        assert r.status == 201 and r.data["number"] == 1
    assert r.data["sub_issues_summary"] == {"total": 3, "completed": 0, "percent_completed": 0}
    listed = await api("GET", f"{ISSUES}/1/sub_issues")
    assert [i["number"] for i in listed.data] == [2, 3, 4]
    assert listed.data[0]["parent_issue_url"].endswith(f"{ISSUES}/1")
    parent = await api("GET", f"{ISSUES}/3/parent")
    assert parent.status == 200 and parent.data["number"] == 1
    assert (await api("GET", f"{ISSUES}/1/parent")).status == 404
    await api("PATCH", f"{ISSUES}/2", {"state": "closed"})
    summary = (await api("GET", f"{ISSUES}/1")).data["sub_issues_summary"]
    assert summary == {"total": 3, "completed": 1, "percent_completed": 33}
    snap = sandbox.snapshot(REPO)["issues"]
    assert snap["1"]["sub_issues"] == [2, 3, 4] and snap["4"]["parent"] == 1


async def test_number_instead_of_id_is_404_not_a_silent_link(sandbox: Sandbox, api: Api) -> None:
    seed(sandbox, 3)
    r = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": 2})  # a number where an id belongs
    assert r.status == 404
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == []


async def test_422_rules(sandbox: Sandbox, api: Api) -> None:
    ids = seed(sandbox, 4)
    itself = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[0]})
    assert itself.status == 422 and itself.data["message"] == "Validation Failed"
    assert (await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[1]})).status == 201
    again = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[1]})
    assert again.status == 422
    other_parent = await api("POST", f"{ISSUES}/3/sub_issues", {"sub_issue_id": ids[1]})
    assert other_parent.status == 422 and "one parent" in other_parent.data["errors"][0]["message"]
    cycle = await api("POST", f"{ISSUES}/2/sub_issues", {"sub_issue_id": ids[0]})
    assert cycle.status == 422
    moved = await api("POST", f"{ISSUES}/3/sub_issues", {"sub_issue_id": ids[1], "replace_parent": True})
    assert moved.status == 201
    snap = sandbox.snapshot(REPO)["issues"]
    assert (snap["1"]["sub_issues"], snap["3"]["sub_issues"], snap["2"]["parent"]) == ([], [2], 3)


async def test_at_most_100_sub_issues(sandbox: Sandbox, api: Api) -> None:
    ids = seed(sandbox, MAX_SUB_ISSUES + 2)
    parent = sandbox.state.repo(REPO).issues[1]
    for child in ids[1 : MAX_SUB_ISSUES + 1]:
        sandbox.state.add_sub_issue(parent, child)
    r = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": ids[-1]})
    assert r.status == 422 and "100" in r.data["errors"][0]["message"]
    page2 = await api("GET", f"{ISSUES}/1/sub_issues?per_page=60&page=2")
    assert [i["number"] for i in page2.data] == list(range(62, 102))


async def test_reprioritize_and_remove(sandbox: Sandbox, api: Api) -> None:
    ids = seed(sandbox, 5)
    for child in ids[1:]:
        await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": child})
    r = await api("PATCH", f"{ISSUES}/1/sub_issues/priority", {"sub_issue_id": ids[4], "after_id": ids[1]})
    assert r.status == 200
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == [2, 5, 3, 4]
    await api("PATCH", f"{ISSUES}/1/sub_issues/priority", {"sub_issue_id": ids[3], "before_id": ids[1]})
    assert [i["number"] for i in (await api("GET", f"{ISSUES}/1/sub_issues")).data] == [4, 2, 5, 3]
    both = await api(
        "PATCH",
        f"{ISSUES}/1/sub_issues/priority",
        {"sub_issue_id": ids[3], "before_id": ids[1], "after_id": ids[2]},
    )
    assert both.status == 422 and isinstance(both.data["errors"][0], str)
    stranger = await api(
        "PATCH", f"{ISSUES}/1/sub_issues/priority", {"sub_issue_id": ids[0], "after_id": ids[1]}
    )
    assert stranger.status == 404
    r = await api("DELETE", f"{ISSUES}/1/sub_issue", {"sub_issue_id": ids[2]})
    assert r.status == 200 and r.data["sub_issues_summary"]["total"] == 3
    assert (await api("GET", f"{ISSUES}/3/parent")).status == 404
    assert (await api("DELETE", f"{ISSUES}/1/sub_issue", {"sub_issue_id": ids[2]})).status == 404
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == [4, 2, 5]


async def test_blocked_by_add_list_remove_and_blocking(sandbox: Sandbox, api: Api) -> None:
    ids = seed(sandbox, 3)
    r = await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": ids[0]})
    assert r.status == 201 and r.data["number"] == 3
    assert r.data["issue_dependencies_summary"]["total_blocked_by"] == 1
    await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": ids[1]})
    assert [i["number"] for i in (await api("GET", f"{ISSUES}/3/dependencies/blocked_by")).data] == [1, 2]
    assert [i["number"] for i in (await api("GET", f"{ISSUES}/1/dependencies/blocking")).data] == [3]
    await api("PATCH", f"{ISSUES}/1", {"state": "closed"})
    summary = (await api("GET", f"{ISSUES}/3")).data["issue_dependencies_summary"]
    assert summary == {"blocked_by": 1, "total_blocked_by": 2, "blocking": 0, "total_blocking": 0}
    assert (await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": ids[0]})).status == 422
    assert (await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": ids[2]})).status == 422
    assert (
        await api("POST", f"{ISSUES}/1/dependencies/blocked_by", {"issue_id": ids[2]})
    ).status == 422  # cycle
    assert (
        await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": 3})
    ).status == 404  # a number
    r = await api("DELETE", f"{ISSUES}/3/dependencies/blocked_by/{ids[0]}")
    assert r.status == 200
    assert (await api("DELETE", f"{ISSUES}/3/dependencies/blocked_by/{ids[0]}")).status == 404
    assert sandbox.snapshot(REPO)["issues"]["3"]["blocked_by"] == [2]


async def test_links_to_another_owner_are_invisible(sandbox: Sandbox, api: Api) -> None:
    seed(sandbox, 1)
    sandbox.add_repo("elsewhere/repo", installation_id=1)
    foreign = sandbox.create_issue("elsewhere/repo", "x")
    assert (await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": foreign["id"]})).status == 404
    assert (
        await api("POST", f"{ISSUES}/1/dependencies/blocked_by", {"issue_id": foreign["id"]})
    ).status == 404


async def test_cross_repo_same_owner_shows_in_snapshot(sandbox: Sandbox, api: Api) -> None:
    seed(sandbox, 1)
    sandbox.add_repo("octo/other", installation_id=1)
    sibling = sandbox.create_issue("octo/other", "x")
    assert (await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": sibling["id"]})).status == 201
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == ["octo/other#1"]
    listed = await api("GET", f"{ISSUES}/1/sub_issues")
    assert listed.data[0]["repository_url"].endswith("/repos/octo/other")
