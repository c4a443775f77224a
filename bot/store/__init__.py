"""PostgreSQL pieces for running at scale: schema, delivery dedupe, cross-process write pacing.

Installation tokens are NOT stored here: each process mints its own (cheaply re-minted, cached per process).
Why: a token is one signed JWT plus one `POST /app/installations/{id}/access_tokens` per installation per
hour per process; with a handful of processes that is a few requests an hour, against a limit of thousands.
Sharing them would put live credentials in the database (a leak risk, and one more thing to encrypt and
expire) and make every process depend on the table for every request. Re-minting keeps secrets in memory only.
"""

from __future__ import annotations

from bot.store.deliveries import PgDeliveries
from bot.store.errors import StoreUnavailable
from bot.store.locks import PgIssueLocks
from bot.store.pacing import PgPacer
from bot.store.schema import OUR_SCHEMA, apply_schema_sync, make_pool

__all__ = ["OUR_SCHEMA", "PgDeliveries", "PgIssueLocks", "PgPacer", "StoreUnavailable", "apply_schema_sync",
           "make_pool"]
