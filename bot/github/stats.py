"""Counters of the client's traffic (reads, writes, 304s, retries, rate limit) for /metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class ClientStats:
    """Running totals; one instance may be shared by every client of an app."""

    reads: int = 0
    writes: int = 0
    not_modified: int = 0
    retries: int = 0
    token_refreshes: int = 0
    unauthorized_retries: int = 0
    secondary_limit_waits: int = 0
    primary_limit_waits: int = 0
    rate_limit_deferrals: int = 0
    outcome_unknown: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: float | None = None

    def as_dict(self) -> dict[str, int | float | None]:
        """The counters as a plain dict (for JSON / Prometheus text)."""
        return asdict(self)
