"""The bot's namespaced label set (names, colours, descriptions: the defaults, or a repository's own from its
configuration) and the per-repository cache of which labels exist and of the node ids REST answers gave."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conventions import (
    AGENT_LABEL_COLOR,
    AGENT_LABEL_PREFIX,
    GITHUB_AUTO_LABEL_COLOR,
    LABEL_DEFAULTS,
    MAX_LABEL_NAME,
)
from bot.repoconfig.model import DEFAULT_CONFIG, RepoConfig


@dataclass(frozen=True)
class LabelSpec:
    """A label the bot may put on issues: created with this colour and description before first use."""

    name: str
    color: str
    description: str


def _default(name: str) -> LabelSpec:
    color, description = LABEL_DEFAULTS[name]
    return LabelSpec(name, color, description)


PARALLEL_PLAN = _default("parallel-plan")
PLAN_INVALID = _default("plan:invalid")
PLAN_CONFLICT = _default("plan:conflict")
STREAM = _default("stream")
STREAM_READY = _default("stream:ready")
AGENT_COLOR = AGENT_LABEL_COLOR
AGENT_PREFIX = AGENT_LABEL_PREFIX
MAX_NAME = MAX_LABEL_NAME

#: Labels whose presence the bot moves both ways (added and removed); every other label it only ever adds.
MANAGED_STATE = frozenset({PLAN_INVALID.name, STREAM_READY.name})


def agent_label(
    agent_type: str | None, prefix: str = AGENT_PREFIX, color: str = AGENT_COLOR
) -> LabelSpec | None:
    """`agent:<type>` from a stream's Agent Type: lower case, [a-z0-9._-] only, at most 50 characters."""
    if not agent_type:
        return None
    slug = re.sub(r"[^a-z0-9._-]+", "-", agent_type.strip().lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-._")
    slug = slug[: MAX_NAME - len(prefix)].rstrip("-._")
    if not slug:
        return None
    return LabelSpec(prefix + slug, color, f"Stream for a {slug} agent (parallel-work-bot)")


@dataclass(frozen=True)
class LabelSet:
    """The labels one repository's configuration gives the bot (the defaults when it has none)."""

    plan: LabelSpec
    invalid: LabelSpec
    conflict: LabelSpec
    stream: LabelSpec
    ready: LabelSpec
    agent_prefix: str
    agent_color: str

    def agent(self, agent_type: str | None) -> LabelSpec | None:
        """The agent label of a stream's Agent Type, with this set's prefix and colour."""
        return agent_label(agent_type, self.agent_prefix, self.agent_color)

    @property
    def managed_state(self) -> frozenset[str]:
        """Lower-cased labels whose presence the bot moves both ways (added and removed)."""
        return frozenset({self.invalid.name.lower(), self.ready.name.lower()})

    def fixed(self) -> dict[str, str]:
        """Role -> label name, as the summary records them (a rename is undone from that record)."""
        return {role: getattr(self, role).name for role in ("plan", "invalid", "conflict", "stream", "ready")}


def label_set(config: RepoConfig) -> LabelSet:
    """The label set a repository's configuration asks for."""
    labels = config.labels
    roles = ("plan", "invalid", "conflict", "stream", "ready")
    specs = {role: LabelSpec(*labels.spec(role)) for role in roles}
    return LabelSet(**specs, agent_prefix=labels.prefix + labels.agent_prefix, agent_color=labels.agent_color)


DEFAULT_LABELS = label_set(DEFAULT_CONFIG)


AUTO_COLOR = GITHUB_AUTO_LABEL_COLOR
_FIXED = {spec.name: spec for spec in (PARALLEL_PLAN, PLAN_INVALID, PLAN_CONFLICT, STREAM, STREAM_READY)}


def spec_for(name: str) -> LabelSpec | None:
    """The bot's spec of a label name (fixed set or `agent:*`), or None for a label that is not the bot's."""
    name = name.lower()
    if name in _FIXED:
        return _FIXED[name]
    if name.startswith(AGENT_PREFIX):
        spec = agent_label(name[len(AGENT_PREFIX) :])
        return spec if spec is not None and spec.name == name else None
    return None


def auto_created(labels: object) -> list[LabelSpec]:
    """Bot labels in a response that GitHub made by itself (grey, no description): the cache was wrong."""
    out: list[LabelSpec] = []
    if isinstance(labels, list):
        for item in labels:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            spec = spec_for(item["name"])
            if spec and str(item.get("color", "")).lower() == AUTO_COLOR and not item.get("description"):
                out.append(spec)
    return out


def names(labels: object) -> set[str]:
    """Lower-cased label names from an issue's `labels` list (GitHub compares names case-insensitively)."""
    out: set[str] = set()
    if isinstance(labels, list):
        for item in labels:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out.add(item["name"].lower())
            elif isinstance(item, str):
                out.add(item.lower())
    return out


class LabelCache:
    """Which labels are known to exist per repository: the check happens once per repository per process.

    It also keeps the node ids REST answers carry (the repository's, its labels'), which GraphQL's
    `createIssue` needs: a sync that already read them spares a GraphQL read. A node id can go stale (a label
    deleted and made again); the create then fails without creating anything and the caller forgets them.
    """

    def __init__(self) -> None:
        self._known: dict[str, set[str]] = {}
        self._repository_ids: dict[str, str] = {}
        self._label_ids: dict[str, dict[str, str]] = {}

    @staticmethod
    def key(base_url: str, owner: str, repo: str) -> str:
        """The cache key of one repository on one GitHub."""
        return f"{base_url.rstrip('/')}/{owner}/{repo}".lower()

    def get(self, key: str) -> set[str] | None:
        """The names known to exist (lower case), or None when the repository was not checked yet."""
        return self._known.get(key)

    def put(self, key: str, names_: set[str]) -> None:
        """Record the repository's labels as read."""
        self._known[key] = {n.lower() for n in names_}

    def has(self, key: str, name: str) -> bool:
        """True when the label is known to exist (read, or created by another job of this process)."""
        return name.lower() in self._known.get(key, ())

    def add(self, key: str, name: str) -> None:
        """Record one label as created."""
        self._known.setdefault(key, set()).add(name.lower())

    def discard(self, key: str, name: str) -> None:
        """Record one label as deleted."""
        self._known.get(key, set()).discard(name.lower())
        self._label_ids.get(key, {}).pop(name.lower(), None)

    def learn_repository(self, key: str, answer: object) -> None:
        """Keep the repository's node id from a REST answer for it (`GET /repos/{owner}/{repo}`)."""
        node = answer.get("node_id") if isinstance(answer, dict) else None
        if isinstance(node, str) and node:
            self._repository_ids[key] = node

    def learn_labels(self, key: str, labels: object) -> None:
        """Keep the node ids of the labels in a REST answer (a label, or a list of them)."""
        for item in labels if isinstance(labels, list) else [labels]:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(
                    item.get("node_id"), str) and item["node_id"]:
                self._label_ids.setdefault(key, {})[item["name"].lower()] = item["node_id"]

    def learn_node_ids(self, key: str, repository: str, labels: dict[str, str]) -> None:
        """Keep node ids read through GraphQL (the repository's, labels' by name)."""
        self._repository_ids[key] = repository
        self._label_ids.setdefault(key, {}).update({n.lower(): node for n, node in labels.items()})

    def node_ids(self, key: str, names_: list[str]) -> tuple[str, dict[str, str]] | None:
        """The repository's node id and those of `names_` (lower-cased keys), or None unless all are known."""
        repository = self._repository_ids.get(key)
        labels = self._label_ids.get(key, {})
        if repository is None or any(n.lower() not in labels for n in names_):
            return None
        return repository, {n.lower(): labels[n.lower()] for n in names_}

    def forget_node_ids(self, key: str) -> None:
        """Drop the repository's node ids (one of them no longer resolved)."""
        self._repository_ids.pop(key, None)
        self._label_ids.pop(key, None)

    def clear(self) -> None:
        """Forget everything (tests start fresh local GitHubs, which may reuse a port)."""
        self._known.clear()
        self._repository_ids.clear()
        self._label_ids.clear()


LABEL_CACHE = LabelCache()
