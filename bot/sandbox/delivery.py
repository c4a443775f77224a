"""How GitHub sends a webhook: the signature, the headers, the compact body."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def sign(body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 value GitHub would send for this body (for the demo, tests and benchmarks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(event: str, delivery: str, body: bytes, secret: str | None) -> dict[str, str]:
    """The headers of a GitHub webhook delivery for this body."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/parallel-work-bot",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "1",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return headers


def dumps(payload: dict[str, Any]) -> bytes:
    """Serialise a payload compactly, as GitHub does."""
    return json.dumps(payload, separators=(",", ":")).encode()
