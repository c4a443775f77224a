"""The local GitHub's HTTP answers: JSON and error bodies, rate-limit headers, faults, paging, ETags."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.sandbox.accounting import Accounting
from bot.sandbox.faults import Fault

DOCS = "https://docs.github.com/rest"
PRIMARY_DOC = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
SECONDARY_DOC = PRIMARY_DOC + "#about-secondary-rate-limits"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
SERVER_ERRORS = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable"}


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A compact JSON answer (no body when `data` is None)."""
    body = None if data is None else json.dumps(data, separators=(",", ":")).encode()
    resp = web.Response(status=status, body=body, headers=headers or {})
    if data is not None:
        resp.content_type = "application/json"
        resp.charset = "utf-8"
    return resp


def error(status: int, message: str, doc: str = DOCS, headers: dict[str, str] | None = None) -> web.Response:
    """GitHub's `basic-error` answer."""
    return json_response(
        status, {"message": message, "documentation_url": doc, "status": str(status)}, headers
    )


def rate_headers(acct: Accounting, resource: str = "core") -> dict[str, str]:
    """The `x-ratelimit-*` headers of an answer to the caller of `acct`."""
    return {
        "x-ratelimit-limit": str(acct.limit),
        "x-ratelimit-remaining": str(acct.remaining),
        "x-ratelimit-reset": str(acct.reset),
        "x-ratelimit-used": str(acct.used),
        "x-ratelimit-resource": resource,
    }


def primary_limit(acct: Accounting, key: int | str) -> web.Response:
    """403 for a caller whose primary limit is spent."""
    message = f"API rate limit exceeded for installation ID {key}."
    return error(403, message, PRIMARY_DOC, rate_headers(acct))


def fault_response(fault: Fault, acct: Accounting, now: float) -> web.Response:
    """The answer of a fault that answers (5xx, 429, secondary or primary limit)."""
    status = fault.status or 500
    headers = rate_headers(acct)
    if fault.kind in ("secondary", "429"):
        if fault.retry_after >= 0:
            headers["Retry-After"] = str(fault.retry_after)
        return error(status, SECONDARY_MESSAGE, SECONDARY_DOC, headers)
    if fault.kind == "primary":
        headers["x-ratelimit-remaining"] = "0"
        headers["x-ratelimit-used"] = str(acct.limit)
        headers["x-ratelimit-reset"] = str(int(now + fault.reset_in))
        return error(403, "API rate limit exceeded for installation.", PRIMARY_DOC, headers)
    message = SERVER_ERRORS.get(status, "Server Error")
    return json_response(status, {"message": message, "status": str(status)}, headers)


def paginate(
    request: web.Request, items: list[Any], origin: str, *, default: int = 30, maximum: int = 100
) -> tuple[list[Any], str]:
    """Slice a list by `page`/`per_page` (default 30, at most 100, unless told) and build GitHub's `Link`
    header."""
    try:
        per_page = max(1, min(maximum, int(request.query.get("per_page", str(default)))))
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        per_page, page = default, 1
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def url(n: int) -> str:
        query = dict(request.query)
        query["page"] = str(n)
        query.setdefault("per_page", str(per_page))
        return f"<{origin}{request.raw_path.split('?')[0]}?{urlencode(query)}>"

    rels = []
    if page > 1:
        rels += [f'{url(page - 1)}; rel="prev"', f'{url(1)}; rel="first"']
    if page < last:
        rels += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
    return chunk, ", ".join(rels)


def etag_of(body: bytes) -> str:
    """A weak ETag of an answer's body."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (weak comparison, or `*`)."""
    if not header:
        return False
    strip = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == strip or tag.strip() == "*" for tag in header.split(","))
