"""Pydantic models of a parallel work analysis, its diagnostics and its checked figures."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: An amount of hours read from a document or computed: (low, high). A single value is (x, x).
HourRange = tuple[float, float]


class Severity(StrEnum):
    """How serious a diagnostic is: errors stop the sync from writing structure."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Diagnostic(BaseModel):
    """One finding about a document or plan, with a stable code and the source line (1-based) if known."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    message: str
    line: int | None = None


class Section(BaseModel):
    """A piece of prose from the document, kept with the line it starts on."""

    model_config = ConfigDict(frozen=True)

    text: str
    line: int


class Frontmatter(BaseModel):
    """The YAML frontmatter of an analysis or a CCPM task file; unknown keys are kept in `extra`."""

    issue: int | None = None
    title: str | None = None
    analyzed: str | None = None
    estimated_hours: HourRange | None = None
    parallelization_factor: float | None = None
    conflicts_with: list[int] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list)
    parallel: bool | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    line: int = 1


class Stream(BaseModel):
    """One parallel work stream as the document describes it."""

    id: str
    name: str
    line: int
    scope: str | None = None
    files: list[str] = Field(default_factory=list)
    agent_type: str | None = None
    can_start: str | None = None
    hours: HourRange | None = None
    depends_on: list[str] = Field(default_factory=list)
    external_deps: list[str] = Field(default_factory=list)
    #: Where depends_on was read from: "dependencies" (the field), "can_start" (fallback), or None (neither).
    depends_source: str | None = None
    #: Streams its dependencies name that are not in the plan (or itself): errors, shown where it is drawn.
    unknown_deps: list[str] = Field(default_factory=list)
    #: The stream's own section of the document as written (its heading's lines up to the next stream),
    #: for its sub-issue; empty for a stream read from a table row.
    section: str = ""


class CoordinationPoints(BaseModel):
    """The `## Coordination Points` section: files several streams touch and ordering constraints."""

    shared_files: list[str] = Field(default_factory=list)
    sequential_requirements: list[str] = Field(default_factory=list)
    line: int | None = None


class StatedTimeline(BaseModel):
    """Figures the author wrote down (Expected Timeline or loose lines), to compare with computed ones."""

    wall_hours: HourRange | None = None
    total_hours: HourRange | None = None
    #: Efficiency gain in percent, e.g. 40.0 for "Efficiency gain: 40%".
    efficiency_gain: float | None = None
    line: int | None = None


class Analysis(BaseModel):
    """Everything read from one analysis document. Reading never raises: problems go in `diagnostics`."""

    issue: int | None = None
    #: The GitHub issue the document says it is for (frontmatter `issue`, or "Issue #N" in its title), if any:
    #: a plan naming another issue never replaces this one's. CCPM's local task numbers do not count.
    names_issue: int | None = None
    title: str | None = None
    frontmatter: Frontmatter = Field(default_factory=Frontmatter)
    overview: Section | None = None
    streams: list[Stream] = Field(default_factory=list)
    coordination: CoordinationPoints = Field(default_factory=CoordinationPoints)
    conflict_risk: Section | None = None
    recommended_approach: Section | None = None
    timeline: StatedTimeline = Field(default_factory=StatedTimeline)
    notes: Section | None = None
    conflicts_with: list[int] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    #: The analysis text as located inside the input (fence/details unwrapped), with \n line endings.
    source: str = ""
    #: 1-based line of the input where `source` starts, so diagnostics can point into the original text.
    source_line: int = 1


class ScheduledStream(BaseModel):
    """A stream with its computed earliest start and finish, with unlimited agents."""

    stream: Stream
    start: HourRange | None
    finish: HourRange | None
    on_critical_path: bool = False


class PlanReport(BaseModel):
    """The checked plan: analysis, schedule, figures and every diagnostic (the reader's and the checker's)."""

    analysis: Analysis
    schedule: list[ScheduledStream] = Field(default_factory=list)
    total_hours: HourRange | None = None
    wall_hours: HourRange | None = None
    speedup: HourRange | None = None
    #: Computed efficiency gain in percent: (1 - wall/total) * 100, low and high.
    efficiency_gain: HourRange | None = None
    critical_path: list[str] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when any diagnostic is an error: the sync then writes only the summary."""
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


class StreamStatus(BaseModel):
    """Where a stream lives on GitHub, as the sync found it: its sub-issue and its state."""

    number: int
    url: str
    #: "open" (waiting on blockers), "ready" (all blockers closed), "closed" (done), "not_planned".
    state: str


class LiveStatus(BaseModel):
    """What the sync knows of GitHub when it renders the summary: stream sub-issues and its own notes."""

    streams: dict[str, StreamStatus] = Field(default_factory=dict)
    #: Findings of the sync itself (a conflicts_with issue that does not exist, a limit, a failed job).
    notes: list[Diagnostic] = Field(default_factory=list)
    #: Issues this one is blocked by (issue-level depends_on from task frontmatter) that exist.
    blocked_by_issues: list[int] = Field(default_factory=list)
    #: The issue the summary is on (the plan may name another, or none).
    issue: int | None = None
    #: Where the plan was read from (the comment's or the issue's address), and when that text was edited.
    source_url: str | None = None
    source_edited: str | None = None
