"""GET /api/visitor/widget?site=KEY: the widget's look, greetings, forms and availability for one site."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import httpx

from tests.support.servers import InProcessServer
from tests.widget_server import FOREIGN_ORIGINS, ORIGIN

DEFAULTS: dict[str, Any] = {
    "site": {"key": "default", "name": "Default site"},
    "look": {"color": "#1f5fd1", "text_color": "#ffffff", "position": "right"},
    "greeting": {"en": None, "fr": None},
    "prechat": "off",
    "survey": {"csat": True, "nps": False, "ces": False},
    "availability": {"open": True, "agents_online": False, "leave_message": True, "next_opening": None},
}


async def _config(http: httpx.AsyncClient, site: str = "default", origin: str | None = ORIGIN) -> httpx.Response:
    headers = {"Origin": origin} if origin is not None else {}
    return await http.get(f"/api/visitor/widget?site={site}", headers=headers)


async def test_a_site_nobody_configured_gets_the_defaults(server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await _config(http)
        assert answer.status_code == 200, answer.text
        assert answer.json() == DEFAULTS
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert answer.headers["vary"] == "Origin"


async def test_the_sites_settings_are_applied(server: InProcessServer) -> None:
    services = server.services
    site = await services.account_store.find_site_by_key("default")
    assert site is not None
    await services.widgets.update(
        site.id, color="#FFD400", position="left", greeting_en="Hello <b>there</b>", greeting_fr="Bonjour",
        prechat="required", survey_nps=True, survey_ces=True,
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = (await _config(http)).json()
    assert answer["look"] == {"color": "#ffd400", "text_color": "#111111", "position": "left"}
    assert answer["greeting"] == {"en": "Hello <b>there</b>", "fr": "Bonjour"}  # text: the widget shows it as text
    assert answer["prechat"] == "required"
    assert answer["survey"] == {"csat": True, "nps": True, "ces": True}


async def test_availability_is_the_same_as_its_own_endpoint(server: InProcessServer) -> None:
    services = server.services
    site = await services.account_store.find_site_by_key("default")
    assert site is not None
    now = datetime.datetime.now(datetime.UTC)
    start = (now.hour + 6) % 24  # open one hour a day, six hours from now: closed now whatever the time
    weekly = {day: [[f"{start:02d}:00", f"{start + 1:02d}:00" if start < 23 else "24:00"]]
              for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await services.ticket_config.put_hours(site.id, "UTC", weekly, [], now)
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            for _ in range(200):
                config = (await _config(http)).json()
                if config["availability"]["agents_online"]:
                    break
                await asyncio.sleep(0.02)
            alone = (await http.get("/api/visitor/availability?site=default", headers={"Origin": ORIGIN})).json()
        assert config["availability"] == alone
        assert alone["agents_online"] is True and alone["open"] is False and alone["leave_message"] is True
    finally:
        await agent.close()


async def test_unknown_sites_and_foreign_origins_are_refused(server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for site in ("nope", "", "x" * 65, "default%00"):
            unknown = await _config(http, site)
            assert unknown.status_code == 404, site
            assert unknown.json()["error"] == "not_found"
            assert unknown.headers["cache-control"] == "no-store"
            assert "access-control-allow-origin" not in unknown.headers
        assert (await http.get("/api/visitor/widget")).status_code == 404
        for origin in FOREIGN_ORIGINS:
            refused = await _config(http, origin=origin)
            assert refused.status_code == 403, origin
            assert refused.json()["error"] == "origin_not_allowed"
            assert "access-control-allow-origin" not in refused.headers, origin
            assert refused.headers["cache-control"] == "no-store", origin
            assert "Default site" not in refused.text


async def test_a_request_without_origin_is_answered_without_cors(server: InProcessServer) -> None:
    # Not a browser on another site (browsers send Origin on cross-site requests): nothing to grant.
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await _config(http, origin=None)
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers


async def test_another_sites_origin_does_not_open_this_site(server: InProcessServer) -> None:
    services = server.services
    await services.account_store.create_site(
        key="other", name="Other shop", allowed_origins=["https://other.example"], now=services.clock()
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await _config(http, "other", "https://other.example")).json()["site"] == {
            "key": "other", "name": "Other shop"
        }
        assert (await _config(http, "other", ORIGIN)).status_code == 403
        assert (await _config(http, "default", "https://other.example")).status_code == 403
