"""Counters of what the GitHub client did (requests, retries, rate-limit waits...), read by /metrics."""

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

    def events(self) -> dict[str, float | None]:
        """What the client decided, for `pwb_github_client_events_total`.

        Requests by kind are counted on the wire (`pwb_github_requests_total`), and the rate-limit snapshot is
        a gauge, so neither is repeated here.
        """
        counts = asdict(self)
        for name in ("reads", "writes", "not_modified", "rate_limit_remaining", "rate_limit_reset"):
            del counts[name]
        return counts
