"""What goes wrong when people act at the same moment or twice: a chat converted by a double click, a form
sent again after a lost answer, a ticket released or taken while someone else holds it, a visitor writing to a
ticket nobody has, and an address used to make the server send mail."""

from __future__ import annotations

import asyncio

import httpx

from chatsvc.client import VisitorClient
from chatsvc.domain.tickets import TicketStatus
from chatsvc.services.ticket_views import TicketViews
from chatsvc.store.tickets import TicketFilter
from tests.tickets.conftest import make_ticket, manager_identity, staff_api


def _body(**extra: object) -> dict[str, object]:
    return {"site": "default", "subject": "Broken parcel", "message": "It arrived broken.",
            "requester": {"email": "vera@example.com"}} | extra


async def test_a_double_click_on_convert_makes_one_ticket(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.identify(email="vera@example.com")
        await visitor.send("My parcel is broken")
        await visitor.handoff()
        chat = await agent.wait_chat()
        async with await staff_api(server, ana) as http:
            answers = await asyncio.gather(*(
                http.post(f"/api/conversations/{chat.id}/ticket", json={"reason": "warehouse"}) for _ in range(3)
            ))
            made = [a for a in answers if a.status_code == 201]
            assert made, [a.status_code for a in answers]
            assert all(a.status_code in (201, 404) for a in answers), [a.text for a in answers]
            assert len({a.json()["ticket"]["id"] for a in made}) == 1
            assert (await http.get("/api/tickets")).json()["total"] == 1
    finally:
        await visitor.close()
        await agent.close()


async def test_releasing_puts_a_ticket_back_in_the_pool_and_nobody_takes_a_held_one(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    bob = await server.add_staff("Bob")
    async with await staff_api(server, ana) as ana_http, await staff_api(server, bob) as bob_http:
        ticket = (await ana_http.post("/api/tickets", json=_body())).json()["ticket"]
        await ana_http.post(f"/api/tickets/{ticket['id']}/status", json={"status": "open"})  # Ana takes it
        taken = await bob_http.post(f"/api/tickets/{ticket['id']}/assign", json={"assignee_id": bob.id})
        assert taken.status_code in (403, 404)  # held by Ana: not Bob's to take (nor to see)
        released = await ana_http.post(f"/api/tickets/{ticket['id']}/assign", json={"assignee_id": None})
        assert released.status_code == 200
        assert released.json()["ticket"]["status"] == "new" and released.json()["ticket"]["assignee_id"] is None
        fields = [e["data"]["field"] for e in released.json()["entries"]]
        assert fields == ["assignee", "status"]
        assert (await bob_http.post(f"/api/tickets/{ticket['id']}/assign", json={"assignee_id": bob.id})).status_code == 200
        # "new" is never chosen by hand: it only happens when nobody has the ticket.
        chosen = await bob_http.post(f"/api/tickets/{ticket['id']}/status", json={"status": "new"})
        assert chosen.status_code == 409


async def test_a_form_sent_again_makes_one_ticket(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    admin = await sqlite_server.add_staff("Root", role="admin")
    form = {"site": "default", "name": "Vera", "email": "vera@example.com", "message": "Call me back please",
            "client_id": "form-7f3a"}
    async with httpx.AsyncClient(base_url=sqlite_server.url, headers={"Origin": "https://shop.example"}) as http:
        first = await http.post("/api/visitor/tickets", json=form)
        again = await http.post("/api/visitor/tickets", json=form)
        other = await http.post("/api/visitor/tickets", json=form | {"client_id": "form-8b1c"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json()["ticket"]["id"] == again.json()["ticket"]["id"] != other.json()["ticket"]["id"]
    async with await staff_api(sqlite_server, admin) as staff:
        assert (await staff.get("/api/tickets")).json()["total"] == 2


async def test_the_visitor_writing_again_reopens_with_their_name_on_it(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    _clock, services = clock_and_services
    boss = await manager_identity(services)
    ticket_id = await make_ticket(services)
    await services.tickets.set_status(boss, ticket_id, TicketStatus.RESOLVED)
    changed = await services.tickets.visitor_answer(services.tickets.links.token(ticket_id), "Not fixed!")
    assert changed.ticket.status == "new"  # nobody had it
    change = changed.entries[-1]
    assert change.author_role == "visitor" and change.author_name == "Vera"
    assert change.data == {"field": "status", "from": "resolved", "to": "new"}


async def test_resolving_without_an_answer_after_the_deadline_counts_as_breached(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    from chatsvc.domain.tickets import TicketStatus
    clock, services = clock_and_services
    boss = await manager_identity(services)
    late_id = await make_ticket(services, "Late")
    quick_id = await make_ticket(services, "Quick")
    await services.tickets.set_status(boss, quick_id, TicketStatus.RESOLVED)  # resolved in time, no reply
    clock.advance(hours=9)
    await services.tickets.set_status(boss, late_id, TicketStatus.RESOLVED)
    found, _total = await services.tickets.search(boss, TicketFilter(breached=True), sort="updated", limit=25,
                                                  offset=0)
    assert [t.id for t in found] == [late_id]
    views = TicketViews(services)
    assert (await views.sla(await services.ticket_store.get(late_id)))["breached"] is True
    assert (await views.sla(await services.ticket_store.get(quick_id)))["breached"] is False


async def test_an_address_gets_a_few_abandoned_question_tickets_not_more(server) -> None:  # type: ignore[no-untyped-def]
    admin = await server.add_staff("Root", role="admin")
    for attempt in range(5):
        visitor = VisitorClient(server.url, origin="https://shop.example")
        await visitor.connect()
        try:
            await visitor.identify(email="victim@example.com")
            await visitor.send(f"spam number {attempt}")
            await visitor.handoff()
            await visitor.wait_queue()
            await visitor.end()
            await visitor.wait_event(kind="closed")
        finally:
            await visitor.close()
    async with await staff_api(server, admin) as http:
        listed = (await http.get("/api/tickets", params={"q": "victim@example.com"})).json()
    assert listed["total"] == 3  # ABANDONED_PER_HOUR
