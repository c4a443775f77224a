"""API paths filled in by the bot equal what gidgethub's URI templates would have made of them."""

from __future__ import annotations

import uritemplate
from hypothesis import given
from hypothesis import strategies as st

from bot.github.paths import api_path

TEMPLATES = [
    "/repos/{owner}/{repo}/issues/{number}",
    "/repos/{owner}/{repo}/issues?state=all&labels={label}&since={since}&per_page=100",
    "/repos/{owner}/{repo}/collaborators/{username}/permission",
]


@given(st.sampled_from(TEMPLATES), st.text(), st.text(), st.one_of(st.integers(0, 10**9), st.text()))
def test_a_filled_path_is_the_uri_templates_expansion(template: str, a: str, b: str, c: int | str) -> None:
    values = {"owner": a, "repo": b, "number": c, "label": a, "since": b, "username": c}
    assert api_path(template, **values) == uritemplate.expand(template, var_dict=values)


def test_labels_with_colons_and_spaces_are_encoded_whole() -> None:
    path = api_path("/repos/{owner}/{repo}/issues?labels={label}", owner="octo", repo="a.b-c_d",
                    label="plan: x/y")
    assert path == "/repos/octo/a.b-c_d/issues?labels=plan%3A%20x%2Fy"
