"""The payload fields the event handlers rely on, checked before dispatch: a wrong shape is 400, not a bug."""

from __future__ import annotations

from typing import Any


class Objects:
    """The type of a list whose items are all objects (`repositories_added`): the handlers read each item."""


#: For each event: (path, type) pairs that must be present; dicts are walked key by key.
_REPOSITORY = ((("repository",), dict), (("repository", "owner"), dict),
               (("repository", "owner", "login"), str), (("repository", "name"), str))
_ISSUE = ((("issue",), dict), (("issue", "number"), int))
REQUIRED: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "issue_comment": _REPOSITORY + _ISSUE + ((("comment",), dict), (("comment", "id"), int)),
    "issues": _REPOSITORY + _ISSUE,
    "push": (*_REPOSITORY, (("ref",), str)),
}
#: Optional fields of every event that, when present, must have this type (None allowed).
COMMON: tuple[tuple[tuple[str, ...], type], ...] = ((("installation",), dict), (("sender",), dict))
#: Optional fields of one event that, when present, must have this type (None allowed).
OPTIONAL: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "issue_comment": ((("comment", "body"), str), (("comment", "user"), dict), (("issue", "body"), str),
                      (("changes",), dict), (("changes", "body"), dict)),
    "issues": ((("issue", "body"), str), (("issue", "user"), dict), (("issue", "labels"), list),
               (("changes",), dict), (("changes", "body"), dict)),
    "push": ((("commits",), list), (("after",), str), (("before",), str),
             (("repository", "default_branch"), str)),
    "installation": ((("installation", "account"), dict), (("repositories",), Objects)),
    "installation_repositories": ((("repositories_added",), Objects), (("repositories_removed",), Objects)),
    "ping": ((("hook",), dict),),
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
    for path, kind in COMMON + OPTIONAL.get(event, ()):
        found, value = _walk(data, path)
        if found and value is not None and not _is(value, kind):
            what = "a list of objects" if kind is Objects else kind.__name__
            return f"{'.'.join(path)} must be {what} or null"
    if not isinstance(data.get("action", ""), str):
        return "action must be str"
    return None


def _is(value: Any, kind: type) -> bool:
    if kind is Objects:
        return isinstance(value, list) and all(isinstance(item, dict) for item in value)
    return isinstance(value, kind)
