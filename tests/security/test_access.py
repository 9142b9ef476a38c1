"""SECURITY.md 7, 9, 10, 11, 25, 26: who may see and touch which conversation."""

from __future__ import annotations

import asyncio
import json

import httpx

from chatsvc.client import VisitorClient
from tests.support.raw import next_of, visitor_socket


async def _get(server, token: str, path: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.get(path, headers={"Authorization": f"Bearer {token}"})


async def test_visitor_cannot_reach_another_visitors_conversation(server) -> None:  # type: ignore[no-untyped-def]
    alice = VisitorClient(server.url)
    mallory = VisitorClient(server.url)
    await alice.connect()
    await mallory.connect()
    try:
        ack = await alice.send("my private order details")
        own = await mallory.send("hi")
        async with visitor_socket(server.ws_url, mallory.token) as ws:
            answers = []
            for conversation in (ack.conversation, "GENERAL", "does-not-exist-123"):
                await ws.send(json.dumps({"type": "sync", "conversation": conversation, "after_seq": 0}))
                answers.append(await next_of(ws, "error"))
            # Same answer for someone else's conversation as for one that does not exist.
            assert {(a["code"], a["message"]) for a in answers} == {(answers[0]["code"], answers[0]["message"])}
            assert answers[0]["code"] == "not_found"
            # Closing only ever closes one's own conversation.
            await ws.send(json.dumps({"type": "close"}))
            await asyncio.sleep(0.3)
        store = server.services.conversation_store
        assert (await store.get(ack.conversation)).status != "closed"
        assert (await store.get(own.conversation)).status == "closed"
        assert all(e.text != "my private order details" for e in mallory.transcripts.get(own.conversation, []))
    finally:
        await alice.close()
        await mallory.close()


async def test_transcript_access_rules_for_staff(server) -> None:  # type: ignore[no-untyped-def]
    holder_user = await server.add_staff("Sam")
    other_user = await server.add_staff("Tess")
    manager_user = await server.add_staff("Uma", role="manager")
    holder = await server.agent(holder_user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        ack = await visitor.send("secret question")
        conversation = ack.conversation
        await holder.wait_chat()
        tess = await server.staff_token(other_user)
        sam = await server.staff_token(holder_user)
        uma = await server.staff_token(manager_user)
        # The holder and managers read it; another agent does not (never held, not waiting, not serving).
        assert (await _get(server, sam, f"/api/conversations/{conversation}")).status_code == 200
        assert (await _get(server, uma, f"/api/conversations/{conversation}")).status_code == 200
        refused = await _get(server, tess, f"/api/conversations/{conversation}")
        missing = await _get(server, tess, "/api/conversations/AAAAAAAAAAAAAAAAAAAAAA")
        assert refused.status_code == missing.status_code == 404
        assert refused.json() == missing.json()
        # Anonymous and forged sessions are refused.
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get(f"/api/conversations/{conversation}")).status_code == 401
        assert (await _get(server, "forged-session-token", f"/api/conversations/{conversation}")).status_code == 401
        # Another agent may not sync, write to or close it over the socket either.
        tess_agent = await server.agent(other_user, status="away")
        await tess_agent.sync(conversation)
        assert (await tess_agent.wait_error()).code == "not_found"
        await tess_agent.send_frame(
            {"type": "message", "conversation": conversation, "client_id": "intruder", "text": "hi"}
        )
        assert (await tess_agent.wait_error()).code == "not_found"
        await tess_agent.end(conversation)
        assert (await tess_agent.wait_error()).code == "not_found"
        await asyncio.sleep(0.2)
        events = await server.services.conversation_store.events_after(conversation, 0, 100)
        assert all(e.author_id != other_user.id for e in events)
        await tess_agent.close()

        # After Sam closes, he can still read it (he held it); a waiting conversation is readable by any agent.
        await holder.end(conversation)
        await visitor.wait_event(kind="closed")
        assert (await _get(server, sam, f"/api/conversations/{conversation}")).status_code == 200
        holder.reconnect = False
        await holder.close()
        queued = VisitorClient(server.url)
        await queued.connect()
        waiting = await queued.send("waiting in the queue")
        assert (await _get(server, tess, f"/api/conversations/{waiting.conversation}")).status_code == 200
        await queued.close()
    finally:
        await visitor.close()
        await holder.close()


async def test_sequential_or_guessed_ids_find_nothing(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Vic", role="manager")
    token = await server.staff_token(manager)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    ack = await visitor.send("hello")
    await visitor.close()
    assert len(ack.conversation) >= 22  # 128 random bits, URL-safe
    for guess in ("1", "2", "3", "0", "GENERAL", "admin", "' OR 1=1--", "../etc/passwd"):
        response = await _get(server, token, f"/api/conversations/{guess}")
        assert response.status_code == 404, guess


async def test_no_response_carries_a_token_or_hash(server) -> None:  # type: ignore[no-untyped-def]
    user = await server.add_staff("Wes")
    agent = await server.agent(user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    raw_frames: list[str] = []
    try:
        await visitor.send("hello")
        chat = await agent.wait_chat()
        await agent.wait_event(kind="message", conversation=chat.id)
        token = await server.staff_token(user)
        transcript = (await _get(server, token, f"/api/conversations/{chat.id}")).text
        raw_frames.append(transcript)
        raw_frames.extend(json.dumps(f, default=str) for f in [agent.welcome, *agent.transcripts[chat.id], chat])
        everything = "\n".join(raw_frames)
        assert visitor.token is not None and visitor.token not in everything
        assert "$argon2" not in everything
        assert token not in everything
        # The visitor's own id is not handed out in events either.
        visitor_id = (await server.services.conversation_store.get(chat.id)).visitor_id
        assert visitor_id not in everything
    finally:
        await visitor.close()
        await agent.close()


async def test_two_tabs_starting_at_once_get_one_conversation(server) -> None:  # type: ignore[no-untyped-def]
    first = VisitorClient(server.url)
    await first.connect()
    tabs = [first] + [VisitorClient(server.url, token=first.token) for _ in range(3)]
    try:
        for tab in tabs[1:]:
            await tab.connect()
        acks = await asyncio.gather(*(tab.send(f"tab {i}") for i, tab in enumerate(tabs)))
        assert len({ack.conversation for ack in acks}) == 1
        assert sorted(ack.seq for ack in acks) == sorted(set(ack.seq for ack in acks))
        # Every tab shows every message.
        for tab in tabs:
            for i in range(len(tabs)):
                await tab.wait_event(text=f"tab {i}")
    finally:
        for tab in tabs:
            await tab.close()


async def test_simultaneous_arrivals_respect_every_capacity(server) -> None:  # type: ignore[no-untyped-def]
    users = [await server.add_staff(f"Agent {i}", max_chats=2) for i in range(3)]
    agents = [await server.agent(user) for user in users]
    visitors = [VisitorClient(server.url) for _ in range(15)]
    try:
        await asyncio.gather(*(v.connect() for v in visitors))
        acks = await asyncio.gather(*(v.send(f"arriving {i}") for i, v in enumerate(visitors)))
        await asyncio.sleep(1.0)
        held = [set(agent.chats) for agent in agents]
        assert [len(h) for h in held] == [2, 2, 2]
        all_held = set().union(*held)
        assert len(all_held) == 6  # nobody twice
        loads = await server.services.conversation_store.loads()
        assert sorted(loads.values()) == [2, 2, 2]
        waiting = [a.conversation for a in acks if a.conversation not in all_held]
        assert len(waiting) == 9
        queued = await server.services.conversation_store.queued()
        assert {c.id for c in queued} == set(waiting)
    finally:
        for client in [*visitors, *agents]:
            await client.close()
