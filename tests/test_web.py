"""The webhook endpoint over real HTTP: signatures, content types, sizes, unknown events, duplicates."""

from __future__ import annotations

import json
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.app.web import MAX_BODY, create_app
from bot.config import ConfigError, given_settings
from bot.jobs.queue import JobQueue, QueueUnavailable
from bot.jobs.request import Accepted, JobRequest
from bot.metrics import Metrics
from bot.sandbox.delivery import dumps, sign, webhook_headers
from tests.fixtures.app import MAINTAINER, REPO, SECRET, BotApp, real_payload
from tests.paths import SEED


async def _seed_comment(bot_app: BotApp) -> dict[str, object]:
    sb = bot_app.sandbox
    sb.create_issue(REPO, "Plan here", user=MAINTAINER)
    # The seed written for #1 (as posted it names #4, and a plan for another issue is passed over).
    text = SEED.read_text(encoding="utf-8").replace("issue: 4", "issue: 1").replace("Issue #4", "Issue #1")
    return sb.create_comment(REPO, 1, text, user=MAINTAINER)


async def test_bad_or_missing_signature_is_401_and_nothing_happens(bot_app: BotApp) -> None:
    comment = await _seed_comment(bot_app)
    payload = bot_app.comment_event("created", comment)
    body = dumps(payload)
    status, answer = await bot_app.post("issue_comment", payload, signature=None)
    assert (status, answer["outcome"]) == (401, "unsigned")
    status, answer = await bot_app.post("issue_comment", payload, signature=sign(body, "not-the-secret"))
    assert (status, answer["outcome"]) == (401, "bad_signature")
    # A signature over other bytes (the payload tampered with after signing) is refused too.
    status, _ = await bot_app.post("issue_comment", payload, signature=sign(body + b" ", bot_app.secret))
    assert status == 401
    await bot_app.idle()
    assert bot_app.issue(1)["sub_issues"] == []
    assert len(bot_app.sandbox.log) == 0  # the bot did not even talk to GitHub
    # The refused delivery ids were not recorded: the genuine delivery with the same id is accepted.
    status, answer = await bot_app.post("issue_comment", payload, delivery=bot_app.deliveries[0])
    assert (status, answer["outcome"]) == (202, "queued")


async def test_wrong_content_type_is_415(bot_app: BotApp) -> None:
    payload = real_payload("ping.with-app_id.json")
    status, answer = await bot_app.post("ping", payload, content_type="text/plain")
    assert (status, answer["outcome"]) == (415, "unsupported_media_type")


async def test_malformed_json_is_400(bot_app: BotApp) -> None:
    status, answer = await bot_app.post("issue_comment", b'{"action": "created", "issue": ')
    assert (status, answer["outcome"]) == (400, "malformed")
    # Valid JSON that is not GitHub's shape for the event is a 400 as well, never a 500.
    status, answer = await bot_app.post("issue_comment", b'{"action": "created"}')
    assert (status, answer["outcome"]) == (400, "malformed")
    status, answer = await bot_app.post("issue_comment", b"[1, 2, 3]")
    assert (status, answer["outcome"]) == (400, "malformed")


async def test_body_over_25_mb_is_413(bot_app: BotApp) -> None:
    payload = real_payload("issue_comment.created.with-installation.json")
    payload["comment"]["body"] = "x" * (MAX_BODY + 1)
    status, answer = await bot_app.post("issue_comment", payload)
    assert status == 413
    assert answer["outcome"] == "too_large"
    # Just under the limit is read and verified (and ignored: no plan, no command).
    payload["comment"]["body"] = "x" * (MAX_BODY - 20_000)
    status, answer = await bot_app.post("issue_comment", payload)
    assert (status, answer["outcome"]) == (200, "ignored")


async def test_unknown_event_is_200_ignored(bot_app: BotApp) -> None:
    payload = real_payload("issue_dependencies.blocked_by_added.json")
    status, answer = await bot_app.post("issue_dependencies", payload)
    assert (status, answer["outcome"]) == (200, "ignored")
    status, answer = await bot_app.post("star", {"action": "created", "starred_at": None})
    assert (status, answer["outcome"]) == (200, "ignored")
    assert bot_app.metrics.deliveries.value(event="star", outcome="ignored") == 1


@pytest.mark.parametrize("name", ["ping.json", "ping.with-app_id.json"])
async def test_ping_is_answered(bot_app: BotApp, name: str) -> None:
    status, answer = await bot_app.post("ping", real_payload(name))
    assert status == 200
    assert answer["outcome"] == "ignored" and answer["why"] == "pong"


@pytest.mark.parametrize(
    "event,name,outcome",
    [("installation", "installation.created.json", "queued"),  # a scan of each repository (test_files)
     ("installation", "installation.deleted.json", "ignored"),
     ("installation_repositories", "installation_repositories.added.json", "queued")],
)
async def test_installation_events_are_handled(bot_app: BotApp, event: str, name: str, outcome: str) -> None:
    status, answer = await bot_app.post(event, real_payload(name))
    assert (status, answer["outcome"]) == ((202 if outcome == "queued" else 200), outcome)
    assert bot_app.metrics.deliveries.value(event=event, outcome=outcome) == 1
    await bot_app.idle()


async def test_duplicate_delivery_is_processed_once(bot_app: BotApp) -> None:
    comment = await _seed_comment(bot_app)
    payload = bot_app.comment_event("created", comment)
    delivery = str(uuid.uuid4())
    status, answer = await bot_app.post("issue_comment", payload, delivery=delivery)
    assert (status, answer["outcome"]) == (202, "queued")
    await bot_app.idle()
    writes = len(bot_app.sandbox.writes())
    for _ in range(3):
        status, answer = await bot_app.post("issue_comment", payload, delivery=delivery)
        assert (status, answer["outcome"]) == (200, "duplicate")
    await bot_app.idle()
    assert len(bot_app.sandbox.writes()) == writes
    assert bot_app.jobs("sync") == 1
    assert bot_app.metrics.deliveries.value(event="issue_comment", outcome="duplicate") == 3


async def test_healthz_and_metrics(bot_app: BotApp) -> None:
    await bot_app.post("ping", real_payload("ping.json"))
    base = bot_app.server.base_url
    async with bot_app.http.get(base + "/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"
    async with bot_app.http.get(base + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
        text = await resp.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}
    assert samples[("pwb_webhook_deliveries_total", (("event", "ping"), ("outcome", "ignored")))] == 1
    assert samples[("pwb_jobs_pending", ())] == 0
    # The ack latency of that delivery: one observation, in the +Inf bucket as in every bucket above it.
    assert samples[("pwb_webhook_ack_duration_seconds_count", (("outcome", "ignored"),))] == 1
    assert samples[("pwb_webhook_ack_duration_seconds_bucket", (("le", "+Inf"), ("outcome", "ignored")))] == 1
    kinds = {"pwb_jobs": "counter", "pwb_github_requests": "counter",
             "pwb_github_rate_limit_remaining": "gauge",
             "pwb_github_client_events": "counter", "pwb_webhook_ack_duration_seconds": "histogram",
             "pwb_job_duration_seconds": "histogram", "pwb_github_request_duration_seconds": "histogram",
             "pwb_sync_writes": "histogram"}
    assert {name: families[name].type for name in kinds} == kinds


class StoreDown:
    """A job queue whose store does not answer (what JobQueue reports while PostgreSQL is down)."""

    async def accept(self, request: JobRequest) -> Accepted:
        raise QueueUnavailable("job store down")

    async def healthy(self) -> bool:
        return False

    async def pending(self) -> int:
        raise QueueUnavailable("job store down")


async def test_healthz_and_deliveries_follow_the_queues_health() -> None:
    app = create_app(given_settings(github_webhook_secret=SECRET), StoreDown(), metrics=Metrics())
    body = dumps(real_payload("ping.json"))
    async with TestClient(TestServer(app)) as http:
        async with http.get("/healthz") as resp:
            assert (resp.status, await resp.json()) == (503, {"status": "unavailable"})
        async with http.get("/metrics") as resp:  # still served: the scrape shows what it can
            assert resp.status == 200 and "pwb_webhook_deliveries_total" in await resp.text()
        plan = real_payload("issue_comment.created.json")
        plan["comment"]["body"] = SEED.read_text(encoding="utf-8")
        plan["comment"]["author_association"] = "OWNER"
        plan["issue"].pop("pull_request", None)
        plan_body = dumps(plan)
        headers = webhook_headers("issue_comment", "d-1", plan_body, SECRET)
        async with http.post("/webhook", data=plan_body, headers=headers) as resp:
            # Its job could not be queued, so GitHub is told to deliver it again later.
            assert (resp.status, (await resp.json())["outcome"]) == (503, "unavailable")
        headers = webhook_headers("ping", "d-2", body, SECRET)
        async with http.post("/webhook", data=body, headers=headers) as resp:
            # A delivery that needs no job loses nothing while the store is down.
            assert (resp.status, (await resp.json())["outcome"]) == (200, "ignored")


async def test_metrics_count_github_requests_and_rate_limit(bot_app: BotApp) -> None:
    comment = await _seed_comment(bot_app)
    await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    acct, app = bot_app.sandbox.accounting(1), bot_app.sandbox.accounting("app")
    m = bot_app.metrics
    # Every request the local GitHub counted (as the installation, or as the App asking for a token); GraphQL
    # requests (the local GitHub counts a query as a read, a mutation as a write) are a kind of their own.
    queries = len([e for e in bot_app.sandbox.log if e.operation == "query"])
    mutations = len([e for e in bot_app.sandbox.log if e.operation == "mutation"])
    # The node ids the creates need came from REST answers (the repository, the labels made): no query.
    assert (queries, mutations) == (0, 4)
    assert m.github_requests.value(kind="graphql") == queries + mutations
    assert m.github_requests.value(kind="read") == acct.reads + app.reads - queries
    assert m.github_requests.value(kind="write") == acct.writes + app.writes - mutations
    assert m.github_requests.value(kind="not_modified") == acct.not_modified + app.not_modified
    assert acct.writes > 0
    assert m.rate_limit_remaining.value(installation="1") == acct.remaining
    assert m.jobs.value(kind="sync", outcome="ok") == 1
    # The client's own decisions, read from it at scrape time: one installation token, no retries.
    assert m.registry.get_sample_value("pwb_github_client_events_total", {"event": "token_refreshes"}) == 1
    assert m.registry.get_sample_value("pwb_github_client_events_total", {"event": "retries"}) == 0
    # Latency by kind and status class: one observation per request the local GitHub answered.
    reads = sum(m.github_request_duration.value(kind="read", status_class=c) for c in ("2xx", "3xx", "4xx"))
    assert reads == acct.reads + app.reads + acct.not_modified + app.not_modified - queries
    writes = sum(m.github_request_duration.value(kind="write", status_class=c) for c in ("2xx", "4xx"))
    assert writes == acct.writes + app.writes - mutations
    assert m.github_request_duration.value(kind="graphql", status_class="2xx") == queries + mutations > 0
    # One sync, whose writes are the installation's writes; one job timed.
    assert m.sync_writes.value() == 1
    assert m.registry.get_sample_value("pwb_sync_writes_sum") == acct.writes
    assert m.job_duration.value(kind="sync", outcome="ok") == 1


def test_metrics_are_per_app_and_named_by_convention() -> None:
    a, b = Metrics(), Metrics()
    a.deliveries.inc(event="ping", outcome="ignored")
    a.webhook_ack.observe(0.003, outcome="ignored")
    assert a.deliveries.value(event="ping", outcome="ignored") == 1
    assert b.deliveries.value(event="ping", outcome="ignored") == 0
    assert a.registry.get_sample_value(
        "pwb_webhook_ack_duration_seconds_bucket", {"outcome": "ignored", "le": "0.0025"}) == 0
    assert a.registry.get_sample_value(
        "pwb_webhook_ack_duration_seconds_bucket", {"outcome": "ignored", "le": "0.005"}) == 1
    for family in text_string_to_metric_families(a.render()):
        assert family.name.startswith("pwb_")
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples)
        if family.type == "histogram" and family.name != "pwb_sync_writes":
            assert family.name.endswith("_seconds")


def test_refuses_to_start_without_a_secret_unless_local_mode() -> None:
    queue = JobQueue()
    with pytest.raises(ConfigError, match="GITHUB_WEBHOOK_SECRET"):
        create_app(given_settings(github_webhook_secret=None, local_mode=False), queue)
    create_app(given_settings(github_webhook_secret=None, local_mode=True), queue)


async def test_local_mode_accepts_unsigned_deliveries() -> None:
    from aiohttp import ClientSession, web

    queue = JobQueue()  # no handler and no worker: the job stays queued where we can count it
    await queue.open()
    app = create_app(given_settings(github_webhook_secret=None, local_mode=True), queue)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        payload = real_payload("issue_comment.created.with-installation.json")
        payload["comment"]["body"] = "/analyze help"
        async with ClientSession() as http, http.post(
            f"http://127.0.0.1:{port}/webhook", data=json.dumps(payload),
            headers={"Content-Type": "application/json", "X-GitHub-Event": "issue_comment",
                     "X-GitHub-Delivery": "d-1"},
        ) as resp:
            assert resp.status == 202
        assert await queue.pending() == 1
    finally:
        await runner.cleanup()
        await queue.close()


async def test_form_encoded_deliveries_are_understood(bot_app: BotApp) -> None:
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(real_payload("ping.json"))}).encode()
    status, answer = await bot_app.post("ping", body, content_type="application/x-www-form-urlencoded")
    assert (status, answer["outcome"]) == (200, "ignored")


async def test_json_deliveries_are_read_whatever_their_charset_and_bad_bytes_are_malformed(
    bot_app: BotApp,
) -> None:
    """A JSON body is parsed the same with or without `charset=utf-8`, in another declared charset too;
    bytes that are not UTF-8 get the 400 a malformed body gets, never a crash."""
    payload = real_payload("issue_comment.created.with-installation.json")
    payload["comment"]["body"] = "/analyze help\n\nmerci, café"
    utf8 = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    outcomes = []
    for body, content_type in ((utf8, "application/json"), (utf8, "application/json; charset=utf-8"),
                               (json.dumps(payload, ensure_ascii=False).encode("latin-1", "replace"),
                                "application/json; charset=latin-1")):
        status, answer = await bot_app.post("issue_comment", body, content_type=content_type)
        outcomes.append((status, answer["outcome"]))
    # Each is read as the command it holds: its job queued, or folded into the one still waiting.
    assert outcomes[0] == (202, "queued")
    assert all(status == 202 and outcome in ("queued", "coalesced") for status, outcome in outcomes)
    status, answer = await bot_app.post("issue_comment", utf8.replace("é".encode(), b"\xe9"))
    assert (status, answer["outcome"]) == (400, "malformed")
