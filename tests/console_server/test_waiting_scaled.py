"""The queue view across two server processes sharing PostgreSQL and Redis: a process publishes what differs
from what staff last received from anyone, not from what it published itself."""

from __future__ import annotations

import pytest

from chatsvc.client import VisitorClient
from tests.console_server import ORIGIN


async def test_the_queue_view_stays_right_across_processes(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    if not backend.redis_url:
        pytest.skip("one process on the in-process broker: nothing to share")
    async with start_server(backend) as one, start_server(backend) as two:
        ana_user = await one.add_staff("Ana")
        bo_user = await one.add_staff("Bo")
        ana = await one.agent(ana_user, status="away")
        bo = await two.agent(bo_user, status="away")
        first = VisitorClient(one.url, origin=ORIGIN)
        second = VisitorClient(two.url, origin=ORIGIN)
        try:
            await first.connect()
            x = (await first.send("first in line")).conversation
            await first.handoff()
            await bo.wait_waiting(lambda f: [i.id for i in f.conversations] == [x])
            await second.connect()
            y = (await second.send("second in line")).conversation
            await second.handoff()
            await ana.wait_waiting(lambda f: [i.id for i in f.conversations] == [x, y])
            # Process one last published [x]; the list is back to that after Ana picks y there, and both
            # consoles must hear it.
            await ana.pick(y)
            assert (await ana.wait_chat()).id == y
            for agent in (ana, bo):
                await agent.wait_waiting(lambda f: [i.id for i in f.conversations] == [x])
        finally:
            for client in (first, second, ana, bo):
                await client.close()
