"""/ws/agent for the console: who may open it, and what an agent may do to a chat that is not theirs
(SECURITY 8, 9, 20)."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from chatsvc.client import VisitorClient
from chatsvc.domain import protocol
from chatsvc.web.edge import SESSION_COOKIE
from tests.console_server import ORIGIN, chat_with_agent
from tests.support.raw import close_code


async def _agent_socket_verdict(server, headers: dict[str, str], hello: dict) -> tuple[int | None, str]:  # type: ignore[no-untyped-def, type-arg]
    async with websockets.connect(f"{server.ws_url}/ws/agent", additional_headers=headers) as ws:
        await ws.send(json.dumps(hello))
        return await close_code(ws)


async def test_a_visitor_token_cannot_open_the_agent_socket(server) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        token = visitor.token
        assert token
        attempts = [
            ({"Authorization": f"Bearer {token}"}, {"type": "hello"}),
            ({"Cookie": f"{SESSION_COOKIE}={token}"}, {"type": "hello"}),
            ({}, {"type": "hello"}),
            ({}, {"type": "hello", "token": token}),  # a visitor's hello on the agent socket
            ({"Authorization": f"Bearer {token}"}, {"type": "hello", "status": "online", "role": "admin"}),
        ]
        for headers, hello in attempts:
            assert await _agent_socket_verdict(server, headers, hello) == (1008, "unauthorized"), headers
        assert server.services.routing.presence == {}  # nobody became an agent
    finally:
        await visitor.close()


async def test_an_agent_cannot_touch_a_chat_neither_theirs_nor_queued(server) -> None:  # type: ignore[no-untyped-def]
    _holder, sam, visitor, chat = await chat_with_agent(server)
    other = await server.add_staff("Tess")
    tess = await server.agent(other, status="away")
    try:
        before = await server.services.conversation_store.get(chat)
        tries: list[dict] = [  # type: ignore[type-arg]
            {"type": "sync", "conversation": chat, "after_seq": 0},
            {"type": "message", "conversation": chat, "client_id": "m1", "text": "hi, I took over"},
            {"type": "note", "conversation": chat, "client_id": "n1", "text": "internal"},
            {"type": "typing", "conversation": chat, "active": True},
            {"type": "close", "conversation": chat},
            {"type": "transfer", "conversation": chat, "to_agent": other.id},
            {"type": "transfer", "conversation": chat},
        ]
        for frame in tries:
            await tess.send_frame(frame)
            error = await tess.wait_error()
            assert error.code == "not_found", (frame, error)
            # The same answer as for a chat that does not exist.
            await tess.send_frame(frame | {"conversation": "AAAAAAAAAAAAAAAAAAAAAA"})
            missing = await tess.wait_error()
            assert (missing.code, missing.message) == (error.code, error.message), frame
        await asyncio.sleep(0.3)
        after = await server.services.conversation_store.get(chat)
        assert (after.status, after.agent_id, after.last_seq) == (before.status, before.agent_id, before.last_seq)
        assert chat not in tess.transcripts
        # The holder and the visitor saw nothing of it (no typing notice, no event).
        assert not [f for f in list(visitor.frames._queue) if isinstance(f, protocol.TypingNotice)]  # type: ignore[attr-defined]
        assert not [f for f in list(sam.frames._queue) if isinstance(f, protocol.TypingNotice)]  # type: ignore[attr-defined]
        # Visitor-only frames are not agent frames at all.
        for frame in ({"type": "read", "conversation": chat, "seq": 1}, {"type": "page", "url": "https://x.example/"}):
            await tess.send_frame(frame)
            assert (await tess.wait_error()).code == "bad_frame"
    finally:
        await tess.close()
        await visitor.close()
        await sam.close()


async def test_a_flood_on_the_agent_socket_is_rate_limited_others_keep_working(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    """SECURITY 20: typing and note floods from one console get rate_limited; another socket is served."""
    async with start_server(backend, rate_per_second=20.0, rate_burst=20) as server:
        holder, sam, visitor, chat = await chat_with_agent(server)
        calm = await server.agent(holder)  # the same agent's second console tab
        try:
            async with websockets.connect(
                f"{server.ws_url}/ws/agent",
                additional_headers={"Authorization": f"Bearer {await server.staff_token(holder)}"},
            ) as ws:
                await ws.send(json.dumps({"type": "hello"}))
                started = time.monotonic()
                for i in range(500):
                    await ws.send(json.dumps({"type": "typing", "conversation": chat, "active": i % 2 == 0}))
                    await ws.send(json.dumps(
                        {"type": "note", "conversation": chat, "client_id": f"flood-{i}", "text": "spam"}
                    ))
                limited = None
                async with asyncio.timeout(10):
                    while limited is None:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "error" and frame["code"] == "rate_limited":
                            limited = frame
                # The other socket's message is stored and acknowledged promptly.
                sent_at = time.monotonic()
                ack = await calm.send(chat, "still here")
                assert ack.conversation == chat and time.monotonic() - sent_at < 2.0
                await visitor.wait_event(text="still here")
                assert time.monotonic() - started < 30
            notes = [e for e in await server.services.conversation_store.events_after(chat, 0, 2000)
                     if e.kind == "note"]
            assert len(notes) < 100  # most of the 500 were dropped, not stored
        finally:
            for client in (calm, sam, visitor):
                await client.close()
