"""Helpers for the accounts tests: a cookie-holding "browser" over real HTTP, forms with their CSRF tokens,
API sign-in, and agent sockets."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.raw import close_code, next_of
from tests.support.servers import STAFF_PASSWORD, InProcessServer

__all__ = ["STAFF_PASSWORD", "agent_socket", "api_login", "bearer", "browser", "close_code", "form_token",
           "next_of", "no_secrets", "sign_in_form", "signed_in_browser"]

_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF_FIELD.search(html)
    assert found, "no csrf field on the page"
    return found.group(1)


def no_secrets(text: str) -> None:
    assert "$argon2" not in text, "a password hash reached a response"
    assert "password_hash" not in text


def browser(server: InProcessServer) -> httpx.AsyncClient:
    """An HTTP client that keeps cookies and does not follow redirects (tests look at each answer)."""
    return httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=10)


async def sign_in_form(client: httpx.AsyncClient, email: str, password: str = STAFF_PASSWORD) -> httpx.Response:
    page = await client.get("/login")
    assert page.status_code == 200
    return await client.post(
        "/login", data={"csrf": form_token(page.text), "email": email, "password": password}
    )


@contextlib.asynccontextmanager
async def signed_in_browser(
    server: InProcessServer, email: str, password: str = STAFF_PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(server) as client:
        response = await sign_in_form(client, email, password)
        assert response.status_code == 303, response.text
        yield client


async def api_login(server: InProcessServer, email: str, password: str = STAFF_PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        return await http.post("/api/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


@contextlib.asynccontextmanager
async def agent_socket(server: InProcessServer, token: str) -> AsyncIterator[ClientConnection]:
    """An agent socket past hello and welcome, authenticated by the bearer token."""
    async with websockets.connect(server.ws_url + "/ws/agent", additional_headers=bearer(token)) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        await next_of(ws, "welcome")
        yield ws
