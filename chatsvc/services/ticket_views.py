"""What staff see of a ticket: names instead of ids, SLA clocks, the whole story (the chat's transcript,
the ticket's thread and history) and the requester's other conversations and tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatsvc.domain.hours import BusinessHours
from chatsvc.domain.sla import SlaPolicy, sla_state
from chatsvc.domain.tickets import TicketStatus, allowed_targets
from chatsvc.services.frames import event_frame
from chatsvc.services.tickets import Scope, entry_json, ticket_json, visible
from chatsvc.store.tickets import Ticket, TicketStore

if TYPE_CHECKING:
    from chatsvc.services.container import Services



class TicketViews:
    """Built per request: it remembers the names and hours it looked up."""

    def __init__(self, services: Services, scope: Scope = None) -> None:
        self.services = services
        self.scope = (
            scope  # whose eyes: the requester's other tickets are listed only when this one may see them
        )
        self._hours: dict[str, BusinessHours | None] = {}
        self._policy: SlaPolicy | None = None

    async def _site_hours(self, site_id: str) -> BusinessHours | None:
        if site_id not in self._hours:
            self._hours[site_id] = await self.services.tickets.business_hours(site_id)
        return self._hours[site_id]

    async def sla(self, ticket: Ticket) -> dict[str, Any]:
        if self._policy is None:
            self._policy = await self.services.tickets.sla_policy()
        hours = await self._site_hours(ticket.site_id)
        business = self._policy.business_hours and hours is not None
        now = self.services.clock()
        # The same clocks as the list's "breached" filter (store.tickets.breached_clause).
        first_done = ticket.first_response_at or ticket.resolved_at or ticket.closed_at
        first = sla_state(ticket.first_response_due, first_done, now, hours, business)
        resolution = sla_state(
            ticket.resolution_due, ticket.resolved_at or ticket.closed_at, now, hours, business
        )
        return {
            "first_response": {
                "state": first.kind,
                "seconds_left": first.seconds_left,
                "breached": first.breached,
            },
            "resolution": {
                "state": resolution.kind,
                "seconds_left": resolution.seconds_left,
                "breached": resolution.breached,
            },
            "business_hours": business,
            "breached": first.breached or resolution.breached,
        }

    async def summary(self, ticket: Ticket) -> dict[str, Any]:
        directory = self.services.directory
        assignee = await directory.staff_person(ticket.assignee_id)
        sla = await self.sla(ticket)
        return ticket_json(ticket) | {
            "team": await directory.team_name(ticket.team_id),
            "assignee": assignee.name if assignee else None,
            "sla": sla,
            "breached": sla["breached"],
        }

    async def full(self, ticket: Ticket) -> dict[str, Any]:
        services = self.services
        events, entries = await services.tickets.story(ticket)
        transcript = [event_frame(e) for e in events]
        return {
            "ticket": await self.summary(ticket),
            "entries": [entry_json(e) for e in entries],
            "transcript": transcript,
            "next_statuses": [s.value for s in allowed_targets(TicketStatus(ticket.status))],
            "history": await self.history(ticket),
        }

    async def history(self, ticket: Ticket) -> dict[str, Any]:
        return await requester_history(
            self.services.ticket_store,
            ticket.visitor_id,
            ticket.requester_email,
            skip_conversation=ticket.conversation_id,
            skip_ticket=ticket.id,
            scope=self.scope,
        )


async def requester_history(
    store: TicketStore,
    visitor_id: str | None,
    email: str | None,
    *,
    skip_conversation: str | None = None,
    skip_ticket: str | None = None,
    scope: Scope = None,
) -> dict[str, Any]:
    """One person's conversations and tickets: the same visitor token, or the same email."""
    tickets = await store.of_requester(visitor_id, email)
    conversations = await store.conversations_of_requester(visitor_id, email)
    return {
        "tickets": [
            {"id": t.id, "subject": t.subject, "status": t.status, "created_at": t.created_at.isoformat()}
            for t in tickets
            if t.id != skip_ticket and visible(t, scope)
        ],
        "conversations": [
            {
                "id": c["id"],
                "status": c["status"],
                "resolution": c["resolution"],
                "created_at": c["created_at"].isoformat(),
            }
            for c in conversations
            if c["id"] != skip_conversation
        ],
    }
