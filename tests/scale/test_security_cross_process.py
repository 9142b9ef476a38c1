"""../shared/SECURITY.md cases 24-27 across processes (issue 8, Done when).

24. The same client message id at the same moment on two sockets held by two processes → stored once, both acks
    carry the same seq.
25. Two processes start a chat for one visitor at the same moment → one open conversation.
26. Two processes assign at the same moment → a waiting visitor goes to exactly one agent, no agent exceeds
    capacity.
27. An ack lost after commit, then a resend through another process, is stored once (below); a process killed with
    SIGKILL mid-conversation: tests/scale/test_failover.py; Redis restarted: tests/scale/test_redis_restart.py.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import websockets

from chatsvc.client.base import ws_url
from chatsvc.domain import protocol
from tests.scale.chatting import pair
from tests.support.cluster import Cluster, same_screens


async def test_24_same_client_id_at_once_on_two_processes_is_stored_once(cluster: Cluster) -> None:
    visitor, agent, conversation = await pair(cluster, visitor_home=0, agent_home=2)
    tab = cluster.visitor(home=1, token=visitor.token)  # the same visitor in a second tab, on another process
    await tab.connect()
    for i in range(10):
        acks = await asyncio.gather(
            visitor.send(f"double {i}", client_id=f"same-id-{i}"), tab.send(f"double {i}", client_id=f"same-id-{i}")
        )
        assert acks[0].seq == acks[1].seq and acks[0].conversation == acks[1].conversation == conversation
        assert sorted(ack.duplicate for ack in acks) == [False, True]
    await agent.wait_event(text="double 9", timeout=10)
    await tab.wait_event(text="double 9", timeout=10)
    await visitor.wait_event(text="double 9", timeout=10)
    await asyncio.sleep(0.3)
    stored = [e.get("text") for e in await cluster.transcript(conversation)]
    for i in range(10):
        assert stored.count(f"double {i}") == 1
    same_screens([visitor, tab, agent], conversation)


async def test_25_two_processes_start_a_chat_for_one_visitor_at_once(cluster: Cluster) -> None:
    # No agent online: the chats wait in the queue. Ten visitors, each with a tab on process 0 and one on process 1
    # sending their first message at the same moment (half with different client ids, half with the same).
    pairs = []
    for i in range(10):
        first = cluster.visitor(home=0)
        await first.connect()
        second = cluster.visitor(home=1, token=first.token)
        await second.connect()
        pairs.append((first, second))

    async def both_start(i: int) -> tuple[protocol.Ack, protocol.Ack]:
        first, second = pairs[i]
        if i % 2:  # the same message (one client id) from both tabs
            return await asyncio.gather(
                first.send(f"tab one {i}", client_id=f"first-{i}"), second.send(f"tab one {i}", client_id=f"first-{i}")
            )
        return await asyncio.gather(first.send(f"tab one {i}"), second.send(f"tab two {i}"))

    results = await asyncio.gather(*(both_start(i) for i in range(10)))
    for i, (a, b) in enumerate(results):
        assert a.conversation == b.conversation, f"visitor {i}: two conversations started"
        if i % 2:
            assert a.seq == b.seq and sorted([a.duplicate, b.duplicate]) == [False, True]
    rows = await cluster.conversations()
    open_per_visitor = Counter(row.visitor_id for row in rows if row.status != "closed")
    assert len(open_per_visitor) == 10 and set(open_per_visitor.values()) == {1}
    for i, (a, _) in enumerate(results):
        texts = [e.get("text") for e in await cluster.transcript(a.conversation)]
        if i % 2:
            assert texts.count(f"tab one {i}") == 1
        else:
            assert texts.count(f"tab one {i}") == 1 and texts.count(f"tab two {i}") == 1


async def test_26_processes_assigning_at_once_give_each_chat_to_one_agent(cluster: Cluster) -> None:
    visitors = [cluster.visitor(home=j % 3) for j in range(12)]
    for visitor in visitors:
        await visitor.connect()
        await visitor.send("waiting")
    waiting = [row.id for row in await cluster.conversations() if row.status == "queued"]
    assert len(waiting) == 12

    # Four agents of capacity 2 come online at the same moment on the 3 processes: each process dispatches.
    emails = await cluster.add_agents(4, max_chats=2)
    agents = [cluster.agent(email, home=i % 3) for i, email in enumerate(emails)]
    await asyncio.gather(*(agent.connect() for agent in agents))
    async with asyncio.timeout(20):
        while sum(1 for row in await cluster.conversations() if row.status == "assigned") < 8:
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    rows = await cluster.conversations()
    held = Counter(row.agent_id for row in rows if row.status == "assigned")
    assert sorted(held.values()) == [2, 2, 2, 2]
    assert {row.id for row in rows if row.status == "assigned"} == set(waiting[:8])  # first come, first served
    async with asyncio.timeout(10):
        while sorted(c for agent in agents for c in agent.chats) != sorted(waiting[:8]):
            await asyncio.sleep(0.1)

    # Two agents (away, so nothing is assigned to them) on two processes pick the same waiting chat at once.
    pickers = await cluster.add_agents(2, max_chats=1, prefix="picker")
    x = cluster.agent(pickers[0], home=0, status="away")
    y = cluster.agent(pickers[1], home=1, status="away")
    await asyncio.gather(x.connect(), y.connect())
    target = waiting[8]
    await asyncio.gather(x.pick(target), y.pick(target))
    async with asyncio.timeout(10):
        while target not in x.chats and target not in y.chats:
            await asyncio.sleep(0.05)
    refused = await asyncio.gather(x.wait_error(timeout=5), y.wait_error(timeout=5), return_exceptions=True)
    assert sum(isinstance(r, protocol.ErrorFrame) for r in refused) == 1  # the loser is told
    await asyncio.sleep(0.5)
    assert (target in x.chats) != (target in y.chats)
    [row] = [row for row in await cluster.conversations() if row.id == target]
    ids = await cluster.user_ids()
    assert row.agent_id == ids[pickers[0] if target in x.chats else pickers[1]]

    # One agent with two sockets on two processes picks two chats at once: capacity 1 keeps one.
    [solo] = await cluster.add_agents(1, max_chats=1, prefix="solo")
    one = cluster.agent(solo, home=1, status="away")
    await one.connect()
    other = cluster.agent(solo, home=2, status="away", token=one.token)
    await other.connect()
    await asyncio.gather(one.pick(waiting[9]), other.pick(waiting[10]))
    await asyncio.sleep(1.5)
    ids = await cluster.user_ids()
    rows = await cluster.conversations()
    held = Counter(row.agent_id for row in rows if row.status == "assigned")
    assert held[ids[solo]] == 1
    capacity = {ids[e]: 2 for e in emails} | {ids[e]: 1 for e in [*pickers, solo]}
    assert all(held[agent_id] <= capacity[agent_id] for agent_id in held)


async def test_27_ack_lost_after_commit_then_resent_through_another_process(cluster: Cluster) -> None:
    visitor, agent, conversation = await pair(cluster, visitor_home=0, agent_home=2)
    frame = {"type": "message", "client_id": "resend-me-27", "text": "did this arrive?"}
    hello = json.dumps({"type": "hello", "token": visitor.token})
    async with websockets.connect(ws_url(cluster.processes[0].url, "/ws/visitor", "site=default")) as raw:
        await raw.send(hello)
        json.loads(await raw.recv())  # welcome
        await raw.send(json.dumps(frame))
        # Wait until it is committed (seen by the agent on process 2), then vanish without reading the ack.
        first = await agent.wait_event(text="did this arrive?", timeout=10)
        raw.transport.abort()
    async with websockets.connect(ws_url(cluster.processes[1].url, "/ws/visitor", "site=default")) as again:
        await again.send(hello)
        await again.send(json.dumps(frame))  # no ack seen: resent, through another process
        ack = None
        async with asyncio.timeout(10):
            while ack is None:
                message = json.loads(await again.recv())
                if message["type"] == "ack":
                    ack = message
    assert ack["duplicate"] is True and ack["seq"] == first.seq
    texts = [e.get("text") for e in await cluster.transcript(conversation)]
    assert texts.count("did this arrive?") == 1
