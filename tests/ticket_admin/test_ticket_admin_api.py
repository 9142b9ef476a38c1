"""The admin JSON API for ticket settings: rules (ordered), escalation words, SLA targets, business hours.

On every backend (SQLite, PostgreSQL + Redis): admins only, strict bodies (no mass assignment, no type
confusion), references checked, and a refused request changes nothing. One end-to-end check that the rules
saved here really route new tickets.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chatsvc.services.admin import AdminService
from chatsvc.store import records
from tests.accounts.helpers import api_login, bearer
from tests.support.people import People, people_on
from tests.support.servers import InProcessServer

RULES = "/api/admin/ticket-rules"
SETTINGS = "/api/admin/ticket-settings"


@pytest.fixture
async def people(server: InProcessServer) -> People:
    return await people_on(server)


@pytest.fixture
async def http(server: InProcessServer, people: People) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's API client (Bearer: no CSRF header needed)."""
    token = (await api_login(server, people.admin.email)).json()["token"]
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10) as client:
        yield client


async def _team(server: InProcessServer, name: str) -> records.Team:
    return await AdminService.of(server.services).create_team(name=name, topics=[], member_ids=[])


async def _site(server: InProcessServer) -> records.Site:
    site = await server.services.account_store.find_site_by_key("default")
    assert site is not None
    return site


async def _rules(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get(RULES)
    assert response.status_code == 200
    return response.json()["rules"]  # type: ignore[no-any-return]


def _hours_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "timezone": "Europe/Paris",
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "tue": [["09:00", "17:00"]], "sat": []},
        "holidays": ["2026-12-25", "2026-01-01"],
    }
    return body | overrides


# --- who may call --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_only_admins(server: InProcessServer, people: People, http: httpx.AsyncClient, role: str) -> None:
    site = await _site(server)
    created = await http.post(RULES, json={"name": "Mine", "priority": "high"})
    rule_id = created.json()["rule"]["id"]
    before_rules, before_settings = await _rules(http), (await http.get(SETTINGS)).json()
    user = people.agent if role == "agent" else people.manager
    token = (await api_login(server, user.email)).json()["token"]
    calls: list[tuple[str, str, Any]] = [
        ("GET", RULES, None),
        ("POST", RULES, {"name": "Theirs", "priority": "urgent"}),
        ("PATCH", f"{RULES}/{rule_id}", {"enabled": False}),
        ("DELETE", f"{RULES}/{rule_id}", None),
        ("POST", f"{RULES}/{rule_id}/move", {"position": 1}),
        ("GET", SETTINGS, None),
        ("PUT", f"{SETTINGS}/sla", (await http.get(SETTINGS)).json()["sla"]),
        ("PUT", f"{SETTINGS}/escalation", {"words": [], "priority": "low"}),
        ("GET", f"/api/admin/sites/{site.id}/hours", None),
        ("PUT", f"/api/admin/sites/{site.id}/hours", _hours_body()),
        ("DELETE", f"/api/admin/sites/{site.id}/hours", None),
    ]
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10) as other:
        for method, path, body in calls:
            response = await other.request(method, path, json=body)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as anonymous:
        assert (await anonymous.get(RULES)).status_code == 401
        assert (await anonymous.post(RULES, json={"name": "X", "priority": "low"})).status_code == 401
    assert await _rules(http) == before_rules
    assert (await http.get(SETTINGS)).json() == before_settings
    assert (await http.get(f"/api/admin/sites/{site.id}/hours")).json() == {"hours": None}


async def test_cookie_calls_need_the_csrf_header(server: InProcessServer, people: People) -> None:
    login = (await api_login(server, people.admin.email)).json()
    site = await _site(server)
    writes: list[tuple[str, str, Any]] = [
        ("POST", RULES, {"name": "Forged", "priority": "urgent"}),
        ("PUT", f"{SETTINGS}/escalation", {"words": ["forged"], "priority": "low"}),
        ("PUT", f"/api/admin/sites/{site.id}/hours", _hours_body()),
    ]
    async with httpx.AsyncClient(base_url=server.url, cookies={"chatsvc_session": login["token"]}) as http:
        assert (await http.get(RULES)).status_code == 200  # reading needs no token
        before = (await http.get(SETTINGS)).json()
        for method, path, body in writes:
            for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
                refused = await http.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed", (path, headers)
        assert (await http.get(RULES)).json()["rules"] == []
        assert (await http.get(SETTINGS)).json() == before
        assert (await http.get(f"/api/admin/sites/{site.id}/hours")).json() == {"hours": None}
        done = await http.post(RULES, json={"name": "Real", "priority": "low"},
                               headers={"X-CSRF-Token": login["csrf_token"]})
        assert done.status_code == 201
        assert [r["name"] for r in (await http.get(RULES)).json()["rules"]] == ["Real"]


# --- rules ---------------------------------------------------------------------------------------------


async def test_rules_crud_and_order(server: InProcessServer, people: People, http: httpx.AsyncClient) -> None:
    billing = await _team(server, "Billing")
    site = await _site(server)
    assert await _rules(http) == []
    first = await http.post(RULES, json={
        "name": "  Invoices  ", "keywords": ["invoice", " Receipt ", "INVOICE"], "team_id": billing.id,
        "priority": "high",
    })
    assert first.status_code == 201
    rule = first.json()["rule"]
    assert rule == {
        "id": rule["id"], "position": 1, "name": "Invoices", "enabled": True, "keywords": ["invoice", "Receipt"],
        "topic": None, "site_id": None, "team_id": billing.id, "agent_id": None, "priority": "high",
    }
    second = (await http.post(RULES, json={
        "name": "Shop to Ada", "site_id": site.id, "topic": "orders", "agent_id": people.agent.id,
    })).json()["rule"]
    third = (await http.post(RULES, json={"name": "Catch-all", "priority": "low", "enabled": False})).json()["rule"]
    assert [(r["name"], r["position"]) for r in await _rules(http)] == [
        ("Invoices", 1), ("Shop to Ada", 2), ("Catch-all", 3),
    ]
    assert second["agent_id"] == people.agent.id and second["site_id"] == site.id and second["topic"] == "orders"
    assert third["enabled"] is False

    patched = await http.patch(f"{RULES}/{rule['id']}", json={"enabled": False, "keywords": [], "priority": None,
                                                              "agent_id": people.manager.id})
    assert patched.status_code == 200
    assert patched.json()["rule"] == rule | {
        "enabled": False, "keywords": [], "priority": None, "agent_id": people.manager.id,
    }

    moved = await http.post(f"{RULES}/{third['id']}/move", json={"position": 1})
    assert moved.status_code == 200
    assert [(r["name"], r["position"]) for r in moved.json()["rules"]] == [
        ("Catch-all", 1), ("Invoices", 2), ("Shop to Ada", 3),
    ]
    moved = await http.post(f"{RULES}/{third['id']}/move", json={"position": 3})
    assert [r["name"] for r in moved.json()["rules"]] == ["Invoices", "Shop to Ada", "Catch-all"]

    assert (await http.delete(f"{RULES}/{second['id']}")).status_code == 204
    assert [(r["name"], r["position"]) for r in await _rules(http)][0] == ("Invoices", 1)
    assert [r["name"] for r in await _rules(http)] == ["Invoices", "Catch-all"]
    assert (await http.delete(f"{RULES}/{second['id']}")).status_code == 404
    missing = "x" * 22
    assert (await http.patch(f"{RULES}/{missing}", json={"name": "Nobody"})).status_code == 404
    assert (await http.post(f"{RULES}/{missing}/move", json={"position": 1})).status_code == 404
    assert (await http.delete(f"{RULES}/{'y' * 100}")).status_code == 404


VALID_RULE = {"name": "Valid", "keywords": ["refund"], "priority": "high"}


CREATE_REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"id": "chosen-id"}, "unknown field"),
    ({"position": 1}, "unknown field"),
    ({"created_at": "2020-01-01T00:00:00Z"}, "unknown field"),
    ({"updated_at": "2020-01-01T00:00:00Z"}, "unknown field"),
    ({"name": {"$ne": None}}, "Expected `str`"),
    ({"name": [1]}, "Expected `str`"),
    ({"name": True}, "Expected `str`"),
    ({"name": 0}, "Expected `str`"),
    ({"name": ""}, "length"),
    ({"name": "   "}, "needs a name"),
    ({"name": "x" * 121}, "length"),
    ({"name": "two\nlines"}, "one line"),
    ({"keywords": "refund"}, "Expected `array`"),
    ({"keywords": [{"$regex": "^a"}]}, "Expected `str`"),
    ({"keywords": [1]}, "Expected `str`"),
    ({"keywords": ["!!!"]}, "no letter or digit"),
    ({"keywords": [" "]}, "non-empty"),
    ({"priority": "critical"}, "Invalid enum value"),
    ({"priority": {"$ne": None}}, "Expected `str"),
    ({"enabled": "yes"}, "Expected `bool`"),
    ({"topic": "Not A Topic!"}, "Not a valid topic"),
    ({"team_id": "no-such-team"}, "Unknown team"),
    ({"team_id": {"$ne": None}}, "Expected `str"),
    ({"agent_id": "no-such-user"}, "Unknown agent"),
    ({"agent_id": ["x"]}, "Expected `str"),
    ({"site_id": "no-such-site"}, "Unknown site"),
    ({"site_id": True}, "Expected `str"),
    ({"priority": None}, "must set a team, an agent or a priority"),
]


async def test_create_rule_refuses(server: InProcessServer, http: httpx.AsyncClient) -> None:
    existing = (await http.post(RULES, json={"name": "Existing", "priority": "low"})).json()["rule"]
    for change, why in CREATE_REFUSALS:
        response = await http.post(RULES, json=VALID_RULE | change)
        assert response.status_code == 400, (change, response.text)
        body = response.json()
        assert body["error"] == "bad_request" and why in body["message"], (change, body)
    assert await _rules(http) == [existing]


async def test_a_rule_may_not_name_a_disabled_agent(
    server: InProcessServer, people: People, http: httpx.AsyncClient
) -> None:
    assert (await http.patch(f"/api/admin/users/{people.agent.id}", json={"disabled": True})).status_code == 200
    response = await http.post(RULES, json={"name": "To Alex", "agent_id": people.agent.id})
    assert response.status_code == 400 and "disabled" in response.json()["message"]
    assert await _rules(http) == []


UPDATE_REFUSALS: list[dict[str, Any]] = [
    {"id": "other"}, {"position": 3}, {"created_at": "2020-01-01T00:00:00Z"}, {"name": {"$ne": None}},
    {"name": [1]}, {"name": True}, {"keywords": [1]}, {"keywords": "invoice"}, {"priority": "critical"},
    {"enabled": 1}, {"team_id": "no-such-team"}, {"agent_id": "no-such-user"}, {"site_id": "no-such-site"},
    {"team_id": None, "priority": None},
]


async def test_update_rule_refuses(server: InProcessServer, http: httpx.AsyncClient) -> None:
    billing = await _team(server, "Billing")
    rule = (await http.post(RULES, json={"name": "Invoices", "keywords": ["invoice"], "team_id": billing.id,
                                         "priority": "high"})).json()["rule"]
    for patch in UPDATE_REFUSALS:
        response = await http.patch(f"{RULES}/{rule['id']}", json=patch)
        assert response.status_code == 400, (patch, response.text)
    assert await _rules(http) == [rule]


async def test_move_refuses(http: httpx.AsyncClient) -> None:
    for name in ("One", "Two"):
        await http.post(RULES, json={"name": name, "priority": "low"})
    before = await _rules(http)
    for body in ({"position": 0}, {"position": -1}, {"position": 3}, {"position": "1"}, {"position": True},
                 {"position": 1.5}, {"position": [1]}, {}, {"position": 1, "id": "x"}, [1]):
        response = await http.post(f"{RULES}/{before[1]['id']}/move", json=body)
        assert response.status_code == 400, (body, response.text)
    assert await _rules(http) == before


async def test_bodies_must_be_json_objects(http: httpx.AsyncClient) -> None:
    for body in ([1], "name", True, None):
        assert (await http.post(RULES, json=body)).status_code == 400
    not_json = await http.post(RULES, content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 400
    assert await _rules(http) == []


# --- SLA targets and escalation words ------------------------------------------------------------------


DEFAULT_SLA = {
    "business_hours": True,
    "targets": {
        "low": {"first_response_minutes": 1440, "resolution_minutes": 10080},
        "normal": {"first_response_minutes": 480, "resolution_minutes": 4320},
        "high": {"first_response_minutes": 240, "resolution_minutes": 1440},
        "urgent": {"first_response_minutes": 60, "resolution_minutes": 240},
    },
}
MY_SLA = {
    "business_hours": False,
    "targets": {
        "low": {"first_response_minutes": 600, "resolution_minutes": 6000},
        "normal": {"first_response_minutes": 120, "resolution_minutes": 2400},
        "high": {"first_response_minutes": 30, "resolution_minutes": 480},
        "urgent": {"first_response_minutes": 15, "resolution_minutes": 120},
    },
}


async def test_settings_defaults_and_round_trip(http: httpx.AsyncClient) -> None:
    defaults = (await http.get(SETTINGS)).json()
    assert defaults["sla"] == DEFAULT_SLA
    assert defaults["escalation"]["priority"] == "urgent" and "avocat" in defaults["escalation"]["words"]

    saved = await http.put(f"{SETTINGS}/sla", json=MY_SLA)
    assert saved.status_code == 200 and saved.json() == {"sla": MY_SLA}
    escalation = await http.put(f"{SETTINGS}/escalation", json={
        "words": [" legal action ", "Lawyer", "lawyer", "remboursé"], "priority": "high",
    })
    assert escalation.status_code == 200
    assert escalation.json() == {"escalation": {"words": ["legal action", "Lawyer", "remboursé"], "priority": "high"}}
    assert (await http.get(SETTINGS)).json() == {
        "sla": MY_SLA, "escalation": {"words": ["legal action", "Lawyer", "remboursé"], "priority": "high"},
    }
    # No escalation words at all is a valid choice.
    assert (await http.put(f"{SETTINGS}/escalation", json={"words": [], "priority": "urgent"})).status_code == 200
    assert (await http.get(SETTINGS)).json()["escalation"] == {"words": [], "priority": "urgent"}


def _sla_with(priority: str, **target: Any) -> dict[str, Any]:
    targets = dict(MY_SLA["targets"])  # type: ignore[call-overload]
    targets[priority] = target
    return {"business_hours": True, "targets": targets}


SLA_REFUSALS: list[tuple[Any, str]] = [
    (_sla_with("high", first_response_minutes=600, resolution_minutes=60), "first response cannot be due after"),
    (_sla_with("high", first_response_minutes=True, resolution_minutes=60), "Expected `int`"),
    (_sla_with("high", first_response_minutes=1.5, resolution_minutes=60), "Expected `int`"),
    (_sla_with("high", first_response_minutes="30", resolution_minutes=60), "Expected `int`"),
    (_sla_with("high", first_response_minutes={"$ne": None}, resolution_minutes=60), "Expected `int`"),
    (_sla_with("high", first_response_minutes=0, resolution_minutes=60), ">= 1"),
    (_sla_with("high", first_response_minutes=30, resolution_minutes=10**9), "<= 525600"),
    (_sla_with("high", first_response_minutes=30), "missing required field"),
    (_sla_with("high", first_response_minutes=30, resolution_minutes=60, grace=5), "unknown field"),
    ({"business_hours": True, "targets": {k: v for k, v in MY_SLA["targets"].items() if k != "low"}},  # type: ignore[attr-defined]
     'required for the "low" priority'),
    ({**MY_SLA, "targets": {**MY_SLA["targets"], "critical": {"first_response_minutes": 1,  # type: ignore[dict-item]
                                                               "resolution_minutes": 2}}}, "Invalid enum value"),
    ({**MY_SLA, "business_hours": "yes"}, "Expected `bool`"),
    ({**MY_SLA, "business_hours": None}, "Expected `bool`"),
    ({**MY_SLA, "updated_at": "2020-01-01"}, "unknown field"),
    ({"targets": MY_SLA["targets"]}, "missing required field"),
    ([1], "Expected `object`"),
    (True, "Expected `object`"),
]


async def test_sla_refusals_change_nothing(http: httpx.AsyncClient) -> None:
    assert (await http.put(f"{SETTINGS}/sla", json=MY_SLA)).status_code == 200
    for body, why in SLA_REFUSALS:
        response = await http.put(f"{SETTINGS}/sla", json=body)
        assert response.status_code == 400, (body, response.text)
        assert why in response.json()["message"], (body, response.json())
    assert (await http.get(SETTINGS)).json()["sla"] == MY_SLA


ESCALATION_REFUSALS: list[tuple[Any, str]] = [
    ({"words": "avocat", "priority": "urgent"}, "Expected `array`"),
    ({"words": [1], "priority": "urgent"}, "Expected `str`"),
    ({"words": [{"$regex": "^a"}], "priority": "urgent"}, "Expected `str`"),
    ({"words": [""], "priority": "urgent"}, "length"),
    ({"words": ["..."], "priority": "urgent"}, "no letter or digit"),
    ({"words": ["x" * 61], "priority": "urgent"}, "length"),
    ({"words": ["a\u0007b"], "priority": "urgent"}, "control character"),
    ({"words": ["avocat"], "priority": "critical"}, "Invalid enum value"),
    ({"words": ["avocat"], "priority": None}, "Expected `str`"),
    ({"words": ["avocat"]}, "missing required field"),
    ({"words": ["avocat"], "priority": "urgent", "flag": True}, "unknown field"),
    ({"words": ["w"] * 201, "priority": "urgent"}, "length"),
]


async def test_escalation_refusals_change_nothing(http: httpx.AsyncClient) -> None:
    mine = {"words": ["lawyer"], "priority": "high"}
    assert (await http.put(f"{SETTINGS}/escalation", json=mine)).status_code == 200
    for body, why in ESCALATION_REFUSALS:
        response = await http.put(f"{SETTINGS}/escalation", json=body)
        assert response.status_code == 400, (body, response.text)
        assert why in response.json()["message"], (body, response.json())
    assert (await http.get(SETTINGS)).json()["escalation"] == mine


# --- business hours ------------------------------------------------------------------------------------


async def test_hours_round_trip(server: InProcessServer, http: httpx.AsyncClient) -> None:
    site = await _site(server)
    path = f"/api/admin/sites/{site.id}/hours"
    assert (await http.get(path)).json() == {"hours": None}
    saved = await http.put(path, json=_hours_body())
    assert saved.status_code == 200, saved.text
    hours = saved.json()["hours"]
    assert hours == {
        "timezone": "Europe/Paris",
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "tue": [["09:00", "17:00"]], "wed": [],
                   "thu": [], "fri": [], "sat": [], "sun": []},
        "holidays": ["2026-01-01", "2026-12-25"],
    }
    got = (await http.get(path)).json()
    assert got["hours"] == hours and isinstance(got["open_now"], bool)
    assert datetime.datetime.fromisoformat(got["next_opening"]) >= datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    # The ticket service reads the same hours.
    assert (await server.services.tickets.business_hours(site.id)) is not None
    assert (await http.delete(path)).status_code == 204
    assert (await http.get(path)).json() == {"hours": None}
    assert (await http.delete(path)).status_code == 204  # already none: still done
    assert await server.services.tickets.business_hours(site.id) is None


async def test_open_now_and_next_opening(server: InProcessServer, http: httpx.AsyncClient) -> None:
    site = await _site(server)
    path = f"/api/admin/sites/{site.id}/hours"
    always = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    opened = (await http.put(path, json={"timezone": "UTC", "weekly": always, "holidays": []})).json()
    assert opened["open_now"] is True
    before = datetime.datetime.now(datetime.UTC)
    assert abs(datetime.datetime.fromisoformat(opened["next_opening"]) - before) < datetime.timedelta(minutes=1)

    # Closed today (a holiday in Tokyo): it opens at the next Tokyo midnight.
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    today = datetime.datetime.now(tokyo).date()
    closed = (await http.put(path, json={"timezone": "Asia/Tokyo", "weekly": always,
                                         "holidays": [today.isoformat()]})).json()
    if datetime.datetime.now(tokyo).date() == today:  # not across Tokyo's midnight meanwhile
        assert closed["open_now"] is False
        expected = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tokyo)
        assert datetime.datetime.fromisoformat(closed["next_opening"]) == expected

    never = (await http.put(path, json={"timezone": "UTC", "weekly": {}, "holidays": []})).json()
    assert never["open_now"] is False and never["next_opening"] is None


HOURS_REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ({"timezone": "../../etc/passwd"}, "Unknown time zone"),
    ({"timezone": "America"}, "Unknown time zone"),
    ({"timezone": ""}, "length"),
    ({"timezone": {"$ne": None}}, "Expected `str`"),
    ({"timezone": ["UTC"]}, "Expected `str`"),
    ({"timezone": True}, "Expected `str`"),
    ({"weekly": {"mon": [["17:00", "09:00"]]}}, "must end after it starts"),
    ({"weekly": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "overlap"),
    ({"weekly": {"mon": [["9am", "5pm"]]}}, "length"),
    ({"weekly": {"mon": [["25:00", "26:00"]]}}, "not a time of the form HH:MM"),
    ({"weekly": {"mon": [["24:00", "24:00"]]}}, "not a time of the form HH:MM"),
    ({"weekly": {"mon": [["09:00"]]}}, "Expected `array` of length 2"),
    ({"weekly": {"mon": "09:00-17:00"}}, "Expected `array`"),
    ({"weekly": {"funday": [["09:00", "17:00"]]}}, "Invalid enum value"),
    ({"weekly": [1]}, "Expected `object`"),
    ({"weekly": {"mon": [["09:00", "10:00"]] * 11}}, "length"),
    ({"holidays": ["2026-13-01"]}, "not a date"),
    ({"holidays": ["20261225"]}, "not a date"),
    ({"holidays": "2026-12-25"}, "Expected `array`"),
    ({"holidays": [20261225]}, "Expected `str`"),
    ({"site_id": "other"}, "unknown field"),
    ({"updated_at": "2020-01-01"}, "unknown field"),
]


async def test_hours_refusals_change_nothing(server: InProcessServer, http: httpx.AsyncClient) -> None:
    site = await _site(server)
    path = f"/api/admin/sites/{site.id}/hours"
    assert (await http.put(path, json=_hours_body())).status_code == 200
    before = (await http.get(path)).json()["hours"]
    for change, why in HOURS_REFUSALS:
        response = await http.put(path, json=_hours_body(**change))
        assert response.status_code == 400, (change, response.text)
        assert why in response.json()["message"], (change, response.json())
    for body in ([1], "UTC", None):
        assert (await http.put(path, json=body)).status_code == 400
    assert (await http.get(path)).json()["hours"] == before


async def test_hours_of_an_unknown_site_are_404(server: InProcessServer, http: httpx.AsyncClient) -> None:
    for site_id in ("x" * 22, "z" * 100):
        path = f"/api/admin/sites/{site_id}/hours"
        assert (await http.get(path)).status_code == 404
        assert (await http.put(path, json=_hours_body())).status_code == 404
        assert (await http.delete(path)).status_code == 404


# --- the rules really route new tickets ----------------------------------------------------------------


async def test_rules_and_escalation_apply_to_new_tickets(server: InProcessServer, http: httpx.AsyncClient) -> None:
    billing = await _team(server, "Billing")
    assert (await http.post(RULES, json={"name": "Invoices", "keywords": ["invoice"], "team_id": billing.id,
                                         "priority": "high"})).status_code == 201
    assert (await http.post(RULES, json={"name": "Everything else", "priority": "low"})).status_code == 201

    async def ticket(subject: str, message: str) -> dict[str, Any]:
        created = await http.post("/api/tickets", json={
            "site": "default", "subject": subject, "message": message, "requester": {"email": "v@example.com"},
        })
        assert created.status_code == 201, created.text
        got = await http.get(f"/api/tickets/{created.json()['ticket']['id']}")
        assert got.status_code == 200
        return got.json()["ticket"]  # type: ignore[no-any-return]

    invoice = await ticket("Question", "Where is my Invoice for March?")
    assert (invoice["team_id"], invoice["priority"], invoice["flagged"]) == (billing.id, "high", False)
    other = await ticket("Delivery", "My parcel has not arrived.")
    assert (other["team_id"], other["priority"], other["flagged"]) == (None, "low", False)
    lawyer = await ticket("Colis perdu", "Sans réponse, je contacte mon avocat.")
    assert (lawyer["team_id"], lawyer["priority"], lawyer["flagged"]) == (None, "urgent", True)

    # Disabling the first rule sends invoices to the catch-all.
    rule_id = (await _rules(http))[0]["id"]
    assert (await http.patch(f"{RULES}/{rule_id}", json={"enabled": False})).status_code == 200
    later = await ticket("Question", "Another invoice question")
    assert (later["team_id"], later["priority"]) == (None, "low")
