"""Visitors who leave: a chat with the bot or in the queue is closed once its visitor has held no socket (in any
process) for CHATSVC_VISITOR_GRACE_SECONDS; the queue moves on; a chat an agent holds stays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from chatsvc.client import VisitorClient
from chatsvc.store import records
from chatsvc.store.schema import tickets, visitors
from tests.support.servers import InProcessServer

GRACE = 1.0


async def _visitor(server: InProcessServer, **kwargs: Any) -> VisitorClient:
    visitor = VisitorClient(server.url, origin="https://shop.example", **kwargs)
    await visitor.connect()
    return visitor


async def _leave(visitor: VisitorClient) -> None:
    """The tab is closed: no reconnection."""
    visitor.reconnect = False
    await visitor.close()


async def _position(visitor: VisitorClient, place: int) -> None:
    update = visitor.queue or await visitor.wait_queue()
    while update.position != place:
        update = await visitor.wait_queue()


async def _closed(server: InProcessServer, conversation_id: str, timeout: float = 10.0) -> records.Conversation:
    async with asyncio.timeout(timeout):
        while True:
            conversation = await server.services.conversation_store.get(conversation_id)
            if conversation.status == "closed":
                return conversation
            await asyncio.sleep(0.05)


async def _closed_events(server: InProcessServer, conversation_id: str) -> list[records.StoredEvent]:
    stored = await server.services.conversation_store.events_after(conversation_id, 0, 1000)
    return [e for e in stored if e.kind == "closed"]


async def _tickets_of(server: InProcessServer, conversation_id: str) -> int:
    async with server.services.db.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).select_from(tickets).where(tickets.c.conversation_id == conversation_id)
        )
    return int(count or 0)


async def _status_after(server: InProcessServer, conversation_id: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return (await server.services.conversation_store.get(conversation_id)).status


async def test_a_queued_visitor_who_leaves_is_closed_and_the_one_behind_moves_up(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, visitor_grace_seconds=GRACE) as server:
        gone, behind = await _visitor(server), await _visitor(server)
        try:
            first = await gone.send("anyone there?")
            await _position(gone, 1)
            await behind.send("me too")
            await _position(behind, 2)
            left_at = server.services.clock()
            await _leave(gone)
            await _position(behind, 1)  # the ghost no longer holds the first place
            conversation = await _closed(server, first.conversation)
            assert conversation.closed_by_role == "system" and conversation.agent_id is None
            assert conversation.closed_at is not None
            assert (conversation.closed_at - left_at).total_seconds() >= GRACE * 0.9
            [closed] = await _closed_events(server, first.conversation)
            assert closed.data == {"reason": "left"} and closed.author_role == "system"
            assert (await server.services.conversation_store.get(
                behind.conversation or "")).status == "queued"  # only the one who left
        finally:
            await behind.close()


async def test_a_visitor_who_comes_back_within_the_grace_keeps_the_chat_and_place(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    grace = 1.5
    async with start_server(backend, visitor_grace_seconds=grace) as server:
        first, behind = await _visitor(server), await _visitor(server)
        back = None
        try:
            ack = await first.send("first in line")
            await behind.send("second")
            await _position(behind, 2)
            await _leave(first)
            await asyncio.sleep(grace * 0.6)  # a reload, a tunnel
            back = await _visitor(server, token=first.token)
            assert [c.id for c in back.welcome.conversations] == [ack.conversation]  # type: ignore[union-attr]
            assert (await back.wait_queue()).position == 1
            assert await _status_after(server, ack.conversation, grace * 2) == "queued"
            assert (await server.services.routing.queue_update_for(ack.conversation)).position == 1  # type: ignore[union-attr]
            assert await _closed_events(server, ack.conversation) == []
        finally:
            await behind.close()
            if back is not None:
                await back.close()


async def test_a_chat_with_the_bot_is_closed_when_its_visitor_leaves(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, visitor_grace_seconds=GRACE) as server:
        await server.services.kb.create(article_id="refund", title="Ask for a refund",
                                        body="Refunds are paid within 5 days.", alt=["get my money back"], lang="en")
        visitor = await _visitor(server)
        ack = await visitor.send("how do I get my money back?")
        await visitor.wait_event(kind="bot")
        assert (await server.services.conversation_store.get(ack.conversation)).status == "bot"
        await _leave(visitor)
        conversation = await _closed(server, ack.conversation)
        assert conversation.closed_by_role == "system"
        [closed] = await _closed_events(server, ack.conversation)
        assert closed.data == {"reason": "left"}


async def test_an_assigned_chat_is_left_to_the_agent(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, visitor_grace_seconds=GRACE) as server:
        agent = await server.agent(await server.add_staff("Ada"))
        visitor = await _visitor(server)
        try:
            ack = await visitor.send("hello")
            assert (await agent.wait_chat()).id == ack.conversation
            await _leave(visitor)
            assert await _status_after(server, ack.conversation, GRACE * 3) == "assigned"
        finally:
            await agent.close()


async def test_a_queued_visitor_with_an_email_who_leaves_leaves_one_ticket(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, visitor_grace_seconds=GRACE) as server:
        visitor = await _visitor(server)
        await visitor.identify(email="quiet@example.com")
        ack = await visitor.send("Can I change my delivery address?")
        await visitor.wait_queue()
        await _leave(visitor)
        await _closed(server, ack.conversation)
        async with asyncio.timeout(10):
            while not await _tickets_of(server, ack.conversation):
                await asyncio.sleep(0.05)
        await asyncio.sleep(GRACE)  # later sweeps add nothing
        assert await _tickets_of(server, ack.conversation) == 1
        ticket = await server.services.ticket_store.of_conversation(ack.conversation)
        assert ticket is not None and ticket.source == "abandoned"


async def test_closing_one_of_two_tabs_keeps_the_chat(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, visitor_grace_seconds=GRACE) as server:
        tab = await _visitor(server)
        ack = await tab.send("two tabs open")
        other = await _visitor(server, token=tab.token)
        try:
            await _leave(tab)
            assert await _status_after(server, ack.conversation, GRACE * 3) == "queued"
        finally:
            await other.close()


async def test_a_restarted_server_gives_visitors_the_grace_to_reconnect(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    grace = 1.5
    async with start_server(sqlite_backend, visitor_grace_seconds=grace) as server:
        visitor = await _visitor(server)
        ack = await visitor.send("still here")
        await _leave(visitor)
    await asyncio.sleep(grace * 1.5)  # the server was down longer than the grace
    async with start_server(sqlite_backend, visitor_grace_seconds=grace) as again:
        await asyncio.sleep(grace * 0.5)
        back = await _visitor(again, token=visitor.token)  # reconnects within the grace of the restart
        try:
            assert await _status_after(again, ack.conversation, grace * 1.5) == "queued"
        finally:
            await back.close()


async def test_a_visitor_on_another_process_is_not_closed_and_a_leaver_is_closed_once(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    """Two servers on one PostgreSQL + Redis: A's sweep leaves B's visitor alone; when that visitor leaves, both
    sweep and the chat is closed once, with one ticket; the visitor on A moves up."""
    if backend.name != "postgres+redis":
        pytest.skip("one process only on the embedded backend")
    async with start_server(backend, visitor_grace_seconds=GRACE) as a, \
            start_server(backend, visitor_grace_seconds=GRACE) as b:
        on_b, on_a = await _visitor(b), await _visitor(a)
        try:
            await on_b.identify(email="quiet@example.com")
            first = await on_b.send("I am connected to B")
            await on_a.send("and I to A")
            await _position(on_a, 2)
            assert await _status_after(a, first.conversation, GRACE * 3) == "queued"  # A's sweeps ran meanwhile
            await _leave(on_b)
            await _position(on_a, 1)
            await _closed(a, first.conversation)
            await asyncio.sleep(GRACE)  # both processes sweep again
            assert len(await _closed_events(a, first.conversation)) == 1
            assert await _tickets_of(a, first.conversation) == 1
            assert (await a.services.conversation_store.get(on_a.conversation or "")).status == "queued"
        finally:
            await on_a.close()


async def test_visitors_holding_sockets_are_marked_seen_while_connected(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, visitor_grace_seconds=GRACE) as server:
        connected = [await _visitor(server) for _ in range(3)]
        try:
            ids = list(server.services.visitor_presence.sockets)
            assert len(ids) == 3
            later = server.services.clock()
            await asyncio.sleep(GRACE / 2)  # at least one sweep
            async with server.services.db.connect() as conn:
                seen = list(
                    (await conn.execute(sa.select(visitors.c.last_seen_at).where(visitors.c.id.in_(ids)))).scalars()
                )
            assert len(seen) == 3 and all(s >= later for s in seen)
        finally:
            for visitor in connected:
                await visitor.close()
