"""The admin page for tickets (/admin/tickets) over real HTTP: admins only, every form with its CSRF token,
post/redirect/get, a refused form re-rendered with the reason and the values typed, hostile text inert."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from chatsvc.services.admin import AdminService
from chatsvc.store import records
from tests.accounts.helpers import browser, form_token, signed_in_browser
from tests.support.people import People, people_on
from tests.support.servers import InProcessServer

PAGE = "/admin/tickets"


@pytest.fixture
async def people(sqlite_server: InProcessServer) -> People:
    return await people_on(sqlite_server)


async def _site(server: InProcessServer) -> records.Site:
    site = await server.services.account_store.find_site_by_key("default")
    assert site is not None
    return site


async def _post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    """A form post with the token of the page the admin has open."""
    token = form_token((await client.get(PAGE)).text)
    return await client.post(path, data={"csrf": token, **data})


def _rule_form(**values: str) -> dict[str, str]:
    return {"name": "", "keywords": "", "topic": "", "site_id": "", "team_id": "", "agent_id": "", "priority": ""} | values


def _sla_form(**overrides: str) -> dict[str, str]:
    form = {"urgent_first": "30", "urgent_resolution": "240", "high_first": "120", "high_resolution": "960",
            "normal_first": "480", "normal_resolution": "2880", "low_first": "1440", "low_resolution": "10080",
            "business_hours": "on"}
    return form | overrides


async def test_only_admins_see_the_page(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as anonymous:
        response = await anonymous.get(PAGE)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for user in (people.agent, people.manager):
        async with signed_in_browser(sqlite_server, user.email) as client:
            page = await client.get(PAGE)
            assert page.status_code == 403 and "administrators" in page.text
            # Their own session's token does not make the forms work either.
            token = form_token((await client.get("/staff")).text)
            posted = await client.post(PAGE + "/rules", data={"csrf": token, **_rule_form(name="X", priority="low")})
            assert posted.status_code == 403
    assert await sqlite_server.services.ticket_config.rules() == []
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        page = await client.get(PAGE)
        assert page.status_code == 200
        for section in ('id="rules"', 'id="escalation"', 'id="sla"', 'id="hours"', 'action="/admin/tickets/rules"'):
            assert section in page.text
        assert 'href="/admin/tickets" aria-current="page"' in page.text  # the admin tabs name this page
        assert "avocat" in page.text  # the default escalation words are shown
        french = await client.get(PAGE + "?lang=fr")
        assert french.status_code == 200 and "Règles d&#39;attribution" in french.text
        users = await client.get("/admin/users")
        assert 'href="/admin/tickets"' in users.text


async def test_forms_refuse_a_missing_or_empty_csrf_token(sqlite_server: InProcessServer, people: People) -> None:
    site = await _site(sqlite_server)
    posts = [
        (PAGE + "/rules", _rule_form(name="Forged", priority="urgent")),
        (PAGE + "/escalation", {"words": "forged", "priority": "low"}),
        (PAGE + "/sla", _sla_form()),
        (PAGE + "/hours", {"site_id": site.id, "timezone": "UTC", "mon": "09:00-17:00", "action": "save"}),
    ]
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        for path, data in posts:
            for token in (None, "", "wrong"):
                body = data if token is None else {"csrf": token, **data}
                response = await client.post(path, data=body)
                assert response.status_code == 403 and "csrf_failed" in response.text, (path, token)
    config = sqlite_server.services.ticket_config
    assert await config.rules() == []
    assert await config.setting("escalation") is None and await config.setting("sla") is None
    assert await config.hours(site.id) is None


async def test_add_move_edit_disable_and_delete_rules(sqlite_server: InProcessServer, people: People) -> None:
    billing = await AdminService.of(sqlite_server.services).create_team(name="Billing", topics=[], member_ids=[])
    site = await _site(sqlite_server)
    config = sqlite_server.services.ticket_config
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        added = await _post(client, PAGE + "/rules", _rule_form(
            name="Invoices", keywords="invoice, Receipt", topic="Billing", site_id=site.id, team_id=billing.id,
            priority="high",
        ))
        assert added.status_code == 303 and added.headers["location"] == PAGE + "?done=ticket_rule_created#rules"
        second = await _post(client, PAGE + "/rules", _rule_form(name="Catch-all", agent_id=people.agent.id,
                                                                 priority="low"))
        assert second.status_code == 303
        invoices, catch_all = await config.rules()
        assert (invoices.name, invoices.keywords, invoices.topic, invoices.site_id, invoices.team_id,
                invoices.priority) == ("Invoices", ("invoice", "Receipt"), "billing", site.id, billing.id, "high")
        assert (catch_all.agent_id, catch_all.priority, catch_all.team_id) == (people.agent.id, "low", None)
        page = await client.get(PAGE + "?done=ticket_rule_created")
        assert "The rule is added at the end of the list." in page.text
        assert page.text.index("Invoices") < page.text.index("Catch-all")

        up = await _post(client, f"{PAGE}/rules/{catch_all.id}", {"action": "up"})
        assert up.status_code == 303
        assert [r.name for r in await config.rules()] == ["Catch-all", "Invoices"]
        # At the top already: it stays there.
        assert (await _post(client, f"{PAGE}/rules/{catch_all.id}", {"action": "up"})).status_code == 303
        down = await _post(client, f"{PAGE}/rules/{catch_all.id}", {"action": "down"})
        assert down.status_code == 303
        assert [r.name for r in await config.rules()] == ["Invoices", "Catch-all"]

        disabled = await _post(client, f"{PAGE}/rules/{invoices.id}", {"action": "disable"})
        assert disabled.status_code == 303 and not (await config.get_rule(invoices.id)).enabled
        page = await client.get(PAGE)
        assert re.search(rf'id="rule-{invoices.id}" class="is-disabled"', page.text)
        assert (await _post(client, f"{PAGE}/rules/{invoices.id}", {"action": "enable"})).status_code == 303
        assert (await config.get_rule(invoices.id)).enabled

        edited = await _post(client, f"{PAGE}/rules/{invoices.id}", {"action": "save", **_rule_form(
            name="Invoices and receipts", keywords="invoice\nreceipt\nfacture", team_id=billing.id,
            priority="urgent",
        )})
        assert edited.status_code == 303
        rule = await config.get_rule(invoices.id)
        assert (rule.name, rule.keywords, rule.topic, rule.site_id, rule.priority, rule.enabled) == (
            "Invoices and receipts", ("invoice", "receipt", "facture"), None, None, "urgent", True,
        )

        deleted = await _post(client, f"{PAGE}/rules/{catch_all.id}/delete", {})
        assert deleted.status_code == 303
        assert [r.name for r in await config.rules()] == ["Invoices and receipts"]
        assert (await _post(client, f"{PAGE}/rules/{catch_all.id}/delete", {})).status_code == 404
        assert (await _post(client, f"{PAGE}/rules/{catch_all.id}", {"action": "up"})).status_code == 404
        unknown = await _post(client, f"{PAGE}/rules/{invoices.id}", {"action": "explode"})
        assert unknown.status_code == 400


async def test_a_refused_rule_form_keeps_what_was_typed(sqlite_server: InProcessServer, people: People) -> None:
    config = sqlite_server.services.ticket_config
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        refused = await _post(client, PAGE + "/rules", _rule_form(name="Typed name", keywords="refund, !!!",
                                                                  topic="orders", priority="high"))
        assert refused.status_code == 400
        assert "has no letter or digit" in refused.text and 'role="alert"' in refused.text
        assert 'value="Typed name"' in refused.text and 'value="refund, !!!"' in refused.text
        assert 'value="orders"' in refused.text and '<option value="high" selected>' in refused.text
        nothing = await _post(client, PAGE + "/rules", _rule_form(name="Does nothing", keywords="x"))
        assert nothing.status_code == 400 and "must set a team, an agent or a priority" in nothing.text
        forged = await _post(client, PAGE + "/rules", _rule_form(name="Forged team", team_id="no-such-team"))
        assert forged.status_code == 400 and "Unknown team" in forged.text
        assert await config.rules() == []

        await _post(client, PAGE + "/rules", _rule_form(name="Kept", priority="low"))
        (kept,) = await config.rules()
        bad_edit = await _post(client, f"{PAGE}/rules/{kept.id}", {"action": "save", **_rule_form(
            name="Renamed", topic="Not a topic!", priority="low")})
        assert bad_edit.status_code == 400 and "Not a valid topic" in bad_edit.text
        assert 'value="Renamed"' in bad_edit.text and 'value="Not a topic!"' in bad_edit.text
        assert re.search(r'<details class="popover ta-edit" open>', bad_edit.text)
        assert await config.rules() == [kept]
        french = await client.post(f"{PAGE}/rules?lang=fr", data={
            "csrf": form_token((await client.get(PAGE)).text), **_rule_form(name="Sans effet")})
        assert french.status_code == 400 and "Une règle doit fixer une équipe" in french.text


async def test_hostile_rule_name_is_inert(sqlite_server: InProcessServer, people: People) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        added = await _post(client, PAGE + "/rules", _rule_form(name=hostile, keywords='"><svg onload=alert(1)>',
                                                                priority="low"))
        assert added.status_code == 303
        page = await client.get(PAGE)
    assert hostile not in page.text and "<svg onload" not in page.text
    assert html.escape(hostile, quote=False) in page.text or "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]


async def test_escalation_and_sla_forms(sqlite_server: InProcessServer, people: People) -> None:
    tickets = sqlite_server.services.tickets
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        saved = await _post(client, PAGE + "/escalation", {"words": "avocat\nlegal action, Lawyer\n\n", "priority": "high"})
        assert saved.status_code == 303 and saved.headers["location"].endswith("done=ticket_escalation_saved#escalation")
        escalation = await tickets.escalation()
        assert (escalation.words, escalation.priority.value) == (("avocat", "legal action", "Lawyer"), "high")
        bad = await _post(client, PAGE + "/escalation", {"words": "fine\n???", "priority": "urgent"})
        assert bad.status_code == 400 and "no letter or digit" in bad.text and "fine\n???</textarea>" in bad.text
        assert (await tickets.escalation()) == escalation

        saved = await _post(client, PAGE + "/sla", _sla_form())
        assert saved.status_code == 303 and saved.headers["location"].endswith("#sla")
        policy = (await tickets.sla_policy()).to_json()
        assert policy["business_hours"] is True
        assert policy["targets"]["urgent"] == {"first_response_minutes": 30, "resolution_minutes": 240}  # type: ignore[index]
        page = await client.get(PAGE)
        assert 'name="urgent_first" value="30"' in page.text and "4 h" in page.text

        unchecked = await _post(client, PAGE + "/sla", {k: v for k, v in _sla_form().items() if k != "business_hours"})
        assert unchecked.status_code == 303 and (await tickets.sla_policy()).business_hours is False

        before = await tickets.sla_policy()
        later = await _post(client, PAGE + "/sla", _sla_form(high_first="2000", high_resolution="60"))
        assert later.status_code == 400 and "cannot be due after the resolution" in later.text
        assert 'name="high_first" value="2000"' in later.text and 'name="high_resolution" value="60"' in later.text
        for value in ("abc", "-5", "1.5", ""):
            typo = await _post(client, PAGE + "/sla", _sla_form(low_first=value))
            assert typo.status_code == 400 and "whole number of minutes" in typo.text, value
        assert await tickets.sla_policy() == before


async def test_hours_form(sqlite_server: InProcessServer, people: People) -> None:
    site = await _site(sqlite_server)
    tickets = sqlite_server.services.tickets
    form = {"site_id": site.id, "action": "save", "timezone": "Europe/Paris", "mon": "09:00-12:00, 13:00-17:30",
            "tue": "09:00 – 17:00", "wed": "", "thu": "00:00-24:00", "fri": "", "sat": "", "sun": "",
            "holidays": "2026-12-25\n2026-01-01"}
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        page = await client.get(PAGE)
        assert "No hours" in page.text and 'value="09:00-17:00"' in page.text  # the suggested week
        saved = await _post(client, PAGE + "/hours", form)
        assert saved.status_code == 303
        assert saved.headers["location"] == f"{PAGE}?site={site.id}&done=ticket_hours_saved#hours"
        hours = await tickets.business_hours(site.id)
        assert hours is not None and hours.to_json() == {
            "timezone": "Europe/Paris",
            "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "tue": [["09:00", "17:00"]], "wed": [],
                       "thu": [["00:00", "24:00"]], "fri": [], "sat": [], "sun": []},
            "holidays": ["2026-01-01", "2026-12-25"],
        }
        page = await client.get(f"{PAGE}?site={site.id}")
        assert 'value="09:00-12:00, 13:00-17:30"' in page.text
        assert ("Open now" in page.text) or ("Closed now" in page.text)

        for field, value, why in (
            ("mon", "9 to 5", "is not an interval"),
            ("mon", "17:00-09:00", "must end after it starts"),
            ("tue", "09:00-13:00, 12:00-17:00", "overlap"),
            ("timezone", "Mars/Olympus", "Unknown time zone"),
            ("holidays", "25/12/2026", "is not a date"),
        ):
            refused = await _post(client, PAGE + "/hours", form | {field: value})
            assert refused.status_code == 400 and why in refused.text, (field, value)
            assert html.escape(value) in refused.text  # what was typed is still there
        assert (await tickets.business_hours(site.id)) == hours

        cleared = await _post(client, PAGE + "/hours", {"site_id": site.id, "action": "clear"})
        assert cleared.status_code == 303 and await tickets.business_hours(site.id) is None
        unknown = await _post(client, PAGE + "/hours", form | {"site_id": "no-such-site"})
        assert unknown.status_code == 404
