"""Browsers get the error page (in their language) for unknown pages and refusals; APIs keep their JSON."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts.helpers import signed_in_browser
from tests.support.servers import InProcessServer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(("lang", "title"), [("en", "Page not found"), ("fr", "Page introuvable")])
async def test_unknown_page_shows_the_error_page_to_a_browser(sqlite_server: InProcessServer, lang, title) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.get(f"/no/such/page?lang={lang}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert title in response.text and f'lang="{lang}"' in response.text and "not_found" in response.text
    assert '{"error"' not in response.text


async def test_wrong_method_on_a_page_shows_the_error_page(sqlite_server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.put("/login?lang=en", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "does not accept that kind of request" in response.text


async def test_apis_sockets_and_programs_keep_json(sqlite_server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        for path, accept in [
            ("/api/no-such-thing", BROWSER_ACCEPT),  # an API path, even from a browser tab
            ("/ws/no-such-socket", BROWSER_ACCEPT),
            ("/no/such/page", "application/json"),
            ("/no/such/page", "*/*"),  # fetch() and curl by default
            ("/no/such/page", "application/json, text/html;q=0.5"),
        ]:
            response = await http.get(path, headers={"Accept": accept})
            assert response.status_code == 404, path
            assert response.json()["error"] == "not_found", (path, accept)
        unauthorized = await http.get("/api/admin/users", headers={"Accept": BROWSER_ACCEPT})
        assert unauthorized.status_code == 401 and unauthorized.json()["error"] == "unauthorized"


async def test_signed_in_person_sees_their_own_layout_on_the_error_page(sqlite_server: InProcessServer) -> None:
    admin = await sqlite_server.add_staff("Ada Admin", role="admin")
    async with signed_in_browser(sqlite_server, admin.email) as client:
        response = await client.get("/nowhere?lang=en", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert "Ada Admin" in response.text and 'href="/staff"' in response.text
