"""The visitor's side of tickets: the leave-a-message endpoint, availability, and the signed status page.

Helpers shared by the tests of this folder live here.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.servers import InProcessServer

ORIGIN = "https://shop.example"  # on the default site's allow-list in tests (tests/support/servers.py)
MESSAGE = "My parcel never came\nOrdered on Monday, tracking shows nothing since."


async def leave(http: httpx.AsyncClient, *, origin: str | None = ORIGIN, **fields: Any) -> httpx.Response:
    """POST /api/visitor/tickets as the widget on the shop's page would."""
    body = {"site": "default", "name": "Vera", "email": "vera@example.com", "message": MESSAGE} | fields
    headers = {"Origin": origin} if origin is not None else {}
    return await http.post("/api/visitor/tickets", json=body, headers=headers)


async def staff_http(server: InProcessServer, name: str = "Max", role: str = "admin") -> httpx.AsyncClient:
    """An API client signed in as a new staff member (an admin sees every ticket)."""
    user = await server.add_staff(name, role=role)
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


async def ticket_count(staff: httpx.AsyncClient) -> int:
    listed = await staff.get("/api/tickets")
    assert listed.status_code == 200, listed.text
    return int(listed.json()["total"])


def status_path(server: InProcessServer, ticket_id: str) -> str:
    """The path of a ticket's status link, as the mail carries it."""
    return "/ticket-status/" + server.services.tickets.links.token(ticket_id)


def visible_text(html: str) -> str:
    """The page's text without tags (for "is this on the page" checks that must not match attributes)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
