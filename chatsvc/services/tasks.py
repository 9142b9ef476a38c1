"""Background tasks: waiting for a poke or an interval, and stopping a task for sure.

Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives just as what it waits for completes
(fixed in 3.12); a worker that lost its cancellation keeps looping, and whoever awaits it at shutdown waits
forever. These helpers use ``asyncio.timeout`` instead, and stopping re-asks until the task has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("chatsvc")


async def wait_for_poke(wake: asyncio.Event, seconds: float) -> None:
    """Return when ``wake`` is set or after ``seconds``, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling again if a cancellation got lost inside it."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s had failed", task.get_name(), exc_info=task.exception())
