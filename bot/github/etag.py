"""The ETag cache for conditional reads: gidgethub's `cache=` mapping, bounded by cachetools."""

from __future__ import annotations

from typing import Any

import cachetools

#: gidgethub's cache value: (etag, last-modified, decoded body, next-page URL), keyed by full URL.
CacheEntry = tuple[str | None, str | None, Any, str | None]
EtagCache = cachetools.LRUCache[str, CacheEntry]


def new_etag_cache(maxsize: int = 2048) -> EtagCache:
    """A least-recently-used cache for gidgethub's conditional GETs (`If-None-Match` -> 304)."""
    return cachetools.LRUCache(maxsize=maxsize)
