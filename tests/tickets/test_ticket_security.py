"""SECURITY.md cases 9, 10, 13 and 16 on tickets: who may read and change what, unguessable ids, filters from
allow-lists only, and CSV cells that no spreadsheet will run."""

from __future__ import annotations

import csv
import io
import time

import httpx
import pytest

from chatsvc.web.tickets_api import csv_cell
from tests.tickets.conftest import staff_api


def _body(subject: str = "Where is my parcel?", **extra: object) -> dict[str, object]:
    return {"site": "default", "subject": subject, "message": "Tracking shows nothing.",
            "requester": {"email": "vera@example.com"}} | extra


async def test_an_agent_sees_only_their_own_their_teams_and_unowned_tickets(server) -> None:  # type: ignore[no-untyped-def]
    boss = await server.add_staff("Boss", role="manager")
    ana = await server.add_staff("Ana")
    bob = await server.add_staff("Bob")
    billing = await server.services.account_store.create_team(name="Billing", topics=[], member_ids=[bob.id],
                                                              now=server.services.clock())
    async with await staff_api(server, boss) as manager, await staff_api(server, ana) as ana_http, \
            await staff_api(server, bob) as bob_http:
        pool = (await manager.post("/api/tickets", json=_body("Pool ticket"))).json()["ticket"]
        billing_ticket = (await manager.post("/api/tickets", json=_body("Billing ticket"))).json()["ticket"]
        moved = await manager.post(f"/api/tickets/{billing_ticket['id']}/assign", json={"team_id": billing.id})
        assert moved.status_code == 200, moved.text
        # Ana is not in Billing: the team's ticket is invisible to her, exactly like one that does not exist.
        hidden = await ana_http.get(f"/api/tickets/{billing_ticket['id']}")
        missing = await ana_http.get("/api/tickets/AAAAAAAAAAAAAAAAAAAAAA")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        for path, body in (("reply", {"text": "hi"}), ("notes", {"text": "x"}), ("status", {"status": "open"}),
                           ("priority", {"priority": "low"}), ("assign", {"assignee_id": ana.id})):
            refused = await ana_http.post(f"/api/tickets/{billing_ticket['id']}/{path}", json=body)
            assert refused.status_code == 404, path
        listed = (await ana_http.get("/api/tickets")).json()
        assert [t["id"] for t in listed["tickets"]] == [pool["id"]]
        # Bob (Billing) sees both; the manager sees everything.
        assert (await bob_http.get(f"/api/tickets/{billing_ticket['id']}")).status_code == 200
        assert (await manager.get("/api/tickets")).json()["total"] == 2
        # Agents take or release tickets; they may not give one to someone else or move it between teams.
        give = await ana_http.post(f"/api/tickets/{pool['id']}/assign", json={"assignee_id": bob.id})
        assert give.status_code == 403
        team = await ana_http.post(f"/api/tickets/{pool['id']}/assign", json={"team_id": billing.id})
        assert team.status_code == 403
        take = await ana_http.post(f"/api/tickets/{pool['id']}/assign", json={"assignee_id": ana.id})
        assert take.status_code == 200 and take.json()["ticket"]["assignee_id"] == ana.id
        # Now Ana's: Bob does not see it any more (not his team, not unowned).
        assert (await bob_http.get(f"/api/tickets/{pool['id']}")).status_code == 404
        full = (await manager.get(f"/api/tickets/{pool['id']}")).json()
        assert full["entries"][-1]["data"] == {"field": "assignee", "from": None, "to": ana.id}


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("status", "closed"),
        ("assignee_id", "x"),
        ("site_id", "x"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("flagged", False),
    ],
)
async def test_fields_the_caller_may_not_set_are_refused(sqlite_server, field: str, value: object) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        refused = await http.post("/api/tickets", json=_body(**{field: value}))
        assert refused.status_code == 400 and refused.json()["error"] == "bad_request"
        assert (await http.get("/api/tickets")).json()["total"] == 0


@pytest.mark.parametrize(
    "subject", [{"$regex": "^a"}, {"$ne": None}, [1], True, 0],
)
async def test_wrong_json_types_are_refused(sqlite_server, subject: object) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        refused = await http.post("/api/tickets", json=_body(subject=subject))  # type: ignore[arg-type]
        assert refused.status_code == 400
        ticket = (await http.post("/api/tickets", json=_body())).json()["ticket"]
        bad_status = await http.post(f"/api/tickets/{ticket['id']}/status", json={"status": {"$ne": None}})
        assert bad_status.status_code == 400
        assert (await http.get(f"/api/tickets/{ticket['id']}")).json()["ticket"]["status"] == "new"


async def test_ticket_ids_are_unguessable(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        ids = [(await http.post("/api/tickets", json=_body(f"T{i}"))).json()["ticket"]["id"] for i in range(5)]
        assert len(set(ids)) == 5 and all(len(i) >= 22 for i in ids)
        for walked in ("1", "2", "3", "100", "0", "-1", "../1", "%2e%2e"):
            assert (await http.get(f"/api/tickets/{walked}")).status_code == 404, walked


@pytest.mark.parametrize(
    "query",
    [
        "status=' OR 1=1--",
        "status=pg_sleep(5)",
        "priority=urgent' OR '1'='1",
        "sort=id;drop table tickets",
        "sort=pg_sleep(5)",
        "order=subject",
        "status__ne=closed",
        "per_page=1000000",
        "page=-1",
        "breached=maybe",
        "assignee=" + "x" * 100,
    ],
)
async def test_filters_outside_the_allow_lists_are_refused_at_once(sqlite_server, query: str) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        await http.post("/api/tickets", json=_body())
        started = time.monotonic()
        refused = await http.get(f"/api/tickets?{query}")
        assert refused.status_code == 400, refused.text
        assert time.monotonic() - started < 1.0
        assert (await http.get(f"/api/tickets.csv?{query}")).status_code == 400


async def test_text_search_is_a_value_not_sql(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        await http.post("/api/tickets", json=_body("Refund for order 12"))
        await http.post("/api/tickets", json=_body("100% broken_widget"))
        for text, expected in (("' OR 1=1--", 0), ("pg_sleep(5)", 0), ("%", 1), ("_", 1), ("order 12", 1)):
            found = (await http.get("/api/tickets", params={"q": text})).json()
            assert found["total"] == expected, text


async def test_filters_narrow_the_list(server) -> None:  # type: ignore[no-untyped-def]
    boss = await server.add_staff("Boss", role="manager")
    async with await staff_api(server, boss) as http:
        low = (await http.post("/api/tickets", json=_body("Small question", priority="low"))).json()["ticket"]
        urgent = (await http.post("/api/tickets", json=_body("Card fraud on my account"))).json()["ticket"]
        assert urgent["priority"] == "urgent" and urgent["flagged"]  # escalation word "fraud"
        await http.post(f"/api/tickets/{low['id']}/status", json={"status": "resolved"})

        async def ids(**params: str) -> list[str]:
            return [t["id"] for t in (await http.get("/api/tickets", params=params)).json()["tickets"]]

        assert await ids(priority="urgent") == [urgent["id"]]
        assert await ids(flagged="1") == [urgent["id"]]
        assert await ids(status="resolved") == [low["id"]]
        assert await ids(status="active") == [urgent["id"]]
        assert await ids(assignee="none", status="active") == [urgent["id"]]
        assert await ids(q="fraud") == [urgent["id"]]
        assert set(await ids()) == {low["id"], urgent["id"]}
        assert await ids(sort="priority") == [urgent["id"], low["id"]]
        page = (await http.get("/api/tickets", params={"per_page": "10", "page": "2"})).json()
        assert page["tickets"] == [] and page["total"] == 2


def test_csv_cells_starting_a_formula_are_neutralised() -> None:
    assert csv_cell("=HYPERLINK(\"http://evil.test\")") == "'=HYPERLINK(\"http://evil.test\")"
    for start in "=+-@\t\r":
        assert csv_cell(start + "1+1").startswith("'")
    assert csv_cell("Refund") == "Refund"
    assert csv_cell(None) == ""


async def test_csv_export_is_inert_and_scoped(server) -> None:  # type: ignore[no-untyped-def]
    boss = await server.add_staff("Boss", role="manager")
    async with await staff_api(server, boss) as http:
        await http.post("/api/tickets", json=_body(
            "=cmd|' /C calc'!A0", requester={"email": "x@example.com", "name": "@SUM(1+1)"}
        ))
        await http.post("/api/tickets", json=_body("+1-555", requester={"email": "y@example.com", "name": "-2"}))
        exported = await http.get("/api/tickets.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert rows[0][:3] == ["id", "subject", "status"]
        assert rows[0][-2:] == ["first_response_sla", "resolution_sla"]
        assert {row[-2] for row in rows[1:]} == {"running"} and {row[-1] for row in rows[1:]} == {"running"}
        cells = [cell for row in rows[1:] for cell in row]
        assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells and "'+1-555" in cells and "'-2" in cells
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)
    # An agent's export holds only what the agent may see.
    ana = await server.add_staff("Ana")
    async with await staff_api(server, ana) as http:
        mine = (await http.post("/api/tickets", json=_body("Mine"))).json()["ticket"]
        await http.post(f"/api/tickets/{mine['id']}/assign", json={"assignee_id": ana.id})
    bob = await server.add_staff("Bob")
    async with await staff_api(server, bob) as http:
        rows = list(csv.reader(io.StringIO((await http.get("/api/tickets.csv")).text)))
        assert mine["id"] not in [row[0] for row in rows]


async def test_ticket_api_needs_a_signed_in_staff_member_and_csrf_for_cookies(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as anonymous:
        assert (await anonymous.get("/api/tickets")).status_code == 401
        assert (await anonymous.post("/api/tickets", json=_body())).status_code == 401
        assert (await anonymous.get("/api/tickets.csv")).status_code == 401
    ana = await sqlite_server.add_staff("Ana")
    token = await sqlite_server.staff_token(ana)
    async with httpx.AsyncClient(base_url=sqlite_server.url, cookies={"chatsvc_session": token}) as browser:
        for header in ({}, {"X-CSRF-Token": ""}):
            refused = await browser.post("/api/tickets", json=_body(), headers=header)
            assert refused.status_code == 403, header
        assert (await browser.get("/api/tickets")).json()["total"] == 0


async def test_me_and_all_are_understood_by_the_api(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    ana = await sqlite_server.add_staff("Ana")
    async with await staff_api(sqlite_server, ana) as http:
        mine = (await http.post("/api/tickets", json=_body("Mine"))).json()["ticket"]
        await http.post("/api/tickets", json=_body("Not mine"))
        await http.post(f"/api/tickets/{mine['id']}/status", json={"status": "resolved"})
        await http.post(f"/api/tickets/{mine['id']}/assign", json={"assignee_id": ana.id})
        found = (await http.get("/api/tickets", params={"assignee": "me", "status": "all"})).json()
        assert [t["id"] for t in found["tickets"]] == [mine["id"]]
        assert (await http.get("/api/tickets", params={"status": "all"})).json()["total"] == 2
