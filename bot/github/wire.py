"""URL formatting and response decoding for the client's every request, with gidgethub.sansio's results.

gidgethub parses each URL template afresh (uritemplate) and each response's content-type with the `email`
package; a worker sends the same few templates and gets `application/json; charset=utf-8` almost always.
Those common cases are done here directly; anything else (a template with operators such as `{+path}`, a
value that is not a string or an integer, another content type, an error status) goes to gidgethub's own
functions, so the answers are the same as gidgethub's.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import orjson
import uritemplate
from gidgethub import sansio

#: Content types decoded here as UTF-8 JSON (GitHub's usual answer); others go to gidgethub.
_JSON_TYPES = frozenset({"application/json; charset=utf-8", "application/json"})
_OK = frozenset({200, 201, 202, 204})
#: A simple `{name}` expression (RFC 6570 level 1); any other operator goes to uritemplate.
_EXPRESSION = re.compile(r"\{([^}]*)\}")
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9_]+")
#: Nineteen digits in a row: maybe an integer beyond 64 bits.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
#: A path (and query) urljoin leaves as it is, once the dot and empty segments are ruled out.
_PLAIN = re.compile(r"/[A-Za-z0-9_~%.\-/]*(?:\?[A-Za-z0-9_~%.\-=&:,+*/]+)?")
_LINK = re.compile(r"\<(?P<uri>[^>]+)\>;\s*" r'(?P<param_type>\w+)="(?P<param_value>\w+)"(,\s*)?')


@functools.lru_cache(maxsize=1024)
def _joined(base_url: str, url: str) -> tuple[str, tuple[str, ...] | None]:
    """The URL joined to the base as gidgethub joins it, and its simple variables' names (None when it
    has another kind of expression)."""
    joined = urllib.parse.urljoin(base_url.removesuffix("/") + "/", url.removeprefix("/"))
    names = _EXPRESSION.findall(joined)
    if not all(_SIMPLE_NAME.fullmatch(name) for name in names):
        return joined, None
    return joined, tuple(names)


def _join(base_url: str, url: str) -> str:
    """`urljoin` as gidgethub calls it, for a plain path (`/a/b.c?d=e&f`: it would resolve nothing in it)
    put after the base; anything else (a dot segment, an empty one, an empty query...) goes to urljoin."""
    if _PLAIN.fullmatch(url) and "//" not in url and "/." not in url:
        return base_url.removesuffix("/") + url
    return urllib.parse.urljoin(base_url.removesuffix("/") + "/", url.removeprefix("/"))


def format_url(url: str, url_vars: Mapping[str, Any] | None, *, base_url: str) -> str:
    """`gidgethub.sansio.format_url`: simple expressions of strings and integers filled in here."""
    if "{" not in url:  # no expression: uritemplate gives it back as it is (a path made by the caller)
        return _join(base_url, url)
    joined, names = _joined(base_url, url)
    if names is None:
        return sansio.format_url(url, url_vars, base_url=base_url)
    if not names:
        return joined
    values = url_vars or {}
    filled: dict[str, str] = {}
    for name in names:
        value = values.get(name)
        if type(value) is str:
            filled[name] = urllib.parse.quote(value, safe="")
        elif type(value) is int:
            filled[name] = str(value)
        else:  # missing, None, a list or a mapping: uritemplate's rules
            return uritemplate.expand(joined, var_dict=dict(values))
    return _EXPRESSION.sub(lambda m: filled[m.group(1)], joined)


def _next_link(link: str | None) -> str | None:
    if link is None:
        return None
    for match in _LINK.finditer(link):
        if match.group("param_type") == "rel" and match.group("param_value") == "next":
            return match.group("uri")
    return None


def decipher_response(
    status_code: int, headers: Mapping[str, str], body: bytes
) -> tuple[Any, sansio.RateLimit | None, str | None]:
    """`gidgethub.sansio.decipher_response`: a success in UTF-8 JSON decoded here, anything else there."""
    content_type = headers.get("content-type")
    if status_code not in _OK or content_type is None or content_type.lower() not in _JSON_TYPES:
        return sansio.decipher_response(status_code, headers, body)
    return _json(body) if body else None, sansio.RateLimit.from_http(headers), _next_link(headers.get("link"))


def _json(body: bytes) -> Any:
    """The body as the standard json reads it (gidgethub's way), by orjson when that reads it the same:
    orjson reads an integer beyond 64 bits as a float (so a long run of digits goes to json), and refuses
    what json takes besides (a lone surrogate escape, NaN), which then goes to json too."""
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body.decode("utf-8"))
