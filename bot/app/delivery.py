"""A webhook delivery read into a gidgethub `Event`: the signature checked first, JSON parsed by orjson."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from gidgethub import ValidationFailure, sansio


def read_event(headers: Mapping[str, str], body: bytes, *, secret: str | None) -> sansio.Event:
    """What `sansio.Event.from_http` gives (the same errors for a bad signature or body; lowercase header
    keys), parsing UTF-8 JSON with orjson: the body's parse is the largest part of the intake's own work
    a delivery. Another encoding, or a form-encoded body, goes through gidgethub."""
    content_type, _, params = headers.get("content-type", "").partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params.strip() else "utf-8"
    if content_type.strip().lower() != "application/json" or charset not in ("utf-8", "utf8"):
        return sansio.Event.from_http(headers, body, secret=secret)
    signature = headers.get("x-hub-signature-256", headers.get("x-hub-signature"))
    if signature is not None:
        if secret is None:
            raise ValidationFailure("secret not provided")
        sansio.validate_event(body, signature=signature, secret=secret)
    elif secret is not None:
        raise ValidationFailure("signature is missing")
    data = orjson.loads(body)  # orjson.JSONDecodeError is a ValueError, as json's is
    return sansio.Event(data, event=headers["x-github-event"], delivery_id=headers["x-github-delivery"])
