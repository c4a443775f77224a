"""Sub-issues created already linked (GraphQL createIssue): the seed's writes, the REST path's structure,
a host without parentIssueId, and the local GitHub's POST /graphql itself."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot.github import graphql as gql
from bot.repoconfig import CONFIG_PATH, LoadedConfig
from bot.sandbox import Sandbox
from bot.sandbox.graphql import PARENT_ISSUE_ID
from bot.sync import sync_issue
from bot.sync.files import RepoFiles
from tests.fixtures.sandbox import AppKeys, FakeTime, started_sandbox
from tests.test_sync_support import NAME, OWNER, REPO, client, forget_labels, generated_plan, seed_issues

#: REST's first sync of the seed: 6 labels, 4 creates, 4 links, 3 blocked-by, 1 label call, 2 conflict
#: flags, 1 summary, and the 1 brief that names sub-issues created after it (A's).
REST_WRITES = 22
LINKED_WRITES = REST_WRITES - 4
#: A whole minute (Unix time) the compared runs' clocks start at.
CLOCK_START = 1_790_000_040.0


def mutations(sb: Sandbox) -> list[Any]:
    return [e for e in sb.log if e.operation == "mutation"]


async def first_sync(app_keys: AppKeys, **options: Any) -> tuple[dict[str, Any], int, int, Sandbox]:
    """The seed's first sync on a fresh local GitHub: (snapshot, writes, mutations, sandbox)."""
    forget_labels()
    # Both runs' clocks start at the same minute: the summary's "edited" time of the plan's comment is the
    # same in the two snapshots compared (the clock still runs).
    start = time.time()
    options.setdefault("clock", lambda: CLOCK_START + time.time() - start)
    async with started_sandbox(app_keys, **options) as sb:
        seed_issues(sb)
        async with client(sb) as gh:
            result = await sync_issue(gh, OWNER, NAME, 4)
            again = await sync_issue(gh, OWNER, NAME, 4)
        assert again.writes == 0
        return sb.snapshot(REPO), result.writes, len(mutations(sb)), sb


async def test_linked_creates_build_the_rest_paths_structure_in_four_writes_fewer(app_keys: AppKeys) -> None:
    linked, linked_writes, linked_mutations, sb = await first_sync(app_keys)
    without = frozenset({PARENT_ISSUE_ID})
    rest, rest_writes, rest_mutations, _ = await first_sync(app_keys, graphql_without=without)
    assert (linked_writes, linked_mutations) == (LINKED_WRITES, 4)
    assert sb.accounting(1).writes == LINKED_WRITES  # the local GitHub's own count agrees
    # The host without parentIssueId refused the first createIssue (nothing made) and got REST from then on.
    assert (rest_writes, rest_mutations) == (REST_WRITES, 1)
    assert linked == rest
    assert linked["issues"]["4"]["sub_issues"] == [6, 7, 8, 9]
    # No REST link call at all on the GraphQL path; each mutation was checked against the schema.
    assert not [e for e in sb.log if e.path.endswith("/sub_issues") and e.method == "POST"]
    assert sb.coverage["graphql:mutation"] == 4 and sb.coverage["graphql:query"] == 1


async def test_a_host_without_parent_issue_id_is_detected_once(app_keys: AppKeys) -> None:
    forget_labels()
    async with started_sandbox(app_keys, graphql_without=frozenset({PARENT_ISSUE_ID})) as sb:
        seed_issues(sb)
        async with client(sb) as gh:
            await sync_issue(gh, OWNER, NAME, 4)
            assert not gql.creates_linked(gh.base_url)
            sb.create_issue(REPO, "Another epic", "Body")  # #10
            sb.create_comment(REPO, 10, generated_plan(4, 10))
            result = await sync_issue(gh, OWNER, NAME, 10)
        assert len(mutations(sb)) == 1, "the refusal is remembered: the second plan goes straight to REST"
        assert len(sb.snapshot(REPO)["issues"]["10"]["sub_issues"]) == 4
        assert any(w.description.startswith("link stream") for w in result.planned)


async def test_enterprise_style_host_serves_graphql_beside_api_v3(app_keys: AppKeys) -> None:
    forget_labels()
    async with started_sandbox(app_keys, path_prefix="/api/v3") as sb:
        seed_issues(sb)
        async with client(sb) as gh:
            assert gql.graphql_url(gh.base_url) == sb.base_url.removesuffix("/v3") + "/graphql"
            result = await sync_issue(gh, OWNER, NAME, 4)
        assert result.writes == LINKED_WRITES
        assert {e.path for e in mutations(sb)} == {"/api/graphql"}


async def test_dry_run_shows_the_graphql_creates(app_keys: AppKeys) -> None:
    forget_labels()
    async with started_sandbox(app_keys) as sb:
        seed_issues(sb)
        async with client(sb) as gh:
            result = await sync_issue(gh, OWNER, NAME, 4, dry_run=True)
        creates = [w for w in result.planned if w.path == "/graphql"]
        assert [w.description.split(":")[0] for w in creates] == [
            f"create sub-issue for stream {s}" for s in "ABCD"]
        assert all(w.description.endswith("(under #4)") for w in creates)
        assert not mutations(sb) and not [w for w in result.planned if w.path.endswith("/sub_issues")]


def queries(sb: Sandbox) -> list[Any]:
    return [e for e in sb.log if e.operation == "query"]


async def test_node_ids_rest_already_gave_spare_the_graphql_read_and_stale_ones_fall_back_to_rest(
    app_keys: AppKeys,
) -> None:
    forget_labels()
    async with started_sandbox(app_keys) as sb:
        seed_issues(sb)
        async with client(sb) as gh:
            # The App's sync reads the repository (plan files) and creates the labels: it knows every id.
            first = await sync_issue(gh, OWNER, NAME, 4, files=RepoFiles(gh, OWNER, NAME))
            assert (first.writes, len(mutations(sb)), len(queries(sb))) == (LINKED_WRITES, 4, 0)
            # A person deletes a label the plans use and makes it again: its cached node id is stale.
            repo = sb.state.repo(REPO)
            sb.state.delete_label(repo, repo.labels["stream"])
            sb.state.create_label(repo, "stream")
            sb.create_issue(REPO, "Another epic", "Body")  # #10
            sb.create_comment(REPO, 10, generated_plan(2, 10))
            second = await sync_issue(gh, OWNER, NAME, 10, files=RepoFiles(gh, OWNER, NAME))
            # The refused create made nothing; the first stream went through REST's create and link, and
            # the ids were read afresh (one GraphQL read) for the second.
            assert sb.snapshot(REPO)["issues"]["10"]["sub_issues"] == [11, 12]
            assert [w.description.split(" ")[0] for w in second.planned].count("link") == 1
            assert len(queries(sb)) == 1
            assert (await sync_issue(gh, OWNER, NAME, 10, files=RepoFiles(gh, OWNER, NAME))).writes == 0
            # The ids read afresh are kept: a third plan creates through GraphQL without reading them again.
            sb.create_issue(REPO, "A third epic", "Body")  # #13
            sb.create_comment(REPO, 13, generated_plan(2, 13))
            third = await sync_issue(gh, OWNER, NAME, 13, files=RepoFiles(gh, OWNER, NAME))
            assert "link" not in [w.description.split(" ")[0] for w in third.planned]
            assert len(queries(sb)) == 1 and sb.snapshot(REPO)["issues"]["13"]["sub_issues"] == [14, 15]
        issues = sb.snapshot(REPO)["issues"]
        assert all(issues[str(n)]["labels"].count("stream") == 1 for n in (11, 12, 14, 15))


# ---- the local GitHub's POST /graphql ---------------------------------------------------------------------
@asynccontextmanager
async def graphql_caller(sb: Sandbox, token: str | None = None) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:
        async def call(query: str, variables: dict[str, Any] | None = None, *, auth: str | None = None
                       ) -> tuple[int, Any]:
            headers = {"Authorization": auth if auth is not None else f"bearer {token or sb.token}"}
            body: dict[str, Any] = {"query": query}
            if variables is not None:
                body["variables"] = variables
            async with session.post(sb.base_url + "/graphql", json=body, headers=headers) as resp:
                return resp.status, await resp.json()

        yield call


CREATE = ("mutation($i: CreateIssueInput!) {"
          " createIssue(input: $i) { issue { number fullDatabaseId parent { number } } } }")
REPO_ID = ('query { repository(owner: "octo", name: "sandbox") {'
           ' id stream: label(name: "Stream") { id name } } }')


async def test_graphql_creates_a_linked_issue_and_answers_githubs_error_shapes(sandbox: Sandbox) -> None:
    parent = sandbox.create_issue(REPO, "Epic", "Body")
    sandbox.state.create_label(sandbox.state.repo(REPO), "stream")
    async with graphql_caller(sandbox) as call:
        status, data = await call(REPO_ID)
        assert status == 200 and data["data"]["repository"]["stream"]["name"] == "stream"
        repo_id, label_id = data["data"]["repository"]["id"], data["data"]["repository"]["stream"]["id"]
        status, data = await call(CREATE, {"i": {"repositoryId": repo_id, "title": "Child", "body": "x",
                                                 "labelIds": [label_id], "parentIssueId": parent["node_id"]}})
        issue = data["data"]["createIssue"]["issue"]
        assert status == 200 and issue["number"] == 2 and issue["parent"] == {"number": 1}
        assert int(issue["fullDatabaseId"]) == sandbox.issue_json(REPO, 2)["id"]
        snap = sandbox.snapshot(REPO)["issues"]
        assert snap["1"]["sub_issues"] == [2] and snap["2"]["labels"] == ["stream"]
        assert snap["2"]["user"] == "parallel-work-bot[bot]"
        # Execution errors carry a type; nothing is created.
        status, data = await call(CREATE, {"i": {"repositoryId": "R_kwDOnope", "title": "x"}})
        assert status == 200 and data["data"] == {"createIssue": None}
        assert data["errors"][0]["type"] == "NOT_FOUND" and data["errors"][0]["path"] == ["createIssue"]
        # Validation errors (the schema's own check) have none, and name what is wrong.
        status, data = await call("query { repository(owner: \"octo\", name: \"sandbox\") { nope } }")
        assert status == 200 and "data" not in data and "nope" in data["errors"][0]["message"]
        assert "type" not in data["errors"][0] and data["errors"][0]["locations"]
        status, data = await call("query {")
        assert status == 200 and "Syntax Error" in data["errors"][0]["message"]
        status, data = await call(CREATE, {"i": {"title": "no repository id"}})
        assert "repositoryId" in data["errors"][0]["message"]
        # A databaseId beyond 32 bits is an error in GitHub's schema (Int): fullDatabaseId is the one to read.
        status, data = await call(
            "mutation($i: CreateIssueInput!) { createIssue(input: $i) { issue { databaseId } } }",
            {"i": {"repositoryId": repo_id, "title": "t"}})
        assert "32-bit" in data["errors"][0]["message"]
        status, data = await call(REPO_ID, auth="bearer ghs_wrong")
        assert status == 401 and data["message"] == "Bad credentials"
    assert sandbox.snapshot(REPO)["issues"].keys() == {"1", "2", "3"}
    assert sandbox.violations == []


async def test_graphql_keeps_the_rules_and_the_accounting_of_rest(sandbox: Sandbox) -> None:
    parent = sandbox.create_issue(REPO, "Epic", "Body")
    async with graphql_caller(sandbox) as call:
        repo_id = (await call(REPO_ID))[1]["data"]["repository"]["id"]
        before = sandbox.accounting(1).as_dict()
        await call(REPO_ID)
        middle = sandbox.accounting(1).as_dict()
        await call(CREATE, {"i": {"repositoryId": repo_id, "title": "t", "parentIssueId": parent["node_id"]}})
        after = sandbox.accounting(1).as_dict()
        assert (middle["reads"] - before["reads"], middle["points"] - before["points"]) == (1, 1)
        assert (after["writes"] - middle["writes"], after["points"] - middle["points"]) == (1, 5)
        # GitHub's 100 sub-issues hold for a parent given at creation too.
        for _ in range(99):
            child = sandbox.create_issue(REPO, "c", "")
            sandbox.state.add_sub_issue(sandbox.state.issue(sandbox.state.repo(REPO), 1), child["id"])
        _, data = await call(CREATE, {"i": {"repositoryId": repo_id, "title": "t",
                                            "parentIssueId": parent["node_id"]}})
        assert data["errors"][0]["type"] == "UNPROCESSABLE" and "100" in data["errors"][0]["message"]
        count = len(sandbox.snapshot(REPO)["issues"])
        # Without the issues permission the mutation is refused; reading the repository is still allowed.
        sandbox.installation_permissions[1] = {"metadata": "read"}
        _, data = await call(CREATE, {"i": {"repositoryId": repo_id, "title": "t"}})
        assert data["errors"][0]["type"] == "FORBIDDEN"
        assert (await call(REPO_ID))[1]["data"]["repository"]["id"] == repo_id
        assert len(sandbox.snapshot(REPO)["issues"]) == count
        # A field the schema has but the local GitHub does not serve is an error and a recorded violation.
        _, data = await call("query { viewer { login } }")
        assert "does not serve Query.viewer" in data["errors"][0]["message"]
    assert sandbox.violations == ["POST /graphql: Query.viewer is not served by the local GitHub"]
    sandbox.violations.clear()


async def test_content_limits_count_mutations_not_queries(app_keys: AppKeys) -> None:
    clock = FakeTime()
    async with started_sandbox(app_keys, secondary_limit=2, hourly_limit=3, clock=clock) as sb:
        async with graphql_caller(sb) as call:
            repo_id = (await call(REPO_ID))[1]["data"]["repository"]["id"]
            for _ in range(5):
                assert (await call(REPO_ID))[0] == 200  # queries create nothing
            new = {"i": {"repositoryId": repo_id, "title": "t"}}
            statuses = [(await call(CREATE, new))[0] for _ in range(3)]
            assert statuses == [200, 200, 403]  # the minute's 2
            clock.advance(61)
            statuses = [(await call(CREATE, new))[0] for _ in range(2)]
            assert statuses == [200, 403]  # then the hour's 3
        assert sb.ledger.refused == 2


async def test_an_issue_type_takes_rests_create_and_link(app_keys: AppKeys) -> None:
    """This schema's createIssue has no issue type: with one configured (the repository's configuration),
    sub-issues are created by REST
    (with the type) and linked, the rest of the structure the same."""
    forget_labels()
    async with started_sandbox(app_keys) as sb:
        sb.state.set_issue_types(REPO, ["Task", "Bug"])
        seed_issues(sb)
        async with client(sb) as gh:
            typed = LoadedConfig.from_text("sub_issues:\n  type: Task\n", CONFIG_PATH)
            result = await sync_issue(gh, OWNER, NAME, 4, config=typed)
            again = await sync_issue(gh, OWNER, NAME, 4, config=typed)
        snap = sb.snapshot(REPO)["issues"]
    assert (result.writes, again.writes, mutations(sb)) == (REST_WRITES, 0, [])
    assert snap["4"]["sub_issues"] == [6, 7, 8, 9]
    assert [snap[str(n)]["type"] for n in (6, 7, 8, 9)] == ["Task"] * 4


async def test_the_client_paces_mutations_and_treats_queries_as_reads(sandbox: Sandbox) -> None:
    """A query goes out without the write slot and is retried after a 502; a mutation holds the slot and,
    answered 502, has an unknown outcome (never sent twice)."""
    from bot.github.client import GitHubClient
    from bot.github.errors import OutcomeUnknown
    from bot.github.pacing import Budget, InProcessPacer
    from bot.sandbox import Fault
    from tests.test_sync_support import FAST

    parent = sandbox.create_issue(REPO, "Epic", "Body")
    fake = FakeTime()
    pacer = InProcessPacer(1.0, clock=fake, wall=fake, sleep=fake.sleep, budget=Budget(None, None))
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient(session, base_url=sandbox.base_url, oauth_token=sandbox.token, policy=FAST,
                          pacer=pacer, sleep=fake.sleep, clock=fake)
        query = sandbox.add_fault(Fault("502", operation="query"))
        repo_id, _ = await gql.repository_ids(gh, OWNER, NAME, [])
        await gql.repository_ids(gh, OWNER, NAME, [])
        assert query.fired == 1 and gh.stats.retries == 1 and pacer.waits == []
        await gql.create_sub_issue(gh, repo_id, parent["node_id"], "one", "", [])
        sandbox.add_fault(Fault("502", operation="mutation"))
        with pytest.raises(OutcomeUnknown):
            await gql.create_sub_issue(gh, repo_id, parent["node_id"], "two", "", [])
        assert [k for k, _ in pacer.waits] == ["default"]  # the second mutation waited for the first's slot
    assert [e.operation for e in sandbox.log if e.is_write] == ["mutation", "mutation"]
    assert sandbox.snapshot(REPO)["issues"]["1"]["sub_issues"] == [2]
