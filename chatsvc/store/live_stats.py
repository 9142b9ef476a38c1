"""The few counts the managers' live panel and ``/metrics`` need now: small aggregate queries, no history scans.

Each count runs on an indexed column (conversations by status, tickets by status or due time) so it stays cheap
however long the history; the figures over a period are the stats store's business, not this one's.
"""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa

from chatsvc.domain.tickets import ACTIVE_STATUSES
from chatsvc.store.database import Database
from chatsvc.store.schema import UTCDateTime, conversations, tickets, users

STAFF_ROLES = ("agent", "manager", "admin")


@dataclasses.dataclass(frozen=True)
class OpenCounts:
    waiting: int = 0  # queued
    in_progress: int = 0  # assigned
    bot: int = 0
    oldest_queued_at: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    role: str
    max_chats: int | None


@dataclasses.dataclass(frozen=True)
class Totals:
    deflections: int  # conversations the bot resolved, all time
    tickets_open: int  # new, open or pending
    tickets_sla_breached: int  # tickets whose first-response or resolution target passed unmet, all time


class LiveStatsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_counts(self) -> OpenCounts:
        """Open conversations by status, and when the longest-waiting one entered the queue: one grouped query."""
        queued_at = sa.func.coalesce(conversations.c.queued_at, conversations.c.created_at)
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations.c.status, sa.func.count(), sa.func.min(queued_at))
                .where(conversations.c.status.in_(("bot", "queued", "assigned")))
                .group_by(conversations.c.status)
            )
            by_status = {row[0]: (int(row[1]), row[2]) for row in result}
        waiting, oldest = by_status.get("queued", (0, None))
        return OpenCounts(
            waiting=waiting,
            in_progress=by_status.get("assigned", (0, None))[0],
            bot=by_status.get("bot", (0, None))[0],
            oldest_queued_at=oldest if waiting else None,
        )

    async def staff(self) -> list[StaffMember]:
        """Enabled staff accounts (a team is tens of people, not thousands: read whole)."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(users.c.id, users.c.name, users.c.role, users.c.max_chats).where(
                    users.c.disabled.is_(False), users.c.role.in_(STAFF_ROLES)
                )
            )
            return [StaffMember(row.id, row.name, row.role, row.max_chats) for row in result]

    async def totals(self, now: datetime.datetime) -> Totals:
        """All-time figures for ``/metrics``. A breach is the report's definition (docs/metrics.md): a target set
        and its moment (or now, while still awaited) later than the target."""
        at = sa.literal(now, UTCDateTime())  # stored the columns' way (naive UTC on SQLite)
        breached = sa.or_(
            sa.and_(
                tickets.c.first_response_due.is_not(None),
                sa.func.coalesce(tickets.c.first_response_at, at) > tickets.c.first_response_due,
            ),
            sa.and_(
                tickets.c.resolution_due.is_not(None),
                sa.func.coalesce(tickets.c.resolved_at, tickets.c.closed_at, at) > tickets.c.resolution_due,
            ),
        )
        async with self.db.connect() as conn:
            deflections = await conn.scalar(
                sa.select(sa.func.count()).select_from(conversations).where(conversations.c.resolution == "bot")
            )
            tickets_open = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(tickets)
                .where(tickets.c.status.in_([s.value for s in ACTIVE_STATUSES]))
            )
            tickets_breached = await conn.scalar(sa.select(sa.func.count()).select_from(tickets).where(breached))
        return Totals(int(deflections or 0), int(tickets_open or 0), int(tickets_breached or 0))
