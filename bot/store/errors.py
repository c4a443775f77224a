"""The one error the web app needs from the store: PostgreSQL is unreachable (503: GitHub redelivers)."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """PostgreSQL could not be reached or failed mid-request; nothing was accepted. Answer 503."""
