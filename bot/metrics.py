"""Prometheus text exposition, by hand: a few counters and gauges with labels, no global state required."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Iterable[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, got {tuple(labels)}")
        return tuple(str(labels[name]) for name in self.labels)

    def value(self, **labels: str) -> float:
        """The current value for these labels (0 when never set)."""
        return self._values.get(self._key(labels), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        with self._lock:
            items = sorted(self._values.items())
        for key, value in items:
            if key:
                pairs = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(self.labels, key, strict=True))
                lines.append(f"{self.name}{{{pairs}}} {_number(value)}")
            else:
                lines.append(f"{self.name} {_number(value)}")
        return lines


class Counter(_Metric):
    """A count that only goes up."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount


class Gauge(_Metric):
    """A value that is set (or moved up and down)."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount


class Observed(_Metric):
    """A counter read from its owner when scraped (e.g. the GitHub client's own totals), never copied."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, label: str) -> None:
        super().__init__(name, help_text, (label,))
        self._sources: list[Callable[[], Mapping[str, float | None]]] = []

    def observe(self, source: Callable[[], Mapping[str, float | None]]) -> None:
        """Add a source; its numbers are summed with the other sources' at each scrape."""
        self._sources.append(source)

    def render(self) -> list[str]:
        totals: dict[tuple[str, ...], float] = {}
        for source in self._sources:
            for name, value in source().items():
                if value is not None:
                    totals[(name,)] = totals.get((name,), 0.0) + float(value)
        with self._lock:
            self._values = totals
        return super().render()


class Metrics:
    """The App's metrics. One instance per process (`DEFAULT`); tests make their own."""

    def __init__(self) -> None:
        self.deliveries = Counter(
            "pwb_webhook_deliveries_total",
            "Webhook deliveries, by event and outcome (queued, coalesced, ignored, duplicate...).",
            ("event", "outcome"),
        )
        self.jobs = Counter(
            "pwb_jobs_total", "Jobs run, by kind and outcome (ok, failed, reported, deferred...).",
            ("kind", "outcome"))
        self.jobs_running = Gauge("pwb_jobs_running", "Jobs running now in this process.")
        self.jobs_pending = Gauge("pwb_jobs_pending", "Jobs waiting or running in the queue (last scrape).")
        self.github_requests = Counter(
            "pwb_github_requests_total",
            "Requests made to GitHub, by kind (read, write, not_modified).",
            ("kind",),
        )
        self.github_errors = Counter(
            "pwb_github_errors_total", "GitHub answers of 400 or more (or lost connections), by status.",
            ("status",),
        )
        self.rate_limit_remaining = Gauge(
            "pwb_github_rate_limit_remaining",
            "X-RateLimit-Remaining last seen from GitHub, by installation.",
            ("installation",),
        )
        self.github_client = Observed(
            "pwb_github_client_events_total",
            "What the GitHub client did, by event (retries, rate-limit waits, token refreshes...).",
            "event",
        )
        self._all: list[_Metric] = [
            self.deliveries, self.jobs, self.jobs_running, self.jobs_pending, self.github_requests,
            self.github_errors, self.rate_limit_remaining, self.github_client,
        ]

    def render(self) -> str:
        """The exposition text served at GET /metrics."""
        lines: list[str] = []
        for metric in self._all:
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"


#: The process-wide metrics used by `serve` when none are given.
DEFAULT = Metrics()
