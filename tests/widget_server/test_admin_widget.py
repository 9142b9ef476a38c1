"""Per-site widget settings for admins: the ``widget`` object of /api/admin/sites, and the Widget section of
the /admin/sites page (with the embed snippet), in English and French."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from chatsvc.domain.widget import GREETING_MAX, SETTING_NAMES, WidgetSettings
from chatsvc.store import schema
from chatsvc.web.admin_api import WidgetPatch
from tests.accounts.helpers import form_token, signed_in_browser
from tests.support.servers import InProcessServer
from tests.widget_server import ORIGIN, admin_http

DEFAULT_WIDGET_JSON = {
    "color": "#1f5fd1", "position": "right", "greeting_en": None, "greeting_fr": None, "prechat": "off",
    "survey_csat": True, "survey_nps": False, "survey_ces": False,
}
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "{{constructor.constructor('alert(1)')()}}",
]


async def _default_site_id(server: InProcessServer) -> str:
    site = await server.services.account_store.find_site_by_key("default")
    assert site is not None
    return site.id


async def _config(server: InProcessServer) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.get("/api/visitor/widget?site=default", headers={"Origin": ORIGIN})
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


# --- the API ---------------------------------------------------------------------------------------------


async def test_sites_carry_their_widget_settings(server: InProcessServer) -> None:
    async with await admin_http(server) as http:
        listed = (await http.get("/api/admin/sites")).json()["sites"]
        assert [site["widget"] for site in listed] == [DEFAULT_WIDGET_JSON]
        created = await http.post("/api/admin/sites", json={"key": "shop", "name": "Shop"})
        assert created.status_code == 201 and created.json()["site"]["widget"] == DEFAULT_WIDGET_JSON

        site_id = await _default_site_id(server)
        patched = await http.patch(f"/api/admin/sites/{site_id}", json={"widget": {
            "color": "#FFD400", "position": "left", "greeting_en": "  Hi! Ask us anything.  ",
            "greeting_fr": "Bonjour !\nPosez vos questions.", "prechat": "optional", "survey_nps": True,
        }})
        assert patched.status_code == 200, patched.text
        widget = patched.json()["site"]["widget"]
        assert widget == {
            "color": "#ffd400", "position": "left", "greeting_en": "Hi! Ask us anything.",
            "greeting_fr": "Bonjour !\nPosez vos questions.", "prechat": "optional", "survey_csat": True,
            "survey_nps": True, "survey_ces": False,
        }
        listed = (await http.get("/api/admin/sites")).json()["sites"]
        assert {site["key"]: site["widget"] for site in listed} == {"default": widget, "shop": DEFAULT_WIDGET_JSON}

        # Omitted settings stay; null gives the greeting back to the widget; other site fields are untouched.
        again = await http.patch(f"/api/admin/sites/{site_id}", json={"widget": {"greeting_en": None}})
        assert again.json()["site"]["widget"] == widget | {"greeting_en": None}
        assert again.json()["site"]["name"] == "Default site"
    config = await _config(server)
    assert config["look"] == {"color": "#ffd400", "text_color": "#111111", "position": "left"}
    assert config["greeting"] == {"en": None, "fr": "Bonjour !\nPosez vos questions."}
    assert config["prechat"] == "optional" and config["survey"] == {"csat": True, "nps": True, "ces": False}


def test_every_setting_is_patchable_and_stored() -> None:
    # One list (the dataclass's fields) for the admin API's PATCH, its answer and the table.
    assert WidgetPatch.__struct_fields__ == SETTING_NAMES
    assert tuple(DEFAULT_WIDGET_JSON) == SETTING_NAMES
    assert [c.name for c in schema.widget_settings.columns] == ["site_id", *SETTING_NAMES, "updated_at"]


async def test_name_and_widget_change_together(server: InProcessServer) -> None:
    site_id = await _default_site_id(server)
    async with await admin_http(server) as http:
        both = await http.patch(f"/api/admin/sites/{site_id}", json={
            "name": "Main shop", "widget": {"position": "left"},
        })
        assert both.status_code == 200
        assert both.json()["site"]["name"] == "Main shop" and both.json()["site"]["widget"]["position"] == "left"


async def test_two_admins_changing_different_settings_at_once_both_keep_their_change(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests read the settings before either writes (held at the real store's door until both came).
    store = server.services.widget_store
    real_put = store.put
    pair: list[asyncio.Event] = []
    writes: list[object] = []

    async def put_once_both_have_read(site_id: str, changes: object, now: Any) -> None:
        mine = asyncio.Event()
        pair.append(mine)
        if len(pair) == 2:
            for each in pair:
                each.set()
            pair.clear()
        await asyncio.wait_for(mine.wait(), 10)
        writes.append(changes)
        await real_put(site_id, changes, now)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "put", put_once_both_have_read)
    site_id = await _default_site_id(server)
    url = f"/api/admin/sites/{site_id}"
    async with await admin_http(server) as ada, await admin_http(server, "Bea") as bea:
        # First saves of a site nobody configured (both insert), then changes to the stored row.
        for mine, theirs in (({"color": "#123456"}, {"position": "left", "survey_nps": True}),
                             ({"greeting_en": "Hi there"}, {"prechat": "required", "survey_ces": True})):
            answers = await asyncio.gather(ada.patch(url, json={"widget": mine}),
                                           bea.patch(url, json={"widget": theirs}))
            assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    assert len(writes) == 4
    stored = await server.services.widgets.settings_of(site_id)
    assert stored == WidgetSettings(color="#123456", position="left", greeting_en="Hi there", prechat="required",
                                    survey_csat=True, survey_nps=True, survey_ces=True)


BAD_WIDGETS: list[tuple[dict[str, Any], str]] = [
    ({"color": "red"}, "#rrggbb"),
    ({"color": "#12345"}, "#rrggbb"),
    ({"color": "#1f5fd1;x"}, "#rrggbb"),
    ({"color": "#777777"}, "#767676"),  # a mid-tone: no text colour reaches AA, a readable shade is suggested
    ({"color": "x" * 21}, "length"),
    ({"color": None}, "Expected `str`"),
    ({"position": "center"}, "position"),
    ({"prechat": "always"}, "prechat"),
    ({"greeting_en": "x" * (GREETING_MAX + 1)}, f"at most {GREETING_MAX} characters"),
    ({"greeting_fr": "a\x00b"}, "control characters"),
    ({"greeting_en": {"$ne": None}}, "greeting_en"),
    ({"greeting_en": ["hi"]}, "greeting_en"),
    ({"survey_csat": "yes"}, "survey_csat"),
    ({"survey_nps": 1}, "survey_nps"),
    ({"survey_csat": False, "survey_nps": True}, "switch the survey on"),  # NPS/CES ride on the CSAT survey
    ({"survey_csat": False, "survey_ces": True}, "switch the survey on"),
    ({"text_color": "#000000"}, "text_color"),  # derived, never set
    ({"site_id": "someone-else"}, "site_id"),
    ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
]


@pytest.mark.parametrize(("widget", "said"), BAD_WIDGETS, ids=[str(w)[:40] for w, _ in BAD_WIDGETS])
async def test_bad_widget_settings_are_refused_and_change_nothing(
    sqlite_server: InProcessServer, widget: dict[str, Any], said: str
) -> None:
    site_id = await _default_site_id(sqlite_server)
    async with await admin_http(sqlite_server) as http:
        refused = await http.patch(f"/api/admin/sites/{site_id}", json={"name": "Renamed", "widget": widget})
        assert refused.status_code == 400, refused.text
        body = refused.json()
        assert set(body) == {"error", "message"} and body["error"] == "bad_request"
        assert said in body["message"]
        listed = (await http.get("/api/admin/sites")).json()["sites"]
    assert listed[0]["widget"] == DEFAULT_WIDGET_JSON
    assert listed[0]["name"] == "Default site"  # checked before anything was written


async def test_the_widget_object_itself_is_strict(sqlite_server: InProcessServer) -> None:
    site_id = await _default_site_id(sqlite_server)
    async with await admin_http(sqlite_server) as http:
        for body in ({"widget": "#1f5fd1"}, {"widget": ["color"]}, {"widget": None}, {"look": {"color": "#000000"}}):
            refused = await http.patch(f"/api/admin/sites/{site_id}", json=body)
            assert refused.status_code == 400 and refused.json()["error"] == "bad_request", body


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_only_admins_see_and_change_widget_settings(server: InProcessServer, role: str) -> None:
    site_id = await _default_site_id(server)
    async with await admin_http(server, name="Someone", role=role) as http:
        assert (await http.get("/api/admin/sites")).status_code == 403
        refused = await http.patch(f"/api/admin/sites/{site_id}", json={"widget": {"color": "#000000"}})
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.patch(f"/api/admin/sites/{site_id}", json={"widget": {}})).status_code == 401
    assert (await _config(server))["look"]["color"] == "#1f5fd1"


async def test_an_unknown_site_is_not_found(sqlite_server: InProcessServer) -> None:
    async with await admin_http(sqlite_server) as http:
        missing = await http.patch("/api/admin/sites/nope", json={"widget": {"position": "left"}})
        assert missing.status_code == 404


async def test_deleting_a_site_deletes_its_widget_settings(server: InProcessServer) -> None:
    async with await admin_http(server) as http:
        site = (await http.post("/api/admin/sites", json={"key": "shop", "name": "Shop"})).json()["site"]
        await http.patch(f"/api/admin/sites/{site['id']}", json={"widget": {"position": "left"}})
        assert await server.services.widget_store.get(site["id"]) is not None
        assert (await http.delete(f"/api/admin/sites/{site['id']}")).status_code == 204
    assert await server.services.widget_store.get(site["id"]) is None


# --- the page --------------------------------------------------------------------------------------------


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_sites_page_has_a_widget_section_with_the_embed_snippet(sqlite_server: InProcessServer) -> None:
    admin = await sqlite_server.add_staff("Ada", role="admin")
    async with signed_in_browser(sqlite_server, admin.email) as browser:
        english = (await browser.get("/admin/sites?lang=en")).text
        french = (await browser.get("/admin/sites?lang=fr")).text
    snippet = f'&lt;script src="{sqlite_server.url}/widget.js" data-site="default" async&gt;&lt;/script&gt;'
    assert snippet in english and snippet in french
    assert "Embed code" in english and "Code à intégrer" in french
    assert 'type="color" name="color" value="#1f5fd1"' in english
    assert "contrast of 5.8:1" in english and "contraste de 5,8:1" in french
    assert 'name="survey_csat" value="1" checked' in english and 'name="survey_nps" value="1">' in english
    assert 'src="data:image/svg+xml,' in english  # the preview: no inline style (CSP), the colour drawn in SVG
    assert "widget that will use it is coming" not in english and "est à venir" not in french


async def test_the_widget_form_saves_and_refuses_in_the_admins_language(sqlite_server: InProcessServer) -> None:
    admin = await sqlite_server.add_staff("Ada", role="admin")
    site_id = await _default_site_id(sqlite_server)
    async with signed_in_browser(sqlite_server, admin.email) as browser:
        token = form_token((await browser.get("/admin/sites")).text)
        saved = await browser.post(f"/admin/sites/{site_id}/widget", data={
            "csrf": token, "color": "#0a7d32", "position": "left", "prechat": "required",
            "greeting_en": "Hello!", "greeting_fr": "", "survey_csat": "1", "survey_ces": "1",
        })
        assert saved.status_code == 303 and saved.headers["location"] == "/admin/sites?done=widget_updated"
        assert "The widget settings are saved" in (await browser.get(saved.headers["location"])).text
        stored = await sqlite_server.services.widgets.settings_of(site_id)
        assert (stored.color, stored.position, stored.prechat, stored.greeting_en, stored.greeting_fr) == (
            "#0a7d32", "left", "required", "Hello!", None)
        assert (stored.survey_csat, stored.survey_nps, stored.survey_ces) == (True, False, True)

        for lang, said in (("en", "A darker shade such as #767676 works"),
                           ("fr", "Une teinte plus foncée comme #767676 convient")):
            await browser.get(f"/admin/sites?lang={lang}")
            refused = await browser.post(f"/admin/sites/{site_id}/widget", data={
                "csrf": token, "color": "#777777", "position": "right", "prechat": "off",
                "greeting_en": "Typed, not lost", "survey_nps": "1",
            })
            assert refused.status_code == 400
            assert said in _text(refused.text)
            # What was typed is shown again in that site's form; the saved look is unchanged.
            assert 'value="#777777"' in refused.text and "Typed, not lost" in refused.text
        assert (await sqlite_server.services.widgets.settings_of(site_id)) == stored


async def test_the_widget_form_needs_an_admin_and_its_csrf_token(sqlite_server: InProcessServer) -> None:
    site_id = await _default_site_id(sqlite_server)
    agent = await sqlite_server.add_staff("Alex", role="agent")
    admin = await sqlite_server.add_staff("Ada", role="admin")
    async with signed_in_browser(sqlite_server, agent.email) as browser:
        token = form_token((await browser.get("/staff")).text)
        refused = await browser.post(f"/admin/sites/{site_id}/widget", data={"csrf": token, "color": "#000000"})
        assert refused.status_code == 403
    async with signed_in_browser(sqlite_server, admin.email) as browser:
        for token in ("", "forged"):
            refused = await browser.post(f"/admin/sites/{site_id}/widget", data={"csrf": token, "color": "#000000"})
            assert refused.status_code == 403
    assert (await sqlite_server.services.widgets.settings_of(site_id)).color == "#1f5fd1"


async def test_hostile_greetings_are_shown_inert_on_the_admin_page(sqlite_server: InProcessServer) -> None:
    # SECURITY case 14: what an admin (or someone with their session) types is text on every page.
    site_id = await _default_site_id(sqlite_server)
    admin = await sqlite_server.add_staff("Ada", role="admin")
    async with await admin_http(sqlite_server, name="Api Admin") as http:
        for hostile in HOSTILE:
            other = await http.post("/api/admin/sites", json={"key": f"s{HOSTILE.index(hostile)}", "name": hostile})
            assert other.status_code == 201
        patched = await http.patch(f"/api/admin/sites/{site_id}", json={"widget": {
            "greeting_en": HOSTILE[0] + " " + HOSTILE[1], "greeting_fr": HOSTILE[2] + " " + HOSTILE[3],
        }})
        assert patched.status_code == 200
    async with signed_in_browser(sqlite_server, admin.email) as browser:
        page = await browser.get("/admin/sites")
    html = page.text
    assert "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;&gt;&lt;svg onload=alert(1)&gt;</textarea>" in html
    assert "[x](javascript:alert(1)) {{constructor.constructor(&#39;alert(1)&#39;)()}}</textarea>" in html
    assert 'href="javascript' not in html
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # The config gives the greeting to the widget as JSON text, never as markup.
    config = await _config(sqlite_server)
    assert config["greeting"]["en"] == HOSTILE[0] + " " + HOSTILE[1]
