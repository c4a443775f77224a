"""Settings from the environment, one-line start-up errors, redacted JSON logs, `serve` as a process."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.config import ConfigError, Settings, given_settings, load_settings
from bot.conventions import DEFAULT_BOT_LOGIN
from bot.logs import redact, setup_logging
from bot.sandbox.delivery import dumps, webhook_headers
from tests.environment import process_env
from tests.fixtures.sandbox import AppKeys
from tests.paths import ROOT, WEBHOOKS

#: Every variable the settings read (one per field), so the caller's values never reach these tests.
ENV_KEYS = tuple(name.upper() for name in Settings.model_fields)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_settings_from_the_environment(clean_env: pytest.MonkeyPatch, app_keys: AppKeys) -> None:
    clean_env.setenv("GITHUB_APP_ID", "123")
    clean_env.setenv("GITHUB_PRIVATE_KEY", app_keys.private_pem.replace("\n", "\\n"))  # as env files hold it
    clean_env.setenv("GITHUB_WEBHOOK_SECRET", "s3cret-value")
    clean_env.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    settings.require_app()
    assert settings.github_app_id == 123
    assert settings.private_key_pem() == app_keys.private_pem
    assert settings.github_api_url == "https://api.github.com"
    assert settings.pacing_seconds == 1.0  # github.com: a second between writes
    assert (settings.port, settings.webhook_path, settings.log_level) == (8000, "/webhook", "DEBUG")
    assert "s3cret-value" not in repr(settings) and "PRIVATE KEY" not in repr(settings)
    clean_env.setenv("GITHUB_API_URL", "http://127.0.0.1:9999/")
    assert load_settings().pacing_seconds == 0.0  # the local GitHub
    clean_env.setenv("WRITE_PACING", "2.5")
    assert load_settings().pacing_seconds == 2.5


def test_key_from_a_file(clean_env: pytest.MonkeyPatch, tmp_path: Path, app_keys: AppKeys) -> None:
    path = tmp_path / "app.pem"
    path.write_text(app_keys.private_pem)
    clean_env.setenv("GITHUB_PRIVATE_KEY_PATH", str(path))
    assert load_settings().private_key_pem() == app_keys.private_pem
    clean_env.setenv("GITHUB_PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="GITHUB_PRIVATE_KEY_PATH: no such file"):
        load_settings()


@pytest.mark.parametrize(
    "key,value,message",
    [("PORT", "eighty", "PORT"), ("GITHUB_APP_ID", "abc", "GITHUB_APP_ID"),
     ("GITHUB_API_URL", "api.github.com", "GITHUB_API_URL"), ("WRITE_PACING", "-1", "WRITE_PACING"),
     ("GITHUB_PRIVATE_KEY", "not a key", "not a PEM private key"), ("LOG_LEVEL", "loud", "LOG_LEVEL"),
     ("WEBHOOK_PATH", "webhook", "WEBHOOK_PATH")],
)
def test_an_invalid_setting_is_one_clear_line(clean_env: pytest.MonkeyPatch, key: str, value: str,
                                              message: str) -> None:
    clean_env.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert message in text and "\n" not in text
    if key == "GITHUB_PRIVATE_KEY":
        assert value not in text  # a (maybe secret) value is never echoed


def test_missing_settings_are_named(clean_env: pytest.MonkeyPatch, app_keys: AppKeys) -> None:
    with pytest.raises(ConfigError, match="GITHUB_APP_ID"):
        given_settings().require_app()
    with pytest.raises(ConfigError, match="GITHUB_PRIVATE_KEY"):
        given_settings(github_app_id=1).require_app()
    with pytest.raises(ConfigError, match="GITHUB_WEBHOOK_SECRET"):
        given_settings(github_app_id=1, github_private_key=app_keys.private_pem).require_app()
    given_settings(github_app_id=1, github_private_key=app_keys.private_pem, local_mode=True).require_app()


def test_logs_are_json_lines_without_secrets(app_keys: AppKeys) -> None:
    stream = io.StringIO()
    handler = setup_logging("INFO", stream=stream, secrets=["the-webhook-secret-xyz"])
    try:
        log = logging.getLogger("test.logs")
        log.info("token is %s", "ghs_16C7e42F292c6912E7710c838347Ae178B4a", extra={"delivery": "d1"})
        jwt = "eyJhbGciOi.eyJpc3MiOjF9.c2lnbmF0dXJl"
        log.warning("headers", extra={"headers": {"Authorization": f"Bearer {jwt}"}})
        log.info("secret=%s and %s", "the-webhook-secret-xyz", app_keys.private_pem)
        try:
            raise RuntimeError("failed with token ghp_abcdefghijklmnopqrstuvwxyz0123456789")
        except RuntimeError:
            log.exception("boom")
        log.info("db at postgresql://bot:hunter2hunter2@db:5432/bot")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 5
    assert records[0]["msg"] == "token is [REDACTED]" and records[0]["delivery"] == "d1"
    assert records[0]["level"] == "info" and records[0]["logger"] == "test.logs"
    text = stream.getvalue()
    leaks = ("ghs_16C7", "eyJhbGciOi", "the-webhook-secret-xyz", "BEGIN PRIVATE KEY", "ghp_abc", "hunter2")
    for secret in leaks:
        assert secret not in text, secret
    assert "RuntimeError" in records[3]["exc"]


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "job ok: synced #4 with 21 writes; token refreshed for installation 1"
    assert redact(text) == text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_to_start_with_one_line(clean_env: pytest.MonkeyPatch, app_keys: AppKeys) -> None:
    env = process_env(ROOT, GITHUB_APP_ID="1", GITHUB_PRIVATE_KEY=app_keys.private_pem)
    proc = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "parallel-work-bot serve: GITHUB_WEBHOOK_SECRET is not set "
        "(set LOCAL_MODE=1 to run without one, locally only)"]
    env["PORT"] = "99999"
    proc = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "PORT" in proc.stderr


async def test_serve_runs_as_a_process_and_logs_json(app_keys: AppKeys) -> None:
    port = _free_port()
    secret = "serve-secret-123456"
    env = process_env(ROOT, GITHUB_APP_ID="1", GITHUB_PRIVATE_KEY=app_keys.private_pem,
                      GITHUB_WEBHOOK_SECRET=secret, PORT=str(port), GITHUB_API_URL="http://127.0.0.1:9")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        body = (WEBHOOKS / "ping.with-app_id.json").read_bytes()
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "serve did not start"
                await asyncio.sleep(0.1)
            payload = json.loads(body)
            raw = dumps(payload)
            async with http.post(f"http://127.0.0.1:{port}/webhook", data=raw,
                                 headers=webhook_headers("ping", "d-ping", raw, secret)) as resp:
                assert resp.status == 200
            async with http.post(f"http://127.0.0.1:{port}/webhook", data=raw,
                                 headers=webhook_headers("ping", "d-bad", raw, "wrong")) as resp:
                assert resp.status == 401
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    records = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert any(r["msg"] == "listening" for r in records)
    assert any(r.get("event") == "ping" and r["msg"] == "delivery ignored" for r in records)
    assert any(r.get("outcome") is None and r["msg"] == "delivery bad_signature" for r in records)
    assert secret not in err.decode() and "PRIVATE KEY" not in err.decode()


def test_given_settings_never_read_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    """Tests and the demo build their settings with given_settings: an operator's exported variables
    (BOT_LOGIN, as the README tells them) must not change what they run."""
    monkeypatch = clean_env
    monkeypatch.setenv("BOT_LOGIN", "someone-else[bot]")
    monkeypatch.setenv("GITHUB_APP_ID", "77")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nowhere/none")
    given = given_settings(local_mode=True)
    assert (given.bot_login, given.github_app_id, given.database_url) == (DEFAULT_BOT_LOGIN, None, None)
    read = load_settings(local_mode=True)
    assert (read.bot_login, read.github_app_id) == ("someone-else[bot]", 77)
