"""The server's side of the widget: /widget.js, the widget config, the survey frame, per-site widget settings
in the admin API and page, leave-a-message with a chat open, and the demo home page.

Helpers shared by the tests of this folder live here.
"""

from __future__ import annotations

import httpx

from tests.support.servers import InProcessServer

ORIGIN = "https://shop.example"  # on the default site's allow-list in tests (tests/support/servers.py)
# SECURITY case 1: origins that contain, extend or stand in for the allowed one.
FOREIGN_ORIGINS = ("https://evil.test", "null", "https://shop.example.evil.test", "https://evilshop.example",
                   "http://shop.example")


async def visitor_token(server: InProcessServer, site: str = "default", origin: str = ORIGIN) -> str:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/visitor/session", json={"site": site}, headers={"Origin": origin})
        response.raise_for_status()
        return str(response.json()["token"])


async def admin_http(server: InProcessServer, name: str = "Ada", role: str = "admin") -> httpx.AsyncClient:
    """An API client signed in (bearer token) as a new staff member of ``role``."""
    user = await server.add_staff(name, role=role)
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
