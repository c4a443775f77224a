"""Helpers shared by the client and auth tests (no tests here): a controllable clock and sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import stamina


class FakeTime:
    """A clock that only moves when someone sleeps (or the test advances it); records every sleep.

    It starts at real time, so what it says about Unix time matches the local GitHub's clock.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """stamina's test mode: retries still happen (up to the policy's attempts) but without sleeping."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield
