"""Visitor → queue → agent, end to end over real sockets, on every backend."""

from __future__ import annotations

import asyncio

import httpx

from chatsvc.client import AgentClient, VisitorClient


async def test_visitor_reaches_an_agent_and_they_chat(server) -> None:  # type: ignore[no-untyped-def]
    alice = await server.add_staff("Alice")
    agent = await server.agent(alice)
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        ack = await visitor.send("Hello, my order #1234 never arrived")
        assert ack.seq >= 1 and not ack.duplicate
        chat = await agent.wait_chat()
        assert chat.id == ack.conversation
        assert chat.status == "assigned" and chat.agent is not None and chat.agent.name == "Alice"

        # The agent sees the visitor's message (replayed history), then answers.
        seen = await agent.wait_event(kind="message", role="visitor", conversation=chat.id)
        assert seen.text == "Hello, my order #1234 never arrived"
        reply = await agent.send(chat.id, "Sorry to hear that! Let me check.")
        got = await visitor.wait_event(kind="message", role="agent", text="Sorry to hear that! Let me check.")
        assert got.seq == reply.seq and got.author.name == "Alice"

        assigned = await visitor.wait_event(kind="assigned")
        assert assigned.data is not None and assigned.data["agent_name"] == "Alice"

        await visitor.send("Thanks")
        await agent.wait_event(kind="message", role="visitor", text="Thanks")
        await agent.end(chat.id)
        closed = await visitor.wait_event(kind="closed")
        assert closed.author.role == "agent"

        # Both saw the same history, in order, each seq once.
        assert [e.seq for e in visitor.transcripts[chat.id]] == list(range(1, closed.seq + 1))
        assert [(e.seq, e.kind, e.text) for e in visitor.transcripts[chat.id]] == [
            (e.seq, e.kind, e.text) for e in agent.transcripts[chat.id]
        ]

        # And the stored transcript says the same, readable by the agent who held it.
        token = await server.staff_token(alice)
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.get(f"/api/conversations/{chat.id}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        body = response.json()
        assert body["conversation"]["status"] == "closed"
        assert body["closed_by"] == "agent"
        assert [e["seq"] for e in body["events"]] == list(range(1, closed.seq + 1))
        kinds = [e["kind"] for e in body["events"]]
        assert kinds[:4] == ["opened", "message", "queued", "assigned"] and kinds[-1] == "closed"
        assert all(e["at"].endswith("Z") for e in body["events"])
    finally:
        await visitor.close()
        await agent.close()


async def test_typing_indicators_travel_both_ways(server) -> None:  # type: ignore[no-untyped-def]
    bob = await server.add_staff("Bob")
    agent = await server.agent(bob)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        await visitor.send("hi")
        chat = await agent.wait_chat()
        await agent.wait_event(kind="assigned", conversation=chat.id)
        await visitor.typing(True)
        notice = await agent.next_frame(lambda f: type(f).__name__ == "TypingNotice")
        assert notice.who.role == "visitor" and notice.active is True  # type: ignore[union-attr]
        await agent.typing(chat.id, True)
        notice = await visitor.next_frame(lambda f: type(f).__name__ == "TypingNotice")
        assert notice.who.name == "Bob"  # type: ignore[union-attr]
    finally:
        await visitor.close()
        await agent.close()


async def test_visitor_can_close_and_the_agent_slot_frees(server) -> None:  # type: ignore[no-untyped-def]
    carol = await server.add_staff("Carol", max_chats=1)
    agent = await server.agent(carol)
    first = VisitorClient(server.url)
    second = VisitorClient(server.url)
    await first.connect()
    await second.connect()
    try:
        ack1 = await first.send("first visitor")
        assert (await agent.wait_chat()).id == ack1.conversation
        ack2 = await second.send("second visitor")
        update = await second.wait_queue()
        assert update.position == 1 and update.conversation == ack2.conversation
        await first.end()
        closed = await first.wait_event(kind="closed")
        assert closed.author.role == "visitor"
        # Closing freed Carol's only slot: the second visitor is assigned to her.
        assert (await agent.wait_chat()).id == ack2.conversation
        await second.wait_event(kind="assigned")
    finally:
        for client in (first, second, agent):
            await client.close()


async def test_home_and_health(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "ok" and health.json()["connections"] == 0
        assert health.headers["content-security-policy"].startswith("default-src 'self'")
        visitor = VisitorClient(server.url)
        await visitor.connect()
        assert (await http.get("/healthz")).json()["connections"] == 1
        await visitor.close()


async def test_agents_hold_several_chats_within_capacity(server) -> None:  # type: ignore[no-untyped-def]
    dana = await server.add_staff("Dana", max_chats=3)
    eve = await server.add_staff("Eve", max_chats=3)
    agents = [await server.agent(dana), await server.agent(eve)]
    visitors = [VisitorClient(server.url) for _ in range(7)]
    try:
        for visitor in visitors:
            await visitor.connect()
        acks = [await v.send(f"question {i}") for i, v in enumerate(visitors)]
        await asyncio.sleep(0.5)
        loads = {a.welcome.you.name: set(a.chats) for a in agents}  # type: ignore[union-attr]
        assert all(len(chats) == 3 for chats in loads.values()), loads
        assert not (loads["Dana"] & loads["Eve"])
        # Least loaded first: the two agents alternate rather than one filling up.
        assigned = {c for chats in loads.values() for c in chats}
        assert assigned == {ack.conversation for ack in acks[:6]}
        seventh = await visitors[6].wait_queue()
        assert seventh.position == 1 and seventh.agents_online == 2
        # Each agent answers in all three chats at once.
        for agent in agents:
            for conversation in list(agent.chats):
                await agent.send(conversation, f"hello from {agent.welcome.you.name}")  # type: ignore[union-attr]
        for visitor in visitors[:6]:
            await visitor.wait_event(kind="message", role="agent")
    finally:
        for client in [*visitors, *agents]:
            await client.close()


async def test_agent_client_helpers_are_exported() -> None:
    assert AgentClient.path == "/ws/agent" and VisitorClient.path == "/ws/visitor"
