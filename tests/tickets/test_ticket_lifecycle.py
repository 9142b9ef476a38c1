"""Tickets over the real JSON API: every creation path keeps the full story; the lifecycle refuses what is
illegal with a clear error and records who changed what and when."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from chatsvc.client import VisitorClient
from tests.tickets.conftest import staff_api


async def _new_ticket(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "site": "default",
        "subject": "My parcel never came",
        "message": "Ordered on Monday, tracking shows nothing since.",
        "requester": {"email": "vera@example.com", "name": "Vera"},
    } | overrides
    response = await http.post("/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]  # type: ignore[no-any-return]


async def test_api_ticket_keeps_the_message_and_requester(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    async with await staff_api(server, ana) as http:
        ticket = await _new_ticket(http)
        assert ticket["status"] == "new" and ticket["source"] == "api" and ticket["priority"] == "normal"
        full = (await http.get(f"/api/tickets/{ticket['id']}")).json()
        assert full["ticket"]["requester"] == {"email": "vera@example.com", "name": "Vera"}
        created, message = full["entries"]
        assert created["kind"] == "change" and created["data"]["field"] == "created"
        assert created["author"]["name"] == "Ana"
        assert message["kind"] == "message" and message["author"]["role"] == "visitor"
        assert message["body"] == "Ordered on Monday, tracking shows nothing since."
        assert full["next_statuses"] == ["open", "pending", "resolved"]
        assert full["ticket"]["sla"]["first_response"]["state"] == "running"


async def test_every_legal_transition_and_each_illegal_one_refused(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    async with await staff_api(server, ana) as http:
        ticket_id = (await _new_ticket(http))["id"]

        async def move(status: str) -> httpx.Response:
            return await http.post(f"/api/tickets/{ticket_id}/status", json={"status": status})

        # new cannot be closed, nor become new again.
        for illegal in ("closed", "new"):
            refused = await move(illegal)
            assert refused.status_code == 409 and refused.json()["error"] == "invalid_state"
        opened = await move("open")
        assert opened.status_code == 200
        # Opening takes the ticket: "open" means someone has it.
        assert opened.json()["ticket"]["assignee_id"] == ana.id
        for illegal in ("new", "closed", "open"):
            assert (await move(illegal)).status_code == 409
        assert (await move("pending")).status_code == 200
        assert (await move("open")).status_code == 200
        assert (await move("resolved")).status_code == 200
        assert (await move("open")).status_code == 200  # reopened
        assert (await move("resolved")).status_code == 200
        assert (await move("closed")).status_code == 200
        for anything in ("new", "open", "pending", "resolved"):
            refused = await move(anything)
            assert refused.status_code == 409, anything
            assert "closed" in refused.json()["message"]
        full = (await http.get(f"/api/tickets/{ticket_id}")).json()
        changes = [(e["data"]["from"], e["data"]["to"]) for e in full["entries"]
                   if e["kind"] == "change" and e["data"]["field"] == "status"]
        assert changes == [("new", "open"), ("open", "pending"), ("pending", "open"), ("open", "resolved"),
                           ("resolved", "open"), ("open", "resolved"), ("resolved", "closed")]
        assert all(e["author"]["name"] == "Ana" and e["at"] for e in full["entries"] if e["kind"] == "change")
        assert full["ticket"]["closed_at"] and full["next_statuses"] == []
        # A closed ticket takes no reply and no note either.
        assert (await http.post(f"/api/tickets/{ticket_id}/reply", json={"text": "hello?"})).status_code == 409
        assert (await http.post(f"/api/tickets/{ticket_id}/notes", json={"text": "hm"})).status_code == 409


async def test_reply_acknowledges_and_can_set_pending(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    async with await staff_api(server, ana) as http:
        ticket_id = (await _new_ticket(http))["id"]
        replied = await http.post(
            f"/api/tickets/{ticket_id}/reply",
            json={"text": "Could you send the order number?", "status": "pending", "client_id": "r-1"},
        )
        assert replied.status_code == 200, replied.text
        ticket = replied.json()["ticket"]
        assert ticket["status"] == "pending" and ticket["assignee_id"] == ana.id and ticket["first_response_at"]
        again = await http.post(
            f"/api/tickets/{ticket_id}/reply",
            json={"text": "Could you send the order number?", "status": "pending", "client_id": "r-1"},
        )
        assert again.json()["duplicate"] is True
        full = (await http.get(f"/api/tickets/{ticket_id}")).json()
        replies = [e for e in full["entries"] if e["kind"] == "message" and e["author"]["role"] != "visitor"]
        assert len(replies) == 1  # the resend was stored once
        statuses = [(e["data"]["from"], e["data"]["to"]) for e in full["entries"]
                    if e["kind"] == "change" and e["data"]["field"] == "status"]
        assert statuses == [("new", "open"), ("open", "pending")]
        assert full["ticket"]["sla"]["first_response"]["state"] == "met"


async def test_converted_chat_keeps_the_whole_transcript(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        ack = await visitor.send("I want a refund for order 991")
        await visitor.handoff()
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Let me look into it, I will write to you by mail.")
        async with await staff_api(server, ana) as http:
            converted = await http.post(
                f"/api/conversations/{chat.id}/ticket", json={"reason": "needs the warehouse", "priority": "high"}
            )
            assert converted.status_code == 201, converted.text
            ticket = converted.json()["ticket"]
            assert ticket["conversation_id"] == ack.conversation and ticket["source"] == "chat"
            assert ticket["status"] == "open" and ticket["assignee_id"] == ana.id
            # "refund" is an escalation word: the priority goes up to urgent and the ticket is flagged.
            assert ticket["priority"] == "urgent" and ticket["flagged"] is True
            assert ticket["requester"] == {"name": "Vera", "email": "vera@example.com"}
            closed = await visitor.wait_event(kind="closed")
            assert closed.data == {"resolution": "ticket"}
            full = (await http.get(f"/api/tickets/{ticket['id']}")).json()
            kinds = [(e["kind"], e.get("author", {}).get("role")) for e in full["transcript"]]
            assert ("message", "visitor") in kinds and ("message", "agent") in kinds
            assert [e["kind"] for e in full["transcript"]][-1] == "closed"
            texts = [e.get("text") for e in full["transcript"]]
            assert "I want a refund for order 991" in texts
            assert "Let me look into it, I will write to you by mail." in texts
            assert full["entries"][0]["data"]["reason"] == "needs the warehouse"
            # Converting twice gives the same ticket, not a second one... and the chat is closed by now.
            again = await http.post(f"/api/conversations/{chat.id}/ticket", json={"reason": "again"})
            assert again.status_code == 404
            listed = (await http.get("/api/tickets")).json()
            assert listed["total"] == 1
    finally:
        await visitor.close()
        await agent.close()


async def test_visitor_leaving_the_queue_with_an_email_leaves_a_ticket(server) -> None:  # type: ignore[no-untyped-def]
    admin = await server.add_staff("Root", role="admin")
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.identify(email="quiet@example.com")
        ack = await visitor.send("Can I change my delivery address?")
        await visitor.handoff()
        await visitor.wait_queue()
        await visitor.end()
        await visitor.wait_event(kind="closed")
    finally:
        await visitor.close()
    async with await staff_api(server, admin) as http:
        for _ in range(50):
            listed = (await http.get("/api/tickets")).json()
            if listed["total"]:
                break
            await asyncio.sleep(0.05)
        assert listed["total"] == 1
        ticket = listed["tickets"][0]
        assert ticket["source"] == "abandoned" and ticket["conversation_id"] == ack.conversation
        assert ticket["requester"]["email"] == "quiet@example.com"
        assert ticket["subject"] == "Can I change my delivery address?"
        full = (await http.get(f"/api/tickets/{ticket['id']}")).json()
        assert "Can I change my delivery address?" in [e.get("text") for e in full["transcript"]]


async def test_leaving_the_queue_without_an_email_makes_no_ticket(server) -> None:  # type: ignore[no-untyped-def]
    admin = await server.add_staff("Root", role="admin")
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.send("hello?")
        await visitor.handoff()
        await visitor.wait_queue()
        await visitor.end()
        await visitor.wait_event(kind="closed")
    finally:
        await visitor.close()
    async with await staff_api(server, admin) as http:
        assert (await http.get("/api/tickets")).json()["total"] == 0


@pytest.mark.parametrize("email", ["not-an-email", "a\r\nBcc: x@evil.test", "two@@example.com"])
async def test_identify_refuses_bad_emails(sqlite_server, email: str) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(sqlite_server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.identify(email=email)
        error = await visitor.wait_error()
        assert error.code == "bad_request"
    finally:
        await visitor.close()


async def test_the_same_email_links_conversations_and_tickets(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    agent = await server.add_staff("Bo")
    async with await staff_api(server, ana) as http:
        earlier = await _new_ticket(http, requester={"email": "Vera@Example.com", "name": "Vera"})
        bo = await server.agent(agent)
        visitor = VisitorClient(server.url, origin="https://shop.example")
        await visitor.connect()
        try:
            await visitor.identify(email="vera@example.com")
            await visitor.send("Hello again")
            await visitor.handoff()
            chat = await bo.wait_chat()
            async with await staff_api(server, agent) as bo_http:
                seen = (await bo_http.get(f"/api/conversations/{chat.id}")).json()
                assert seen["history"]["visitor"]["email"] == "vera@example.com"
                assert [t["id"] for t in seen["history"]["tickets"]] == [earlier["id"]]
                converted = (await bo_http.post(
                    f"/api/conversations/{chat.id}/ticket", json={"reason": "follow-up"}
                )).json()["ticket"]
            full = (await http.get(f"/api/tickets/{earlier['id']}")).json()
            # Ana sees the chat in the history, not Bo's ticket (not hers, not her team's, not unowned)...
            assert full["history"]["tickets"] == []
            assert [c["id"] for c in full["history"]["conversations"]] == [chat.id]
            # ...a manager sees both.
            boss = await server.add_staff("Boss", role="manager")
            async with await staff_api(server, boss) as manager:
                seen_by_boss = (await manager.get(f"/api/tickets/{earlier['id']}")).json()
            assert [t["id"] for t in seen_by_boss["history"]["tickets"]] == [converted["id"]]
        finally:
            await visitor.close()
            await bo.close()
