"""The whole App in one process: queue (and its worker without a database), handler, web intake."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app.web import create_app
from bot.config import Settings
from bot.github.retry import RetryPolicy
from bot.jobs.handler import JobHandler, build_handler
from bot.jobs.queue import JobQueue
from bot.metrics import DEFAULT, Metrics


class BotServer:
    """The whole App in one process: job queue (and its worker without a database), handler, web app."""

    def __init__(
        self, settings: Settings, *, metrics: Metrics | None = None, concurrency: int = 8,
        poll_interval: float = 0.2, handler: JobHandler | None = None, policy: RetryPolicy | None = None,
        queue_options: dict[str, Any] | None = None,
    ) -> None:
        settings.require_app()
        self.settings = settings
        self.metrics = metrics if metrics is not None else DEFAULT
        self.queue = JobQueue.from_settings(settings, **(queue_options or {}))
        self.handler = handler or build_handler(
            settings, metrics=self.metrics, pacer=self.queue.pacer, policy=policy)
        self.queue.handler = self.handler
        self.queue.on_give_up = self.handler.give_up
        self.handler.enqueue = self.queue.enqueue  # push and scan jobs queue one sync per issue
        self.app = create_app(settings, self.queue, metrics=self.metrics)
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.host = "127.0.0.1"

    @property
    def base_url(self) -> str:
        """http://host:port of the web app once started."""
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        """Where GitHub (or the demo) posts deliveries."""
        return self.base_url + self.settings.webhook_path

    async def start(self, host: str | None = None, port: int | None = None, *, worker: bool = True) -> None:
        """Open the queue, start the in-process worker (memory backend), serve HTTP on host:port (0 = any)."""
        await self.queue.open()
        if worker and self.queue.runs_worker_in_process:
            self.queue.start_worker(concurrency=self.concurrency, poll_interval=self.poll_interval)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self.host = host if host is not None else self.settings.host
        site = web.TCPSite(self._runner, self.host, self.settings.port if port is None else port,
                           backlog=1024, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving, stop the worker, close the queue and the HTTP session."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.queue.close()
        await self.handler.close()
