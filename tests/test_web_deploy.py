"""Deployment files: the App manifest asks for the least that works; Procfile and Dockerfile run `serve`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import pytest
import yaml

from bot.cli import COMMANDS, eventloop
from bot.events import EVENTS
from tests.fixtures.sandbox import AppKeys
from tests.paths import ROOT
from tests.test_web_config import ENV_KEYS


def test_app_manifest() -> None:
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    keys = {"name", "url", "hook_attributes", "redirect_url", "public", "default_permissions",
            "default_events"}
    assert set(manifest) >= keys
    assert manifest["hook_attributes"]["url"].endswith("/webhook")
    assert manifest["public"] is False
    # contents: read for the plan files (.claude/epics) a push changes; never write.
    assert manifest["default_permissions"] == {"issues": "write", "metadata": "read", "contents": "read"}
    assert manifest["default_events"] == ["issues", "issue_comment", "push"]
    assert set(manifest["default_events"]) <= EVENTS  # every subscribed event has a handler


def test_procfile_and_dockerfile_run_the_app() -> None:
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert procfile["web"] == "parallel-work-bot serve"
    for command in procfile.values():
        assert command.split()[1] in COMMANDS
    docker = (ROOT / "Dockerfile").read_text()
    assert docker.startswith("#") and "FROM python:3.11-slim" in docker
    assert "pip install ." in docker
    user_lines = [line for line in docker.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1] != "USER root"
    assert docker.rstrip().splitlines()[-1] == 'CMD ["parallel-work-bot", "serve"]'


def test_serve_and_worker_loop_is_uvloop_or_asyncio_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert eventloop.run(loop_module()).startswith("uvloop")
    assert eventloop.run(loop_module(), fair_accept=True).startswith("asyncio")
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as where it is not installed: import fails
    assert eventloop.run(loop_module()).startswith("asyncio")


def test_settling_the_heap_freezes_what_start_up_made() -> None:
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        eventloop.settle_heap()
        # The modules, classes and objects alive now are out of every later collection's sight.
        assert gc.get_freeze_count() > 10_000
        assert all(len(gc.get_objects(generation)) < gc.get_freeze_count() for generation in range(3))
    finally:
        gc.unfreeze()



def test_serve_without_a_database_runs_on_the_loop_that_accepts_every_waiting_connection(
    monkeypatch: pytest.MonkeyPatch, app_keys: AppKeys,
) -> None:
    """With the syncs in the web process (no DATABASE_URL) `serve` asks for asyncio's loop; with a
    database (the intake alone) for uvloop's."""
    from bot.cli import serve

    asked: list[bool] = []

    def run_loop(main: Coroutine[Any, Any, None], *, fair_accept: bool = False) -> None:
        main.close()  # the server's coroutine, never started
        asked.append(fair_accept)

    monkeypatch.setattr(eventloop, "run", run_loop)
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GITHUB_APP_ID", "1")
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", app_keys.private_pem)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "s3cret-value")
    args = argparse.Namespace(host=None, port=None, concurrency=4)
    assert serve.run(args) == 0
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1:9/bot")
    assert serve.run(args) == 0
    assert asked == [True, False]
