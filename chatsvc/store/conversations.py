"""Visitors, conversations and their numbered events: the durable half of the delivery promise.

Every change to a conversation goes through :meth:`ConversationStore.apply`, one transaction that locks the
conversation row, numbers the new events after ``last_seq`` and commits them together with the state change.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.domain.ids import new_id
from chatsvc.errors import InvalidState, NotFound
from chatsvc.store import records, rows
from chatsvc.store.database import Database
from chatsvc.store.schema import conversation_participants, conversations, counters, events, visitors

OPEN = ("bot", "queued", "assigned")
# Open, but nobody holds them yet: a visitor who leaves one has left it for good.
UNATTENDED = ("bot", "queued")
_SEEN_BATCH = 500  # visitor ids per UPDATE (well under SQLite's bound-parameter limit)
QUEUE_COUNTER = "queue"  # the counters row bumped with every change to the waiting queue
# Columns whose change moves a waiting chat in the queue (or changes who may take it).
_QUEUE_COLUMNS = ("status", "priority", "queue_front", "queued_at", "team_id")


async def _bump_queue_version(conn: AsyncConnection) -> None:
    """In the transaction of a change to the waiting queue: the queue's version moves on with it (the row lock
    also orders two such changes committed by different processes)."""
    result = await conn.execute(
        counters.update().where(counters.c.name == QUEUE_COUNTER).values(value=counters.c.value + 1)
    )
    if result.rowcount == 0:  # a database made without migration 0006's row
        await conn.execute(counters.insert().values(name=QUEUE_COUNTER, value=1))


def _changes_queue(current: records.Conversation, values: dict[str, Any]) -> bool:
    after = values.get("status", current.status)
    if (current.status == "queued") != (after == "queued"):
        return True
    return after == "queued" and any(
        column in values and values[column] != getattr(current, column) for column in _QUEUE_COLUMNS
    )


@dataclasses.dataclass(frozen=True)
class NewEvent:
    kind: str
    author_role: str
    author_id: str | None
    author_name: str
    body: str | None = None
    client_id: str | None = None
    data: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class Applied:
    conversation: records.Conversation
    events: list[records.StoredEvent]
    duplicate: bool = False  # the client id was stored before: ``events`` holds that earlier event


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- visitors --------------------------------------------------------------------------------------

    async def create_visitor(self, site_id: str, now: datetime.datetime) -> records.Visitor:
        visitor_id = new_id()
        async with self.db.begin() as conn:
            await conn.execute(
                visitors.insert().values(id=visitor_id, site_id=site_id, created_at=now, last_seen_at=now)
            )
        return records.Visitor(id=visitor_id, site_id=site_id, name=None, email=None, created_at=now)

    async def get_visitor(self, visitor_id: str) -> records.Visitor | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(visitors).where(visitors.c.id == visitor_id))).first()
        return rows.visitor(row) if row else None

    async def set_visitor_details(self, visitor_id: str, **values: str) -> records.Visitor:
        async with self.db.begin() as conn:
            await conn.execute(visitors.update().where(visitors.c.id == visitor_id).values(**values))
        visitor = await self.get_visitor(visitor_id)
        if visitor is None:
            raise NotFound()
        return visitor

    async def set_visitor_page(
        self, visitor_id: str, *, url: str | None, title: str | None, timezone: str | None, language: str | None,
        user_agent: str | None, now: datetime.datetime,
    ) -> records.Visitor:
        """Where the visitor is now: the page, their time zone and language, and their browser."""
        async with self.db.begin() as conn:
            await conn.execute(
                visitors.update().where(visitors.c.id == visitor_id).values(
                    page_url=url, page_title=title, timezone=timezone, language=language, user_agent=user_agent,
                    page_seen_at=now,
                )
            )
        visitor = await self.get_visitor(visitor_id)
        if visitor is None:
            raise NotFound()
        return visitor

    async def advance_read(self, conversation_id: str, seq: int) -> int | None:
        """Move the visitor's read mark up to ``seq`` (at most the conversation's ``last_seq``): the new mark, or
        None when it would not move forward (a late or repeated ``read`` never lowers it)."""
        target = sa.case((conversations.c.last_seq < seq, conversations.c.last_seq), else_=seq)
        async with self.db.begin() as conn:
            result = await conn.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id, conversations.c.visitor_read_seq < target)
                .values(visitor_read_seq=target)
                .returning(conversations.c.visitor_read_seq)
            )
            row = result.first()
        return int(row[0]) if row is not None else None

    async def touch_visitor(self, visitor_id: str, now: datetime.datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(visitors.update().where(visitors.c.id == visitor_id).values(last_seen_at=now))

    async def mark_seen(self, visitor_ids: Collection[str], now: datetime.datetime) -> None:
        """These visitors are here now (they hold a socket): one UPDATE per batch of ids."""
        ids = sorted(visitor_ids)  # the same lock order in every process
        for start in range(0, len(ids), _SEEN_BATCH):
            async with self.db.begin() as conn:
                await conn.execute(
                    visitors.update()
                    .where(visitors.c.id.in_(ids[start:start + _SEEN_BATCH]))
                    .values(last_seen_at=now)
                )

    async def left_unattended(
        self, seen_before: datetime.datetime, limit: int = 200
    ) -> list[tuple[records.Conversation, datetime.datetime]]:
        """Conversations with the bot or in the queue whose visitor was last seen before ``seen_before``,
        longest gone first, each with that last-seen time."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations, visitors.c.last_seen_at.label("visitor_last_seen_at"))
                .join(visitors, visitors.c.id == conversations.c.visitor_id)
                .where(conversations.c.status.in_(UNATTENDED), visitors.c.last_seen_at < seen_before)
                .order_by(visitors.c.last_seen_at, conversations.c.id)
                .limit(limit)
            )
            return [(rows.conversation(row), row._mapping["visitor_last_seen_at"]) for row in result]

    @staticmethod
    async def lock_last_seen(conn: AsyncConnection, visitor_id: str) -> datetime.datetime | None:
        """Inside a transaction (an ``apply``'s ``after``): the visitor's last-seen time, locked until commit
        so that a mark made meanwhile by another process is seen or waits."""
        return await conn.scalar(  # type: ignore[no-any-return]
            sa.select(visitors.c.last_seen_at).where(visitors.c.id == visitor_id).with_for_update()
        )

    # --- conversations ---------------------------------------------------------------------------------

    async def get(self, conversation_id: str) -> records.Conversation:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(conversations).where(conversations.c.id == conversation_id))).first()
        if row is None:
            raise NotFound()
        return rows.conversation(row)

    async def find(self, conversation_id: str) -> records.Conversation | None:
        try:
            return await self.get(conversation_id)
        except NotFound:
            return None

    async def open_of_visitor(self, visitor_id: str) -> records.Conversation | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(conversations).where(
                        conversations.c.visitor_id == visitor_id, conversations.c.status.in_(OPEN)
                    )
                )
            ).first()
        return rows.conversation(row) if row else None

    async def of_visitor(self, visitor_id: str, limit: int = 50) -> list[records.Conversation]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations)
                .where(conversations.c.visitor_id == visitor_id)
                .order_by(conversations.c.created_at.desc())
                .limit(limit)
            )
            return [rows.conversation(row) for row in result]

    async def start(
        self,
        *,
        site_id: str,
        visitor_id: str,
        status: str,
        topic: str | None,
        team_id: str | None,
        priority: int,
        now: datetime.datetime,
    ) -> tuple[records.Conversation, bool]:
        """Open a conversation for the visitor, or return the one already open (second: whether it is new).

        The database's unique partial index decides between two tabs starting at the same moment.
        """
        conversation_id = new_id()
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    conversations.insert().values(
                        id=conversation_id,
                        site_id=site_id,
                        visitor_id=visitor_id,
                        status=status,
                        topic=topic,
                        team_id=team_id,
                        priority=priority,
                        queue_front=False,
                        last_seq=0,
                        created_at=now,
                    )
                )
                if status == "queued":
                    await _bump_queue_version(conn)
        except sa.exc.IntegrityError:
            existing = await self.open_of_visitor(visitor_id)
            if existing is None:  # closed in between: extremely unlikely, let the caller retry
                raise
            return existing, False
        return await self.get(conversation_id), True

    async def apply(
        self,
        conversation_id: str,
        new_events: list[NewEvent],
        *,
        now: datetime.datetime,
        check: Callable[[records.Conversation], None] | None = None,
        changes: Callable[[records.Conversation], dict[str, Any]] | dict[str, Any] | None = None,
        participant: str | None = None,
        after: Callable[[AsyncConnection, Applied], Awaitable[None]] | None = None,
    ) -> Applied:
        """Lock the conversation, run ``check`` (which raises to refuse), store the events, apply ``changes``.

        A single message event with a ``client_id`` already stored for that author is not stored again:
        the earlier event comes back with ``duplicate=True`` (the resend's ack carries the same seq). The
        earlier event must be of the same kind (a message reusing a note's client id is refused with
        ``InvalidState``, not acked as the note).
        ``after`` runs inside the same transaction with what will be committed (a ticket made from the chat
        as it closes); if it raises, nothing is committed.
        """
        async with self.db.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(conversations).where(conversations.c.id == conversation_id).with_for_update()
                )
            ).first()
            if row is None:
                raise NotFound()
            current = rows.conversation(row)
            dedupe = [e for e in new_events if e.client_id is not None]
            for event in dedupe:
                earlier = (
                    await conn.execute(
                        sa.select(events).where(
                            events.c.conversation_id == conversation_id,
                            events.c.author_id == event.author_id,
                            events.c.client_id == event.client_id,
                        )
                    )
                ).first()
                if earlier is not None:
                    if earlier.kind != event.kind:
                        # The same client id for another kind (a message after a note): not a resend.
                        raise InvalidState(
                            "That client_id was already used for another kind of event; use a new one.",
                            ref=event.client_id,
                        )
                    return Applied(conversation=current, events=[rows.event(earlier)], duplicate=True)
            if check is not None:
                check(current)
            values = changes(current) if callable(changes) else dict(changes or {})
            seq = current.last_seq
            stored: list[records.StoredEvent] = []
            for event in new_events:
                seq += 1
                stored.append(
                    records.StoredEvent(
                        conversation_id=conversation_id,
                        seq=seq,
                        kind=event.kind,
                        author_role=event.author_role,
                        author_id=event.author_id,
                        author_name=event.author_name,
                        client_id=event.client_id,
                        body=event.body,
                        data=event.data,
                        created_at=now,
                    )
                )
            if stored:
                await conn.execute(events.insert(), [dataclasses.asdict(e) for e in stored])
            if _changes_queue(current, values):
                await _bump_queue_version(conn)
            values["last_seq"] = seq
            await conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(**values))
            if participant is not None:
                exists = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(conversation_participants)
                    .where(
                        conversation_participants.c.conversation_id == conversation_id,
                        conversation_participants.c.user_id == participant,
                    )
                )
                if not exists:
                    await conn.execute(
                        conversation_participants.insert().values(
                            conversation_id=conversation_id, user_id=participant, joined_at=now
                        )
                    )
            applied = Applied(conversation=dataclasses.replace(current, **values), events=stored)
            if after is not None:
                await after(conn, applied)
        return applied

    async def find_resend(self, conversation_id: str, author_id: str, client_id: str) -> records.StoredEvent | None:
        """The event this author already stored with this client id in the conversation, if any."""
        async with self.db.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(events).where(
                        events.c.conversation_id == conversation_id,
                        events.c.author_id == author_id,
                        events.c.client_id == client_id,
                    )
                )
            ).first()
        return rows.event(row) if row else None

    async def last_event(self, conversation_id: str, kind: str) -> records.StoredEvent | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(events)
                    .where(events.c.conversation_id == conversation_id, events.c.kind == kind)
                    .order_by(events.c.seq.desc())
                    .limit(1)
                )
            ).first()
        return rows.event(row) if row else None

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[records.StoredEvent]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(events)
                .where(events.c.conversation_id == conversation_id, events.c.seq > after_seq)
                .order_by(events.c.seq)
                .limit(limit)
            )
            return [rows.event(row) for row in result]

    async def first_visitor_messages(self, conversation_ids: Collection[str]) -> dict[str, str]:
        """The visitor's first message text in each of these conversations (those that have one)."""
        ids = sorted(conversation_ids)
        found: dict[str, str] = {}
        async with self.db.connect() as conn:
            for start in range(0, len(ids), _SEEN_BATCH):
                first = (
                    sa.select(events.c.conversation_id, sa.func.min(events.c.seq).label("seq"))
                    .where(
                        events.c.conversation_id.in_(ids[start:start + _SEEN_BATCH]),
                        events.c.kind == "message",
                        events.c.author_role == "visitor",
                    )
                    .group_by(events.c.conversation_id)
                    .subquery()
                )
                result = await conn.execute(
                    sa.select(events.c.conversation_id, events.c.body).join(
                        first,
                        sa.and_(events.c.conversation_id == first.c.conversation_id, events.c.seq == first.c.seq),
                    )
                )
                found.update({row.conversation_id: row.body for row in result if row.body})
        return found

    async def queued(self) -> list[records.Conversation]:
        """Waiting conversations in queue order: priority, then returned chats, then first come."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations)
                .where(conversations.c.status == "queued")
                .order_by(
                    conversations.c.priority.desc(),
                    conversations.c.queue_front.desc(),
                    conversations.c.queued_at,
                    conversations.c.id,
                )
            )
            return [rows.conversation(row) for row in result]

    async def queued_with_version(self) -> tuple[int, list[records.Conversation]]:
        """The queue's version and the waiting conversations in queue order, read by one statement (one snapshot
        on every backend): the list is exactly the queue as of that version."""
        query = (
            sa.select(counters.c.value.label("queue_version"), conversations)
            .select_from(counters.outerjoin(conversations, conversations.c.status == "queued"))
            .where(counters.c.name == QUEUE_COUNTER)
            .order_by(
                conversations.c.priority.desc(),
                conversations.c.queue_front.desc(),
                conversations.c.queued_at,
                conversations.c.id,
            )
        )
        async with self.db.connect() as conn:
            result = (await conn.execute(query)).all()
        if not result:  # no counter row (a database made without migration 0006's row)
            return 0, await self.queued()
        version = int(result[0]._mapping["queue_version"])
        return version, [rows.conversation(row) for row in result if row._mapping["id"] is not None]

    async def queue_version(self) -> int:
        async with self.db.connect() as conn:
            value = await conn.scalar(sa.select(counters.c.value).where(counters.c.name == QUEUE_COUNTER))
        return int(value or 0)

    async def visitor_names(self, visitor_ids: Collection[str]) -> dict[str, str | None]:
        """Each visitor's name (None when they gave none), by id: one query per 500 ids."""
        ids = sorted(set(visitor_ids))
        names: dict[str, str | None] = {}
        async with self.db.connect() as conn:
            for start in range(0, len(ids), _SEEN_BATCH):
                result = await conn.execute(
                    sa.select(visitors.c.id, visitors.c.name).where(visitors.c.id.in_(ids[start:start + _SEEN_BATCH]))
                )
                names.update({row.id: row.name for row in result})
        return names

    async def assigned(self, agent_id: str | None = None) -> list[records.Conversation]:
        query = sa.select(conversations).where(conversations.c.status == "assigned")
        if agent_id is not None:
            query = query.where(conversations.c.agent_id == agent_id)
        async with self.db.connect() as conn:
            return [rows.conversation(row) for row in await conn.execute(query.order_by(conversations.c.assigned_at))]

    async def loads(self) -> dict[str, int]:
        """Open chats held per agent."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations.c.agent_id, sa.func.count())
                .where(conversations.c.status == "assigned")
                .group_by(conversations.c.agent_id)
            )
            return {row[0]: int(row[1]) for row in result if row[0] is not None}

    async def recent_handling_seconds(self, limit: int = 50) -> list[float]:
        """How long the latest closed chats were held by an agent (assignment to close)."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(conversations.c.assigned_at, conversations.c.closed_at)
                .where(conversations.c.status == "closed", conversations.c.assigned_at.is_not(None))
                .order_by(conversations.c.closed_at.desc())
                .limit(limit)
            )
            return [
                max(0.0, (row.closed_at - row.assigned_at).total_seconds())
                for row in result
                if row.closed_at is not None and row.assigned_at is not None
            ]

    async def was_participant(self, conversation_id: str, user_id: str) -> bool:
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(conversation_participants)
                .where(
                    conversation_participants.c.conversation_id == conversation_id,
                    conversation_participants.c.user_id == user_id,
                )
            )
        return bool(count)

    async def serves_visitor(self, agent_id: str, visitor_id: str) -> bool:
        """Whether the agent holds an open chat of this visitor now."""
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(conversations)
                .where(
                    conversations.c.visitor_id == visitor_id,
                    conversations.c.agent_id == agent_id,
                    conversations.c.status == "assigned",
                )
            )
        return bool(count)
