"""The agent console's server side (issue 6): notes, the visitor's page and read mark, the waiting queue, the
agents list, and who may do what on those paths. Real servers, both backends where the fixtures offer them.

Helpers shared by the tests of this folder live here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from chatsvc.client import AgentClient, VisitorClient
from chatsvc.store import records
from tests.support.servers import InProcessServer

ORIGIN = "https://shop.example"  # on the default site's allow-list in tests


class Wire:
    """A raw visitor socket that keeps every frame it receives, exactly as sent (the wire, not a client's view)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._task = asyncio.create_task(self._read())
        self._arrived = asyncio.Event()

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode()
                self.raw.append(text)
                self.frames.append(json.loads(text))
                self._arrived.set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
        """The first frame received (before or after now) that matches."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                self._arrived.clear()
                await self._arrived.wait()

    async def quiet(self, seconds: float = 0.4) -> None:
        """Let anything still on its way arrive."""
        await asyncio.sleep(seconds)

    def close(self) -> None:
        self._task.cancel()


@contextlib.asynccontextmanager
async def wire(
    server: InProcessServer, token: str, *, conversation: str | None = None, last_seq: int = 0,
    user_agent: str | None = None,
) -> AsyncIterator[Wire]:
    """A visitor socket (one more tab of the visitor with ``token``) recording the wire; hello already sent."""
    options: dict[str, Any] = {"origin": ORIGIN}
    if user_agent is not None:
        options["user_agent_header"] = user_agent
    async with websockets.connect(f"{server.ws_url}/ws/visitor?site=default", **options) as ws:
        hello: dict[str, Any] = {"type": "hello", "token": token}
        if conversation is not None:
            hello |= {"conversation": conversation, "last_seq": last_seq}
        await ws.send(json.dumps(hello))
        recorder = Wire(ws)
        try:
            await recorder.wait_for(lambda f: f["type"] == "welcome")
            yield recorder
        finally:
            recorder.close()


async def chat_with_agent(
    server: InProcessServer, name: str = "Sam", **staff: Any
) -> tuple[records.User, AgentClient, VisitorClient, str]:
    """An agent online and a visitor whose question is assigned to them: (user, agent, visitor, chat id)."""
    user = await server.add_staff(name, **staff)
    agent = await server.agent(user)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    await visitor.send("Where is my order 991?")
    await visitor.handoff()
    chat = await agent.wait_chat()
    await agent.wait_event(kind="assigned", conversation=chat.id)
    return user, agent, visitor, chat.id


async def staff_http(server: InProcessServer, user: Any) -> httpx.AsyncClient:
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
