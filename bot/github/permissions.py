"""Who may write: the collaborator-permission API, cached per repository and login for a few minutes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import gidgethub
import gidgethub.abc
from cachetools import TTLCache

from bot.conventions import PERMISSION_CACHE_SECONDS, WRITE_PERMISSIONS, is_trusted_association
from bot.github.paths import api_path

#: (base URL, owner, repo, login), lower case -> the person's highest role (index into ROLE_ORDER, -1: none).
_CACHE: TTLCache[tuple[str, str, str, str], int] = TTLCache(maxsize=4096, ttl=PERMISSION_CACHE_SECONDS)
#: Repository roles from least to most (GitHub's `role_name`; `permission` holds the older three of them).
ROLE_ORDER: tuple[str, ...] = ("read", "triage", "write", "maintain", "admin")
#: The least role counted as write access (a repository's configuration may ask for more, or triage).
WRITE_ROLE = min(WRITE_PERMISSIONS, key=ROLE_ORDER.index)

#: Does this author (login, author_association) have write access? Asked by the sync for each plan author.
WriteCheck = Callable[[str, Any], Awaitable[bool]]


def clear() -> None:
    """Forget every answer (tests start fresh local GitHubs, which may reuse a port)."""
    _CACHE.clear()


async def has_write(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, login: str, minimum: str = WRITE_ROLE
) -> bool:
    """The role is at least `minimum` (default: write); a 403/404 (not a collaborator) is no. Cached."""
    if not login:
        return False
    need = ROLE_ORDER.index(minimum) if minimum in ROLE_ORDER else ROLE_ORDER.index(WRITE_ROLE)
    key = (gh.base_url.rstrip("/").lower(), owner.lower(), repo.lower(), login.lower())
    known = _CACHE.get(key)
    if known is not None:
        return known >= need
    try:
        data = await gh.getitem(api_path("/repos/{owner}/{repo}/collaborators/{username}/permission",
                                         owner=owner, repo=repo, username=login))
    except gidgethub.BadRequest as exc:
        if exc.status_code.value not in (403, 404):
            raise
        data = {}
    levels = {str(data.get("permission") or "").lower(), str(data.get("role_name") or "").lower()}
    role = max((ROLE_ORDER.index(x) for x in levels if x in ROLE_ORDER), default=-1)
    _CACHE[key] = role
    return role >= need


def writer_check(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, minimum: str = WRITE_ROLE
) -> WriteCheck:
    """The check for one repository: OWNER from `author_association`, everyone else asked (cached).

    `minimum`: the least role that may trigger the bot (the repository's `trigger_permission`).
    """

    async def check(login: str, association: Any) -> bool:
        return is_trusted_association(association) or await has_write(gh, owner, repo, login, minimum)

    return check
