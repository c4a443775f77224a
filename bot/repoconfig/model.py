"""The settings a repository may give in `.github/parallel-work-bot.yml`; every default is today's behaviour.

Defaults come from bot/conventions.py (label names, colours, descriptions, who may trigger): nothing here
restates them. Every model forbids unknown keys, so a typo is a finding rather than a silent no-op.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.conventions import (
    AGENT_LABEL_COLOR,
    AGENT_LABEL_PREFIX,
    ANALYSIS_PATHS,
    LABEL_DEFAULTS,
    MAX_LABEL_DESCRIPTION,
    MAX_LABEL_NAME,
    MAX_TITLE,
    WRITE_PERMISSIONS,
)

#: Repository roles from least to most: the minimum that may trigger the bot is one of these.
PERMISSION_ORDER: tuple[str, ...] = ("read", "triage", "write", "maintain", "admin")
#: Today's minimum: the least of the roles the conventions count as write access.
DEFAULT_TRIGGER = min(WRITE_PERMISSIONS, key=PERMISSION_ORDER.index)
TriggerPermission = Literal["triage", "write", "maintain", "admin"]
#: Where CCPM keeps its analyses (the files door reads these paths).
DEFAULT_ANALYSIS_PATHS: tuple[str, ...] = ANALYSIS_PATHS
#: The sub-issue title today: the plan's issue (the one live reference), then the stream.
DEFAULT_TITLE = "{parent} · Stream {id}: {name}"
TITLE_FIELDS = frozenset({"parent", "id", "name"})
#: Label role -> the key of its defaults in conventions.LABEL_DEFAULTS.
LABEL_ROLES: dict[str, str] = {
    "plan": "parallel-plan",
    "invalid": "plan:invalid",
    "conflict": "plan:conflict",
    "stream": "stream",
    "ready": "stream:ready",
}
#: Assignee names meaning GitHub's Copilot coding agent (its REST login is the last one).
COPILOT_LOGINS = frozenset({"copilot", "@copilot", "copilot-swe-agent", "copilot-swe-agent[bot]"})
COPILOT_LOGIN = "copilot-swe-agent[bot]"
#: Distinct labels all hand-off rules together may name (the summary records them).
MAX_HANDOFF_LABELS = 20

_HEX = re.compile(r"^#?[0-9a-fA-F]{6}$")
_LOGIN = re.compile(r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _label_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a label name cannot be empty")
    if "," in value:
        raise ValueError("a label name cannot hold a comma (GitHub's label filters split on commas)")
    if len(value) > MAX_LABEL_NAME:
        raise ValueError(f"a label name has at most {MAX_LABEL_NAME} characters")
    return value


def _color(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError("a colour is six hexadecimal digits, like 1d76db")
    return value.lstrip("#").lower()


class LabelSettings(_Strict):
    """One of the bot's labels: what is not given keeps its default."""

    name: str | None = None
    color: str | None = None
    description: str | None = Field(default=None, max_length=MAX_LABEL_DESCRIPTION)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _label_name(value)

    @field_validator("color", mode="before")
    @classmethod
    def _color(cls, value: object) -> object:
        return _color(str(value)) if isinstance(value, (str, int)) else value


class Labels(_Strict):
    """The bot's label set: names, colours, descriptions, a prefix for all of them, the agent labels."""

    #: Put before every label name the bot uses (`pwb/` gives `pwb/stream`).
    prefix: str = ""
    plan: LabelSettings = LabelSettings()
    invalid: LabelSettings = LabelSettings()
    conflict: LabelSettings = LabelSettings()
    stream: LabelSettings = LabelSettings()
    #: The readiness label (`ready-for-agent` is a common vocabulary).
    ready: LabelSettings = LabelSettings()
    agent_prefix: str = AGENT_LABEL_PREFIX
    agent_color: str = AGENT_LABEL_COLOR

    @field_validator("agent_color", mode="before")
    @classmethod
    def _agent_color(cls, value: object) -> object:
        return _color(str(value)) if isinstance(value, (str, int)) else value

    @field_validator("prefix", "agent_prefix")
    @classmethod
    def _no_comma(cls, value: str) -> str:
        if "," in value or any(c.isspace() for c in value):
            raise ValueError("a label prefix cannot hold a comma or a space")
        return value

    @model_validator(mode="after")
    def _lengths(self) -> Labels:
        for role in LABEL_ROLES:
            name = self.spec(role)[0]
            if len(name) > MAX_LABEL_NAME:
                raise ValueError(f"label {name!r} passes GitHub's {MAX_LABEL_NAME} characters")
        names = [self.spec(role)[0].casefold() for role in LABEL_ROLES]
        if len(set(names)) != len(names):
            raise ValueError("two of the bot's labels have the same name")
        if len(self.prefix + self.agent_prefix) > MAX_LABEL_NAME - 1:
            raise ValueError("the agent label prefix leaves no room for the agent type")
        return self

    def spec(self, role: str) -> tuple[str, str, str]:
        """(name, colour, description) of one role's label, defaults filled in, the prefix applied."""
        default_color, default_description = LABEL_DEFAULTS[LABEL_ROLES[role]]
        given: LabelSettings = getattr(self, role)
        name = self.prefix + (given.name or LABEL_ROLES[role])
        return name, given.color or default_color, given.description or default_description


class SubIssues(_Strict):
    """The stream sub-issues: whether they are made, their title, type, links and labels."""

    enabled: bool = True
    #: `{parent}` (the plan's issue, as `#N`), `{id}` and `{name}` of the stream.
    title: str = Field(default=DEFAULT_TITLE, min_length=1, max_length=MAX_TITLE)
    #: An issue type (e.g. `Task`) where the repository offers issue types; else nothing is set.
    type: str | None = None
    blocked_by: bool = True
    readiness_labels: bool = True
    agent_labels: bool = True

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        return None if value is None else _label_name(value)  # it may become a label's name

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        try:
            pieces = list(string.Formatter().parse(value))
            parsed = [(f, spec, conv) for _, f, spec, conv in pieces if f is not None]
        except ValueError as exc:
            raise ValueError(f"the title template does not parse ({exc}); write {{{{ for a brace") from exc
        if any(spec or conv for _, spec, conv in parsed):
            raise ValueError("placeholders take no format (write {id}, not {id:>5} or {id!r})")
        fields = {f for f, _, _ in parsed}
        unknown = fields - TITLE_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{parent}}, {{id}}, {{name}}")
        if "id" not in fields:
            raise ValueError("the title template must hold {id} (each stream's title differs)")
        return value


def _login(value: str) -> str:
    login = value.strip()
    if not _LOGIN.match(login):
        raise ValueError(f"{login!r} is not a GitHub login")
    return COPILOT_LOGIN if login.lower() in COPILOT_LOGINS else login.lstrip("@")


def _path_pattern(pattern: str) -> str:
    parts = pattern.replace("\\", "/").split("/")
    if not pattern.strip() or pattern.startswith("/") or ".." in parts or len(pattern) > 200:
        raise ValueError(f"{pattern!r} is not a relative path pattern inside the repository")
    if not pattern.endswith(".md"):
        # The web intake, which reads nothing from GitHub, passes on pushes of markdown files only.
        raise ValueError(f"{pattern!r}: an analysis is a markdown file, so the pattern ends with .md")
    return pattern


LabelName = Annotated[str, AfterValidator(_label_name)]
PathPattern = Annotated[str, AfterValidator(_path_pattern)]
Login = Annotated[str, AfterValidator(_login)]


class Handoff(_Strict):
    """When a stream's last blocker closes: labels added and people assigned (taken back if one reopens)."""

    #: The stream's Agent Type this rule is for (`*`: every stream).
    agent: str = "*"
    labels: list[LabelName] = Field(default_factory=list, max_length=10)
    assignees: list[Login] = Field(default_factory=list, max_length=10)

    def matches(self, agent_type: str | None) -> bool:
        """This rule applies to a stream of this Agent Type (any case; `*` applies to all)."""
        return self.agent == "*" or (agent_type or "").strip().casefold() == self.agent.strip().casefold()


class RepoConfig(_Strict):
    """The whole file. An empty or missing file is this with every default: the bot as it always was."""

    labels: Labels = Labels()
    sub_issues: SubIssues = SubIssues()
    #: A label and one comment on each issue the plan's conflicts_with names.
    conflict_notes: bool = True
    #: The Mermaid diagram in the summary.
    diagram: bool = True
    #: Off: the bot syncs only on `/analyze`, never on its own when text or a sub-issue changes.
    automatic: bool = True
    #: The least repository role whose plans and `/analyze` the bot acts on.
    trigger_permission: TriggerPermission = DEFAULT_TRIGGER  # type: ignore[assignment]
    #: Glob patterns of analysis files in the repository (for the App's and the Action's file reading).
    analysis_paths: list[PathPattern] = Field(default_factory=lambda: list(DEFAULT_ANALYSIS_PATHS),
                                              max_length=20)
    #: Close the plan's issue (as completed) once every stream's sub-issue is closed.
    close_plan_when_done: bool = False
    handoff: list[Handoff] = Field(default_factory=list, max_length=50)

    @field_validator("handoff")
    @classmethod
    def _handoff_labels(cls, value: list[Handoff]) -> list[Handoff]:
        names = {x.casefold() for rule in value for x in rule.labels}
        if len(names) > MAX_HANDOFF_LABELS:
            raise ValueError(f"the hand-off rules name more than {MAX_HANDOFF_LABELS} labels")
        return value

    def handoff_for(self, agent_type: str | None) -> tuple[list[str], list[str]]:
        """(labels, assignees) for a stream of this Agent Type: every matching rule's, each once."""
        labels: dict[str, str] = {}
        people: dict[str, str] = {}
        for rule in self.handoff:
            if rule.matches(agent_type):
                labels.update({x.casefold(): x for x in rule.labels if x.casefold() not in labels})
                people.update({x.casefold(): x for x in rule.assignees if x.casefold() not in people})
        return list(labels.values()), list(people.values())

    def uses_copilot(self) -> bool:
        """A hand-off assigns GitHub's Copilot coding agent (which needs a user token, not the App's)."""
        return any(COPILOT_LOGIN in rule.assignees for rule in self.handoff)


DEFAULT_CONFIG = RepoConfig()
