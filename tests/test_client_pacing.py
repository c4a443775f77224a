"""The in-process pacer: one write at a time per key, at least `interval` apart (on an injected clock)."""

from __future__ import annotations

import asyncio

import pytest

from bot.github.pacing import InProcessPacer, Pacer
from tests.fixtures.sandbox import FakeTime


async def test_pacer_serialises_and_spaces_writes_of_one_key() -> None:
    fake = FakeTime(start=1000.0)
    pacer = InProcessPacer(1.0, clock=fake, sleep=fake.sleep)
    inside = 0
    most = 0
    order: list[int] = []

    async def write(n: int) -> None:
        nonlocal inside, most
        async with pacer.slot("installation:1"):
            inside += 1
            most = max(most, inside)
            order.append(n)
            await asyncio.sleep(0)  # let the others try to get in
            fake.advance(0.25)  # the write itself takes a quarter of a second
            inside -= 1

    await asyncio.gather(*(write(n) for n in range(5)))
    assert most == 1
    assert order == [0, 1, 2, 3, 4]  # asyncio locks are fair: first come, first served
    # Each write after the first waits the rest of the interval since the previous write ended.
    assert fake.sleeps == [1.0, 1.0, 1.0, 1.0]
    assert [key for key, _ in pacer.waits] == ["installation:1"] * 4


async def test_pacer_keys_are_independent_and_elapsed_time_counts() -> None:
    fake = FakeTime(start=0.0)
    pacer = InProcessPacer(1.0, clock=fake, sleep=fake.sleep)
    async with pacer.slot("a"):
        pass
    async with pacer.slot("b"):
        pass  # another installation: no wait
    assert fake.sleeps == []
    fake.advance(0.4)
    async with pacer.slot("a"):
        pass
    assert fake.sleeps == [pytest.approx(0.6)]
    fake.advance(5)
    async with pacer.slot("a"):
        pass
    assert len(fake.sleeps) == 1  # enough time had passed


async def test_zero_interval_still_serialises() -> None:
    pacer = InProcessPacer(0.0)
    assert isinstance(pacer, Pacer)
    inside = 0
    most = 0

    async def write() -> None:
        nonlocal inside, most
        async with pacer.slot("k"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(write() for _ in range(4)))
    assert most == 1
    assert pacer.waits == []
