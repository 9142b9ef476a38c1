"""Stopping background workers for sure, even when a cancellation gets lost inside one."""

from __future__ import annotations

import asyncio
import time

from chatsvc.services.tasks import stop_task, wait_for_poke


async def test_a_task_that_swallows_one_cancellation_is_still_stopped() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # what Python 3.11's wait_for can do when a wake-up races the cancel

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    started = time.monotonic()
    await stop_task(task)
    assert task.cancelled() and swallowed == 1
    assert time.monotonic() - started < 3


async def test_waiting_ends_on_a_poke_or_the_interval() -> None:
    wake = asyncio.Event()
    started = time.monotonic()
    await wait_for_poke(wake, 0.05)
    assert 0.04 < time.monotonic() - started < 1
    wake.set()
    started = time.monotonic()
    await wait_for_poke(wake, 10)
    assert time.monotonic() - started < 0.5


async def test_stopping_nothing_or_a_finished_task_is_harmless() -> None:
    await stop_task(None)

    async def quick() -> None:
        return None

    task = asyncio.create_task(quick())
    await task
    await stop_task(task)
