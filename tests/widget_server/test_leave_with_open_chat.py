"""Leave-a-message while a chat is open: the chat becomes the ticket (transcript kept, one ticket), the form's
message is the visitor's, and the chat closes for every socket with resolution ``ticket``, all in one
transaction. A chat a person holds is refused; a chat that has a ticket already gets the message added to it."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa

from chatsvc.client import VisitorClient
from chatsvc.services.tickets import Requester
from chatsvc.store import schema
from chatsvc.store.tickets import NewEntry
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


async def test_a_chat_a_person_holds_is_refused_and_nothing_changes(server: InProcessServer) -> None:
    alice = await server.add_staff("Alice")
    agent = await server.agent(alice)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        ack = await visitor.send("Hello, anyone?")
        chat = await agent.wait_chat()
        assert chat.id == ack.conversation
        await agent.set_status("away")  # stepped away, but still holds the chat
        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            refused = await leave(http, token=visitor.token, name="Vera Lynn", email="vera.lynn@example.com",
                                  message="I'll take an answer by mail.", client_id="leave-held")
            assert refused.status_code == 409, refused.text
            assert refused.json() == {"error": "invalid_state",
                                      "message": "A person has joined the chat: write to them there."}
            # The widget reads the refusal (CORS) and shows the chat instead.
            assert refused.headers["access-control-allow-origin"] == ORIGIN
            assert await ticket_count(staff) == 0
        held = await server.services.conversation_store.get(chat.id)
        assert (held.status, held.agent_id, held.resolution) == ("assigned", alice.id, None)
        events = await server.services.conversation_store.events_after(chat.id, 0, 100)
        assert "closed" not in [event.kind for event in events]
        stored = await server.services.conversation_store.get_visitor(held.visitor_id)
        assert stored is not None and (stored.name, stored.email) == ("Vera", "vera@example.com")
        # The chat goes on with the person who holds it.
        await visitor.send("Still there?")
        said = await agent.wait_event(kind="message", conversation=chat.id, text="Still there?")
        assert said.author.role == "visitor"
    finally:
        await visitor.close()
        await agent.close()


async def _mail_to(server: InProcessServer, ticket_id: str) -> list[tuple[str, str]]:
    async with server.services.db.connect() as conn:
        result = await conn.execute(
            sa.select(schema.outbound_mail.c.kind, schema.outbound_mail.c.to_address)
            .where(schema.outbound_mail.c.ticket_id == ticket_id)
            .order_by(schema.outbound_mail.c.created_at)
        )
        return [(row.kind, row.to_address) for row in result]


async def test_a_chat_that_has_a_ticket_already_gets_the_message_added_to_it(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        ack = await visitor.send("My parcel never came")
        conversation = await server.services.conversation_store.get(ack.conversation)
        assert conversation.status == "queued"
        # The chat got its ticket a moment ago (here: its question kept as if it had been left in the queue;
        # an agent's convert does the same) while the visitor's widget still shows it open.
        earlier = await server.services.tickets.from_abandoned_chat(conversation)
        assert earlier is not None and earlier.conversation_id == conversation.id
        assert visitor.token is not None

        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            made = await leave(http, token=visitor.token, name="Vera Lynn", email="vera.lynn@example.com",
                               message="Please write to this address instead.", client_id="leave-2")
            assert made.status_code == 201, made.text
            assert made.json()["ticket"]["id"] == earlier.id

            closed = await visitor.wait_event(kind="closed", conversation=conversation.id)
            assert closed.data == {"resolution": "ticket"}
            chat = await server.services.conversation_store.get(conversation.id)
            assert (chat.status, chat.resolution, chat.closed_by_role) == ("closed", "ticket", "visitor")

            ticket = await server.services.ticket_store.get(earlier.id)
            assert (ticket.requester_name, ticket.requester_email) == ("Vera Lynn", "vera.lynn@example.com")
            entries = await server.services.ticket_store.entries(earlier.id)
            messages = [(e.author_role, e.body, e.client_id) for e in entries if e.kind == "message"]
            assert messages == [("visitor", "Please write to this address instead.", "leave-2")]
            changes = [e.data for e in entries if e.kind == "change" and e.data and e.data["field"] == "requester"]
            assert changes == [{"field": "requester", "from": {"name": "Vera", "email": "vera@example.com"},
                                "to": {"name": "Vera Lynn", "email": "vera.lynn@example.com"}}]
            # The new address gets the acknowledgement with the status link (the old one got the first).
            assert await _mail_to(server, earlier.id) == [
                ("ticket_created", "vera@example.com"), ("ticket_created", "vera.lynn@example.com")
            ]

            # The same form sent again: the same ticket, the message stored once.
            again = await leave(http, token=visitor.token, name="Vera Lynn", email="vera.lynn@example.com",
                                message="Please write to this address instead.", client_id="leave-2")
            assert again.status_code == 201 and again.json()["ticket"]["id"] == earlier.id
            resent = [e for e in await server.services.ticket_store.entries(earlier.id) if e.kind == "message"]
            assert len(resent) == 1
            assert await ticket_count(staff) == 1
    finally:
        await visitor.close()


async def test_a_chat_closed_meanwhile_still_adds_the_message_to_its_ticket(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        ack = await visitor.send("My parcel never came")
        stale = await server.services.conversation_store.get(ack.conversation)  # what the form's request read
        # Before its transaction locks the chat, another tab ends it: the question becomes a ticket.
        await visitor.end()
        await visitor.wait_event(kind="closed", conversation=ack.conversation)
        async with asyncio.timeout(5):  # kept just after the close is published
            while (abandoned := await server.services.ticket_store.of_conversation(ack.conversation)) is None:
                await asyncio.sleep(0.05)
        assert abandoned.source == "abandoned"

        message = NewEntry(kind="message", author_role="visitor", author_id=stale.visitor_id,
                           author_name="Vera", body="Nobody answered.", client_id="leave-3")
        ticket = await server.services.tickets.from_open_chat(
            stale, subject="Nobody answered.", message=message,
            requester=Requester(name=None, email="vera@example.com", visitor_id=stale.visitor_id),
            lang="en", details={},
        )
        assert ticket.id == abandoned.id
        entries = await server.services.ticket_store.entries(abandoned.id)
        assert [e.body for e in entries if e.kind == "message"] == ["Nobody answered."]
        events = await server.services.conversation_store.events_after(ack.conversation, 0, 100)
        assert [event.kind for event in events].count("closed") == 1  # closed once, by the visitor's end
        assert (await server.services.conversation_store.get(ack.conversation)).resolution is None
    finally:
        await visitor.close()


_REFUSE_CLOSE = {
    "sqlite": [
        (
            "CREATE TRIGGER refuse_close BEFORE INSERT ON events WHEN NEW.kind = 'closed' "
            "BEGIN SELECT RAISE(ABORT, 'closing refused by the test'); END"
        ),
    ],
    "postgresql": [
        (
            "CREATE FUNCTION refuse_close() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.kind = 'closed' "
            "THEN RAISE EXCEPTION 'closing refused by the test'; END IF; RETURN NEW; END $$"
        ),
        "CREATE TRIGGER refuse_close BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_close()",
    ],
}
_ALLOW_CLOSE = {"sqlite": "DROP TRIGGER refuse_close", "postgresql": "DROP TRIGGER refuse_close ON events"}


async def test_a_close_that_fails_leaves_no_ticket(server: InProcessServer) -> None:
    db = server.services.db
    backend = "sqlite" if db.is_sqlite else "postgresql"
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        ack = await visitor.send("My parcel never came")
        async with db.begin() as conn:  # the database refuses to close any chat
            for statement in _REFUSE_CLOSE[backend]:
                await conn.execute(sa.text(statement))
        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            failed = await leave(http, token=visitor.token, message="Nobody answered.", client_id="leave-4")
            assert failed.status_code == 500
            # One transaction: no ticket without its chat closed, and the chat still waits.
            assert await ticket_count(staff) == 0
            chat = await server.services.conversation_store.get(ack.conversation)
            assert chat.status == "queued"

            async with db.begin() as conn:
                await conn.execute(sa.text(_ALLOW_CLOSE[backend]))
            again = await leave(http, token=visitor.token, message="Nobody answered.", client_id="leave-4")
            assert again.status_code == 201, again.text
            assert await ticket_count(staff) == 1
            closed = await server.services.conversation_store.get(ack.conversation)
            assert (closed.status, closed.resolution) == ("closed", "ticket")
    finally:
        await visitor.close()


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
