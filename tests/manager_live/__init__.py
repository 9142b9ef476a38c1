"""The managers' live panel (``/ws/manager``) and ``/metrics`` (issue 7): real servers, both backends where the
fixtures offer them.

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

from chatsvc.web.edge import SESSION_COOKIE
from tests.console_server import Wire
from tests.support.servers import InProcessServer


def stats_frames(recorder: Wire) -> list[dict[str, Any]]:
    return [frame for frame in recorder.frames if frame["type"] == "stats"]


def agent_row(frame: dict[str, Any], user_id: str) -> dict[str, Any] | None:
    return next((row for row in frame["agents"] if row["id"] == user_id), None)


@contextlib.asynccontextmanager
async def manager_wire(
    server: InProcessServer, token: str | None, *, origin: str | None = "own", hello: dict[str, Any] | None = None,
) -> AsyncIterator[Wire]:
    """A browser-like /ws/manager socket: the session as a cookie, the server's own Origin; hello already sent."""
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if token else {}
    options: dict[str, Any] = {"additional_headers": headers}
    if origin is not None:
        options["origin"] = server.url if origin == "own" else origin
    async with websockets.connect(f"{server.ws_url}/ws/manager", **options) as ws:
        await ws.send(json.dumps(hello if hello is not None else {"type": "hello", "v": 1}))
        recorder = Wire(ws)
        try:
            yield recorder
        finally:
            recorder.close()


async def logout(server: InProcessServer, token: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()


async def closed(recorder: Wire, timeout: float = 5.0) -> tuple[int | None, str]:
    """Wait until the server closes the recorded socket: the code and reason it sent."""
    async with asyncio.timeout(timeout):
        await asyncio.wait({recorder._task})
    return recorder.ws.close_code, recorder.ws.close_reason or ""
