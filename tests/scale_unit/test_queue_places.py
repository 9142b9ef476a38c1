"""A waiting visitor's place stays right when several processes publish places: a process does not skip telling a
visitor a place it told them before if another process told them a different one since."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from chatsvc.client import VisitorClient
from tests.support.two_servers import two_servers


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_a_place_told_by_another_process_in_between_is_corrected(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        ana = await one.agent(await one.add_staff("Ana", max_chats=1))
        held = VisitorClient(one.url)
        first = VisitorClient(two.url)
        second = VisitorClient(one.url)
        try:
            await held.connect()
            chat = (await held.send("I need help")).conversation
            await ana.wait_chat()
            await ana.set_status("away")  # takes no new chat, keeps the one she has
            await first.connect()
            await first.send("me too")
            await second.connect()
            await second.send("and me")
            # Server one told the second visitor: second in the queue.
            await _until(lambda: second.queue is not None and second.queue.position == 2)
            # The first leaves through server two, which tells the second visitor: first.
            await first.end()
            await _until(lambda: second.queue is not None and second.queue.position == 1)
            # Ana hands her chat back to the queue (at its front) through server one: the second visitor is
            # second again, and server one must say so although it said "2" before.
            await ana.transfer(chat, None)
            await _until(lambda: second.queue is not None and second.queue.position == 2)
        finally:
            for client in (held, first, second, ana):
                await client.close()
