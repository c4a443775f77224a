"""bot.github.wire gives gidgethub.sansio's answers: URLs formatted, responses deciphered."""

from __future__ import annotations

from typing import Any

import pytest
from gidgethub import BadRequest, sansio
from hypothesis import given
from hypothesis import strategies as st

from bot.github import wire

BASES = ["https://api.github.com", "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/",
         "http://127.0.0.1:8080"]
TEMPLATES = [
    "/repos/{owner}/{repo}/issues/{number}/comments?per_page=100",
    "repos/{owner}/{repo}",
    "/repos/o/r/issues?state=all&labels=stream&since=2026-12-04T17:38:08Z&per_page=100",
    "https://api.github.com/repositories/1/issues?page=2",
    "/repos/{owner}/{repo}/contents/{+path}{?ref}",
    "/repos/{owner}/{repo}/issues?labels={label}&since={since}",
    "/x/{a.b}/{c*}/{d:2}",
]
VALUES = st.one_of(st.text(max_size=12), st.integers(-5, 10**12), st.none(), st.booleans(),
                   st.lists(st.text(max_size=4), max_size=3))
NAMES = ["owner", "repo", "number", "label", "since", "path", "ref", "a.b", "c", "d"]


@given(st.sampled_from(BASES), st.sampled_from(TEMPLATES),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), VALUES)))
def test_urls_are_formatted_as_gidgethub_formats_them(base: str, url: str, values: Any) -> None:
    def outcome(format_url: Any) -> Any:
        try:
            return format_url(url, values, base_url=base)
        except Exception as exc:  # uritemplate's refusal of a value: the same one either way
            return type(exc)

    assert outcome(wire.format_url) == outcome(sansio.format_url)


LINK = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"'
HEADERS = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1790000000",
           "link": LINK}


TYPES = ["application/json; charset=utf-8", "application/json", "Application/JSON; charset=UTF-8",
         "text/plain", None]
BODIES = [b"", b'{"id": 1, "name": "\\u00b7 \xc2\xb7", "big": 123456789012345678901234}', b"[1, 2.5, null]",
          b'{"a": 1, "a": 2}', b'["\\ud800", -0, -0.0, 1E400, -9223372036854775809, 18446744073709551615]',
          b"[NaN, Infinity]", b'{"n": 12345678901234567, "f": 0.1, "e": 1e-7}', b'["\\ud800"]',
          b"[1E400, -0]", b"-9223372036854775808"]


@pytest.mark.parametrize("content_type", TYPES)
@pytest.mark.parametrize("body", BODIES)
def test_successes_are_deciphered_as_gidgethub_does(content_type: str | None, body: bytes) -> None:
    headers = {**HEADERS, **({"content-type": content_type} if content_type else {})}
    for status in (200, 201, 204):
        data, limit, more = wire.decipher_response(status, headers, body)
        want, want_limit, want_more = sansio.decipher_response(status, headers, body)
        assert (data, more) == (want, want_more)
        assert limit is not None and want_limit is not None
        assert (limit.limit, limit.remaining, limit.reset_datetime) == (
            want_limit.limit, want_limit.remaining, want_limit.reset_datetime)


def test_errors_raise_gidgethubs_exceptions() -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    with pytest.raises(BadRequest):
        wire.decipher_response(404, headers, b'{"message": "Not Found"}')


PATH_PARTS = st.sampled_from(["repos", "o", "r", ".", "..", ".github", "a:b", "", "x.y", "%2F", "?q=1", "?",
                              "#f", "issues", "7", "~", "\\", "a=b&c", " "])


@given(st.sampled_from(BASES), st.lists(PATH_PARTS, max_size=6), st.booleans())
def test_paths_made_by_the_caller_are_joined_as_gidgethub_joins_them(base: str, parts: list[str],
                                                                      lead: bool) -> None:
    url = ("/" if lead else "") + "/".join(parts)
    assert wire.format_url(url, None, base_url=base) == sansio.format_url(url, None, base_url=base)
    assert wire.format_url(url, {"x": 1}, base_url=base) == sansio.format_url(url, {"x": 1}, base_url=base)
