"""Who may write: the collaborator-permission API, cached per repository and login for a few minutes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import gidgethub
import gidgethub.abc
from cachetools import TTLCache

from bot.conventions import PERMISSION_CACHE_SECONDS, WRITE_PERMISSIONS, is_trusted_association

#: (base URL, owner, repo, login), lower case -> has write access.
_CACHE: TTLCache[tuple[str, str, str, str], bool] = TTLCache(maxsize=4096, ttl=PERMISSION_CACHE_SECONDS)

#: Does this author (login, author_association) have write access? Asked by the sync for each plan author.
WriteCheck = Callable[[str, Any], Awaitable[bool]]


def clear() -> None:
    """Forget every answer (tests start fresh local GitHubs, which may reuse a port)."""
    _CACHE.clear()


async def has_write(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, login: str) -> bool:
    """admin, maintain or write on the repository; a 403/404 (not a collaborator) is no. Cached."""
    if not login:
        return False
    key = (gh.base_url.rstrip("/").lower(), owner.lower(), repo.lower(), login.lower())
    known = _CACHE.get(key)
    if known is not None:
        return known
    try:
        data = await gh.getitem(
            "/repos/{owner}/{repo}/collaborators/{username}/permission",
            {"owner": owner, "repo": repo, "username": login},
        )
    except gidgethub.BadRequest as exc:
        if exc.status_code.value not in (403, 404):
            raise
        data = {}
    levels = {str(data.get("permission") or "").lower(), str(data.get("role_name") or "").lower()}
    answer = bool(levels & WRITE_PERMISSIONS)
    _CACHE[key] = answer
    return answer


def writer_check(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str) -> WriteCheck:
    """The check for one repository: OWNER from `author_association`, everyone else asked (cached)."""

    async def check(login: str, association: Any) -> bool:
        return is_trusted_association(association) or await has_write(gh, owner, repo, login)

    return check
