"""Deleting an agent label the bot created once no issue carries it (ours only: spec, colour and text)."""

from __future__ import annotations

from urllib.parse import quote

import gidgethub
import gidgethub.abc

from bot.github.paths import api_path
from bot.sync.apply import send
from bot.sync.labels import DEFAULT_LABELS, LABEL_CACHE, LabelCache, LabelSet


async def prune_label(
    gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, name: str, cache: LabelCache = LABEL_CACHE,
    labels: LabelSet = DEFAULT_LABELS,
) -> bool:
    """Delete `name` when it is ours (an agent label of `labels`, our colour and description) and no issue
    or pull request carries it; True when deleted. A person's label of that name (other colour or text) stays.
    """
    prefix = labels.agent_prefix
    spec = labels.agent(name[len(prefix):]) if name.lower().startswith(prefix.lower()) else None
    if spec is None or spec.name.lower() != name.lower():
        return False
    try:
        label = await gh.getitem(api_path("/repos/{owner}/{repo}/labels/{name}", owner=owner, repo=repo,
                                          name=spec.name))
    except gidgethub.BadRequest as exc:
        if exc.status_code.value == 404:
            cache.discard(cache.key(gh.base_url, owner, repo), spec.name)
            return False
        raise
    colour, text = str(label.get("color") or "").lower(), label.get("description") or ""
    if colour != spec.color or text != spec.description:
        return False
    url = api_path("/repos/{owner}/{repo}/issues?state=all&labels={name}&per_page=1", owner=owner, repo=repo,
                   name=spec.name)
    async for _carrier in gh.getiter(url):
        return False
    try:
        await send(gh, "DELETE", f"/repos/{owner}/{repo}/labels/{quote(str(label['name']), safe='')}", b"")
    except gidgethub.BadRequest as exc:
        if exc.status_code.value != 404:
            raise
    cache.discard(cache.key(gh.base_url, owner, repo), spec.name)
    return True
