"""SECURITY.md 8, 12, 18-23 and out-of-order frames: a stable error to that client, nothing stored changes,
everyone else keeps being served."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
import websockets
from websockets.frames import Frame, Opcode

from chatsvc.client import VisitorClient
from tests.support.raw import close_code, next_of, silent_handshake, visitor_socket


async def _chatting(server):  # type: ignore[no-untyped-def]
    user = await server.add_staff("Rita")
    agent = await server.agent(user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    ack = await visitor.send("hello")
    await agent.wait_chat()
    return agent, visitor, ack.conversation


BAD_FRAMES = [
    ("not json", "this is not json", "bad_frame"),
    ("unknown type", json.dumps({"type": "explode"}), "bad_frame"),
    ("no type", json.dumps({"text": "hi"}), "bad_frame"),
    ("array", json.dumps([1, 2, 3]), "bad_frame"),
    ("regex object as text", json.dumps({"type": "message", "client_id": "c1", "text": {"$regex": "^a"}}), "bad_frame"),
    ("ne object as text", json.dumps({"type": "message", "client_id": "c1", "text": {"$ne": None}}), "bad_frame"),
    ("list as text", json.dumps({"type": "message", "client_id": "c1", "text": [1]}), "bad_frame"),
    ("bool as text", json.dumps({"type": "message", "client_id": "c1", "text": True}), "bad_frame"),
    ("number as text", json.dumps({"type": "message", "client_id": "c1", "text": 0}), "bad_frame"),
    ("empty text", json.dumps({"type": "message", "client_id": "c1", "text": ""}), "bad_frame"),
    ("text too long", json.dumps({"type": "message", "client_id": "c1", "text": "x" * 4001}), "bad_frame"),
    ("bad client id", json.dumps({"type": "message", "client_id": "a b/../", "text": "hi"}), "bad_frame"),
    ("author in payload", json.dumps({"type": "message", "client_id": "c1", "text": "hi", "sender": "agent"}),
     "bad_frame"),
    ("role in payload", json.dumps({"type": "message", "client_id": "c1", "text": "hi", "role": "admin"}),
     "bad_frame"),
    ("huge number", '{"type": "sync", "conversation": "abc", "after_seq": 1e400}', "bad_frame"),
    ("huge int", '{"type": "sync", "conversation": "abc", "after_seq": 184467440737095516160}', "bad_frame"),
    ("negative seq", json.dumps({"type": "sync", "conversation": "abc", "after_seq": -1}), "bad_frame"),
    ("deep nesting (8,000 levels: deeper does not fit in a frame)", '{"type": "message", "client_id": "c1", "text": ' + "[" * 8_000 + "]" * 8_000 + "}",
     "bad_frame"),
    ("deep nesting alone", "[" * 8_000 + "]" * 8_000, "bad_frame"),
    ("agent frame: pick", json.dumps({"type": "pick", "conversation": "abc"}), "forbidden"),
    ("agent frame: status", json.dumps({"type": "status", "status": "online"}), "forbidden"),
    ("agent frame: transfer", json.dumps({"type": "transfer", "conversation": "abc"}), "forbidden"),
    ("hello again", json.dumps({"type": "hello", "token": "x"}), "invalid_state"),
]


async def test_bad_visitor_frames_get_stable_errors_and_change_nothing(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _chatting(sqlite_server)
    store = sqlite_server.services.conversation_store
    before = await store.get(conversation)
    try:
        async with visitor_socket(sqlite_server.ws_url, visitor.token) as ws:
            for name, data, code in BAD_FRAMES:
                await ws.send(data)
                error = await next_of(ws, "error")
                assert error["code"] == code, (name, error)
                assert error["message"] and "Traceback" not in error["message"]
            # Binary frames are refused too.
            await ws.send(b"\x00\x01binary")
            assert (await next_of(ws, "error"))["code"] == "bad_frame"
            # The same socket still works after all that.
            await ws.send(json.dumps({"type": "message", "client_id": "good-1", "text": "still here"}))
            ack = await next_of(ws, "ack")
            assert ack["seq"] == before.last_seq + 1
        # Nothing but the one good message was stored; the agent saw it.
        after = await store.get(conversation)
        assert after.last_seq == before.last_seq + 1 and after.status == before.status
        await agent.wait_event(text="still here")
        assert all(e.author.role == "visitor" for e in agent.transcripts[conversation] if e.kind == "message")
    finally:
        await visitor.close()
        await agent.close()


async def test_bad_agent_frames_get_stable_errors(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _chatting(sqlite_server)
    try:
        for frame, code in [
            ({"type": "message", "conversation": conversation, "client_id": "x", "text": {"$ne": None}}, "bad_frame"),
            ({"type": "message", "conversation": conversation, "client_id": "x", "text": "hi", "author": "visitor"},
             "bad_frame"),
            ({"type": "handoff"}, "bad_frame"),  # a visitor's frame on the agent socket
            ({"type": "status", "status": "sleeping"}, "bad_frame"),
            ({"type": "close", "conversation": "does-not-exist"}, "not_found"),
            ({"type": "pick", "conversation": conversation}, "invalid_state"),  # not waiting: already assigned
        ]:
            await agent.send_frame(frame)
            error = await agent.wait_error()
            assert error.code == code, frame
        await agent.end(conversation)
        await visitor.wait_event(kind="closed")
        await agent.send_frame({"type": "close", "conversation": conversation})  # out of order: already closed
        assert (await agent.wait_error()).code == "not_found"
        await visitor.send_frame({"type": "close"})
        assert (await visitor.wait_error()).code == "invalid_state"
    finally:
        await visitor.close()
        await agent.close()


async def test_oversized_frame_closes_with_1009(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(sqlite_server.url)
    await visitor.connect()
    limit = sqlite_server.settings.max_frame_bytes
    async with visitor_socket(sqlite_server.ws_url, visitor.token) as ws:
        await ws.send(json.dumps({"type": "message", "client_id": "big", "text": "x" * (limit + 1)}))
        code, _ = await close_code(ws)
        assert code == 1009
    # Another visitor was never disturbed.
    assert (await visitor.send("unaffected")).seq >= 1
    await visitor.close()


async def test_compression_is_not_negotiated(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    async with websockets.connect(f"{sqlite_server.ws_url}/ws/visitor?site=default", compression="deflate") as ws:
        assert ws.response is not None
        assert "sec-websocket-extensions" not in {k.lower() for k in ws.response.headers.keys()}


async def test_invalid_utf8_ends_only_that_socket(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(sqlite_server.url)
    await visitor.connect()
    async with visitor_socket(sqlite_server.ws_url, visitor.token) as ws:
        # A text frame whose payload is not UTF-8: the WebSocket layer closes it (1007).
        ws.protocol.send_frame(Frame(Opcode.TEXT, b'{"type":"typing","active":\xff}'))
        ws.send_data()
        code, _ = await close_code(ws)
        assert code == 1007
    assert (await visitor.send("fine")).seq >= 1
    await visitor.close()


async def test_flood_is_rate_limited_and_others_keep_their_latency(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, rate_per_second=20.0, rate_burst=20) as server:
        agent, calm, conversation = await _chatting(server)
        flooder = VisitorClient(server.url)
        await flooder.connect()
        try:
            async with visitor_socket(server.ws_url, flooder.token) as ws:
                started = time.monotonic()
                for i in range(1000):
                    await ws.send(json.dumps({"type": "typing", "active": i % 2 == 0}))
                error = await next_of(ws, "error")
                assert error["code"] == "rate_limited"
                # Meanwhile the calm visitor's messages still reach the agent promptly.
                sent_at = time.monotonic()
                await calm.send("am I still heard?")
                await agent.wait_event(text="am I still heard?")
                assert time.monotonic() - sent_at < 2.0
                assert time.monotonic() - started < 30
                # And the flooder's socket survives: after a pause it is served again.
                await asyncio.sleep(1.1)
                await ws.send(json.dumps({"type": "message", "client_id": "after-flood", "text": "sorry"}))
                assert (await next_of(ws, "ack"))["client_id"] == "after-flood"
        finally:
            for client in (flooder, calm, agent):
                await client.close()


async def test_client_that_never_reads_is_cut_off(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, send_queue_frames=16) as server:
        agent, visitor, conversation = await _chatting(server)
        try:
            # A second tab of the visitor that stops reading: the client library buffers one frame and the
            # kernel a few KiB (a small receive buffer), so the server's writes back up.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            async with visitor_socket(server.ws_url, visitor.token, max_queue=1, sock=sock) as stuck:
                before = server.services.hub.local_count()
                big = "y" * 3900
                i = 0
                for batch in range(100):
                    await asyncio.gather(
                        *(agent.send(conversation, f"{batch * 10 + k} {big}") for k in range(10))
                    )
                    i = batch * 10 + 9
                    if server.services.hub.local_count() < before:
                        break
                assert server.services.hub.local_count() < before  # the stuck socket was dropped
                code, reason = await close_code(stuck, timeout=15)
                assert code in (1013, None) or reason == "slow_consumer"
            # The reading tab got everything, in order.
            await visitor.wait_event(text=f"{i} {big}", timeout=20)
            assert visitor.gaps == 0 and visitor.last_seq[conversation] >= i
        finally:
            await visitor.close()
            await agent.close()


async def test_connections_per_address_are_capped(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, max_connections_per_address=3) as server:
        sockets = [await websockets.connect(f"{server.ws_url}/ws/visitor?site=default") for _ in range(3)]
        try:
            async with visitor_socket(server.ws_url) as fourth:
                assert await close_code(fourth) == (1013, "too_many_connections")
        finally:
            for ws in sockets:
                await ws.close()
        # Once they left, the address may connect again.
        await asyncio.sleep(0.2)
        visitor = VisitorClient(server.url)
        await visitor.connect()
        await visitor.close()


async def test_half_open_socket_is_closed_by_the_ping_timeout(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, ping_interval=0.3, ping_timeout=0.3, hello_timeout=30.0) as server:
        reader, writer = await silent_handshake("127.0.0.1", server.port, "/ws/visitor?site=default")
        try:
            # The server pings, gets no pong, and hangs up: the stream ends.
            async with asyncio.timeout(5):
                while await reader.read(1024):
                    pass
        finally:
            writer.close()


@pytest.mark.parametrize("path", ["/ws/visitor?site=default", "/ws/agent"])
async def test_garbage_before_hello_is_unauthorized(sqlite_server, path: str) -> None:  # type: ignore[no-untyped-def]
    async with websockets.connect(f"{sqlite_server.ws_url}{path}") as ws:
        await ws.send("[" * 8_000 + "]" * 8_000)
        assert await close_code(ws) == (1008, "unauthorized")
