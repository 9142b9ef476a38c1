"""The queue: order, positions and waits, team routing, and chats returning when an agent leaves."""

from __future__ import annotations

import asyncio

from chatsvc.client import VisitorClient


async def _visitors(server, count: int) -> list[VisitorClient]:  # type: ignore[no-untyped-def]
    clients = [VisitorClient(server.url) for _ in range(count)]
    for client in clients:
        await client.connect()
    return clients


async def _close_all(*clients) -> None:  # type: ignore[no-untyped-def]
    for client in clients:
        await client.close()


async def test_queue_is_first_come_first_served_with_positions(server) -> None:  # type: ignore[no-untyped-def]
    visitors = await _visitors(server, 4)
    try:
        acks = []
        for i, visitor in enumerate(visitors):
            acks.append(await visitor.send(f"waiting {i}"))
        # Nobody online: each waits at its place, with no estimate (nobody could answer).
        for place, visitor in enumerate(visitors, start=1):
            update = await visitor.wait_queue()
            while update.position != place:
                update = await visitor.wait_queue()
            assert update.estimated_wait is None and update.agents_online == 0

        frank = await server.add_staff("Frank", max_chats=1)
        agent = await server.agent(frank)
        # Frank takes the first; everyone behind moves up one and now gets an estimate.
        assert (await agent.wait_chat()).id == acks[0].conversation
        for place, visitor in enumerate(visitors[1:], start=1):
            update = await visitor.wait_queue()
            while update.position != place or update.agents_online != 1:
                update = await visitor.wait_queue()
            assert update.estimated_wait is not None and update.estimated_wait > 0
        # Estimates grow with the position.
        waits = [v.queue.estimated_wait for v in visitors[1:]]
        assert waits == sorted(waits) and waits[0] < waits[-1]

        await agent.end(acks[0].conversation)
        assert (await agent.wait_chat()).id == acks[1].conversation
        await agent.end(acks[1].conversation)
        assert (await agent.wait_chat()).id == acks[2].conversation
        await agent.close()
    finally:
        await _close_all(*visitors)


async def test_reconnecting_visitor_is_told_their_place(server) -> None:  # type: ignore[no-untyped-def]
    visitors = await _visitors(server, 2)
    try:
        await visitors[0].send("first")
        await visitors[1].send("second")
        await visitors[1].drop()
        await visitors[1].wait_connected(timeout=10)
        update = await visitors[1].wait_queue()
        while visitors[1].connections < 2:
            update = await visitors[1].wait_queue()
        assert update.position == 2
    finally:
        await _close_all(*visitors)


async def test_topic_routes_to_the_team_that_owns_it(server) -> None:  # type: ignore[no-untyped-def]
    accounts = server.services.account_store
    billing_agent = await server.add_staff("Gina")
    general_agent = await server.add_staff("Hugo")
    team = await accounts.create_team(name="Billing", now=server.services.clock())
    await accounts.update_team(team.id, topics=["billing"], member_ids=[billing_agent.id])
    hugo = await server.agent(general_agent)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    gina = None
    try:
        ack = await visitor.send("I was charged twice", topic="billing")
        # Only Hugo is online and he is not in Billing: the chat waits for the team.
        update = await visitor.wait_queue()
        assert update.position == 1 and update.agents_online == 0
        await asyncio.sleep(0.3)
        assert ack.conversation not in hugo.chats
        gina = await server.agent(billing_agent)
        chat = await gina.wait_chat()
        assert chat.id == ack.conversation and chat.team == "Billing" and chat.topic == "billing"
        # A chat without a topic goes to the general queue, which anyone serves.
        other = VisitorClient(server.url)
        await other.connect()
        general_ack = await other.send("general question")
        got = await asyncio.wait_for(
            asyncio.wait(
                [asyncio.ensure_future(hugo.wait_chat()), asyncio.ensure_future(gina.wait_chat())],
                return_when=asyncio.FIRST_COMPLETED,
            ),
            10,
        )
        done, pending = got
        for task in pending:
            task.cancel()
        assert next(iter(done)).result().id == general_ack.conversation
        await other.close()
    finally:
        await _close_all(visitor, hugo, *([gina] if gina else []))


async def test_disconnected_agent_chats_return_to_the_front_of_the_queue(server) -> None:  # type: ignore[no-untyped-def]
    ivy_user = await server.add_staff("Ivy", max_chats=2)
    jack_user = await server.add_staff("Jack", max_chats=1)
    ivy = await server.agent(ivy_user)
    visitors = await _visitors(server, 3)
    try:
        a = await visitors[0].send("one")
        b = await visitors[1].send("two")
        await ivy.wait_chat()
        await ivy.wait_chat()
        c = await visitors[2].send("three")  # waits: Ivy is full
        assert (await visitors[2].wait_queue()).position == 1

        ivy.reconnect = False
        await ivy.close()  # gone for good: after the grace period her chats go back, ahead of "three"
        requeued = await visitors[0].wait_event(kind="requeued", timeout=10)
        assert requeued.data is not None and requeued.data["reason"] == "disconnected"
        jack = await server.agent(jack_user)
        first = await jack.wait_chat()
        assert first.id in (a.conversation, b.conversation)
        history = jack.transcripts  # the whole history came along
        await jack.wait_event(kind="message", conversation=first.id, role="visitor")
        assert any(e.kind == "requeued" for e in history[first.id])
        # "three" is still behind the other returned chat.
        update = await visitors[2].wait_queue()
        while update.position != 2:
            update = await visitors[2].wait_queue()
        assert c.conversation not in jack.chats
        await jack.close()
    finally:
        await _close_all(*visitors)


async def test_agent_reconnecting_within_grace_keeps_chats(server) -> None:  # type: ignore[no-untyped-def]
    kim = await server.add_staff("Kim")
    agent = await server.agent(kim)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        ack = await visitor.send("hello")
        await agent.wait_chat()
        await agent.wait_event(kind="message", role="visitor", conversation=ack.conversation)
        await agent.drop()  # network blip: reconnects well within the 1 s grace
        await agent.wait_connected()
        while agent.connections < 2:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # past the grace period: nothing must have been requeued
        assert ack.conversation in agent.chats
        assert all(e.kind != "requeued" for e in visitor.transcripts[ack.conversation])
        reply = await agent.send(ack.conversation, "still here")
        assert (await visitor.wait_event(text="still here")).seq == reply.seq
    finally:
        await _close_all(visitor, agent)


async def test_going_offline_returns_chats_at_once_and_away_keeps_them(server) -> None:  # type: ignore[no-untyped-def]
    lea_user = await server.add_staff("Lea")
    lea = await server.agent(lea_user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        ack = await visitor.send("hi")
        await lea.wait_chat()
        await lea.set_status("away")
        await asyncio.sleep(0.3)
        assert ack.conversation in lea.chats  # away keeps current chats
        other = VisitorClient(server.url)
        await other.connect()
        await other.send("anyone?")
        assert (await other.wait_queue()).agents_online == 0  # away receives no new chat
        await lea.set_status("offline")
        requeued = await visitor.wait_event(kind="requeued")
        assert requeued.data is not None and requeued.data["reason"] == "offline"
        await other.close()
    finally:
        await _close_all(visitor, lea)


async def test_transfer_moves_the_chat_with_its_history(server) -> None:  # type: ignore[no-untyped-def]
    max_user = await server.add_staff("Max")
    nia_user = await server.add_staff("Nia", max_chats=1)
    max_agent = await server.agent(max_user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        ack = await visitor.send("complex question")
        await max_agent.wait_chat()
        await max_agent.send(ack.conversation, "let me get a colleague")
        nia = await server.agent(nia_user, status="online")
        await max_agent.transfer(ack.conversation, to_agent=nia_user.id, note="needs billing")
        chat = await nia.wait_chat()
        assert chat.id == ack.conversation and chat.agent.name == "Nia"  # type: ignore[union-attr]
        await nia.wait_event(kind="transferred", conversation=chat.id)
        texts = [e.text for e in nia.transcripts[chat.id] if e.kind == "message"]
        assert texts == ["complex question", "let me get a colleague"]
        # Max no longer holds it and may not write to it.
        await asyncio.sleep(0.2)
        assert ack.conversation not in max_agent.chats
        try:
            await max_agent.send(ack.conversation, "still mine?", timeout=3)
            raise AssertionError("Max could still write")
        except Exception as exc:  # noqa: BLE001
            assert "not_found" in str(exc)
        await nia.close()
    finally:
        await _close_all(visitor, max_agent)


async def test_capacity_raised_by_an_admin_applies_at_once(server) -> None:  # type: ignore[no-untyped-def]
    from chatsvc.services.admin import AdminService

    user = await server.add_staff("Olivia", max_chats=1)
    agent = await server.agent(user)
    visitors = await _visitors(server, 2)
    try:
        await visitors[0].send("one")
        await agent.wait_chat()
        second = await visitors[1].send("two")
        assert (await visitors[1].wait_queue()).position == 1
        await AdminService.of(server.services).update_user(user.id, max_chats=2)
        assert (await agent.wait_chat()).id == second.conversation
        presence = await agent.next_frame(lambda f: type(f).__name__ == "PresenceUpdate" and f.capacity == 2)  # type: ignore[union-attr]
        assert presence.capacity == 2  # type: ignore[union-attr]
    finally:
        await _close_all(agent, *visitors)


async def test_welcome_is_always_the_first_frame_of_a_second_socket(server) -> None:  # type: ignore[no-untyped-def]
    user = await server.add_staff("Pia")
    first = await server.agent(user)
    visitors = await _visitors(server, 3)
    try:
        # Keep the agent's channel busy with assignments while a second socket of hers connects.
        sends = asyncio.gather(*(v.send(f"busy {i}") for i, v in enumerate(visitors)))
        token = await server.staff_token(user)
        import json

        import websockets

        for _ in range(5):
            async with websockets.connect(
                f"{server.ws_url}/ws/agent", additional_headers={"Authorization": f"Bearer {token}"}
            ) as ws:
                await ws.send(json.dumps({"type": "hello"}))
                assert json.loads(await ws.recv())["type"] == "welcome"
        await sends
    finally:
        await _close_all(first, *visitors)
