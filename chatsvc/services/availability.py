"""Whether a person can answer a site's visitors now: the site's business hours and the agents online.

The widget asks before it offers a chat (``/api/visitor/availability`` and its configuration): when nobody can
answer, it offers the leave-a-message form instead of the queue.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from chatsvc.services.clock import Clock
from chatsvc.services.routing import Routing
from chatsvc.services.tickets import TicketService
from chatsvc.store import records


@dataclasses.dataclass(frozen=True)
class Availability:
    open: bool  # within the site's business hours (a site without hours is always open)
    agents_online: bool
    next_opening: datetime.datetime | None  # when closed: the next opening, if the hours have one

    @property
    def leave_message(self) -> bool:
        """Nobody can answer now: offer the form instead."""
        return not (self.open and self.agents_online)

    def to_json(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "agents_online": self.agents_online,
            "leave_message": self.leave_message,
            "next_opening": self.next_opening.isoformat() if self.next_opening else None,
        }


class AvailabilityService:
    def __init__(self, tickets: TicketService, routing: Routing, clock: Clock) -> None:
        self.tickets = tickets
        self.routing = routing
        self.clock = clock

    async def of(self, site: records.Site) -> Availability:
        now = self.clock()
        hours = await self.tickets.business_hours(site.id)
        is_open = hours is None or hours.is_open(now)
        # Presence across every process (see services/routing.py): the same answer the router assigns chats by.
        agents_online = await self.routing.any_online()
        next_opening = None if is_open or hours is None else hours.next_opening(now)
        return Availability(open=is_open, agents_online=agents_online, next_opening=next_opening)
