"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per service."""

from __future__ import annotations

import importlib.util

# Each fixture module is owned by the feature that needs it; load those present.
pytest_plugins = [
    f"tests.fixtures.{name}"
    for name in ("sandbox", "postgres", "app", "corpus", "logs")
    if importlib.util.find_spec(f"tests.fixtures.{name}") is not None
]
