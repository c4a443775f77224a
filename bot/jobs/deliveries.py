"""The in-memory log of webhook delivery ids already accepted (PostgreSQL's is bot.store.deliveries)."""

from __future__ import annotations

import collections
import time
import uuid
from collections.abc import Callable


class DeliveryLog:
    """Delivery ids seen in the last `ttl` seconds (about `maxsize` at most, oldest dropped first), compactly.

    GitHub's ids are UUIDs, kept as 128-bit ints in sets, one set per slice of time (`ttl / slices`) or per
    `maxsize / slices` ids, whichever fills first; a slice is dropped whole once its newest id is `ttl` old,
    or when the log holds more than `maxsize` ids. So an id is remembered for at least `ttl` (at most one
    slice longer) unless the log is full. Ints in sets are a third of the memory of a cachetools TTLCache of
    strings (~9 MB for 100,000 ids instead of ~30) and are not tracked by the garbage collector.
    """

    def __init__(self, maxsize: int = 100_000, ttl: float = 7 * 24 * 3600, *, slices: int = 32,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._width = ttl / slices
        self._per_slice = max(1, maxsize // slices)
        #: (time the slice was opened, its ids), oldest first.
        self._slices: collections.deque[tuple[float, set[int | str]]] = collections.deque()
        self._size = 0

    @staticmethod
    def _key(delivery_id: str) -> int | str:
        if len(delivery_id) != 36:
            return delivery_id
        try:
            parsed = uuid.UUID(delivery_id)
        except ValueError:
            return delivery_id
        return parsed.int if str(parsed) == delivery_id else delivery_id  # exact ids only

    def _expire(self, now: float) -> None:
        slices = self._slices
        while slices and (self._size > self.maxsize or slices[0][0] + self._width + self.ttl <= now):
            self._size -= len(slices.popleft()[1])

    def _has(self, key: int | str) -> bool:
        return any(key in ids for _, ids in self._slices)

    def __contains__(self, delivery_id: str) -> bool:
        self._expire(self.clock())
        return self._has(self._key(delivery_id))

    def __len__(self) -> int:
        return self._size

    def add(self, delivery_id: str) -> bool:
        """Record an id; True if it was already there (one look-up for `seen_delivery`)."""
        now = self.clock()
        self._expire(now)
        key = self._key(delivery_id)
        if self._has(key):
            return True
        slices = self._slices
        if not slices or slices[-1][0] + self._width <= now or len(slices[-1][1]) >= self._per_slice:
            slices.append((now, set()))
        slices[-1][1].add(key)
        self._size += 1
        self._expire(now)
        return False
