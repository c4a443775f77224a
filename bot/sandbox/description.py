"""Where GitHub's REST description subset lives: inside the package, so any install checks the contract."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def packaged_openapi() -> Path:
    """The packaged copy (bot/sandbox/data/openapi-subset.json, listed in the package data)."""
    return Path(str(resources.files("bot.sandbox").joinpath("data/openapi-subset.json")))
