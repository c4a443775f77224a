"""Flat frontmatter read without PyYAML's composer: the same mapping as the YAML loader, or declined."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.flat_yaml import read_flat
from bot.analysis.frontmatter import FrontmatterLoader

#: Values that look like YAML's other scalars, and characters that change how a line is read.
_TRICKY = ["yes", "No", "ON", "off", "null", "Null", "~", "true", "FALSE", "010", "0x1F", "0b101", "0o7",
           "1_000", "1:30", "3.5", "3.", ".5", "1e5", "1.5e+3", "-2", "+7", ".inf", "-.Inf", ".nan",
           "2024-01-02", "12:00:00", "'", '"', "''", "#", " #", ": ", ":", "-", "- ", "[", "]", "{", "}", ",",
           "&a", "*a", "!t", "|", ">", "%", "@", "`", "\\", "\t", " ", "  ", "é", "流", "\ufeff", "key",
           "Issue #288"]
_piece = st.one_of(st.sampled_from(_TRICKY), st.text(alphabet="aZ09 .-_:#'\"[]{},", max_size=6))
_value = st.lists(_piece, max_size=4).map("".join)
_key = st.one_of(st.sampled_from(["issue", "title", "analyzed", "estimated_hours", "yes", "null", "1", "a-b",
                                  "x_y", "_k", "K9"]), st.from_regex(r"[A-Za-z_][\w\-]{0,8}", fullmatch=True))
_line = st.one_of(st.tuples(_key, st.sampled_from([": ", ":", ":  ", ": \t"]), _value).map("".join),
                  st.sampled_from(["", " ", "# note", "  nested: 1", "- item", "key", "---"]))


@settings(max_examples=2000, deadline=None)
@given(st.lists(_line, min_size=1, max_size=6))
def test_flat_lines_read_as_the_yaml_loader_reads_them(block: list[str]) -> None:
    """Whenever the flat reader answers, its mapping equals PyYAML's (types included); it may decline."""
    flat = read_flat(block, FrontmatterLoader.yaml_implicit_resolvers)
    if flat is None:
        return
    loaded = yaml.load("\n".join(block), Loader=FrontmatterLoader)
    assert flat == loaded
    assert [type(v) for v in flat.values()] == [type(v) for v in loaded.values()]


def test_the_frontmatter_of_a_plan_is_read_flat() -> None:
    """The usual frontmatter takes the flat path (else it would be a fallback that never runs)."""
    block = ["issue: 4", "title: Add the widget", "analyzed: 2025-08-26T18:21:45Z", "estimated_hours: 12.5",
             "parallelization_factor: 3.0", "parallel: yes", "note:"]
    assert read_flat(block, FrontmatterLoader.yaml_implicit_resolvers) == {
        "issue": 4, "title": "Add the widget", "analyzed": "2025-08-26T18:21:45Z", "estimated_hours": 12.5,
        "parallelization_factor": 3.0, "parallel": True, "note": None}
