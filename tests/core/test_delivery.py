"""The delivery promise: acknowledged means committed; a reconnecting client gets what it missed, once, in order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import websockets

from chatsvc.client import AgentClient, VisitorClient
from tests.support.servers import STAFF_PASSWORD, ServerProcess


async def _pair(server):  # type: ignore[no-untyped-def]
    user = await server.add_staff("Olga")
    agent = await server.agent(user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    ack = await visitor.send("first")
    await agent.wait_chat()
    await agent.wait_event(kind="message", conversation=ack.conversation)
    return agent, visitor, ack.conversation


def _assert_same_history(a, b, conversation: str) -> None:  # type: ignore[no-untyped-def]
    left = [(e.seq, e.kind, e.text) for e in a.transcripts[conversation]]
    right = [(e.seq, e.kind, e.text) for e in b.transcripts[conversation]]
    assert left == right
    assert [seq for seq, _, _ in left] == list(range(1, len(left) + 1))


async def test_dropped_socket_resumes_without_loss_or_duplicate(server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _pair(server)
    try:
        # The visitor's network drops; the agent keeps writing meanwhile.
        await visitor.drop()
        sent = [await agent.send(conversation, f"while you were away {i}") for i in range(5)]
        await visitor.wait_connected()
        for ack in sent:
            assert (await visitor.wait_event(text=f"while you were away {sent.index(ack)}")).seq == ack.seq
        # Now the agent drops while the visitor writes, then both carry on.
        await agent.drop()
        for i in range(5):
            await visitor.send(f"are you there {i}")
        await agent.wait_connected()
        await agent.wait_event(text="are you there 4")
        await agent.send(conversation, "back")
        await visitor.wait_event(text="back")
        await asyncio.sleep(0.2)
        _assert_same_history(agent, visitor, conversation)
        assert visitor.gaps == 0 and agent.gaps == 0
        assert visitor.connections == 2 and agent.connections == 2
    finally:
        await visitor.close()
        await agent.close()


async def test_ack_lost_after_commit_then_resend_is_stored_once(server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _pair(server)
    try:
        token = visitor.token
        url = f"{server.ws_url}/ws/visitor?site=default"
        frame = {"type": "message", "client_id": "resend-me-1", "text": "did this arrive?"}
        async with websockets.connect(url) as raw:
            await raw.send(json.dumps({"type": "hello", "token": token}))
            json.loads(await raw.recv())  # welcome
            await raw.send(json.dumps(frame))
            # Wait until the server has committed it, then vanish without reading the ack.
            store = server.services.conversation_store
            for _ in range(200):
                if (await store.get(conversation)).last_seq >= 4:
                    break
                await asyncio.sleep(0.01)
            raw.transport.abort()
        async with websockets.connect(url) as again:
            await again.send(json.dumps({"type": "hello", "token": token}))
            await again.send(json.dumps(frame))  # the client did not see an ack: it resends
            ack = None
            while ack is None:
                message = json.loads(await again.recv())
                if message["type"] == "ack":
                    ack = message
        assert ack["duplicate"] is True
        first = await agent.wait_event(text="did this arrive?")
        assert ack["seq"] == first.seq
        events = await store.events_after(conversation, 0, 100)
        assert [e.body for e in events].count("did this arrive?") == 1
    finally:
        await visitor.close()
        await agent.close()


async def test_same_client_id_at_once_on_two_sockets_is_stored_once(server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _pair(server)
    try:
        tab = VisitorClient(server.url, token=visitor.token)  # the same visitor in a second tab
        await tab.connect()
        acks = await asyncio.gather(
            visitor.send("double", client_id="same-id-42"), tab.send("double", client_id="same-id-42")
        )
        assert acks[0].seq == acks[1].seq
        assert sorted(a.duplicate for a in acks) == [False, True]
        await agent.wait_event(text="double")
        await asyncio.sleep(0.2)
        assert [e.text for e in agent.transcripts[conversation]].count("double") == 1
        # Both tabs show the same conversation.
        await tab.wait_event(text="double")
        _assert_same_history(visitor, tab, conversation)
        await tab.close()
    finally:
        await visitor.close()
        await agent.close()


async def test_many_messages_in_both_directions_arrive_in_order(server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _pair(server)
    try:
        await asyncio.gather(
            *(visitor.send(f"v{i}") for i in range(40)), *(agent.send(conversation, f"a{i}") for i in range(40))
        )
        await visitor.wait_event(text="a39")
        await agent.wait_event(text="v39")
        await asyncio.sleep(0.3)
        _assert_same_history(agent, visitor, conversation)
        assert visitor.gaps == 0 and agent.gaps == 0
    finally:
        await visitor.close()
        await agent.close()


async def test_server_restart_between_messages_loses_nothing(backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "CHATSVC_DATABASE_URL": backend.database_url,
        "CHATSVC_REDIS_URL": backend.redis_url,
        "CHATSVC_REDIS_PREFIX": backend.redis_prefix,
        "CHATSVC_DATA_DIR": str(tmp_path),
        "CHATSVC_AGENT_GRACE_SECONDS": "20",
        "CHATSVC_LOG_LEVEL": "warning",
    }
    process = ServerProcess(env, cwd=tmp_path)
    await process.start()
    add = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatsvc", "user", "add", "--role", "agent", "--email", "pat@support.example",
        "--name", "Pat", "--password-stdin", env={**os.environ, **env}, cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )
    await add.communicate((STAFF_PASSWORD + "\n").encode())
    assert add.returncode == 0
    agent = AgentClient(process.url, "pat@support.example", STAFF_PASSWORD, backoff=(0.05, 0.5))
    visitor = VisitorClient(process.url, backoff=(0.05, 0.5))
    await agent.connect()
    await visitor.connect()
    try:
        ack = await visitor.send("before the restart")
        conversation = ack.conversation
        await agent.wait_chat()
        await agent.wait_event(text="before the restart")

        await process.stop(signal.SIGTERM)
        assert "Traceback" not in process.log()
        # Sent while the server is down: pending until it is back, then resent with the same client id.
        pending = asyncio.ensure_future(visitor.send("during the restart", timeout=30))
        await asyncio.sleep(0.3)
        await process.start()
        during = await pending
        assert during.conversation == conversation
        await agent.wait_event(text="during the restart", timeout=20)
        reply = await agent.send(conversation, "after the restart")
        got = await visitor.wait_event(text="after the restart", timeout=20)
        assert got.seq == reply.seq
        assert conversation in agent.chats  # came back within the grace period: still hers
        await asyncio.sleep(0.2)
        _assert_same_history(agent, visitor, conversation)
        assert visitor.connections >= 2 and agent.connections >= 2
    finally:
        await visitor.close()
        await agent.close()
        await process.stop(signal.SIGTERM)


async def test_resend_after_the_conversation_closed_is_not_stored_again(server) -> None:  # type: ignore[no-untyped-def]
    agent, visitor, conversation = await _pair(server)
    try:
        first = await visitor.send("last words", client_id="late-resend-1")
        await agent.end(conversation)
        await visitor.wait_event(kind="closed")
        # The ack was lost; the client resends after the chat was closed.
        again = await visitor.send("last words", client_id="late-resend-1")
        assert again.duplicate and again.seq == first.seq and again.conversation == conversation
        store = server.services.conversation_store
        assert await store.open_of_visitor((await store.get(conversation)).visitor_id) is None
    finally:
        await visitor.close()
        await agent.close()
