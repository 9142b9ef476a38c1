"""Leave-a-message while a chat is open: the chat becomes the ticket (transcript kept, one ticket), the form's
message is the visitor's, and the chat closes for every socket with resolution ``ticket``."""

from __future__ import annotations

import asyncio

import httpx

from chatsvc.client import VisitorClient
from tests.support.servers import InProcessServer
from tests.visitor_tickets import leave, staff_http, ticket_count
from tests.widget_server import ORIGIN


async def test_the_open_chat_becomes_the_ticket(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    second_tab = None
    await visitor.connect()
    try:
        # An email given in the chat: had the visitor simply left, the question would become an "abandoned"
        # ticket. Leaving a message must not make that second ticket.
        await visitor.identify(name="Vera", email="vera@example.com")
        ack = await visitor.send("My parcel never came")
        conversation = ack.conversation
        await visitor.send("Order 991, sent Monday")
        second_tab = VisitorClient(server.url, origin=ORIGIN, token=visitor.token)
        await second_tab.connect()
        assert visitor.token is not None

        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            made = await leave(http, token=visitor.token, name="Vera Lynn", email="vera.lynn@example.com",
                               message="Nobody answered.\nPlease write to me instead.", client_id="leave-1",
                               page_url="https://shop.example/orders/991")
            assert made.status_code == 201, made.text
            assert made.headers["access-control-allow-origin"] == ORIGIN
            ticket_id = made.json()["ticket"]["id"]

            # Both of the visitor's sockets are told the chat is over, and why.
            for client in (visitor, second_tab):
                closed = await client.wait_event(kind="closed", conversation=conversation)
                assert closed.data == {"resolution": "ticket"}
                assert closed.author.role == "visitor"

            full = (await staff.get(f"/api/tickets/{ticket_id}")).json()
            ticket = full["ticket"]
            assert ticket["conversation_id"] == conversation
            assert ticket["source"] == "form" and ticket["status"] == "new"
            assert ticket["subject"] == "Nobody answered."
            assert ticket["requester"] == {"name": "Vera Lynn", "email": "vera.lynn@example.com"}
            said = [event["text"] for event in full["transcript"] if event["kind"] == "message"]
            assert said == ["My parcel never came", "Order 991, sent Monday"]
            messages = [entry for entry in full["entries"] if entry["kind"] == "message"]
            assert [(m["author"]["role"], m["body"]) for m in messages] == [
                ("visitor", "Nobody answered.\nPlease write to me instead.")
            ]
            created = next(entry for entry in full["entries"] if entry["kind"] == "change")
            assert created["data"]["reason"] == "left_message"
            stored = await server.services.ticket_store.get(ticket_id)
            assert stored.details["page_url"] == "https://shop.example/orders/991"

            chat = await server.services.conversation_store.get(conversation)
            assert (chat.status, chat.resolution, chat.closed_by_role) == ("closed", "ticket", "visitor")

            # The same form sent again (a retry after a lost answer): still the one ticket.
            again = await leave(http, token=visitor.token, name="Vera Lynn", email="vera.lynn@example.com",
                                message="Nobody answered.\nPlease write to me instead.", client_id="leave-1")
            assert again.status_code == 201 and again.json()["ticket"]["id"] == ticket_id
            await asyncio.sleep(0.3)  # time for any stray abandoned-question ticket to appear
            assert await ticket_count(staff) == 1

            # The closed chat can be rated like any other.
            rated = await visitor.rate(conversation, 2, comment="Nobody was there")
            assert rated.conversation == conversation
    finally:
        await visitor.close()
        if second_tab is not None:
            await second_tab.close()


async def test_an_agent_holding_the_chat_sees_it_close(server: InProcessServer) -> None:
    alice = await server.add_staff("Alice")
    agent = await server.agent(alice)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        ack = await visitor.send("Hello, anyone?")
        chat = await agent.wait_chat()
        assert chat.id == ack.conversation
        await agent.set_status("away")  # stepped away: the visitor leaves a message instead of waiting
        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            made = await leave(http, token=visitor.token, message="I'll take an answer by mail.")
            assert made.status_code == 201, made.text
            closed = await agent.wait_event(kind="closed", conversation=chat.id)
            assert closed.data == {"resolution": "ticket"}
            ticket = (await staff.get(f"/api/tickets/{made.json()['ticket']['id']}")).json()["ticket"]
            assert ticket["conversation_id"] == chat.id
            assert await ticket_count(staff) == 1
        assert (await server.services.conversation_store.get(chat.id)).resolution == "ticket"
    finally:
        await visitor.close()
        await agent.close()


async def test_without_an_open_chat_the_form_makes_its_own_ticket(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        ack = await visitor.send("Quick question")
        await visitor.end()
        await visitor.wait_event(kind="closed", conversation=ack.conversation)
        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            made = await leave(http, token=visitor.token)
            assert made.status_code == 201
            ticket = (await staff.get(f"/api/tickets/{made.json()['ticket']['id']}")).json()["ticket"]
            assert ticket["conversation_id"] is None and ticket["source"] == "form"
            assert await ticket_count(staff) == 1
    finally:
        await visitor.close()
