"""Tickets and their numbered thread, in one transaction per change (like conversations and their events).

Every change goes through :meth:`TicketStore.apply`: lock the ticket row, run the caller's check, number the
new entries after ``last_seq``, apply the changes, and let the caller queue what follows from the change (mail,
webhooks) inside the same transaction, so nothing is committed without its notifications.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.errors import Conflict, NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import conversations, ticket_entries, tickets, visitors


@dataclasses.dataclass(frozen=True)
class Ticket:
    id: str
    site_id: str
    visitor_id: str | None
    conversation_id: str | None
    source: str
    subject: str
    status: str
    priority: str
    flagged: bool
    team_id: str | None
    assignee_id: str | None
    requester_name: str | None
    requester_email: str | None
    lang: str
    topic: str | None
    details: dict[str, Any]
    last_seq: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    first_response_due: datetime.datetime | None
    resolution_due: datetime.datetime | None
    first_response_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class TicketEntry:
    ticket_id: str
    seq: int
    kind: str
    author_role: str
    author_id: str | None
    author_name: str
    client_id: str | None
    body: str | None
    data: dict[str, Any] | None
    created_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class NewEntry:
    kind: str
    author_role: str
    author_id: str | None
    author_name: str
    body: str | None = None
    data: dict[str, Any] | None = None
    client_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Changed:
    ticket: Ticket
    before: Ticket | None  # None: just created
    entries: list[TicketEntry]
    duplicate: bool = False  # the client id was stored before: nothing changed


# Called inside the transaction with the ticket as it will be committed (queue mail and webhooks there).
AfterChange = Callable[[AsyncConnection, Changed], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class TicketFilter:
    """What the ticket list may be filtered on. Every field is a value, never SQL: columns and operators are
    fixed below, and values are bound parameters."""

    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    assignee_id: str | None = None
    unassigned: bool = False
    team_id: str | None = None
    breached: bool = False
    flagged: bool = False
    text: str | None = None
    # The agent's view: what they may see (None: everything, for managers and admins).
    visible_to: tuple[str, frozenset[str]] | None = None


SORTS: dict[str, Sequence[Any]] = {
    "updated": (tickets.c.updated_at.desc(), tickets.c.id),
    "created": (tickets.c.created_at.desc(), tickets.c.id),
    "oldest": (tickets.c.created_at.asc(), tickets.c.id),
    "due": (sa.func.coalesce(tickets.c.first_response_due, tickets.c.resolution_due).asc(), tickets.c.id),
    "priority": (
        sa.case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=tickets.c.priority, else_=4).asc(),
        tickets.c.updated_at.desc(),
        tickets.c.id,
    ),
}


def _ticket(row: Any) -> Ticket:
    mapping = dict(row._mapping)
    mapping["details"] = mapping["details"] or {}
    return Ticket(**mapping)


def _entry(row: Any) -> TicketEntry:
    return TicketEntry(**dict(row._mapping))


def breached_clause(now: datetime.datetime) -> Any:
    """Tickets whose first response or resolution is overdue now, or came late. The first-response clock
    stops at the first reply, or at resolution or closing without one; the resolution clock at resolution
    or closing (``ticket_views`` shows the same rule)."""
    first_done = sa.func.coalesce(tickets.c.first_response_at, tickets.c.resolved_at, tickets.c.closed_at)
    resolution_done = sa.func.coalesce(tickets.c.resolved_at, tickets.c.closed_at)

    def late(due: Any, done: Any) -> Any:
        return sa.and_(due.is_not(None), sa.or_(sa.and_(done.is_(None), due < now), done > due))

    return sa.or_(
        late(tickets.c.first_response_due, first_done), late(tickets.c.resolution_due, resolution_done)
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TicketStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ----------------------------------------------------------------------------------------

    async def get(self, ticket_id: str) -> Ticket:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id))).first()
        if row is None:
            raise NotFound()
        return _ticket(row)

    async def find(self, ticket_id: str) -> Ticket | None:
        try:
            return await self.get(ticket_id)
        except NotFound:
            return None

    async def of_conversation(
        self, conversation_id: str, *, conn: AsyncConnection | None = None
    ) -> Ticket | None:
        """The ticket made from this conversation; with ``conn`` (a transaction), read there and locked."""
        query = sa.select(tickets).where(tickets.c.conversation_id == conversation_id)
        if conn is not None:
            row = (await conn.execute(query.with_for_update())).first()
        else:
            async with self.db.connect() as reader:
                row = (await reader.execute(query)).first()
        return _ticket(row) if row else None

    async def entries(self, ticket_id: str) -> list[TicketEntry]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(ticket_entries)
                .where(ticket_entries.c.ticket_id == ticket_id)
                .order_by(ticket_entries.c.seq)
            )
            return [_entry(row) for row in result]

    def _where(self, query: Any, spec: TicketFilter, now: datetime.datetime) -> Any:
        if spec.statuses:
            query = query.where(tickets.c.status.in_(spec.statuses))
        if spec.priorities:
            query = query.where(tickets.c.priority.in_(spec.priorities))
        if spec.unassigned:
            query = query.where(tickets.c.assignee_id.is_(None))
        elif spec.assignee_id is not None:
            query = query.where(tickets.c.assignee_id == spec.assignee_id)
        if spec.team_id is not None:
            query = query.where(tickets.c.team_id == spec.team_id)
        if spec.flagged:
            query = query.where(tickets.c.flagged.is_(True))
        if spec.breached:
            query = query.where(breached_clause(now))
        if spec.text:
            pattern = f"%{_like_escape(spec.text.lower())}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(tickets.c.subject).like(pattern, escape="\\"),
                    sa.func.lower(sa.func.coalesce(tickets.c.requester_email, "")).like(pattern, escape="\\"),
                    sa.func.lower(sa.func.coalesce(tickets.c.requester_name, "")).like(pattern, escape="\\"),
                    tickets.c.id.in_(
                        sa.select(ticket_entries.c.ticket_id).where(
                            sa.func.lower(sa.func.coalesce(ticket_entries.c.body, "")).like(
                                pattern, escape="\\"
                            )
                        )
                    ),
                )
            )
        if spec.visible_to is not None:
            user_id, team_ids = spec.visible_to
            query = query.where(
                sa.or_(
                    tickets.c.assignee_id == user_id,
                    tickets.c.team_id.in_(sorted(team_ids)) if team_ids else sa.false(),
                    sa.and_(tickets.c.assignee_id.is_(None), tickets.c.team_id.is_(None)),
                )
            )
        return query

    async def search(
        self,
        spec: TicketFilter,
        *,
        now: datetime.datetime,
        sort: str = "updated",
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Ticket], int]:
        """One page of tickets matching the filter, and how many match in all."""
        order = SORTS[sort]  # the caller checked ``sort`` against SORTS; a KeyError here is a bug
        async with self.db.connect() as conn:
            total = await conn.scalar(self._where(sa.select(sa.func.count()).select_from(tickets), spec, now))
            result = await conn.execute(
                self._where(sa.select(tickets), spec, now).order_by(*order).limit(limit).offset(offset)
            )
            return [_ticket(row) for row in result], int(total or 0)

    async def of_requester(self, visitor_id: str | None, email: str | None, limit: int = 50) -> list[Ticket]:
        """The tickets of one person: the same visitor token, or the same email (case-insensitive)."""
        conditions = []
        if visitor_id:
            conditions.append(tickets.c.visitor_id == visitor_id)
        if email:
            conditions.append(sa.func.lower(tickets.c.requester_email) == email.lower())
        if not conditions:
            return []
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(tickets)
                .where(sa.or_(*conditions))
                .order_by(tickets.c.created_at.desc())
                .limit(limit)
            )
            return [_ticket(row) for row in result]

    async def conversations_of_requester(
        self, visitor_id: str | None, email: str | None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The conversations of one person (same visitor, or a visitor who gave the same email)."""
        conditions = []
        if visitor_id:
            conditions.append(conversations.c.visitor_id == visitor_id)
        if email:
            conditions.append(
                conversations.c.visitor_id.in_(
                    sa.select(visitors.c.id).where(sa.func.lower(visitors.c.email) == email.lower())
                )
            )
        if not conditions:
            return []
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(
                    conversations.c.id,
                    conversations.c.status,
                    conversations.c.created_at,
                    conversations.c.closed_at,
                    conversations.c.resolution,
                    conversations.c.agent_id,
                )
                .where(sa.or_(*conditions))
                .order_by(conversations.c.created_at.desc())
                .limit(limit)
            )
            return [dict(row._mapping) for row in result]

    async def by_first_message(self, client_id: str, email: str | None) -> Ticket | None:
        """The ticket a form already went to with this client id (for this requester), if any: the one it
        made, or the one it was added to (a chat that had a ticket already)."""
        query = (
            sa.select(tickets)
            .join(ticket_entries, ticket_entries.c.ticket_id == tickets.c.id)
            .where(
                ticket_entries.c.client_id == client_id,
                ticket_entries.c.kind == "message",
                ticket_entries.c.author_role == "visitor",
            )
        )
        if email is not None:
            query = query.where(tickets.c.requester_email == email)
        async with self.db.connect() as conn:
            row = (await conn.execute(query.limit(1))).first()
        return _ticket(row) if row else None

    async def count_recent(self, email: str, source: str, since: datetime.datetime) -> int:
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(tickets)
                .where(
                    sa.func.lower(tickets.c.requester_email) == email.lower(),
                    tickets.c.source == source,
                    tickets.c.created_at >= since,
                )
            )
        return int(count or 0)

    async def due_for_autoclose(self, before: datetime.datetime, limit: int = 100) -> list[str]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(tickets.c.id)
                .where(tickets.c.status == "resolved", tickets.c.resolved_at < before)
                .order_by(tickets.c.resolved_at)
                .limit(limit)
            )
            return [row[0] for row in result]

    # --- writes ---------------------------------------------------------------------------------------

    async def create(
        self,
        ticket: Ticket,
        new_entries: list[NewEntry],
        *,
        after: AfterChange | None = None,
        conn: AsyncConnection | None = None,
    ) -> Changed:
        """Insert the ticket with its first entries (in ``conn``'s transaction when given). A second ticket for
        one conversation is refused by the unique index (IntegrityError), which the service turns into the
        existing ticket."""
        stored = self._number(ticket.id, 0, new_entries, ticket.created_at)
        ticket = dataclasses.replace(ticket, last_seq=len(stored))
        async with self.db.within(conn) as tx:
            try:
                await tx.execute(tickets.insert().values(**dataclasses.asdict(ticket)))
            except sa.exc.IntegrityError as exc:
                raise Conflict("That conversation already has a ticket.") from exc
            if stored:
                await tx.execute(ticket_entries.insert(), [dataclasses.asdict(e) for e in stored])
            changed = Changed(ticket=ticket, before=None, entries=stored)
            if after is not None:
                await after(tx, changed)
        return changed

    async def apply(
        self,
        ticket_id: str,
        new_entries: list[NewEntry],
        *,
        now: datetime.datetime,
        check: Callable[[Ticket], None] | None = None,
        changes: Callable[[Ticket], dict[str, Any]] | dict[str, Any] | None = None,
        after: AfterChange | None = None,
        extra: list[NewEntry] | None = None,
        conn: AsyncConnection | None = None,
    ) -> Changed:
        """Lock the ticket, run ``check`` (raises to refuse), store the entries and apply ``changes``, in
        ``conn``'s transaction when given.

        ``extra``: entries that ``changes`` writes down while deciding (what changed, from what to what);
        they are stored after ``new_entries``."""
        async with self.db.within(conn) as tx:
            row = (
                await tx.execute(sa.select(tickets).where(tickets.c.id == ticket_id).with_for_update())
            ).first()
            if row is None:
                raise NotFound()
            current = _ticket(row)
            for entry in new_entries:
                if entry.client_id is None:
                    continue
                earlier = (
                    await tx.execute(
                        sa.select(ticket_entries).where(
                            ticket_entries.c.ticket_id == ticket_id,
                            ticket_entries.c.client_id == entry.client_id,
                        )
                    )
                ).first()
                if earlier is not None:
                    return Changed(ticket=current, before=current, entries=[_entry(earlier)], duplicate=True)
            if check is not None:
                check(current)
            values = changes(current) if callable(changes) else dict(changes or {})
            if not values and not new_entries and not extra:
                return Changed(ticket=current, before=current, entries=[])  # nothing to change
            stored = self._number(ticket_id, current.last_seq, new_entries + list(extra or ()), now)
            values["last_seq"] = current.last_seq + len(stored)
            values["updated_at"] = now
            if stored:
                await tx.execute(ticket_entries.insert(), [dataclasses.asdict(e) for e in stored])
            await tx.execute(tickets.update().where(tickets.c.id == ticket_id).values(**values))
            changed = Changed(ticket=dataclasses.replace(current, **values), before=current, entries=stored)
            if after is not None:
                await after(tx, changed)
        return changed

    @staticmethod
    def _number(
        ticket_id: str, last_seq: int, new_entries: list[NewEntry], now: datetime.datetime
    ) -> list[TicketEntry]:
        return [
            TicketEntry(
                ticket_id=ticket_id,
                seq=last_seq + index,
                kind=entry.kind,
                author_role=entry.author_role,
                author_id=entry.author_id,
                author_name=entry.author_name,
                client_id=entry.client_id,
                body=entry.body,
                data=entry.data,
                created_at=now,
            )
            for index, entry in enumerate(new_entries, start=1)
        ]
