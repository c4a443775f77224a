"""Reading a repository's configuration from GitHub: its default branch, else the owner's `.github`
repository; a missing file is the defaults.

The read is conditional (the client's ETag cache: an unchanged file is a 304, which costs no rate-limit
point) and the text is parsed once per blob sha. A repository with no file is remembered for a while, so
syncs of such repositories do not spend a read on it every time; `forget` drops that (a push changed it).
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

import gidgethub
import gidgethub.abc
from cachetools import LRUCache

from bot.repoconfig.load import CONFIG_PATH, LoadedConfig, finding, load_config_text
from bot.repoconfig.model import DEFAULT_CONFIG

#: The owner's repository of shared community files (Probot apps read their fallback there too).
OWNER_REPO = ".github"
#: Seconds a missing file is believed missing without asking again (a push that adds it calls `forget`).
MISSING_SECONDS = 300.0


#: No file anywhere: the defaults.
DEFAULT_LOADED = LoadedConfig()

#: blob sha -> the parsed file (a sha names the bytes, so this never goes stale).
_PARSED: LRUCache[tuple[str, str], LoadedConfig] = LRUCache(maxsize=512)
#: (base URL, owner, repo) lower case -> monotonic time until which that repository is believed to have no
#: file (the repository's own, or the owner's `.github` one).
_MISSING: LRUCache[tuple[str, str, str], float] = LRUCache(maxsize=4096)


def clear() -> None:
    """Forget every cached answer (tests start fresh local GitHubs, which may reuse a port)."""
    _PARSED.clear()
    _MISSING.clear()


def _key(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str) -> tuple[str, str, str]:
    return gh.base_url.rstrip("/").lower(), owner.lower(), repo.lower()


def forget(gh: gidgethub.abc.GitHubAPI, owner: str, repo: str) -> None:
    """The repository's file may have changed (a push to it): the next read asks GitHub again."""
    _MISSING.pop(_key(gh, owner, repo), None)


async def _read_file(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, path: str, ref: str | None = None
) -> dict[str, Any] | None:
    """The contents API's answer for one file on the default branch (or at `ref`); None when it is not
    there to read."""
    where: dict[str, str] = {"owner": owner, "repo": repo, "path": path}
    try:
        if ref is None:
            data = await gh.getitem("/repos/{owner}/{repo}/contents/{+path}", where)
        else:
            data = await gh.getitem("/repos/{owner}/{repo}/contents/{+path}{?ref}", {**where, "ref": ref})
    except gidgethub.BadRequest as exc:
        # 404: no file (or no repository); 403: the installation may not read that repository.
        if exc.status_code.value in (403, 404):
            return None
        raise
    return data if isinstance(data, dict) and data.get("type") == "file" else None


def _parse(answer: dict[str, Any], source: str) -> LoadedConfig:
    sha = str(answer.get("sha") or "")
    key = (source, sha)
    if sha and key in _PARSED:
        return _PARSED[key]
    if answer.get("encoding") not in (None, "base64"):  # GitHub sends no content for a file over 1 MB
        loaded = LoadedConfig(findings=[finding(source, None, "too large to read: the defaults apply")],
                              source=source, sha=sha or None)
        if sha:
            _PARSED[key] = loaded
        return loaded
    try:
        text = base64.b64decode(str(answer.get("content") or ""), validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        loaded = LoadedConfig(findings=[finding(source, None, "not UTF-8 text: the defaults apply")],
                              source=source, sha=sha or None)
    else:
        config, findings = load_config_text(text, source)
        loaded = LoadedConfig(config, findings, source, sha or None)
    if sha:
        _PARSED[key] = loaded
    return loaded


async def read_repo_config(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, *, path: str = CONFIG_PATH
) -> LoadedConfig:
    """The repository's configuration: its own file, else its owner's `.github` repository's, or defaults."""
    now = time.monotonic()
    places = [(owner, repo)] + ([(owner, OWNER_REPO)] if repo.lower() != OWNER_REPO else [])
    for where_owner, where_repo in places:
        key = _key(gh, where_owner, where_repo)
        if _MISSING.get(key, 0.0) > now:
            continue  # believed missing there: not asked again for a while
        answer = await _read_file(gh, where_owner, where_repo, path)
        if answer is not None:
            _MISSING.pop(key, None)
            return _parse(answer, f"{where_owner}/{where_repo}:{path}")
        _MISSING[key] = now + MISSING_SECONDS
    return DEFAULT_LOADED


async def read_config_at(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, ref: str, *, path: str = CONFIG_PATH
) -> LoadedConfig | None:
    """The repository's own file as it was at commit `ref` (a push's "before"); None: it had none."""
    answer = await _read_file(gh, owner, repo, path, ref)
    return _parse(answer, f"{owner}/{repo}:{path}") if answer is not None else None


async def plans_to_resync(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, *, also_labels: list[str] | None = None
) -> list[int]:
    """The repository's open plans, to sync again because its configuration file changed (a push).

    Plans carry the bot's plan label: the one the new configuration names, the default one, and any in
    `also_labels` (an earlier configuration's). The file is read afresh first (`forget`, the repository's
    and its owner's `.github`: a push to `.github` changes every repository of the owner without a file).
    """
    forget(gh, owner, repo)
    forget(gh, owner, OWNER_REPO)
    loaded = await read_repo_config(gh, owner, repo)
    names = [loaded.config.labels.spec("plan")[0], DEFAULT_CONFIG.labels.spec("plan")[0]]
    names += also_labels or []
    found: dict[int, None] = {}
    for name in dict.fromkeys(n.lower() for n in names):
        url = "/repos/{owner}/{repo}/issues?state=open&labels={label}&per_page=100"
        async for raw in gh.getiter(url, {"owner": owner, "repo": repo, "label": name}):
            if isinstance(raw, dict) and not raw.get("pull_request") and isinstance(raw.get("number"), int):
                found[int(raw["number"])] = None
    return sorted(found)
