"""Invariants of the local GitHub's links under random operation sequences (state level, no HTTP)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sandbox.records import SandboxError
from bot.sandbox.state import State

N = 8
ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "replace", "remove", "after", "before", "block", "unblock"]),
        st.integers(0, N - 1),
        st.integers(0, N - 1),
        st.integers(0, N - 1),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_links_stay_consistent(script: list[tuple[str, int, int, int]]) -> None:
    state = State(clock=lambda: 1_700_000_000.0)
    repo = state.add_repo("octo/p", 1)
    user = state.user("octocat")
    issues = [state.create_issue(repo, f"i{k}", "", user) for k in range(N)]
    for op, a, b, c in script:
        parent, child, anchor = issues[a], issues[b], issues[c]
        try:
            if op in ("add", "replace"):
                state.add_sub_issue(parent, child.id, replace_parent=op == "replace")
            elif op == "remove":
                state.remove_sub_issue(parent, child.id)
            elif op in ("after", "before"):
                kwargs = (
                    {"after_id": anchor.id, "before_id": None}
                    if op == "after"
                    else {"after_id": None, "before_id": anchor.id}
                )
                state.reprioritize(parent, child.id, **kwargs)
            elif op == "block":
                state.add_blocked_by(parent, child.id)
            else:
                state.remove_blocked_by(parent, child.id)
        except SandboxError as exc:
            assert exc.status in (404, 422)
    by_id = {i.id: i for i in issues}
    for issue in issues:
        # one parent at most, and the parent lists the child exactly once
        for sub in issue.sub_issues:
            assert by_id[sub].parent == issue.id
        assert len(set(issue.sub_issues)) == len(issue.sub_issues)
        if issue.parent is not None:
            assert by_id[issue.parent].sub_issues.count(issue.id) == 1
        # no issue is its own ancestor
        seen, up = set(), issue.parent
        while up is not None:
            assert up != issue.id and up not in seen
            seen.add(up)
            up = by_id[up].parent
        # blocked_by and blocking mirror each other; never self, never duplicated
        assert issue.id not in issue.blocked_by and len(set(issue.blocked_by)) == len(issue.blocked_by)
        for blocker in issue.blocked_by:
            assert by_id[blocker].blocking.count(issue.id) == 1
        for blocked in issue.blocking:
            assert issue.id in by_id[blocked].blocked_by
