"""The App's Prometheus metrics, on the official client, in a registry of their own (per app, not global)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric

#: The content type of `generate_latest`'s text, as the client library names it.
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

#: Seconds: a webhook answer is a few milliseconds, a GitHub request tens to hundreds, a job up to minutes.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
#: Writes per sync: 0 for an unchanged plan, tens for a new one, hundreds for a very large one.
WRITE_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def status_class(status: int | None) -> str:
    """`2xx`, `3xx`, `4xx`, `5xx`, or `error` when no answer came (a lost connection)."""
    return "error" if status is None else f"{status // 100}xx"


class _Labelled:
    """A metric whose samples are addressed by keyword labels (`m.inc(kind="read")`), read back by value()."""

    def __init__(self, metric: prometheus_client.Counter | prometheus_client.Gauge
                 | prometheus_client.Histogram, registry: CollectorRegistry, sample: str) -> None:
        self._metric = metric
        self._registry = registry
        self._sample = sample
        #: The children by label values, as `labels()` made them: it checks and locks on every call, and
        #: the request metrics are set for every exchange with GitHub.
        self._children: dict[tuple[tuple[str, str], ...], Any] = {}

    def _child(self, labels: Mapping[str, str]) -> prometheus_client.Counter | prometheus_client.Gauge \
            | prometheus_client.Histogram:
        if not labels:
            return self._metric
        key = tuple(labels.items())
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metric.labels(**labels)
        return child

    def value(self, **labels: str) -> float:
        """The value for these labels (0 when never set); of a histogram: its number of observations."""
        got = self._registry.get_sample_value(self._sample, dict(labels))
        return 0.0 if got is None else got


class Counter(_Labelled):
    """A count that only goes up."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str], registry: CollectorRegistry) -> None:
        base = name.removesuffix("_total")
        super().__init__(prometheus_client.Counter(base, help_text, labels, registry=registry),
                         registry, base + "_total")

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        child = self._child(labels)
        assert isinstance(child, prometheus_client.Counter)
        child.inc(amount)


class Gauge(_Labelled):
    """A value that is set (or moved up and down)."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str], registry: CollectorRegistry) -> None:
        super().__init__(prometheus_client.Gauge(name, help_text, labels, registry=registry), registry, name)

    def set(self, value: float, **labels: str) -> None:
        child = self._child(labels)
        assert isinstance(child, prometheus_client.Gauge)
        child.set(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        child = self._child(labels)
        assert isinstance(child, prometheus_client.Gauge)
        child.inc(amount)


class Histogram(_Labelled):
    """A distribution (latencies in seconds, writes per sync), with cumulative buckets, a sum and a count."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str], buckets: Sequence[float],
                 registry: CollectorRegistry) -> None:
        metric = prometheus_client.Histogram(name, help_text, labels, buckets=buckets, registry=registry)
        super().__init__(metric, registry, name + "_count")

    def observe(self, value: float, **labels: str) -> None:
        child = self._child(labels)
        assert isinstance(child, prometheus_client.Histogram)
        child.observe(value)


class Observed:
    """A counter read from its owners when scraped (e.g. the GitHub client's own totals), never copied."""

    def __init__(self, name: str, help_text: str, label: str, registry: CollectorRegistry) -> None:
        self.name, self.help, self.label = name.removesuffix("_total"), help_text, label
        self._sources: list[Callable[[], Mapping[str, float | None]]] = []
        registry.register(self)

    def observe(self, source: Callable[[], Mapping[str, float | None]]) -> None:
        """Add a source; its numbers are summed with the other sources' at each scrape."""
        self._sources.append(source)

    def collect(self) -> Iterator[Metric]:
        totals: dict[str, float] = {}
        for source in self._sources:
            for name, value in source().items():
                if value is not None:
                    totals[name] = totals.get(name, 0.0) + float(value)
        family = CounterMetricFamily(self.name, self.help, labels=[self.label])
        for name, value in sorted(totals.items()):
            family.add_metric([name], value)
        yield family

    def describe(self) -> list[Metric]:
        return [CounterMetricFamily(self.name, self.help, labels=[self.label])]


class Metrics:
    """The App's metrics, in their own CollectorRegistry; one per process (`DEFAULT`), tests make theirs."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.deliveries = Counter(
            "pwb_webhook_deliveries_total",
            "Webhook deliveries, by event and outcome (queued, coalesced, ignored, duplicate...).",
            ("event", "outcome"), r)
        self.webhook_ack = Histogram(
            "pwb_webhook_ack_duration_seconds",
            "Time from a delivery's arrival to the webhook's answer, by outcome.", ("outcome",),
            ACK_BUCKETS, r)
        self.jobs = Counter(
            "pwb_jobs_total", "Jobs run, by kind and outcome (ok, failed, reported, deferred...).",
            ("kind", "outcome"), r)
        self.job_duration = Histogram(
            "pwb_job_duration_seconds", "Time a job ran in this worker, by kind and outcome.",
            ("kind", "outcome"), JOB_BUCKETS, r)
        self.jobs_running = Gauge("pwb_jobs_running", "Jobs running now in this process.", (), r)
        self.jobs_pending = Gauge(
            "pwb_jobs_pending", "Jobs waiting or running in the queue (last scrape).", (), r)
        self.sync_writes = Histogram(
            "pwb_sync_writes", "GitHub writes one sync made (0: GitHub already matched the plan).", (),
            WRITE_BUCKETS, r)
        self.github_requests = Counter(
            "pwb_github_requests_total",
            "Requests made to GitHub, by kind (read, write, not_modified, graphql).", ("kind",), r)
        self.github_request_duration = Histogram(
            "pwb_github_request_duration_seconds",
            "Time of one request to GitHub, by kind (read, write, graphql) and status class (2xx..., error).",
            ("kind", "status_class"), REQUEST_BUCKETS, r)
        self.github_errors = Counter(
            "pwb_github_errors_total", "GitHub answers of 400 or more (or lost connections), by status.",
            ("status",), r)
        self.rate_limit_remaining = Gauge(
            "pwb_github_rate_limit_remaining",
            "X-RateLimit-Remaining last seen from GitHub, by installation.", ("installation",), r)
        self.github_client = Observed(
            "pwb_github_client_events_total",
            "What the GitHub client did, by event (retries, rate-limit waits, token refreshes...).",
            "event", r)

    def render(self) -> str:
        """The exposition text served at GET /metrics."""
        return generate_latest(self.registry).decode()


#: The process-wide metrics used by `serve` when none are given.
DEFAULT = Metrics()
