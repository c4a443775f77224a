"""The local GitHub's repository: pushed files read back by contents, trees and compare with git's shas;
push payloads in GitHub's official shape; assignees and issue types."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

from jsonschema import Draft202012Validator

from bot.sandbox import Sandbox
from bot.sandbox.payloads import push_payload
from tests.fixtures.sandbox import REPO, Api
from tests.paths import WEBHOOKS

CONTENTS = f"/repos/{REPO}/contents"
ISSUES = f"/repos/{REPO}/issues"
PUSH_SCHEMA = WEBHOOKS / "schemas" / "official" / "push.schema.json"


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def decoded(item: dict[str, object]) -> bytes:
    content = str(item["content"])
    assert all(len(line) <= 60 for line in content.split("\n"))
    return base64.b64decode(content)


async def test_pushed_files_read_back_at_branch_and_sha(sandbox: Sandbox, api: Api) -> None:
    text = "# Plan\n" + "ünïcode line that is long enough to wrap the base64 text\n" * 5
    first = sandbox.state.push(REPO, "main", {"docs/plan.md": text, "README.md": "hi\n"}, message="add")
    second = sandbox.state.push(REPO, "main", {"docs/plan.md": "changed\n"}, message="edit")
    assert first != second and len(second) == 40
    now = await api("GET", f"{CONTENTS}/docs/plan.md")
    assert now.status == 200 and decoded(now.data) == b"changed\n"
    assert now.data["sha"] == git_blob_sha(b"changed\n") and now.data["encoding"] == "base64"
    old = await api("GET", f"{CONTENTS}/docs/plan.md?ref={first}")
    assert decoded(old.data) == text.encode() and "\n" in old.data["content"]
    assert old.data["sha"] == git_blob_sha(text.encode()) == old.data["git_url"].rsplit("/", 1)[1]
    assert decoded((await api("GET", f"{CONTENTS}/docs/plan.md?ref={first[:7]}")).data) == text.encode()
    listing = await api("GET", f"{CONTENTS}/docs")
    assert [(i["type"], i["path"]) for i in listing.data] == [("file", "docs/plan.md")]


def test_blob_and_commit_shas_are_gits(tmp_path: Path) -> None:
    sb = Sandbox()
    sb.add_repo(REPO)
    files = {"a.txt": "hi\n", "d/e/f.md": "x", "d/g": "y\n"}
    sha = sb.state.push(REPO, "main", files, message="first")
    commit = sb.state.repo(REPO).git.commits[sha]
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    stamp = f"{commit.timestamp} +0000"
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": commit.name,
           "GIT_AUTHOR_EMAIL": commit.email, "GIT_COMMITTER_NAME": commit.name,
           "GIT_COMMITTER_EMAIL": commit.email, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    assert git("hash-object", "d/e/f.md") == commit.files["d/e/f.md"].sha
    git("add", ".")
    git("commit", "-qm", "first")
    assert git("rev-parse", "HEAD^{tree}") == commit.tree
    assert git("rev-parse", "HEAD") == sha


async def test_missing_path_ref_and_empty_repository_are_404(sandbox: Sandbox, api: Api) -> None:
    empty = await api("GET", f"{CONTENTS}/README.md")
    assert empty.status == 404 and empty.data["message"] == "This repository is empty."
    assert (await api("GET", f"/repos/{REPO}/git/trees/main")).status == 409
    sandbox.state.push(REPO, "main", {"README.md": "hi\n"})
    missing = await api("GET", f"{CONTENTS}/nope.md")
    assert missing.status == 404 and missing.data["message"] == "Not Found"
    assert missing.data["documentation_url"].startswith("https://docs.github.com/")
    assert (await api("GET", f"{CONTENTS}/README.md?ref=no-such-branch")).status == 404
    assert (await api("GET", f"/repos/{REPO}/git/trees/{'f' * 40}")).status == 404
    assert (await api("GET", f"/repos/{REPO}/compare/main...nope")).status == 404


async def test_tree_recursive_lists_everything_and_truncates_past_the_cap(sandbox: Sandbox, api: Api) -> None:
    files = {f".claude/epics/e{i}/{i}-analysis.md": f"plan {i}\n" for i in range(5)} | {"README.md": "r\n"}
    sandbox.state.push(REPO, "main", files)
    flat = (await api("GET", f"/repos/{REPO}/git/trees/main")).data
    assert [(e["path"], e["type"]) for e in flat["tree"]] == [(".claude", "tree"), ("README.md", "blob")]
    deep = (await api("GET", f"/repos/{REPO}/git/trees/main?recursive=1")).data
    blobs = {e["path"]: e for e in deep["tree"] if e["type"] == "blob"}
    assert set(blobs) == set(files) and deep["truncated"] is False
    for path, text in files.items():
        assert (blobs[path]["sha"], blobs[path]["size"]) == (git_blob_sha(text.encode()), len(text))
    assert {e["mode"] for e in deep["tree"]} == {"100644", "040000"}
    sub = next(e for e in deep["tree"] if e["path"] == ".claude/epics/e1")
    by_sha = (await api("GET", f"/repos/{REPO}/git/trees/{sub['sha']}")).data
    assert [e["path"] for e in by_sha["tree"]] == ["1-analysis.md"]
    sandbox.state.repo(REPO).git.max_tree_entries = 3
    cut = (await api("GET", f"/repos/{REPO}/git/trees/main?recursive=1")).data
    assert cut["truncated"] is True and len(cut["tree"]) == 3


async def test_compare_lists_commits_and_added_modified_removed_renamed(sandbox: Sandbox, api: Api) -> None:
    base = sandbox.state.push(REPO, "main", {"a.md": "1\n2\n", "gone.md": "x\n", "old.md": "same\n"})
    sandbox.state.push(REPO, "main", {"a.md": "1\nTWO\n3\n", "gone.md": None}, message="edit")
    head = sandbox.state.push(REPO, "main", {"new.md": "n\n", "old.md": None, "moved.md": "same\n"})
    r = await api("GET", f"/repos/{REPO}/compare/{base}...main")
    assert r.status == 200 and r.data["status"] == "ahead" and r.data["ahead_by"] == 2
    assert [c["sha"] for c in r.data["commits"]][-1] == head
    assert r.data["commits"][0]["commit"]["message"] == "edit"
    files = {f["filename"]: f for f in r.data["files"]}
    assert {n: f["status"] for n, f in files.items()} == {
        "a.md": "modified", "gone.md": "removed", "new.md": "added", "moved.md": "renamed"}
    assert (files["a.md"]["additions"], files["a.md"]["deletions"]) == (2, 1)
    assert files["moved.md"]["previous_filename"] == "old.md"
    back = await api("GET", f"/repos/{REPO}/compare/main...{base}")
    assert back.data["status"] == "behind" and back.data["behind_by"] == 2 and back.data["files"] == []


async def test_conditional_read_of_unchanged_content_is_304_and_free(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.push(REPO, "main", {".github/parallel-work-bot.yml": "labels: {}\n"})
    first = await api("GET", f"{CONTENTS}/.github/parallel-work-bot.yml")
    reads = sandbox.accounting(1).reads
    sandbox.state.push(REPO, "main", {"other.md": "unrelated\n"})
    tag = {"If-None-Match": first.headers["ETag"]}
    again = await api("GET", f"{CONTENTS}/.github/parallel-work-bot.yml", headers=tag)
    assert again.status == 304 and sandbox.accounting(1).reads == reads
    sandbox.state.push(REPO, "main", {".github/parallel-work-bot.yml": "labels: {x: y}\n"})
    changed = await api("GET", f"{CONTENTS}/.github/parallel-work-bot.yml", headers=tag)
    assert changed.status == 200 and sandbox.accounting(1).reads == reads + 1


async def test_contents_need_the_contents_permission_and_faults_apply(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.push(REPO, "main", {"README.md": "hi\n"})
    sandbox.add_fault("503:path=/contents/")
    assert (await api("GET", f"{CONTENTS}/README.md")).status == 503
    assert (await api("GET", f"{CONTENTS}/README.md")).status == 200
    sandbox.installation_permissions[1] = {"issues": "write", "metadata": "read"}
    refused = await api("GET", f"{CONTENTS}/README.md")
    assert refused.status == 403 and refused.data["message"] == "Resource not accessible by integration"
    assert (await api("GET", f"/repos/{REPO}")).status == 200  # metadata only


def test_push_payload_follows_githubs_official_schema() -> None:
    sb = Sandbox()
    sb.add_repo(REPO)
    validator = Draft202012Validator(json.loads(PUSH_SCHEMA.read_text(encoding="utf-8")))
    sb.state.push(REPO, "main", {"README.md": "hi\n"})
    before = sb.state.head(REPO, "main")
    for i in range(3):
        sb.state.push(REPO, "main", {f".claude/epics/e/{i}-analysis.md": "plan\n"}, message=f"c{i}")
    sb.state.push(REPO, "main", {".claude/epics/e/0-analysis.md": None})
    payload = push_payload(sb.shapes, REPO, "main", before=before, sender="octo", installation_id=1)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]
    assert errors == []
    assert payload["ref"] == "refs/heads/main" and payload["after"] == sb.state.head(REPO, "main")
    added = [c["added"] for c in payload["commits"]][:3]
    assert added == [[f".claude/epics/e/{i}-analysis.md"] for i in range(3)]
    assert payload["commits"][-1]["removed"] == [".claude/epics/e/0-analysis.md"]
    assert payload["head_commit"]["id"] == payload["after"] and payload["installation"]["id"] == 1
    sb.state.tag(REPO, "v1", "main")
    tag = push_payload(sb.shapes, REPO, "refs/tags/v1", before=None)
    assert list(validator.iter_errors(tag)) == [] and tag["commits"] == [] and tag["created"] is True
    sb.state.push(REPO, "feature", {"f.md": "f\n"})
    branch = push_payload(sb.shapes, REPO, "feature", before=None)
    assert [c["added"] for c in branch["commits"]] == [["f.md"]]


async def test_assignees_round_trip(sandbox: Sandbox, api: Api) -> None:
    sandbox.set_permission(REPO, "hubot", "write")
    sandbox.set_permission(REPO, "reader", "read")
    sandbox.create_issue(REPO, "stream")
    assert (await api("GET", f"/repos/{REPO}/assignees/hubot")).status == 204
    assert (await api("GET", f"/repos/{REPO}/assignees/stranger")).status == 404
    added = await api("POST", f"{ISSUES}/1/assignees", {"assignees": ["hubot", "stranger", "reader"]})
    assert added.status == 201 and [a["login"] for a in added.data["assignees"]] == ["hubot", "reader"]
    assert added.data["assignee"]["login"] == "hubot"
    removed = await api("DELETE", f"{ISSUES}/1/assignees", {"assignees": ["hubot"]})
    assert removed.data["assignee"]["login"] == "reader"
    assert [a["login"] for a in removed.data["assignees"]] == ["reader"]
    patched = await api("PATCH", f"{ISSUES}/1", {"assignees": []})
    assert patched.data["assignees"] == [] and patched.data["assignee"] is None
    made = await api("POST", ISSUES, {"title": "t", "assignees": ["hubot"]})
    assert sandbox.snapshot(REPO)["issues"][str(made.data["number"])]["assignees"] == ["hubot"]


async def test_issue_types_are_set_and_unknown_ones_dropped(sandbox: Sandbox, api: Api) -> None:
    assert (await api("GET", f"/repos/{REPO}/issue-types")).data == []
    none_yet = await api("POST", ISSUES, {"title": "a", "type": "Task"})
    assert none_yet.status == 201 and none_yet.data["type"] is None
    sandbox.state.set_issue_types(REPO, [("Task", "A specific piece of work", "yellow"), "Bug"])
    listed = (await api("GET", f"/repos/{REPO}/issue-types")).data
    assert [t["name"] for t in listed] == ["Task", "Bug"]
    task = await api("POST", ISSUES, {"title": "b", "type": "task"})
    assert task.data["type"]["name"] == "Task" and task.data["type"]["id"] == listed[0]["id"]
    unknown = await api("POST", ISSUES, {"title": "c", "type": "Epic"})
    assert unknown.status == 201 and unknown.data["type"] is None
    kept = await api("PATCH", f"{ISSUES}/{task.data['number']}", {"type": "Epic"})
    assert kept.data["type"]["name"] == "Task"
    cleared = await api("PATCH", f"{ISSUES}/{task.data['number']}", {"type": {"value": None}})
    assert cleared.data["type"] is None
