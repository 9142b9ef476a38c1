"""Dispatch across processes, two servers on one PostgreSQL and one Redis: only the decisions and the database
writes happen under the cluster lock (a broker that hangs in one process holds up nobody else's assignments),
requests are coalesced per process, and a visitor's ack does not wait for the dispatch it triggered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chatsvc.client import VisitorClient
from chatsvc.services.routing import DISPATCH_LOCK, Routing
from tests.support.two_servers import eventually, two_servers


class _HangingPublish:
    """A broker whose publish hangs (a Redis that neither answers nor refuses) until released."""

    def __init__(self, publish: Callable[..., Awaitable[Any]]) -> None:
        self.publish = publish
        self.entered = asyncio.Event()
        self.released = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        await self.released.wait()
        return await self.publish(*args, **kwargs)


def _count_passes(routing: Routing) -> list[int]:
    """Counts the passes that take the cluster lock (the decisions under it)."""
    count = [0]
    decide = routing._dispatch_locked

    async def counted() -> Any:
        count[0] += 1
        return await decide()

    routing._dispatch_locked = counted  # type: ignore[method-assign]
    return count


async def test_a_hanging_publish_does_not_hold_the_cluster_lock(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        visitor = VisitorClient(one.url)
        await visitor.connect()
        broker = one.services.hub.broker
        hang = _HangingPublish(broker.publish)
        try:
            ack = await visitor.send("Anyone?")  # queued: nobody is online
            store = two.services.conversation_store
            assert (await store.get(ack.conversation)).status == "queued"
            await asyncio.sleep(0.3)  # its dispatch published what it had to
            # Server one's broker hangs; its next dispatch has the staff's queue view and the visitor's place to
            # publish again (forgotten here, so that they are).
            routing = one.services.routing
            routing.waiting_heard(None)
            routing.queue_view._queue_seen.clear()
            broker.publish = hang  # type: ignore[method-assign]
            hanging = asyncio.create_task(routing.dispatch())
            async with asyncio.timeout(5):
                await hang.entered.wait()
            # An agent comes online on server two: server two assigns at once, server one's hang notwithstanding.
            ana = await two.add_staff("Ana")
            agent = await two.agent(ana)

            async def assigned() -> bool:
                conversation = await store.get(ack.conversation)
                return (conversation.status, conversation.agent_id) == ("assigned", ana.id)

            try:
                await eventually(assigned, timeout=5)
                assert (await agent.wait_chat(timeout=5)).id == ack.conversation
            finally:
                await agent.close()
            assert not hanging.done()  # still stuck in the broker, outside the lock
        finally:
            hang.released.set()
            broker.publish = hang.publish  # type: ignore[method-assign, assignment]
            with contextlib.suppress(Exception):
                await asyncio.wait_for(hanging, 5)
            await visitor.close()


async def test_a_visitor_s_ack_does_not_wait_for_the_dispatch(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        ana = await one.add_staff("Ana")
        agent = await one.agent(ana)
        visitor = VisitorClient(one.url)
        await visitor.connect()
        try:
            async with two.services.db.cluster_lock(DISPATCH_LOCK):  # every dispatch is held up
                ack = await visitor.send("Hello", timeout=3)  # acked all the same: the message is committed
                stored = await one.services.conversation_store.get(ack.conversation)
                assert stored.status == "queued"
            # The lock released: the dispatch that followed the message assigns it.
            assert (await agent.wait_chat(timeout=10)).id == ack.conversation
        finally:
            await visitor.close()
            await agent.close()


async def test_requests_during_a_pass_are_coalesced_and_awaited(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        routing = one.services.routing
        visitors = [VisitorClient(one.url) for _ in range(10)]
        ana = await one.add_staff("Ana", max_chats=3)
        try:
            for visitor in visitors:
                await visitor.connect()
            await asyncio.gather(*(v.send(f"visitor {i}") for i, v in enumerate(visitors)))
            await routing.dispatch()  # settled: everything queued, nobody online
            passes = _count_passes(routing)
            async with two.services.db.cluster_lock(DISPATCH_LOCK):
                first = asyncio.create_task(routing.dispatch())  # a pass starts and waits for the lock
                await asyncio.sleep(0.2)
                agent = await one.agent(ana)  # online: a dispatch requested (it waits too)
                waiters = [asyncio.create_task(routing.dispatch()) for _ in range(20)]
                await asyncio.sleep(0.2)
                assert not any(w.done() for w in [first, *waiters])
            async with asyncio.timeout(10):
                await asyncio.gather(first, *waiters)
            # Every request made while the first pass ran was served by one next pass, which saw Ana online.
            assert passes[0] <= 3, passes[0]
            assert await one.services.conversation_store.loads() == {ana.id: 3}
            await agent.close()
        finally:
            for visitor in visitors:
                await visitor.close()


async def test_a_cancelled_waiter_does_not_cancel_the_pass(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        routing = one.services.routing
        ana = await one.add_staff("Ana")
        visitor = VisitorClient(one.url)
        await visitor.connect()
        try:
            async with two.services.db.cluster_lock(DISPATCH_LOCK):
                ack = await visitor.send("Hello", timeout=3)
                agent = await one.agent(ana)
                impatient = asyncio.create_task(routing.dispatch())
                await asyncio.sleep(0.2)
                impatient.cancel()
            assert (await agent.wait_chat(timeout=10)).id == ack.conversation
            await agent.close()
        finally:
            await visitor.close()
