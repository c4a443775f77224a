"""The contract check: wrong requests are rejected and recorded; every answer fits the description."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import jwt
from multidict import CIMultiDict

from bot.sandbox import Sandbox
from bot.sandbox.contract import Contract, load_contract
from tests.fixtures.sandbox import REPO, Api, AppKeys
from tests.paths import FIXTURES, OPENAPI, ROOT

ISSUES = f"/repos/{REPO}/issues"


def spec_operations() -> set[str]:
    spec = json.loads(OPENAPI.read_text())
    return {
        op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op
    }


async def test_sub_issue_added_by_number_is_rejected_and_recorded(sandbox: Sandbox, api: Api) -> None:
    sandbox.create_issue(REPO, "parent")
    sandbox.create_issue(REPO, "child")
    r = await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_number": 2})
    assert r.status == 422
    assert "sub_issue_id" in r.data["message"] and "required" in r.data["message"]
    assert r.data["documentation_url"].startswith("https://docs.github.com/")
    assert len(sandbox.violations) == 1 and "issues/add-sub-issue" in sandbox.violations[0]
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == []
    assert sandbox.accounting(1).writes == 0  # never reached the handler
    sandbox.violations.clear()


async def test_unknown_body_field_is_rejected_naming_the_field(sandbox: Sandbox, api: Api) -> None:
    parent = sandbox.create_issue(REPO, "parent")
    child = sandbox.create_issue(REPO, "child")
    r = await api(
        "POST", f"{ISSUES}/{parent['number']}/sub_issues", {"sub_issue_id": child["id"], "position": 1}
    )
    assert r.status == 422 and "'position'" in r.data["message"]
    assert "'position'" in sandbox.violations[0]
    sandbox.violations.clear()


async def test_wrong_types_and_values_are_rejected(sandbox: Sandbox, api: Api) -> None:
    child = sandbox.create_issue(REPO, "child")
    sandbox.create_issue(REPO, "parent")
    cases: list[tuple[str, str, Any]] = [
        ("POST", f"{ISSUES}/2/sub_issues", {"sub_issue_id": str(child["id"])}),  # id as a string
        ("GET", f"{ISSUES}?state=weird", None),  # enum
        ("GET", f"{ISSUES}?per_page=many", None),  # integer query parameter
        ("GET", f"{ISSUES}/first", None),  # integer path parameter
        ("POST", f"{ISSUES}/2/comments", {"text": "hi"}),  # `body` is required
        ("POST", f"{ISSUES}/2/reactions", {"content": "thumbsup"}),  # not a reaction
        ("PATCH", f"{ISSUES}/2", {"state": "done"}),  # enum
        ("POST", f"{ISSUES}/2/dependencies/blocked_by", {"issue_number": 1}),
    ]
    for method, path, body in cases:
        before = len(sandbox.violations)
        r = await api(method, path, body)
        assert r.status == 422, (method, path, r.status)
        assert len(sandbox.violations) == before + 1, (method, path)
    sandbox.violations.clear()


async def test_undescribed_operation_is_404_and_a_violation(sandbox: Sandbox, api: Api) -> None:
    r = await api("GET", f"/repos/{REPO}/pulls")
    assert r.status == 404
    assert sandbox.violations == [f"GET /repos/{REPO}/pulls: operation not in the description"]
    sandbox.violations.clear()


def test_response_check_can_fail() -> None:
    contract = load_contract(OPENAPI)
    sb = Sandbox()
    sb.add_repo(REPO)
    good = sb.create_issue(REPO, "t")
    path, template = f"{ISSUES}/1", "/repos/{owner}/{repo}/issues/{issue_number}"
    headers = CIMultiDict({"Content-Type": "application/json"})
    assert contract.check_response("GET", path, template, 200, json.dumps(good).encode(), headers) == []
    broken = dict(good)
    del broken["node_id"]
    broken["number"] = "1"
    problems = contract.check_response("GET", path, template, 200, json.dumps(broken).encode(), headers)
    assert any("node_id" in p for p in problems) and any("number" in p for p in problems)


def test_recorded_github_responses_validate() -> None:
    """GitHub's own recorded answers pass our reading of the description (so the check is not too strict)."""
    contract = load_contract(OPENAPI)
    checked = 0
    for name in ("add-labels-to-issue", "labels", "errors"):
        for exchange in json.loads((FIXTURES / f"{name}.normalized-fixture.json").read_text()):
            path = exchange["path"].replace("octokit-fixture-org", "o")
            method = exchange["method"].upper()
            template = _template(contract, method, path)
            body = json.dumps(exchange["response"]).encode() if exchange["response"] != "" else b""
            headers = CIMultiDict({"Content-Type": "application/json"})
            assert contract.check_response(method, path, template, exchange["status"], body, headers) == []
            checked += 1
    assert checked >= 8


def test_nullable_enums_need_the_null_reading() -> None:
    """Read literally, the description's nullable enum `state_reason` rejects GitHub's real `null`."""
    literal = Contract(json.loads(OPENAPI.read_text()), null_in_nullable_enums=False)
    recorded = json.loads((FIXTURES / "add-labels-to-issue.normalized-fixture.json").read_text())[0]
    body = json.dumps(recorded["response"]).encode()
    headers = CIMultiDict({"Content-Type": "application/json"})
    problems = literal.check_response(
        "POST", "/repos/o/r/issues", "/repos/{owner}/{repo}/issues", 201, body, headers
    )
    assert any("state_reason" in p for p in problems)


def _template(contract: Contract, method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    for m, template in contract.operations:
        tparts = template.strip("/").split("/")
        same_shape = m == method and len(tparts) == len(parts)
        if same_shape and all(t.startswith("{") or t == p for t, p in zip(tparts, parts, strict=True)):
            return template
    raise AssertionError(f"no template for {method} {path}")


async def test_every_operation_answers_and_validates(sandbox: Sandbox, api: Api, app_keys: AppKeys) -> None:
    """A tour of every operation of the description; the fixture fails the test if any answer breaks it."""
    now = int(time.time())
    app_jwt = jwt.encode(
        {"iat": now - 60, "exp": now + 540, "iss": "1"}, app_keys.private_pem, algorithm="RS256"
    )
    assert (await api("GET", "/app", token=app_jwt)).status == 200
    assert (await api("GET", f"/repos/{REPO}/installation", token=app_jwt)).status == 200
    assert (await api("POST", "/app/installations/1/access_tokens", {}, token=app_jwt)).status == 201
    assert (await api("GET", "/rate_limit")).status == 200
    assert (await api("GET", f"/repos/{REPO}/collaborators/octo/permission")).status == 200
    a = (await api("POST", ISSUES, {"title": "a", "labels": ["x"]})).data
    b = (await api("POST", ISSUES, {"title": "b"})).data
    c = (await api("POST", ISSUES, {"title": "c"})).data
    assert (await api("GET", ISSUES)).status == 200
    assert (await api("GET", f"{ISSUES}/1")).status == 200
    assert (await api("PATCH", f"{ISSUES}/1", {"body": "edited"})).status == 200
    com = (await api("POST", f"{ISSUES}/1/comments", {"body": "c"})).data
    cpath = f"{ISSUES}/comments/{com['id']}"
    assert (await api("GET", f"{ISSUES}/1/comments")).status == 200
    assert (await api("GET", f"{ISSUES}/comments")).status == 200
    assert (await api("GET", cpath)).status == 200
    assert (await api("PATCH", cpath, {"body": "d"})).status == 200
    rc = (await api("POST", f"{cpath}/reactions", {"content": "eyes"})).data
    assert (await api("GET", f"{cpath}/reactions")).status == 200
    assert (await api("DELETE", f"{cpath}/reactions/{rc['id']}")).status == 204
    ri = (await api("POST", f"{ISSUES}/1/reactions", {"content": "+1"})).data
    assert (await api("GET", f"{ISSUES}/1/reactions")).status == 200
    assert (await api("DELETE", f"{ISSUES}/1/reactions/{ri['id']}")).status == 204
    assert (await api("POST", f"/repos/{REPO}/labels", {"name": "y", "color": "00ff00"})).status == 201
    assert (await api("GET", f"/repos/{REPO}/labels")).status == 200
    assert (await api("GET", f"/repos/{REPO}/labels/Y")).status == 200
    assert (await api("PATCH", f"/repos/{REPO}/labels/y", {"description": "why"})).status == 200
    assert (await api("POST", f"{ISSUES}/1/labels", {"labels": ["y"]})).status == 200
    assert (await api("PUT", f"{ISSUES}/1/labels", {"labels": ["x", "y"]})).status == 200
    assert (await api("GET", f"{ISSUES}/1/labels")).status == 200
    assert (await api("DELETE", f"{ISSUES}/1/labels/x")).status == 200
    assert (await api("DELETE", f"{ISSUES}/1/labels")).status == 204
    assert (await api("DELETE", f"/repos/{REPO}/labels/y")).status == 204
    for child in (b, c):
        assert (await api("POST", f"{ISSUES}/1/sub_issues", {"sub_issue_id": child["id"]})).status == 201
    assert (await api("GET", f"{ISSUES}/1/sub_issues")).status == 200
    prio = {"sub_issue_id": c["id"], "before_id": b["id"]}
    assert (await api("PATCH", f"{ISSUES}/1/sub_issues/priority", prio)).status == 200
    assert (await api("GET", f"{ISSUES}/2/parent")).status == 200
    assert (await api("DELETE", f"{ISSUES}/1/sub_issue", {"sub_issue_id": b["id"]})).status == 200
    assert (await api("POST", f"{ISSUES}/3/dependencies/blocked_by", {"issue_id": a["id"]})).status == 201
    assert (await api("GET", f"{ISSUES}/3/dependencies/blocked_by")).status == 200
    assert (await api("GET", f"{ISSUES}/1/dependencies/blocking")).status == 200
    assert (await api("DELETE", f"{ISSUES}/3/dependencies/blocked_by/{a['id']}")).status == 200
    assert (await api("DELETE", cpath)).status == 204
    # the repository, its files and history
    sandbox.set_permission(REPO, "hubot", "write")
    first = sandbox.state.push(REPO, "main", {"README.md": "hello\n", "docs/a.md": "a\n"}, message="first")
    sandbox.state.push(REPO, "topic/x", {"docs/a.md": "b\n", "docs/new.md": "n\n"}, message="second")
    assert (await api("GET", f"/repos/{REPO}")).data["default_branch"] == "main"
    assert (await api("GET", f"/repos/{REPO}/contents/docs/a.md?ref=topic/x")).status == 200
    assert (await api("GET", f"/repos/{REPO}/contents/docs")).status == 200
    assert (await api("GET", f"/repos/{REPO}/git/trees/main?recursive=1")).status == 200
    assert (await api("GET", f"/repos/{REPO}/compare/{first[:7]}...topic/x")).data["ahead_by"] == 1
    assert (await api("POST", f"{ISSUES}/1/assignees", {"assignees": ["hubot"]})).status == 201
    assert (await api("DELETE", f"{ISSUES}/1/assignees", {"assignees": ["hubot"]})).status == 200
    assert (await api("GET", f"/repos/{REPO}/assignees/hubot")).status == 204
    assert (await api("GET", f"/repos/{REPO}/issue-types")).status == 200
    assert set(sandbox.coverage) == spec_operations()


async def test_the_fixture_fails_a_test_that_sent_a_wrong_request(tmp_path: Path) -> None:
    """The `sandbox` fixture turns a contract violation into a test failure, even if the test ignores it."""
    (tmp_path / "test_inner.py").write_text(
        "from tests.fixtures.sandbox import REPO, Api\n"
        "async def test_sloppy(sandbox, api: Api) -> None:\n"
        "    sandbox.create_issue(REPO, 'a')\n"
        "    await api('POST', f'/repos/{REPO}/issues/1/sub_issues', {'sub_issue_number': 1})\n"
        "async def test_clean(sandbox, api: Api) -> None:\n"
        "    assert (await api('GET', f'/repos/{REPO}/issues')).status == 200\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "tests.fixtures.sandbox",
        "-o",
        "asyncio_mode=auto",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        str(tmp_path / "test_inner.py"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 1, text
    assert "ERROR at teardown of test_sloppy" in text and "1 error" in text, text
    assert "test_clean" not in text.split("short test summary info")[-1], text
    assert "contract violations" in text and "sub_issue_number" in text, text
