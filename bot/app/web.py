"""The App's web intake: the signed webhook endpoint (verify, dedupe, enqueue), health, metrics."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, routing

from bot.app.delivery import read_event
from bot.config import NO_SECRET, ConfigError, Settings
from bot.conventions import MAX_WEBHOOK_BODY
from bot.events import EVENTS, Intake
from bot.events import router as default_router
from bot.events.shapes import shape_problem
from bot.jobs.queue import QueueUnavailable
from bot.jobs.request import Accepted, JobRequest
from bot.metrics import CONTENT_TYPE, DEFAULT, Metrics

log = logging.getLogger("bot.app")

#: GitHub caps webhook payloads at 25 MB; anything larger is refused unread.
MAX_BODY = MAX_WEBHOOK_BODY
#: Content types GitHub can send a webhook with (the App manifest's hooks use JSON).
CONTENT_TYPES = frozenset({"application/json", "application/x-www-form-urlencoded"})


class Queue(Protocol):
    """What the web app needs from the job queue (bot.jobs.queue.JobQueue): no more, so any backend does."""

    async def accept(self, request: JobRequest) -> Accepted:
        """Queue a job and record its delivery id (request.delivery_id) together, or neither: "queued",
        "coalesced" into one already waiting, or "duplicate" when the id was accepted before."""
        ...

    async def healthy(self) -> bool:
        """True when jobs can be queued now."""
        ...

    async def pending(self) -> int:
        """Jobs waiting or running."""
        ...


SETTINGS = web.AppKey("settings", Settings)
QUEUE: web.AppKey[Queue] = web.AppKey("queue")
METRICS = web.AppKey("metrics", Metrics)
ROUTER = web.AppKey("router", routing.Router)


def _reply(
    status: int, outcome: str, event: str = "", delivery: str | None = None, **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"outcome": outcome}
    if event:
        body["event"] = event
    if delivery:
        body["delivery"] = delivery
    body.update(extra)
    return web.json_response(body, status=status)


async def webhook(request: web.Request) -> web.Response:
    """POST <WEBHOOK_PATH>: verify the signature, check the shape, drop redeliveries, dispatch; 202 when a
    job is queued. 400: the payload's shape is wrong; 503: the queue is unavailable; 500: our bug (logged)."""
    app = request.app
    settings, metrics = app[SETTINGS], app[METRICS]
    started = time.perf_counter()
    event_name = request.headers.get("X-GitHub-Event", "")
    delivery = request.headers.get("X-GitHub-Delivery") or None

    def done(
        status: int, outcome: str, log_extra: dict[str, Any] | None = None, **extra: Any,
    ) -> web.Response:
        # One log line a delivery (what was queued for which issue included): the intake's only INFO line.
        elapsed = time.perf_counter() - started
        metrics.deliveries.inc(event=event_name or "-", outcome=outcome)
        metrics.webhook_ack.observe(elapsed, outcome=outcome)
        log.info("delivery %s", outcome, extra={
            "event": event_name, "delivery": delivery, "status": status,
            "ms": round(elapsed * 1000, 2), **extra, **(log_extra or {})})
        return _reply(status, outcome, event_name, delivery, **extra)

    if request.content_length is not None and request.content_length > MAX_BODY:
        return done(413, "too_large")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return done(413, "too_large")
    secret = settings.webhook_secret()
    headers = {k.lower(): v for k, v in request.headers.items()}
    if secret is not None and "x-hub-signature-256" not in headers:
        return done(401, "unsigned")
    if request.content_type not in CONTENT_TYPES:
        return done(415, "unsupported_media_type")
    if not event_name:
        return done(400, "no_event")
    try:
        event = read_event(headers, body, secret=secret)
    except ValidationFailure:
        return done(401, "bad_signature")
    except (BadRequest, ValueError, KeyError):
        return done(400, "malformed")
    if not isinstance(event.data, dict):
        return done(400, "malformed")
    if event.event not in EVENTS:
        return done(200, "ignored", why="event not handled")
    problem = shape_problem(event.event, event.data)
    if problem is not None:
        # The payload lacks what its event must carry: GitHub's shape was not followed.
        log.warning("malformed payload", extra={"event": event_name, "delivery": delivery, "error": problem})
        return done(400, "malformed", why=problem)
    queue = app[QUEUE]
    # A redelivery is found when its job is handed to the queue, in the same statement that records the id:
    # the handlers only look at the payload, so a redelivery reaches the queue exactly as the first did.
    intake = Intake(enqueue=queue.accept, delivery_id=delivery, bot_login=settings.bot_login)
    try:
        await app[ROUTER].dispatch(event, intake)
    except QueueUnavailable:
        # Queue or database unavailable: 503 tells the sender to redeliver later; nothing was accepted.
        log.warning("could not accept delivery: queue unavailable", exc_info=True,
                    extra={"event": event_name, "delivery": delivery})
        return done(503, "unavailable")
    except Exception:
        # The shape was checked above, so this is our bug: 500 (GitHub shows it), the traceback in the log.
        log.exception("delivery handler failed", extra={"event": event_name, "delivery": delivery})
        return done(500, "error")
    if intake.outcome == "duplicate":
        return done(200, "duplicate")
    if intake.outcome in ("queued", "coalesced"):
        first = intake.requests[0]
        return done(202, intake.outcome, jobs=len(intake.requests),
                    log_extra={"issue": first.issue_key, "kind": first.kind, "reason": first.reason})
    return done(200, "ignored", why=intake.why)


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: 200 when deliveries can be accepted; 503 while the job store (PostgreSQL) is down."""
    try:
        ok = await request.app[QUEUE].healthy()
    except Exception:
        log.warning("health check failed", exc_info=True)
        ok = False
    return web.json_response({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)


async def metrics_view(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text format (with the number of jobs waiting or running, when known)."""
    metrics = request.app[METRICS]
    try:
        metrics.jobs_pending.set(float(await request.app[QUEUE].pending()))
    except Exception:
        log.warning("could not count pending jobs", exc_info=True)
    return web.Response(body=metrics.render().encode(), headers={"Content-Type": CONTENT_TYPE})


def create_app(
    settings: Settings, queue: Queue, *, metrics: Metrics | None = None, router: routing.Router | None = None,
) -> web.Application:
    """The web application. Refuses (ConfigError) to run without a webhook secret unless LOCAL_MODE is set."""
    if settings.webhook_secret() is None and not settings.local_mode:
        raise ConfigError(NO_SECRET)
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[QUEUE] = queue
    app[METRICS] = metrics if metrics is not None else DEFAULT
    app[ROUTER] = router if router is not None else default_router
    app.router.add_post(settings.webhook_path, webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    return app
