"""Tickets flow into another helpdesk: a real local receiver gets ticket.created, ticket.updated and
ticket.resolved, signed with the webhook's secret, and a failed delivery is retried until it arrives."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from chatsvc.domain.webhooks import EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.webhooks.receiver import Answer, Receiver


async def _wait_for(receiver: Receiver, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count:
        assert time.monotonic() < deadline, f"{len(receiver.requests)} of {count} deliveries arrived"
        await asyncio.sleep(0.05)


async def test_ticket_changes_reach_the_receiver_signed_and_retried(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    # The receiver fails the first delivery: it must come again after the (shortened) backoff.
    receiver = Receiver([Answer(status=503), Answer(status=200)])
    async with receiver.running(), start_server(backend, worker_interval=0.05, retry_base_seconds=0.2) as server:
        admin = await server.add_staff("Root", role="admin")
        token = await server.staff_token(admin)
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
            created_hook = await http.post("/api/admin/webhooks", json={
                "url": receiver.url + "/hooks/chatsvc", "allow_private": True,
                "events": ["ticket.created", "ticket.updated", "ticket.resolved"],
            })
            assert created_hook.status_code == 201, created_hook.text
            secret = created_hook.json()["secret"]
            ticket = (await http.post("/api/tickets", json={
                "site": "default", "subject": "Printer on fire", "message": "Smoke everywhere.",
                "requester": {"email": "vera@example.com"},
            })).json()["ticket"]
            await _wait_for(receiver, 2)  # the 503, then the retry
            first, retry = receiver.requests[:2]
            assert first.body == retry.body  # the same delivery, sent again
            await http.post(f"/api/tickets/{ticket['id']}/reply", json={"text": "Evacuate.", "status": "resolved"})
            await _wait_for(receiver, 3)
            hook_id = created_hook.json()["webhook"]["id"]
            deliveries = (await http.get(f"/api/admin/webhooks/{hook_id}/deliveries")).json()["deliveries"]

    for request in receiver.requests[1:3]:
        assert request.path == "/hooks/chatsvc"
        assert verify(secret, request.headers[TIMESTAMP_HEADER.lower()], request.body,
                      request.headers[SIGNATURE_HEADER.lower()], time.time())
        assert not verify("another secret", request.headers[TIMESTAMP_HEADER.lower()], request.body,
                          request.headers[SIGNATURE_HEADER.lower()], time.time())
    created = json.loads(receiver.requests[1].body)
    assert receiver.requests[1].headers[EVENT_HEADER.lower()] == "ticket.created"
    assert created["data"]["ticket"]["id"] == ticket["id"]
    assert created["data"]["ticket"]["subject"] == "Printer on fire"
    resolved = json.loads(receiver.requests[2].body)
    assert receiver.requests[2].headers[EVENT_HEADER.lower()] == "ticket.resolved"
    assert resolved["data"]["ticket"]["status"] == "resolved"
    assert [e["body"] for e in resolved["data"]["entries"] if e["kind"] == "message"] == ["Evacuate."]
    statuses = sorted((d["event"], d["status"], d["attempts"]) for d in deliveries)
    assert statuses == [("ticket.created", "delivered", 2), ("ticket.resolved", "delivered", 1)]


async def test_internal_notes_never_leave_in_a_webhook(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([Answer(status=200)])
    async with receiver.running(), start_server(backend, worker_interval=0.05) as server:
        admin = await server.add_staff("Root", role="admin")
        token = await server.staff_token(admin)
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
            await http.post("/api/admin/webhooks", json={
                "url": receiver.url, "allow_private": True, "events": ["ticket.created", "ticket.updated"],
            })
            ticket = (await http.post("/api/tickets", json={
                "site": "default", "subject": "Hello", "message": "Hi",
                "requester": {"email": "vera@example.com"},
            })).json()["ticket"]
            await http.post(f"/api/tickets/{ticket['id']}/notes", json={"text": "SECRET: customer is a VIP"})
            await http.post(f"/api/tickets/{ticket['id']}/priority", json={"priority": "high"})
            await _wait_for(receiver, 2)
    bodies = b"".join(r.body for r in receiver.requests)
    assert b"SECRET" not in bodies
    updated = json.loads(receiver.requests[-1].body)
    assert updated["event"] == "ticket.updated"
    assert updated["data"]["entries"][-1]["data"] == {"field": "priority", "from": "normal", "to": "high"}
