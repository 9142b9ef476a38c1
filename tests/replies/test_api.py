"""The replies API over real HTTP, on every backend: the bot's menu and canned responses, with their
permissions, strict bodies, CSRF and conflicts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from chatsvc.domain.menu import Choice
from tests.accounts.helpers import api_login
from tests.replies.conftest import Staff
from tests.replies.helpers import api_client, sample_menu
from tests.support.servers import InProcessServer


async def test_anonymous_callers_are_refused(server: InProcessServer, staff: Staff) -> None:
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/api/menu", None), ("PUT", "/api/menu", {"items": []}), ("GET", "/api/canned", None),
        ("POST", "/api/canned", {"shortcut": "x", "title": "x", "body": "x"}), ("GET", "/api/canned/x", None),
        ("PATCH", "/api/canned/x", {"title": "y"}), ("DELETE", "/api/canned/x", None),
        ("POST", "/api/canned/x/expand", {}),
    ]
    async with httpx.AsyncClient(base_url=server.url) as http:
        for method, path, body in calls:
            response = await http.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "unauthorized"
        forged = await http.get("/api/menu", headers={"Authorization": "Bearer forged"})
        assert forged.status_code == 401


# --- the menu ----------------------------------------------------------------------------------------------


async def test_admin_saves_a_menu_with_sub_menus_and_staff_read_it(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as http:
        assert (await http.get("/api/menu")).json() == {"items": []}
        saved = await http.put("/api/menu", json={"items": sample_menu()})
        assert saved.status_code == 200, saved.text
    items = saved.json()["items"]
    assert [(i["id"], i["parent"], i["position"]) for i in items] == [
        ("billing", None, 0), ("invoice", "billing", 0), ("refunds", "billing", 1), ("refund-team", "refunds", 0),
        ("refund-person", "refunds", 1), ("tech", None, 1), ("person", None, 2),
    ]
    assert items[0] == {"id": "billing", "parent": None, "position": 0, "label": "Billing", "label_fr": "Facturation",
                        "action": "menu", "payload": None}
    for reader in (staff.agent, staff.manager):
        async with await api_client(server, reader) as http:
            assert (await http.get("/api/menu")).json()["items"] == items

    # What the bot reads, at once, in this process: root buttons, sub-menus, labels in the visitor's language.
    replies = server.services.replies
    assert replies.has_menu()
    assert replies.menu_for(None, "fr") == [
        Choice("billing", "Facturation", "menu"), Choice("tech", "Problème technique", "topic"),
        Choice("person", "Parler à un conseiller", "human"),
    ]
    assert [c.id for c in replies.menu_for("billing", "en")] == ["invoice", "refunds"]
    assert [c.label for c in replies.menu_for("refunds", "fr")] == ["Ask the billing team", "Someone else"]
    assert replies.menu_for("invoice", "en") == []
    invoice = replies.item("invoice")
    assert invoice is not None and invoice.action == "answer" and invoice.payload.startswith("Invoices")
    assert replies.label(invoice, "fr") == "Where is my invoice?"
    assert replies.item("ghost") is None


async def test_get_then_put_round_trips_and_reorders(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as http:
        items = (await http.put("/api/menu", json={"items": sample_menu()})).json()["items"]
        # The answer of GET is a valid body for PUT; positions given explicitly win over the list's order.
        for item in items:
            if item["id"] == "person":
                item["position"] = 0
            elif item["parent"] is None:
                item["position"] += 1
        again = await http.put("/api/menu", json={"items": list(reversed(items))})
        assert again.status_code == 200, again.text
        roots = [i["id"] for i in again.json()["items"] if i["parent"] is None]
        assert roots == ["person", "billing", "tech"]
        # Without positions, the list's order is the menu's order; an empty list removes the menu.
        assert (await http.put("/api/menu", json={"items": []})).json() == {"items": []}
    assert not server.services.replies.has_menu()


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_only_admins_change_the_menu(server: InProcessServer, staff: Staff, role: str) -> None:
    async with await api_client(server, staff.admin) as http:
        await http.put("/api/menu", json={"items": sample_menu()})
    async with await api_client(server, staff.agent if role == "agent" else staff.manager) as http:
        for body in ({"items": []}, {"items": [{"id": "x", "label": "X", "action": "human"}]}, {"junk": 1}):
            refused = await http.put("/api/menu", json=body)
            assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert len(server.services.replies.current_menu()) == len(sample_menu())
    async with await api_client(server, staff.admin) as http:
        assert len((await http.get("/api/menu")).json()["items"]) == len(sample_menu())


def _with(*changes: tuple[str, dict[str, Any]], extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    items = sample_menu()
    for item_id, change in changes:
        for item in items:
            if item["id"] == item_id:
                item.update(change)
    return items + (extra or [])


# Each: a menu body that must be refused whole, and a phrase of the reason given.
REFUSED_MENUS: list[tuple[list[dict[str, Any]], str]] = [
    (_with(("billing", {"parent": "refund-team"}), ("refund-team", {"action": "menu", "payload": None})), "cycle"),
    (_with(("billing", {"parent": "billing"})), "under itself"),
    (_with(("refund-person", {"action": "menu"}),
           extra=[{"id": "deep", "parent": "refund-person", "label": "Deep", "action": "human"}]), "levels deep"),
    (_with(("tech", {"payload": "Technical Problems"})), "topic"),
    (_with(("tech", {"payload": None})), "topic"),
    (_with(("invoice", {"payload": "   "})), "answers with a text"),
    (_with(("invoice", {"payload": "x" * 4001})), "longer than 4000"),
    (_with(("person", {"payload": "billing"})), "takes no"),
    (_with(("billing", {"label": ""})), "needs a label"),
    (_with(("billing", {"label": "x" * 81})), "1 to 80 characters"),
    (_with(("invoice", {"parent": "ghost"})), "does not exist"),
    (_with(extra=[{"id": "tech", "label": "Again", "action": "human"}]), "Two items have the id"),
    (_with(extra=[{"id": f"more{n}", "label": f"More {n}", "action": "human"} for n in range(10)]),
     "At most 12 items at the top level"),
    (_with(("tech", {"action": "article", "payload": "no-such-article"})), "does not exist"),
    (_with(("billing", {"owner": "me"})), "Object contains unknown field `owner`"),
    (_with(("billing", {"action": "explode"})), "Invalid enum value"),
    (_with(("billing", {"id": "has space"})), "Expected `str` matching"),
    (_with(("billing", {"position": -1})), "Expected `int` >= 0"),
]


async def test_a_refused_menu_changes_nothing(server: InProcessServer, staff: Staff) -> None:
    """A cycle, too deep, a bad topic, unknown fields...: 400 with the reason, and the stored menu (and the
    bot's copy of it) exactly as before."""
    async with await api_client(server, staff.admin) as http:
        before = (await http.put("/api/menu", json={"items": sample_menu()})).json()
        for items, message in REFUSED_MENUS:
            refused = await http.put("/api/menu", json={"items": items})
            assert refused.status_code == 400, (message, refused.text)
            assert refused.json()["error"] == "bad_request"
            assert message in refused.json()["message"], (message, refused.json()["message"])
        assert (await http.get("/api/menu")).json() == before
    assert [c.id for c in server.services.replies.menu_for(None, "en")] == ["billing", "tech", "person"]


async def test_malformed_menu_bodies(server: InProcessServer, staff: Staff) -> None:
    bodies = [b'{"items": [], "version": 2}', b"[]", b'{"items": {}}', b"not json", b'{"items": [' + b"[" * 5000]
    async with await api_client(server, staff.admin) as http:
        for body in bodies:
            refused = await http.put("/api/menu", content=body, headers={"Content-Type": "application/json"})
            assert refused.status_code == 400 and refused.json()["error"] == "bad_request", body[:30]
        wrong_type = await http.put("/api/menu", content=b'{"items": []}', headers={"Content-Type": "text/plain"})
        assert wrong_type.status_code == 400
        too_big = await http.put("/api/menu", content=b'{"items": [' + b" " * (1024 * 1024) + b"]}",
                                 headers={"Content-Type": "application/json"})
        assert too_big.status_code == 400 and "too large" in too_big.json()["message"]


async def test_a_large_menu_fits(server: InProcessServer, staff: Staff) -> None:
    """Twelve sub-menus of answers near the length limit: far over the 64 KiB of ordinary bodies."""
    items: list[dict[str, Any]] = []
    for n in range(12):
        items.append({"id": f"m{n}", "label": f"Menu {n}", "action": "menu"})
        items += [{"id": f"m{n}a{k}", "parent": f"m{n}", "label": f"Answer {k}", "action": "answer",
                   "payload": "é" * 3900} for k in range(4)]
    async with await api_client(server, staff.admin) as http:
        saved = await http.put("/api/menu", json={"items": items})
        assert saved.status_code == 200, saved.text[:300]
        assert len(saved.json()["items"]) == 60


async def test_menu_writes_by_cookie_need_the_csrf_header(server: InProcessServer, staff: Staff) -> None:
    login = (await api_login(server, staff.admin.email)).json()
    async with httpx.AsyncClient(base_url=server.url, cookies={"chatsvc_session": login["token"]}) as http:
        assert (await http.get("/api/menu")).status_code == 200
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
            refused = await http.put("/api/menu", json={"items": sample_menu()}, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        assert not server.services.replies.has_menu()
        done = await http.put("/api/menu", json={"items": sample_menu()}, headers={"X-CSRF-Token": login["csrf_token"]})
        assert done.status_code == 200
    assert server.services.replies.has_menu()


async def test_another_process_sees_the_new_menu(backend, start_server, staff: Staff, server: InProcessServer) -> None:  # type: ignore[no-untyped-def]
    """Two servers on one PostgreSQL + Redis: a save on one reaches the other's memory through a broker notice."""
    if backend.name != "postgres+redis":
        pytest.skip("one process only on the embedded backend")
    async with start_server(backend) as other:
        assert not other.services.replies.has_menu()
        async with await api_client(server, staff.admin) as http:
            assert (await http.put("/api/menu", json={"items": sample_menu()})).status_code == 200
        async with asyncio.timeout(5):
            while [c.id for c in other.services.replies.menu_for(None, "en")] != ["billing", "tech", "person"]:
                await asyncio.sleep(0.02)
        async with await api_client(other, staff.admin) as http:
            assert (await http.put("/api/menu", json={"items": sample_menu()[-1:]})).status_code == 200
        async with asyncio.timeout(5):
            while [c.id for c in server.services.replies.menu_for(None, "en")] != ["person"]:
                await asyncio.sleep(0.02)


# --- canned responses --------------------------------------------------------------------------------------


async def _create(http: httpx.AsyncClient, shortcut: str, body: str = "Hello {visitor_name}", **extra: Any) -> dict[str, Any]:
    response = await http.post("/api/canned", json={"shortcut": shortcut, "title": shortcut.title(), "body": body,
                                                   **extra})
    assert response.status_code == 201, response.text
    return response.json()["canned"]  # type: ignore[no-any-return]


async def test_shared_and_personal_responses_and_who_may_change_them(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as admin, await api_client(server, staff.agent) as agent, \
            await api_client(server, staff.other) as other:
        shared = await _create(admin, "hello", shared=True)
        assert shared["shared"] is True and shared["editable"] is True
        mine = await _create(agent, "bye", "Goodbye {visitor_name}")
        assert mine["shared"] is False and mine["editable"] is True
        theirs = await _create(other, "later")

        listed = (await agent.get("/api/canned")).json()["canned"]
        assert [(c["shortcut"], c["shared"], c["editable"]) for c in listed] == [("bye", False, True),
                                                                                 ("hello", True, False)]
        assert "owner_id" not in listed[0]
        assert [c["shortcut"] for c in (await admin.get("/api/canned")).json()["canned"]] == ["hello"]

        # Agents read shared responses but may not change them, nor create shared ones.
        assert (await agent.get(f"/api/canned/{shared['id']}")).json()["canned"]["title"] == "Hello"
        for response in (
            await agent.patch(f"/api/canned/{shared['id']}", json={"title": "Mine now"}),
            await agent.delete(f"/api/canned/{shared['id']}"),
            await agent.post("/api/canned", json={"shortcut": "sneaky", "title": "t", "body": "b", "shared": True}),
        ):
            assert response.status_code == 403 and response.json()["error"] == "forbidden"
        # Someone else's personal response does not exist for anyone else, admins included.
        for client in (agent, admin):
            for response in (
                await client.get(f"/api/canned/{theirs['id']}"),
                await client.patch(f"/api/canned/{theirs['id']}", json={"title": "Taken"}),
                await client.delete(f"/api/canned/{theirs['id']}"),
                await client.post(f"/api/canned/{theirs['id']}/expand", json={}),
            ):
                assert response.status_code == 404 and response.json()["error"] == "not_found"
        # Each changes what is theirs to change.
        patched = await agent.patch(f"/api/canned/{mine['id']}", json={"title": "Goodbye", "shortcut": "/Ciao"})
        assert patched.status_code == 200
        assert (patched.json()["canned"]["title"], patched.json()["canned"]["shortcut"]) == ("Goodbye", "ciao")
        assert patched.json()["canned"]["updated_at"] >= mine["updated_at"]
        assert (await admin.patch(f"/api/canned/{shared['id']}", json={"body": "Hi {visitor_name}!"})).status_code == 200
        assert (await other.delete(f"/api/canned/{theirs['id']}")).status_code == 204
        assert (await other.get(f"/api/canned/{theirs['id']}")).status_code == 404
    store = server.services.replies.canned_store
    assert (await store.get(shared["id"])).body == "Hi {visitor_name}!"
    assert (await store.get(mine["id"])).owner_id == staff.agent.id


async def test_create_refuses_fields_the_caller_may_not_set(server: InProcessServer, staff: Staff) -> None:
    extras: list[dict[str, Any]] = [{"owner_id": staff.other.id}, {"id": "chosen"}, {"created_at": "2020-01-01T00:00:00Z"},
                                    {"editable": True}, {"shared": "yes"}, {"shortcut": 5}, {"body": ""}]
    async with await api_client(server, staff.agent) as http:
        for extra in extras:
            refused = await http.post("/api/canned", json={"shortcut": "x", "title": "t", "body": "b", **extra})
            assert refused.status_code == 400 and refused.json()["error"] == "bad_request", extra
        assert (await http.get("/api/canned")).json()["canned"] == []
    async with await api_client(server, staff.other) as http:
        assert (await http.get("/api/canned")).json()["canned"] == []


async def test_update_refuses_what_it_does_not_allow(server: InProcessServer, staff: Staff) -> None:
    patches: list[dict[str, Any]] = [
        {"owner_id": staff.other.id}, {"shared": True}, {"id": "x"}, {"title": ""}, {"title": "two\nlines"},
        {"shortcut": "no spaces"}, {"body": " "}, {"body": "x" * 4001}, {"title": None},
    ]
    async with await api_client(server, staff.agent) as http:
        mine = await _create(http, "mine")
        for patch in patches:
            refused = await http.patch(f"/api/canned/{mine['id']}", json=patch)
            assert refused.status_code == 400, (patch, refused.text)
        assert (await http.get(f"/api/canned/{mine['id']}")).json()["canned"] == mine


async def test_shortcut_conflicts(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as admin, await api_client(server, staff.agent) as agent, \
            await api_client(server, staff.other) as other:
        await _create(admin, "hello", shared=True)
        await _create(agent, "hello")  # a personal one may reuse a shared shortcut: the person's own wins
        await _create(other, "hello")  # and every person has their own shortcuts
        for client, extra in ((admin, {"shared": True}), (agent, {})):
            taken = await client.post("/api/canned", json={"shortcut": "HELLO", "title": "t", "body": "b", **extra})
            assert taken.status_code == 409 and taken.json()["error"] == "conflict"
        second = await _create(agent, "second")
        moved = await agent.patch(f"/api/canned/{second['id']}", json={"shortcut": "hello"})
        assert moved.status_code == 409
        assert (await agent.get(f"/api/canned/{second['id']}")).json()["canned"]["shortcut"] == "second"


async def test_search(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as admin, await api_client(server, staff.agent) as agent:
        await _create(admin, "refund", "Refunds take five days.", shared=True)
        await _create(admin, "shipping", "We ship in two days; a refund on request.", shared=True)
        await _create(agent, "ref", "My own reference text.")
        found = (await agent.get("/api/canned", params={"q": "/ref"})).json()["canned"]
        assert [c["shortcut"] for c in found] == ["ref", "refund", "shipping"]
        assert [c["shortcut"] for c in (await agent.get("/api/canned", params={"q": "ship"})).json()["canned"]] == [
            "shipping",
        ]
        assert (await agent.get("/api/canned", params={"q": "nothing"})).json()["canned"] == []
        assert (await agent.get("/api/canned", params={"q": "x" * 101})).status_code == 400


async def test_canned_writes_by_cookie_need_the_csrf_header(server: InProcessServer, staff: Staff) -> None:
    login = (await api_login(server, staff.agent.email)).json()
    body = {"shortcut": "x", "title": "t", "body": "b"}
    async with httpx.AsyncClient(base_url=server.url, cookies={"chatsvc_session": login["token"]}) as http:
        refused = await http.post("/api/canned", json=body)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        created = await http.post("/api/canned", json=body, headers={"X-CSRF-Token": login["csrf_token"]})
        assert created.status_code == 201
        canned_id = created.json()["canned"]["id"]
        for method in ("PATCH", "DELETE"):
            refused = await http.request(method, f"/api/canned/{canned_id}", json={"title": "u"})
            assert refused.status_code == 403
        assert (await http.post(f"/api/canned/{canned_id}/expand", json={})).status_code == 403
        assert (await http.get("/api/canned")).json()["canned"][0]["title"] == "t"


async def test_expand_without_a_conversation(server: InProcessServer, staff: Staff) -> None:
    async with await api_client(server, staff.admin) as admin, await api_client(server, staff.agent) as agent:
        shared = await _create(admin, "hello", "Hi {visitor_name}, {agent_name} here on {date}. {{literal}} {ticket}",
                               shared=True)
        await _create(agent, "hello", "Hey, {agent_name} again")
        # By id: the shared one; with no conversation the visitor's placeholder stays for the agent to fill.
        by_id = await agent.post(f"/api/canned/{shared['id']}/expand", json={})
        assert by_id.status_code == 200, by_id.text
        today = server.services.clock().date().isoformat()
        assert by_id.json()["text"] == f"Hi {{visitor_name}}, Alex Agent here on {today}. {{literal}} {{ticket}}"
        assert by_id.json()["unfilled"] == ["visitor_name"]
        # By shortcut: the agent's own before the shared one; an empty body is the same as {}.
        by_shortcut = await agent.post("/api/canned/hello/expand")
        assert by_shortcut.status_code == 200 and by_shortcut.json()["text"] == "Hey, Alex Agent again"
        assert by_shortcut.json()["unfilled"] == []
        assert (await admin.post("/api/canned/hello/expand", json={})).json()["text"].startswith("Hi {visitor_name}, Ada")
        for bad in ({"conversation": "no such"}, {"conversation": 5}, {"visitor_name": "Eve"}):
            assert (await agent.post("/api/canned/hello/expand", json=bad)).status_code == 400
        assert (await agent.post("/api/canned/missing/expand", json={})).status_code == 404
        assert (await agent.post("/api/canned/hello/expand", json={"conversation": "nosuchconversation"})).status_code == 404
