"""The App's settings, read from the environment (pydantic-settings); a bad setting is one clear line."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.conventions import DEFAULT_BOT_LOGIN

#: GitHub's own REST endpoint; writes there are 1 s apart by default (GitHub's advice for content creation).
GITHUB_COM_API = "https://api.github.com"
NO_SECRET = "GITHUB_WEBHOOK_SECRET is not set (set LOCAL_MODE=1 to run without one, locally only)"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A setting is missing or invalid; str(error) is the one line shown to the operator."""


class Settings(BaseSettings):
    """Everything the App needs, by environment variable of the same name (upper case)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    github_app_id: int | None = Field(default=None, gt=0)
    #: The App's PEM private key itself (literal "\\n" escapes are accepted, as env files often hold them).
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_webhook_secret: SecretStr | None = None
    github_api_url: str = GITHUB_COM_API
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: LogLevel = "INFO"
    #: Seconds between two writes of one installation; None = 1.0 for remote GitHub, 0 for a loopback one.
    write_pacing: float | None = Field(default=None, ge=0, le=60)
    webhook_path: str = "/webhook"
    #: Local mode lets the server run without a webhook secret (signatures are then not checked).
    local_mode: bool = False
    #: PostgreSQL for jobs and delivery ids; unset = in-memory jobs in the web process.
    database_url: str | None = None
    bot_login: str = DEFAULT_BOT_LOGIN
    #: Comma-separated logins of the other doors (the Action's `github-actions[bot]`, a CLI user): their
    #: marked comments and sub-issues are the bot's too, so the doors take turns on one issue.
    bot_peers: str = ""

    @property
    def peers(self) -> frozenset[str]:
        """The logins BOT_PEERS names."""
        return frozenset(p.strip() for p in self.bot_peers.split(",") if p.strip())

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("github_api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.github.com")
        return value.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise ValueError("must be a path starting with '/'")
        return value

    @field_validator("github_webhook_secret", "github_private_key", "database_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """`VAR=` in an env file means "not set", not an empty secret or URL."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_key(self) -> Settings:
        if self.github_private_key is None and self.github_private_key_path is not None:
            path = self.github_private_key_path
            if not path.is_file():
                raise ValueError(f"GITHUB_PRIVATE_KEY_PATH: no such file: {path}")
        pem = self.private_key_pem()
        if pem is not None:
            _check_pem(pem)
        return self

    def private_key_pem(self) -> str | None:
        """The App's private key as PEM text, from GITHUB_PRIVATE_KEY or the file GITHUB_PRIVATE_KEY_PATH."""
        if self.github_private_key is not None:
            return self.github_private_key.get_secret_value().replace("\\n", "\n").strip() + "\n"
        if self.github_private_key_path is not None and self.github_private_key_path.is_file():
            return self.github_private_key_path.read_text(encoding="utf-8")
        return None

    def webhook_secret(self) -> str | None:
        """The webhook secret as text, or None (only allowed in local mode)."""
        return None if self.github_webhook_secret is None else self.github_webhook_secret.get_secret_value()

    @property
    def pacing_seconds(self) -> float:
        """Seconds between writes: the setting, else 1.0 unless the API is on loopback (the local GitHub)."""
        if self.write_pacing is not None:
            return self.write_pacing
        return 0.0 if _is_loopback(self.github_api_url) else 1.0

    def require_app(self) -> None:
        """Raise ConfigError unless the settings can run the App (id, key, and a secret unless local mode)."""
        if self.github_app_id is None:
            raise ConfigError("GITHUB_APP_ID is not set (the App's numeric id from its settings page)")
        if self.private_key_pem() is None:
            raise ConfigError("neither GITHUB_PRIVATE_KEY nor GITHUB_PRIVATE_KEY_PATH is set (the App's key)")
        if self.github_webhook_secret is None and not self.local_mode:
            raise ConfigError(NO_SECRET)


def _check_pem(pem: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("the App private key is not a PEM private key (-----BEGIN ... KEY-----)") from exc


class _GivenSettings(Settings):
    """Settings from the values given and the defaults alone: the process environment is never read."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def given_settings(**values: Any) -> Settings:
    """Settings from these values and the defaults, never the environment (the demo, tests, the Action)."""
    return _GivenSettings(**values)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (plus overrides); any problem becomes one ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the environment variable(s) at fault and why."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "__root__")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc.upper()}: {msg}" if loc else msg)
    return "invalid setting: " + "; ".join(parts)
