"""SIGTERM drains a real ``chatsvc serve``: /healthz says ``draining`` at once, every socket (visitor, agent,
manager) is closed with 1012 so that its client reconnects elsewhere, messages being sent finish, every
acknowledged message is in the database, and the process exits 0 within CHATSVC_DRAIN_SECONDS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import websockets
from sqlalchemy.ext.asyncio import create_async_engine

from chatsvc.client import AgentClient, VisitorClient
from chatsvc.client.base import ClientClosed
from chatsvc.domain import protocol
from chatsvc.store.database import async_url
from chatsvc.store.schema import events
from tests.deploy.support import add_user, login, server_env
from tests.support.servers import STAFF_PASSWORD, Backend, ServerProcess

DRAIN_SECONDS = 4.0


async def stream(client: Any, send: Any, acks: list[protocol.Ack], stop: asyncio.Event) -> None:
    """Messages one after the other (each waits for its ack) until the socket goes: an in-flight stream."""
    i = 0
    while not stop.is_set():
        try:
            acks.append(await send(i))
        except (ClientClosed, TimeoutError):
            return
        i += 1


async def watch_health(url: str, seen: list[tuple[float, int, str]]) -> None:
    """/healthz every 10 ms until the process stops listening."""
    async with httpx.AsyncClient(timeout=1) as http:
        while True:
            try:
                response = await http.get(url + "/healthz")
            except httpx.HTTPError:
                return
            seen.append((time.monotonic(), response.status_code, response.json().get("status", "")))
            await asyncio.sleep(0.01)


async def test_sigterm_drains_sockets_with_1012_and_loses_no_acknowledged_message(
    backend: Backend, tmp_path: Path
) -> None:
    env = server_env(backend, tmp_path, CHATSVC_DRAIN_SECONDS=str(DRAIN_SECONDS))
    process = ServerProcess(env, cwd=tmp_path)
    await process.start()
    await add_user(env, tmp_path, "pat@support.example", "agent")
    await add_user(env, tmp_path, "mo@support.example", "manager")
    # reconnect=False: the close code is what the client saw, and sends in flight fail instead of waiting
    agent = AgentClient(process.url, "pat@support.example", STAFF_PASSWORD, reconnect=False)
    visitor = VisitorClient(process.url, reconnect=False)
    manager_token = await login(process.url, "mo@support.example")
    manager = await websockets.connect(
        f"ws://127.0.0.1:{process.port}/ws/manager", additional_headers={"Authorization": f"Bearer {manager_token}"}
    )
    try:
        await manager.send(json.dumps({"type": "hello", "v": 1}))
        assert json.loads(await manager.recv())["type"] == "stats"
        await agent.connect()
        await visitor.connect()
        first = await visitor.send("hello, anyone?")
        conversation = first.conversation
        await agent.wait_chat()
        await agent.wait_event(text="hello, anyone?")

        visitor_acks: list[protocol.Ack] = [first]
        agent_acks: list[protocol.Ack] = []
        stop = asyncio.Event()
        streams = [
            asyncio.create_task(stream(visitor, lambda i: visitor.send(f"visitor {i}"), visitor_acks, stop)),
            asyncio.create_task(
                stream(agent, lambda i: agent.send(conversation, f"agent {i}"), agent_acks, stop)
            ),
        ]
        async with asyncio.timeout(10):  # both streams running
            while len(visitor_acks) <= 3 or len(agent_acks) <= 3:
                await asyncio.sleep(0.02)

        health: list[tuple[float, int, str]] = []
        watcher = asyncio.create_task(watch_health(process.url, health))
        await asyncio.sleep(0.05)
        assert process.process is not None
        signalled = time.monotonic()
        process.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(DRAIN_SECONDS + 5):
            await asyncio.gather(*streams)
            with contextlib.suppress(websockets.ConnectionClosed):
                while True:
                    await manager.recv()
            code = await asyncio.get_running_loop().run_in_executor(None, process.process.wait)
        exited = time.monotonic()
        await watcher
        log = process.log()

        # Every socket was told to reconnect elsewhere.
        assert visitor.closed_code == 1012, log
        assert agent.closed_code == 1012, log
        assert manager.close_code == 1012 and manager.close_reason == "server restarting"
        # Health said draining, at once and before the end; the process ended cleanly and in time.
        draining = [at for at, status, body in health if status == 503 and body == "draining"]
        assert draining, health[-5:]
        assert draining[0] - signalled < 0.5
        assert all(status == 503 for at, status, _ in health if at > draining[0])
        assert code == 0, log
        assert exited - signalled < DRAIN_SECONDS, log
        assert "Traceback" not in log
        assert "draining: 3 socket(s)" in log

        # Every acknowledged message is stored, once, with its client id.
        engine = create_async_engine(async_url(backend.database_url))
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(
                    sa.select(events.c.seq, events.c.client_id, events.c.body)
                    .where(events.c.conversation_id == conversation, events.c.kind == "message")
                )).all()
        finally:
            await engine.dispose()
        stored = {row.seq: row.client_id for row in rows}
        for ack in visitor_acks + agent_acks:
            assert stored.get(ack.seq) == ack.client_id
        assert len({row.client_id for row in rows}) == len(rows)
    finally:
        await visitor.close()
        await agent.close()
        await manager.close()
        await process.stop(signal.SIGKILL)


async def test_handshake_while_draining_is_refused_with_503(backend: Backend, tmp_path: Path) -> None:
    """A socket opened during the drain would only be closed again: the handshake gets HTTP 503 (which nginx's
    ``proxy_next_upstream http_503`` passes to another process), plain HTTP is still served."""
    env = server_env(backend, tmp_path, CHATSVC_DRAIN_SECONDS="3")
    process = ServerProcess(env, cwd=tmp_path)
    await process.start()
    try:
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
        async with httpx.AsyncClient(base_url=process.url) as http:
            async with asyncio.timeout(1):
                while (await http.get("/healthz")).status_code != 503:
                    await asyncio.sleep(0.01)
            assert (await http.get("/widget.js")).status_code == 200
        try:
            await websockets.connect(f"ws://127.0.0.1:{process.port}/ws/visitor?site=default")
        except websockets.InvalidStatus as exc:
            assert exc.response.status_code == 503
        else:
            raise AssertionError("the handshake was accepted while draining")
        code = await asyncio.get_running_loop().run_in_executor(None, process.process.wait, 5)
        assert code == 0, process.log()
        assert "ERROR" not in process.log()
    finally:
        await process.stop(signal.SIGKILL)
