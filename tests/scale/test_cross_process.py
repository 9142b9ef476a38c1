"""A visitor on process A and its agent on process B chat both ways (issue 8, Done when)."""

from __future__ import annotations

import asyncio

from tests.support.cluster import Cluster, same_screens


async def test_visitor_on_a_and_agent_on_b_chat_both_ways(cluster: Cluster) -> None:
    [email] = await cluster.add_agents(1)
    agent = cluster.agent(email, home=1)
    await agent.connect()
    visitor = cluster.visitor(home=0)
    await visitor.connect()

    ack = await visitor.send("hello from A")
    chat = await agent.wait_chat()
    assert chat.id == ack.conversation
    assert (await agent.wait_event(text="hello from A")).seq == ack.seq

    reply = await agent.send(ack.conversation, "hello from B")
    assert (await visitor.wait_event(text="hello from B")).seq == reply.seq
    for i in range(10):
        await visitor.send(f"v{i}")
        await agent.send(ack.conversation, f"a{i}")
    await agent.wait_event(text="v9")
    await visitor.wait_event(text="a9")
    await asyncio.sleep(0.2)

    shown = same_screens([visitor, agent], ack.conversation)
    stored = [(e["seq"], e["kind"], e.get("text")) for e in await cluster.transcript(ack.conversation, index=2)]
    assert shown == stored
    assert agent.gaps == 0 and visitor.gaps == 0
    assert visitor.connections == 1 and agent.connections == 1  # nobody had to move
    assert cluster.tracebacks() == ""
