"""Canned-response expansion for a real conversation (visitor and agent over real sockets), on every backend:
the visitor's and the agent's names filled in, as plain text, for staff who may read the conversation."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from chatsvc.client import VisitorClient
from chatsvc.store.schema import visitors
from tests.replies.conftest import Staff
from tests.replies.helpers import api_client
from tests.support.servers import InProcessServer

TEMPLATE = "Hello {visitor_name} ({visitor_email}), I'm {agent_name} from {site_name}. {{visitor_name}} {order_id}"
HOSTILE_NAME = "<script>alert(1)</script> {agent_name} {{x}}"


async def test_placeholders_are_filled_from_the_conversation(server: InProcessServer, staff: Staff) -> None:
    agent = await server.agent(staff.agent)
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.send("Hello, where is my refund?")
        chat = await agent.wait_chat()
        await agent.wait_event(kind="assigned", conversation=chat.id)
        conversation = await server.services.conversation_store.get(chat.id)
        site = await server.services.account_store.get_site(conversation.site_id)

        async with await api_client(server, staff.agent) as http:
            created = await http.post("/api/canned", json={"shortcut": "hello", "title": "Hello", "body": TEMPLATE})
            assert created.status_code == 201

            # The visitor gave no name yet: their placeholders stay as written, for the agent to fill.
            anonymous = await http.post("/api/canned/hello/expand", json={"conversation": chat.id})
            assert anonymous.status_code == 200, anonymous.text
            assert anonymous.json()["text"] == (
                f"Hello {{visitor_name}} ({{visitor_email}}), I'm Alex Agent from {site.name}. {{visitor_name}} "
                "{order_id}"
            )
            assert anonymous.json()["unfilled"] == ["visitor_name", "visitor_email"]

            # A name that is markup and a placeholder is inserted as it is: not escaped, not expanded again.
            async with server.services.db.begin() as conn:
                await conn.execute(
                    visitors.update()
                    .where(visitors.c.id == conversation.visitor_id)
                    .values(name=HOSTILE_NAME, email="zoe@example.com")
                )
            named = await http.post(f"/api/canned/{created.json()['canned']['id']}/expand",
                                    json={"conversation": chat.id})
            assert named.status_code == 200
            text = named.json()["text"]
            assert text == (
                f"Hello {HOSTILE_NAME} (zoe@example.com), I'm Alex Agent from {site.name}. {{visitor_name}} {{order_id}}"
            )
            assert named.json()["unfilled"] == []
            assert named.headers["content-type"] == "application/json"

        # Sent as a message, the visitor receives exactly that text.
        await agent.send(chat.id, text)
        received = await visitor.wait_event(kind="message", role="agent", text=text)
        assert received.text == text
    finally:
        await visitor.close()
        await agent.close()

    # Someone who may not read the conversation learns nothing about it (as if it did not exist); a manager,
    # who reads every conversation, gets their own name in it.
    async with await api_client(server, staff.other) as http:
        await http.post("/api/canned", json={"shortcut": "hello", "title": "Hi", "body": "Hi {visitor_name}"})
        hidden = await http.post("/api/canned/hello/expand", json={"conversation": chat.id})
        assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
    async with await api_client(server, staff.manager) as http:
        await http.post("/api/canned", json={"shortcut": "hello", "title": "Hi", "body": "{agent_name} for {visitor_name}"})
        managed = await http.post("/api/canned/hello/expand", json={"conversation": chat.id})
        assert managed.json()["text"] == f"Max Manager for {HOSTILE_NAME}"


async def test_a_visitor_cannot_reach_canned_responses(server: InProcessServer, staff: Staff) -> None:
    """The visitor's token is not a staff credential."""
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.send("hi")
        async with await api_client(server, staff.agent) as http:
            await http.post("/api/canned", json={"shortcut": "hello", "title": "Hi", "body": "Hi"})
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {visitor.token}"}) as http:
            assert (await http.get("/api/canned")).status_code == 401
            assert (await http.post("/api/canned/hello/expand", json={})).status_code == 401
            assert (await http.get("/api/menu")).status_code == 401
    finally:
        await visitor.close()
    rows = 0
    async with server.services.db.connect() as conn:
        rows = int(await conn.scalar(sa.select(sa.func.count()).select_from(visitors)) or 0)
    assert rows == 1
