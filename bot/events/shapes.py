"""The payload fields the event handlers rely on, checked before dispatch: a wrong shape is 400, not a bug."""

from __future__ import annotations

from typing import Any

#: For each event: (path, type) pairs that must be present; dicts are walked key by key.
_REPOSITORY = ((("repository",), dict), (("repository", "owner"), dict),
               (("repository", "owner", "login"), str), (("repository", "name"), str))
_ISSUE = ((("issue",), dict), (("issue", "number"), int))
REQUIRED: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "issue_comment": _REPOSITORY + _ISSUE + ((("comment",), dict), (("comment", "id"), int)),
    "issues": _REPOSITORY + _ISSUE,
    "push": (*_REPOSITORY, (("ref",), str)),
}
#: Optional fields that, when present, must have this type (None allowed).
OPTIONAL: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "issue_comment": ((("comment", "body"), str), (("comment", "user"), dict), (("issue", "body"), str),
                      (("changes",), dict)),
    "issues": ((("issue", "body"), str), (("issue", "user"), dict), (("issue", "labels"), list),
               (("changes",), dict)),
    "push": ((("commits",), list), (("after",), str), (("before",), str),
             (("repository", "default_branch"), str)),
}


def _walk(data: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False, None
        data = data[key]
    return True, data


def shape_problem(event: str, data: dict[str, Any]) -> str | None:
    """What is missing or mistyped in a payload of `event` (None when the handlers can read it)."""
    for path, kind in REQUIRED.get(event, ()):
        found, value = _walk(data, path)
        # bool is an int in Python; GitHub never sends a boolean where a number belongs.
        if not found or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{'.'.join(path)} must be {kind.__name__}"
    for path, kind in OPTIONAL.get(event, ()):
        found, value = _walk(data, path)
        if found and value is not None and not isinstance(value, kind):
            return f"{'.'.join(path)} must be {kind.__name__} or null"
    if not isinstance(data.get("action", ""), str):
        return "action must be str"
    return None
