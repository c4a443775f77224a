"""The local GitHub: a stateful in-memory GitHub REST server keeping GitHub's contract (tests, demo, trials).

Usage::

    sb = Sandbox(OPENAPI, public_key_pem=public_pem)   # contract check on when a description is given
    sb.add_repo("octo/sandbox", installation_id=1)
    token = sb.issue_token(1)                          # writes with it are by parallel-work-bot[bot]
    sb.create_issue("octo/sandbox", "Epic", body="...")  # seeding bypasses HTTP
    await sb.start()                                   # 127.0.0.1, free port -> sb.base_url
    sb.faults.add("503:nth=2")                         # or Fault("secondary", path="/comments$")
    ...
    sb.snapshot("octo/sandbox"); sb.accounting(1); sb.log; sb.violations
    await sb.stop()

What it keeps of GitHub: the operations of bot/sandbox/data/openapi-subset.json; bodies shaped like the
recorded responses; database ids (large, never equal to numbers) for sub-issues and blocked-by; ETag + 304
(free); x-ratelimit-* headers and a primary limit per installation; Link pagination (per_page <= 100); 404 for
what a token may not see; 401 for bad/expired tokens and JWTs; 422 `Validation Failed` bodies; labels
case-insensitive and created with colour `ededed` on first use; optional content-creation limits
(`secondary_limit=80` a minute, `hourly_limit=500` an hour; GraphQL mutations count, queries do not);
`POST /graphql` parsed and validated against GitHub's schema (`graphql_without` drops input fields, as an
older Enterprise Server lacks them). Faults (`Fault.parse` specs, `KIND[:key=value,...]`): 500/502/503,
`secondary` (403 + Retry-After), `429`, `primary` (403, remaining 0), `drop_before`/`drop_after`
(connection dropped before/after the write took effect), `slow`; chosen by `nth`, `method`/`path` regexes,
`operation` (GraphQL's query or mutation), `probability`+`seed`, with `times`.

Modules: records (the data, limits, error answers), repo (the git model: blobs, trees, commits as git hashes
them), state (GitHub's rules over the data; `push` commits files), shapes (JSON bodies), payloads (webhook
payloads: `push_payload`), auth (JWT and tokens), faults, accounting (counters, rate limits, request log),
contract (openapi-core checks), responses (HTTP answers, paging, ETags), routes (one handler per operation),
graphql (the GraphQL endpoint), server (the `Sandbox`).
"""

from bot.sandbox.accounting import Accounting, LogEntry
from bot.sandbox.faults import KINDS as FAULT_KINDS
from bot.sandbox.faults import Fault
from bot.sandbox.records import DEFAULT_LABEL_COLOR, MAX_BODY, MAX_SUB_ISSUES
from bot.sandbox.server import Sandbox

__all__ = [
    "DEFAULT_LABEL_COLOR",
    "FAULT_KINDS",
    "MAX_BODY",
    "MAX_SUB_ISSUES",
    "Accounting",
    "Fault",
    "LogEntry",
    "Sandbox",
]
