"""Faults on demand for the local GitHub: errors, rate limits, dropped connections, slow answers."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

#: Every fault kind, and what it does.
KINDS: dict[str, str] = {
    "500": "500 Internal Server Error",
    "502": "502 Bad Gateway",
    "503": "503 Service Unavailable",
    "secondary": "403 secondary rate limit, with Retry-After",
    "429": "429 Too Many Requests, with Retry-After",
    "primary": "403 primary rate limit exhausted: x-ratelimit-remaining 0 and x-ratelimit-reset",
    "drop_before": "connection dropped before the request took effect",
    "drop_after": "connection dropped after the request took effect (a write is applied, the answer lost)",
    "slow": "answer delayed by `delay` seconds, then served normally",
}

#: The status each answering fault answers with.
STATUSES = {"500": 500, "502": 502, "503": 503, "secondary": 403, "429": 429, "primary": 403}


@dataclass
class Fault:
    """One scripted fault. Which requests it hits: those matching `method` and `path` (regexes, searched), and

    - with `nth`: the nth matching request (1-based) and the following ones, `times` in all;
    - with `probability`: each matching request with that chance (seeded RNG), until `times` fired;
    - otherwise: the first `times` matching requests.
    `operation` (a regex: `query`, `mutation`) narrows it to GraphQL requests of that kind.
    `times=None` means unlimited. `retry_after` < 0 leaves the Retry-After header out (GitHub sometimes does).
    """

    kind: str
    nth: int | None = None
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    probability: float | None = None
    seed: int = 0
    times: int | None = 1
    retry_after: int = 60
    reset_in: int = 60
    delay: float = 1.0
    seen: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        self._rng = random.Random(self.seed)

    @property
    def status(self) -> int | None:
        """The HTTP status this fault answers with (None for drops and delays)."""
        return STATUSES.get(self.kind)

    def matches(self, method: str, path: str, operation: str | None = None) -> bool:
        """Whether the request is in this fault's scope (method, path and GraphQL operation patterns)."""
        if self.method and not re.fullmatch(self.method, method, re.IGNORECASE):
            return False
        if self.operation and not (operation and re.fullmatch(self.operation, operation)):
            return False
        return not (self.path and not re.search(self.path, path))

    def check(self, method: str, path: str, operation: str | None = None) -> bool:
        """Count a request in scope and decide whether the fault fires on it now."""
        if not self.matches(method, path, operation):
            return False
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None and self.seen < self.nth:
            return False
        if self.probability is not None and self._rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse `KIND[:key=value,...]`, e.g. `503:nth=3`, `secondary:path=/comments$,retry_after=2,times=2`,
        `drop_after:method=POST`, `slow:delay=0.5,probability=0.1,seed=7,times=0` (times=0: unlimited)."""
        kind, _, rest = spec.partition(":")
        fault = cls(kind.strip())
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault option {item!r} is not key=value")
            key = key.strip()
            if key in ("nth", "seed", "retry_after", "reset_in"):
                setattr(fault, key, int(value))
            elif key == "times":
                fault.times = int(value) or None
            elif key in ("probability", "delay"):
                setattr(fault, key, float(value))
            elif key in ("method", "path", "operation"):
                setattr(fault, key, value)
            else:
                raise ValueError(f"unknown fault option {key!r}")
        fault._rng = random.Random(fault.seed)
        return fault


class Faults:
    """The scripted faults of a sandbox, checked in order for every request (the first that fires wins)."""

    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, fault: Fault | str) -> Fault:
        """Script a fault (an object or a `Fault.parse` spec); returns it so tests can read `fired`."""
        item = Fault.parse(fault) if isinstance(fault, str) else fault
        self.items.append(item)
        return item

    def clear(self) -> None:
        """Remove every scripted fault."""
        self.items.clear()

    def pick(self, method: str, path: str, operation: str | None = None) -> Fault | None:
        """The fault for this request (`operation`: a GraphQL request's), if any; every fault in scope counts
        the request."""
        chosen: Fault | None = None
        for fault in self.items:
            if chosen is None:
                if fault.check(method, path, operation):
                    chosen = fault
            elif fault.matches(method, path, operation):
                fault.seen += 1
        return chosen

    def __len__(self) -> int:
        return len(self.items)
