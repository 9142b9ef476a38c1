"""SLA clocks on real tickets with a controlled clock: due dates in business hours and in calendar time,
breaches found by the list's filter, targets following a priority change, and the auto-close of resolved
tickets."""

from __future__ import annotations

import datetime

import pytest

from chatsvc.domain.tickets import Priority, TicketStatus
from chatsvc.store.tickets import TicketFilter
from tests.tickets.conftest import PARIS, WEEKDAYS_9_TO_5, make_ticket, manager_identity


async def test_due_dates_count_business_hours_when_the_site_has_them(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    clock, services = clock_and_services
    site = await services.account_store.find_site_by_key("default")
    calendar_id = await make_ticket(services)
    calendar = await services.ticket_store.get(calendar_id)
    # No business hours: normal priority answers within 8 h and resolves within 3 days of calendar time.
    assert calendar.first_response_due == clock() + datetime.timedelta(hours=8)
    assert calendar.resolution_due == clock() + datetime.timedelta(days=3)

    await services.ticket_config.put_hours(site.id, "Europe/Paris", WEEKDAYS_9_TO_5, ["2026-11-23"], clock())
    business_id = await make_ticket(services)
    business = await services.ticket_store.get(business_id)
    # Friday 16:00 + 8 business hours: 1 h on Friday, Monday is a holiday, 7 h on Tuesday → Tuesday 16:00.
    assert business.first_response_due == datetime.datetime(2026, 11, 24, 16, 0, tzinfo=PARIS)
    # 72 business hours: 1 h on Friday, none on the holiday, 8 h on each of the next 8 working days,
    # 7 h on the ninth → Friday 4 December, 16:00.
    assert business.resolution_due == datetime.datetime(2026, 12, 4, 16, 0, tzinfo=PARIS)


async def test_breaches_are_listed_and_met_clocks_stop(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    clock, services = clock_and_services
    boss = await manager_identity(services)
    late_id = await make_ticket(services, "Late one")
    answered_id = await make_ticket(services, "Answered one")
    clock.advance(hours=1)
    await services.tickets.reply(boss, answered_id, "On it!")
    clock.advance(hours=8)  # 9 h after creation: the first response target (8 h) has passed

    breached, total = await services.tickets.search(boss, TicketFilter(breached=True), sort="updated", limit=25,
                                                    offset=0)
    assert [t.id for t in breached] == [late_id] and total == 1
    from chatsvc.services.ticket_views import TicketViews

    views = TicketViews(services)
    late = await views.sla(await services.ticket_store.get(late_id))
    assert late["first_response"]["state"] == "breached" and late["breached"]
    assert late["first_response"]["seconds_left"] == pytest.approx(-3600, abs=1)
    answered = await views.sla(await services.ticket_store.get(answered_id))
    assert answered["first_response"]["state"] == "met" and not answered["breached"]
    assert answered["resolution"]["state"] == "running"


async def test_a_new_priority_brings_its_targets(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    clock, services = clock_and_services
    boss = await manager_identity(services)
    ticket_id = await make_ticket(services)
    created = clock()
    clock.advance(minutes=10)
    changed = await services.tickets.set_priority(boss, ticket_id, Priority.URGENT)
    # Counted from when the ticket was made: urgent answers within 1 h and resolves within 4 h.
    assert changed.ticket.first_response_due == created + datetime.timedelta(hours=1)
    assert changed.ticket.resolution_due == created + datetime.timedelta(hours=4)
    assert changed.entries[-1].data == {"field": "priority", "from": "normal", "to": "urgent"}


async def test_resolved_tickets_close_themselves_after_the_delay(clock_and_services) -> None:  # type: ignore[no-untyped-def]
    clock, services = clock_and_services
    boss = await manager_identity(services)
    quiet_id = await make_ticket(services, "Nobody comes back")
    reopened_id = await make_ticket(services, "Comes back")
    await services.tickets.set_status(boss, quiet_id, TicketStatus.RESOLVED)
    await services.tickets.set_status(boss, reopened_id, TicketStatus.RESOLVED)
    clock.advance(days=2)
    token = services.tickets.links.token(reopened_id)
    await services.tickets.visitor_answer(token, "Actually it is still broken")
    clock.advance(days=6)  # 8 days after resolution: past the 7-day delay
    assert await services.tickets.close_resolved() == 1
    assert (await services.ticket_store.get(quiet_id)).status == "closed"
    reopened = await services.ticket_store.get(reopened_id)
    assert reopened.status == "new"  # nobody had it: the visitor's answer puts it back in the pool
    entries = await services.ticket_store.entries(quiet_id)
    assert entries[-1].author_role == "system" and entries[-1].data == {
        "field": "status", "from": "resolved", "to": "closed"
    }
