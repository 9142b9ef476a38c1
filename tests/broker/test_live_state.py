"""Shared live state: one contract run on the in-process store and on Redis, then two servers on one PostgreSQL and
one Redis sharing presence, the queue and assignment."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatsvc.broker.live_state import AgentRecord, LiveState, MemoryLiveState, MemoryStore, QueueMirror
from chatsvc.broker.redis_live_state import RedisLiveState
from chatsvc.client import VisitorClient
from tests.conftest import TEST_REDIS_URL, missing
from tests.support.servers import (
    free_port,
    redis_prefix,
)
from tests.support.two_servers import eventually, two_servers

TTL = 0.4


@dataclasses.dataclass
class Kind:
    name: str
    make: Callable[[str], LiveState]  # one "process" of the store
    flush: Callable[[], Awaitable[None]]  # what a Redis restart without persistence does


@pytest.fixture(params=["memory", "redis"])
async def kind(request: pytest.FixtureRequest) -> AsyncIterator[Kind]:
    made: list[LiveState] = []
    if request.param == "memory":
        store = MemoryStore()

        def make_memory(process_id: str) -> LiveState:
            state = MemoryLiveState(ttl=TTL, process_id=process_id, store=store)
            made.append(state)
            return state

        async def flush_memory() -> None:
            store.clear()

        yield Kind("memory", make_memory, flush_memory)
    else:
        if not TEST_REDIS_URL:
            missing("CHATSVC_TEST_REDIS_URL is not set: Redis tests skipped")
        async with redis_prefix(TEST_REDIS_URL) as prefix:
            client = aioredis.Redis.from_url(TEST_REDIS_URL)

            def make_redis(process_id: str) -> LiveState:
                state = RedisLiveState(TEST_REDIS_URL, prefix=prefix, ttl=TTL, process_id=process_id)
                made.append(state)
                return state

            async def flush_redis() -> None:
                async for key in client.scan_iter(match=prefix + "*"):
                    await client.delete(key)

            yield Kind("redis", make_redis, flush_redis)
            await client.aclose()
    for state in made:
        await state.stop()


def agent(user_id: str = "u1", *, sockets: int = 1, status: str = "online", rev: float = 1.0,
          capacity: int = 3) -> AgentRecord:
    return AgentRecord(user_id=user_id, name=f"Agent {user_id}", status=status, capacity=capacity,
                       team_ids=frozenset({"t1", "t2"}), idle_since=100.5, rev=rev, sockets=sockets)


async def test_a_record_round_trips_and_its_lease_expires(kind: Kind) -> None:
    a = kind.make("a")
    assert await a.put([agent(sockets=2)])
    snapshot = await a.snapshot()
    assert snapshot is not None
    got = snapshot["u1"]
    assert (got.name, got.status, got.capacity, got.team_ids, got.idle_since, got.sockets) == (
        "Agent u1", "online", 3, frozenset({"t1", "t2"}), 100.5, 2)
    assert got.online and got.left_at is None
    await asyncio.sleep(TTL + 0.2)  # not renewed: gone, the record stays
    snapshot = await a.snapshot()
    assert snapshot is not None and snapshot["u1"].sockets == 0 and not snapshot["u1"].online


async def test_sockets_sum_over_processes_and_a_process_drops_only_its_own(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    await a.put([agent(sockets=2)])
    await b.put([agent(sockets=1)])
    assert (await a.snapshot())["u1"].sockets == 3  # type: ignore[index]
    await a.put([agent(sockets=0)])  # a's last socket closed
    assert (await b.snapshot())["u1"].sockets == 1  # type: ignore[index]
    await a.put([agent(sockets=1)])
    await b.drop_leases()  # b stops
    assert (await a.snapshot())["u1"].sockets == 1  # type: ignore[index]
    # Renewal keeps a's lease past the TTL while b's is gone for good.
    for _ in range(4):
        await asyncio.sleep(TTL / 3)
        await a.put([agent(sockets=1)])
    assert (await b.snapshot())["u1"].sockets == 1  # type: ignore[index]


async def test_an_older_record_does_not_undo_a_newer_one(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    await a.put([agent(status="online", rev=1.0)])
    await b.put([agent(status="away", rev=2.0)])  # chosen in a tab on process b
    await a.put([agent(status="online", rev=1.0)])  # a's heartbeat: its lease renewed, the record left alone
    got = (await a.snapshot())["u1"]  # type: ignore[index]
    assert got.status == "away" and got.sockets == 2
    await a.update("u1", status="offline", capacity=5)
    got = (await b.snapshot())["u1"]  # type: ignore[index]
    assert (got.status, got.capacity) == ("offline", 5) and got.rev > 2.0
    await a.update("nobody", status="online")  # no record: nothing is created
    assert "nobody" not in (await a.snapshot())  # type: ignore[operator]


async def test_a_change_is_stamped_on_the_store_s_clock_and_always_lands(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    first = await a.change(agent(status="online", rev=9e9))  # a's own clock says nothing: the store stamps
    assert first is not None and first < 9e9
    await b.update("u1", idle_since=5.0)  # an assignment through b lands first...
    second = await a.change(agent(status="away", rev=first))  # ...then a change made on a before it
    assert second is not None and second > first
    got = (await b.snapshot())["u1"]  # type: ignore[index]
    assert (got.status, got.rev, got.sockets) == ("away", second, 1)
    await b.put([agent(status="online", rev=first, sockets=1)])  # b's renewal, with an older rev
    got = (await a.snapshot())["u1"]  # type: ignore[index]
    assert (got.status, got.sockets) == ("away", 2)
    await a.put([agent(status="away", rev=second)])  # a renewal at the stored rev rewrites the record
    assert (await a.snapshot())["u1"].rev == second  # type: ignore[index]


async def test_an_update_only_if_gone_leaves_an_agent_with_a_live_lease_alone(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    await a.change(agent(status="online", sockets=0))
    await b.put([agent(status="online", rev=0.0, sockets=1)])  # back, through b
    await a.update("u1", only_if_gone=True, status="offline")
    assert (await a.snapshot())["u1"].status == "online"  # type: ignore[index]
    await b.drop_leases()
    await a.update("u1", only_if_gone=True, status="offline")
    assert (await a.snapshot())["u1"].status == "offline"  # type: ignore[index]


async def test_an_empty_store_is_refilled_by_the_next_heartbeat(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    await a.put([agent("u1", sockets=1)])
    await b.put([agent("u2", sockets=2, status="away")])
    await a.put_mirror(QueueMirror(version=3, queue=["c1"], positions={"c1": 1}, loads={"u1": 1}))
    await kind.flush()  # Redis restarted without persistence
    assert await a.snapshot() == {}
    assert await a.get_mirror() is None
    await a.put([agent("u1", sockets=1)])
    await b.put([agent("u2", sockets=2, status="away")])
    snapshot = await b.snapshot()
    assert snapshot is not None
    assert {k: (v.status, v.sockets, v.name) for k, v in snapshot.items()} == {
        "u1": ("online", 1, "Agent u1"), "u2": ("away", 2, "Agent u2")}


async def test_left_at_is_set_once_and_cleared_by_a_lease(kind: Kind) -> None:
    a = kind.make("a")
    first = await a.mark_left("u1")  # no record at all (an empty store): the grace starts now
    assert first is not None and first < 0.2
    await asyncio.sleep(0.3)
    again = await a.mark_left("u1")
    assert again is not None and again >= 0.25  # not restarted
    assert (await a.snapshot())["u1"].left_at is not None  # type: ignore[index]
    await a.put([agent(sockets=1)])  # seen again
    assert (await a.snapshot())["u1"].left_at is None  # type: ignore[index]
    await a.mark_left("u1")
    await a.clear_left("u1")
    assert (await a.snapshot())["u1"].left_at is None  # type: ignore[index]


async def test_the_mirror_round_trips(kind: Kind) -> None:
    a, b = kind.make("a"), kind.make("b")
    assert await a.get_mirror() is None
    mirror = QueueMirror(version=7, queue=["c2", "c1"], positions={"c2": 1, "c1": 1}, loads={"u1": 2, "u2": 0})
    await a.put_mirror(mirror)
    assert await b.get_mirror() == mirror
    await b.clear_mirror()
    assert await a.get_mirror() is None


async def test_redis_unreachable_fails_soft() -> None:
    state = RedisLiveState(f"redis://127.0.0.1:{free_port()}/0", prefix="nowhere:", ttl=1.0)
    try:
        assert await state.snapshot() is None
        assert await state.put([agent()]) is False
        assert await state.mark_left("u1") is None
        assert await state.get_mirror() is None
        await state.update("u1", status="away")
        await state.clear_left("u1")
        await state.put_mirror(QueueMirror(1, [], {}, {}))
        await state.clear_mirror()
        await state.drop_leases()
    finally:
        await state.stop()


# --- two servers, one PostgreSQL, one Redis --------------------------------------------------------------------


async def test_an_agent_on_one_server_gets_a_visitor_of_the_other(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        ana = await one.add_staff("Ana")
        agent = await one.agent(ana)
        # Server two sees her as connected and online, as soon as she is.
        await eventually(lambda: two.services.routing.any_online())
        assert [a["id"] for a in await two.services.routing.available_agents()] == [ana.id]
        visitor = VisitorClient(two.url)
        await visitor.connect()
        try:
            ack = await visitor.send("Hello from server two")
            assert (await agent.wait_chat()).id == ack.conversation
            stored = await two.services.conversation_store.get(ack.conversation)
            assert (stored.status, stored.agent_id) == ("assigned", ana.id)
            await agent.send(ack.conversation, "Hello from server one")
            await visitor.wait_event(kind="message", text="Hello from server one")
        finally:
            await visitor.close()
            await agent.close()


async def test_two_servers_dispatching_at_once_never_exceed_capacity(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (one, two):
        ana = await one.add_staff("Ana", max_chats=2)
        ben = await two.add_staff("Ben", max_chats=1)
        agents = [await one.agent(ana), await two.agent(ben)]
        visitors = [VisitorClient((one if i % 2 else two).url) for i in range(12)]
        try:
            for visitor in visitors:
                await visitor.connect()
            await asyncio.gather(*(v.send(f"visitor {i}") for i, v in enumerate(visitors)))
            # Both servers dispatch for their own visitors, at the same moments.
            await asyncio.gather(*(s.services.routing.dispatch() for s in (one, two, one, two)))
            loads = await one.services.conversation_store.loads()
            assert loads == {ana.id: 2, ben.id: 1}
            queued = await one.services.conversation_store.queued()
            assert len(queued) == 9
            assert await one.services.routing.shared_loads() == loads  # the mirror agrees
        finally:
            for client in [*visitors, *agents]:
                await client.close()


async def test_a_vanished_process_s_agent_has_their_chats_requeued_after_the_grace(tmp_path: Path) -> None:
    async with two_servers(tmp_path, agent_grace_seconds=1.5) as (one, two):
        ana = await one.add_staff("Ana")
        agent = await one.agent(ana)
        visitor = VisitorClient(two.url)
        await visitor.connect()
        try:
            ack = await visitor.send("Are you there?")
            assert (await agent.wait_chat()).id == ack.conversation
            # Server one "dies": no more heartbeats, its leases expire (its socket stays open: nobody says bye).
            routing = one.services.routing
            assert routing.agent_presence._heartbeat_task is not None
            routing.agent_presence._heartbeat_task.cancel()
            routing.presence.clear()  # its own view no longer vouches for her either
            store = two.services.conversation_store
            await asyncio.sleep(1.0)  # within the TTL and the grace: still hers
            assert (await store.get(ack.conversation)).status == "assigned"

            async def requeued() -> bool:
                return (await store.get(ack.conversation)).status == "queued"

            await eventually(requeued, timeout=5)
            event = await visitor.wait_event(kind="requeued", timeout=5)
            assert event.data is not None and event.data["reason"] == "disconnected"
        finally:
            await visitor.close()
            await agent.close()
