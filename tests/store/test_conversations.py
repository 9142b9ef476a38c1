"""ConversationStore contract, on SQLite and PostgreSQL: numbering, idempotent resends, races, queue reads."""

from __future__ import annotations

import asyncio
import datetime
import typing

import msgspec
import pytest
import sqlalchemy as sa

from chatsvc.domain import protocol
from chatsvc.errors import InvalidState, NotFound
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore, NewEvent
from chatsvc.store.database import Database
from chatsvc.store.schema import conversations as conversations_table
from chatsvc.store.schema import events as events_table
from tests.store.conftest import T0

UTC = datetime.timezone.utc
PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


def message(author_id: str | None, client_id: str | None, text: str = "hi", role: str = "visitor") -> NewEvent:
    return NewEvent(kind="message", author_role=role, author_id=author_id, author_name="Someone", body=text,
                    client_id=client_id)


def system(kind: str, **data: object) -> NewEvent:
    return NewEvent(kind=kind, author_role="system", author_id=None, author_name="chatsvc", data=data or None)


async def start(
    store: ConversationStore, visitor: records.Visitor, *, status: str = "bot", priority: int = 1,
    now: datetime.datetime = T0, topic: str | None = None,
) -> records.Conversation:
    conversation, created = await store.start(
        site_id=visitor.site_id, visitor_id=visitor.id, status=status, topic=topic, team_id=None,
        priority=priority, now=now,
    )
    assert created
    return conversation


async def new_visitor(store: ConversationStore, site: records.Site) -> records.Visitor:
    return await store.create_visitor(site.id, T0)


async def stored_events(db: Database, conversation_id: str) -> list[tuple[int, str | None]]:
    async with db.connect() as conn:
        result = await conn.execute(
            sa.select(events_table.c.seq, events_table.c.client_id)
            .where(events_table.c.conversation_id == conversation_id)
            .order_by(events_table.c.seq)
        )
        return [(row.seq, row.client_id) for row in result]


async def make_agent(accounts: AccountStore, name: str) -> records.User:
    return await accounts.create_user(
        email=f"{name}@support.example", name=name, role="agent", password_hash="x", now=T0
    )


# --- visitors -------------------------------------------------------------------------------------------


async def test_visitors(conversations: ConversationStore, site: records.Site) -> None:
    visitor = await conversations.create_visitor(site.id, T0)
    assert visitor.site_id == site.id and visitor.name is None and visitor.email is None
    assert await conversations.get_visitor(visitor.id) == visitor
    assert await conversations.get_visitor("no-such-visitor") is None
    await conversations.touch_visitor(visitor.id, minutes(5))
    assert await conversations.get_visitor(visitor.id) == visitor  # last_seen_at is not part of the record


async def test_visitor_ids_are_unguessable(conversations: ConversationStore, site: records.Site) -> None:
    ids = {(await conversations.create_visitor(site.id, T0)).id for _ in range(5)}
    assert len(ids) == 5 and all(len(i) == 22 for i in ids)


# --- starting conversations -----------------------------------------------------------------------------


async def test_start_opens_one_conversation_and_returns_it_again(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    first, created = await conversations.start(
        site_id=visitor.site_id, visitor_id=visitor.id, status="bot", topic="billing", team_id=None, priority=2,
        now=T0,
    )
    assert created
    assert (first.status, first.topic, first.priority, first.last_seq, first.queue_front) == (
        "bot", "billing", 2, 0, False
    )
    assert first.created_at == T0 and first.visitor_id == visitor.id
    again, created = await conversations.start(
        site_id=visitor.site_id, visitor_id=visitor.id, status="queued", topic=None, team_id=None, priority=1,
        now=minutes(1),
    )
    assert not created and again == first
    assert await conversations.open_of_visitor(visitor.id) == first


async def test_concurrent_starts_give_one_open_conversation(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    results = await asyncio.gather(
        *(
            conversations.start(site_id=visitor.site_id, visitor_id=visitor.id, status="bot", topic=None,
                                team_id=None, priority=1, now=T0)
            for _ in range(2)
        )
    )
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].id == results[1][0].id
    many = await asyncio.gather(
        *(
            conversations.start(site_id=visitor.site_id, visitor_id=visitor.id, status="bot", topic=None,
                                team_id=None, priority=1, now=T0)
            for _ in range(10)
        )
    )
    assert {c.id for c, _ in many} == {results[0][0].id} and not any(created for _, created in many)
    async with db.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).select_from(conversations_table)
            .where(conversations_table.c.visitor_id == visitor.id)
        )
    assert count == 1


async def test_the_database_itself_refuses_a_second_open_conversation(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    # The guarantee lives in the unique partial index, not only in start()'s Python.
    await start(conversations, visitor)
    with pytest.raises(sa.exc.IntegrityError):
        async with db.begin() as conn:
            await conn.execute(
                conversations_table.insert().values(
                    id="second", site_id=visitor.site_id, visitor_id=visitor.id, status="queued", priority=1,
                    queue_front=False, last_seq=0, created_at=T0,
                )
            )


async def test_a_closed_conversation_allows_a_new_one(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    first = await start(conversations, visitor)
    await conversations.apply(first.id, [system("closed")], now=minutes(1), changes={"status": "closed"})
    assert await conversations.open_of_visitor(visitor.id) is None
    second = await start(conversations, visitor, now=minutes(2))
    assert second.id != first.id
    await conversations.apply(second.id, [system("closed")], now=minutes(3), changes={"status": "closed"})
    third = await start(conversations, visitor, now=minutes(4))
    assert [c.id for c in await conversations.of_visitor(visitor.id)] == [third.id, second.id, first.id]
    assert [c.id for c in await conversations.of_visitor(visitor.id, limit=2)] == [third.id, second.id]


async def test_get_find_and_unknown_ids(conversations: ConversationStore, visitor: records.Visitor) -> None:
    conversation = await start(conversations, visitor)
    assert await conversations.get(conversation.id) == conversation
    assert await conversations.find(conversation.id) == conversation
    assert await conversations.find("missing") is None
    with pytest.raises(NotFound):
        await conversations.get("missing")
    with pytest.raises(NotFound):
        await conversations.apply("missing", [system("queued")], now=T0)


# --- numbering ------------------------------------------------------------------------------------------


async def test_apply_numbers_events_consecutively_per_conversation(
    conversations: ConversationStore, site: records.Site
) -> None:
    one = await start(conversations, await new_visitor(conversations, site))
    two = await start(conversations, await new_visitor(conversations, site))
    applied = await conversations.apply(
        one.id, [system("opened"), message("v", "c1"), system("queued")], now=T0
    )
    assert [e.seq for e in applied.events] == [1, 2, 3] and not applied.duplicate
    assert applied.conversation.last_seq == 3
    other = await conversations.apply(two.id, [message("w", "c1")], now=T0)
    assert [e.seq for e in other.events] == [1]
    more = await conversations.apply(one.id, [message("v", "c2"), message("v", "c3")], now=T0)
    assert [e.seq for e in more.events] == [4, 5]
    assert (await conversations.get(one.id)).last_seq == 5
    assert (await conversations.get(two.id)).last_seq == 1
    assert [e.seq for e in await conversations.events_after(one.id, 0, 100)] == [1, 2, 3, 4, 5]


async def test_an_apply_without_events_changes_state_only(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    await conversations.apply(conversation.id, [message("v", "c1")], now=T0)
    applied = await conversations.apply(conversation.id, [], now=T0, changes={"priority": 3})
    assert applied.events == [] and applied.conversation.last_seq == 1
    assert (await conversations.get(conversation.id)).priority == 3


async def test_stored_events_keep_every_field(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    text = "<img src=x onerror=alert(1)> ' OR 1=1-- \N{GRINNING FACE} \x00 end"
    data = {"agent_id": "a1", "nested": {"list": [1, 2.5, None, True, "x"]}}
    applied = await conversations.apply(
        conversation.id,
        [NewEvent(kind="message", author_role="agent", author_id="a1", author_name="Alice", body=text.replace("\x00", ""),
                  client_id="c-1"),
         NewEvent(kind="assigned", author_role="system", author_id=None, author_name="chatsvc", data=data)],
        now=T0,
    )
    [stored_message, stored_assigned] = await conversations.events_after(conversation.id, 0, 10)
    assert [stored_message, stored_assigned] == applied.events
    assert stored_message.body == text.replace("\x00", "") and stored_message.author_name == "Alice"
    assert stored_assigned.data == data and stored_assigned.body is None and stored_assigned.client_id is None


# --- resends --------------------------------------------------------------------------------------------


async def test_a_resend_is_stored_once_and_acked_with_the_same_seq(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    first = await conversations.apply(
        conversation.id, [system("opened"), message(visitor.id, "abc", "hello"), system("queued")], now=T0
    )
    resent = await conversations.apply(
        conversation.id, [system("opened"), message(visitor.id, "abc", "hello"), system("queued")], now=minutes(1)
    )
    assert resent.duplicate and not first.duplicate
    assert [(e.seq, e.client_id, e.body) for e in resent.events] == [(2, "abc", "hello")]
    assert resent.events[0] == first.events[1]  # the earlier event, created_at included
    assert resent.conversation.last_seq == 3
    assert await stored_events(db, conversation.id) == [(1, None), (2, "abc"), (3, None)]


async def test_a_resend_with_changed_text_still_returns_the_original(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    await conversations.apply(conversation.id, [message(visitor.id, "abc", "original")], now=T0)
    resent = await conversations.apply(conversation.id, [message(visitor.id, "abc", "edited")], now=T0)
    assert resent.duplicate and resent.events[0].body == "original"


async def test_client_ids_are_per_author_and_per_conversation(
    db: Database, conversations: ConversationStore, site: records.Site
) -> None:
    visitor = await new_visitor(conversations, site)
    conversation = await start(conversations, visitor)
    a = await conversations.apply(conversation.id, [message(visitor.id, "same")], now=T0)
    b = await conversations.apply(conversation.id, [message("agent-1", "same", role="agent")], now=T0)
    assert not a.duplicate and not b.duplicate and (a.events[0].seq, b.events[0].seq) == (1, 2)
    other = await start(conversations, await new_visitor(conversations, site))
    c = await conversations.apply(other.id, [message(visitor.id, "same")], now=T0)
    assert not c.duplicate and c.events[0].seq == 1
    assert await stored_events(db, conversation.id) == [(1, "same"), (2, "same")]


async def test_a_resend_is_answered_even_after_the_conversation_moved_on(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    # The duplicate check runs before ``check``: a late resend of an acknowledged message gets its ack back
    # instead of an error, even once the conversation no longer accepts new messages.
    conversation = await start(conversations, visitor)
    await conversations.apply(conversation.id, [message(visitor.id, "abc")], now=T0)
    await conversations.apply(conversation.id, [system("closed")], now=T0, changes={"status": "closed"})

    def refuse_closed(current: records.Conversation) -> None:
        if current.status == "closed":
            raise InvalidState("closed")

    resent = await conversations.apply(conversation.id, [message(visitor.id, "abc")], now=T0, check=refuse_closed)
    assert resent.duplicate and resent.events[0].seq == 1
    with pytest.raises(InvalidState):
        await conversations.apply(conversation.id, [message(visitor.id, "new")], now=T0, check=refuse_closed)


async def test_twenty_simultaneous_resends_store_one_event(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    results = await asyncio.gather(
        *(conversations.apply(conversation.id, [message(visitor.id, "once")], now=T0) for _ in range(20))
    )
    assert sorted(r.duplicate for r in results) == [False] + [True] * 19
    assert {r.events[0].seq for r in results} == {1}
    assert await stored_events(db, conversation.id) == [(1, "once")]
    assert (await conversations.get(conversation.id)).last_seq == 1


async def test_fifty_simultaneous_messages_get_seqs_1_to_50(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    results = await asyncio.gather(
        *(conversations.apply(conversation.id, [message(visitor.id, f"m{n}")], now=T0) for n in range(50))
    )
    assert sorted(r.events[0].seq for r in results) == list(range(1, 51))
    assert not any(r.duplicate for r in results)
    stored = await stored_events(db, conversation.id)
    assert [seq for seq, _ in stored] == list(range(1, 51))
    assert sorted(client_id for _, client_id in stored) == sorted(f"m{n}" for n in range(50))  # type: ignore[type-var]
    assert (await conversations.get(conversation.id)).last_seq == 50
    # Each caller was told the seq its own message got.
    assert {r.events[0].client_id: r.events[0].seq for r in results} == {c: s for s, c in stored}


async def test_simultaneous_writers_on_two_handles_still_number_without_gaps(
    db: Database, conversations: ConversationStore, visitor: records.Visitor, backend
) -> None:  # type: ignore[no-untyped-def]
    # Two Database objects are two "processes": the row lock, not a Python lock, has to order them.
    if backend.name.startswith("sqlite"):
        # On SQLite SELECT ... FOR UPDATE is a no-op and the driver begins the write transaction lazily, so two
        # engines on one file both read last_seq and one insert fails on the (conversation, seq) key. Embedded
        # mode is one process with one connection, which serialises writers instead (see the report).
        pytest.skip("cross-process write ordering is a PostgreSQL guarantee; SQLite is one process")
    other_db = Database(backend.database_url)
    other = ConversationStore(other_db)
    try:
        conversation = await start(conversations, visitor)
        calls = [
            (conversations if n % 2 else other).apply(conversation.id, [message(visitor.id, f"m{n}")], now=T0)
            for n in range(30)
        ]
        calls += [other.apply(conversation.id, [message(visitor.id, "m0")], now=T0) for _ in range(5)]
        results = await asyncio.gather(*calls)
    finally:
        await other_db.close()
    assert [seq for seq, _ in await stored_events(db, conversation.id)] == list(range(1, 31))
    assert sum(r.duplicate for r in results) == 5


# --- check and changes ----------------------------------------------------------------------------------


async def test_a_refusing_check_rolls_everything_back(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    await conversations.apply(conversation.id, [message(visitor.id, "first")], now=T0)
    seen: list[records.Conversation] = []

    def refuse(current: records.Conversation) -> None:
        seen.append(current)
        raise InvalidState("no")

    with pytest.raises(InvalidState):
        await conversations.apply(
            conversation.id, [message(visitor.id, "second"), system("queued")], now=T0, check=refuse,
            changes={"status": "queued"}, participant=None,
        )
    assert seen and seen[0].last_seq == 1
    after = await conversations.get(conversation.id)
    assert (after.last_seq, after.status) == (1, "bot")
    assert await stored_events(db, conversation.id) == [(1, "first")]
    # The refused client id was not consumed: sending it again for real works.
    retry = await conversations.apply(conversation.id, [message(visitor.id, "second")], now=T0)
    assert not retry.duplicate and retry.events[0].seq == 2


async def test_an_error_in_changes_rolls_back_too(
    db: Database, conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)

    def broken(current: records.Conversation) -> dict[str, object]:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await conversations.apply(conversation.id, [message(visitor.id, "x")], now=T0, changes=broken)
    assert await stored_events(db, conversation.id) == []
    assert (await conversations.get(conversation.id)).last_seq == 0


async def test_changes_see_the_locked_row_and_are_applied(
    conversations: ConversationStore, accounts: AccountStore, visitor: records.Visitor
) -> None:
    agent = await make_agent(accounts, "alice")
    conversation = await start(conversations, visitor, status="queued")
    await conversations.apply(conversation.id, [message(visitor.id, "a")], now=T0)

    def assign(current: records.Conversation) -> dict[str, object]:
        assert current.last_seq == 1 and current.status == "queued"
        return {"status": "assigned", "agent_id": agent.id, "assigned_at": minutes(1)}

    applied = await conversations.apply(
        conversation.id, [system("assigned", agent_id=agent.id)], now=minutes(1), changes=assign, participant=agent.id
    )
    assert applied.conversation.status == "assigned" and applied.conversation.last_seq == 2
    assert applied.conversation == await conversations.get(conversation.id)
    assert await conversations.was_participant(conversation.id, agent.id)
    # Joining again does not fail on the participants' primary key.
    await conversations.apply(conversation.id, [], now=minutes(2), participant=agent.id)
    assert not await conversations.was_participant(conversation.id, "someone-else")
    assert await conversations.serves_visitor(agent.id, visitor.id)
    assert not await conversations.serves_visitor("someone-else", visitor.id)


# --- reading history ------------------------------------------------------------------------------------


async def test_events_after_pages_through_history(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    conversation = await start(conversations, visitor)
    for n in range(12):
        await conversations.apply(conversation.id, [message(visitor.id, f"m{n}")], now=T0)
    pages = []
    after = 0
    while True:
        page = await conversations.events_after(conversation.id, after, 5)
        if not page:
            break
        pages.append([e.seq for e in page])
        after = page[-1].seq
    assert pages == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert [e.seq for e in await conversations.events_after(conversation.id, 7, 100)] == [8, 9, 10, 11, 12]
    assert await conversations.events_after(conversation.id, 12, 100) == []
    assert await conversations.events_after(conversation.id, 2**31 - 1, 100) == []
    assert await conversations.events_after("missing", 0, 100) == []


async def test_events_after_any_seq_the_protocol_accepts(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    # A `sync` frame hands after_seq straight to events_after: the wire's largest Seq must fit the column on
    # both backends (PostgreSQL's INTEGER is 32 bits; asyncpg refuses anything larger with a DBAPIError).
    largest = next(m.le for m in typing.get_args(protocol.Seq) if isinstance(m, msgspec.Meta))
    conversation = await start(conversations, visitor)
    await conversations.apply(conversation.id, [message(visitor.id, "m")], now=T0)
    assert await conversations.events_after(conversation.id, largest, 100) == []
    assert [e.seq for e in await conversations.events_after(conversation.id, 0, largest)] == [1]


# --- the queue and loads --------------------------------------------------------------------------------


async def test_queued_is_in_queue_order(
    conversations: ConversationStore, accounts: AccountStore, site: records.Site
) -> None:
    agent = await make_agent(accounts, "bob")

    async def queued(priority: int, queued_at: datetime.datetime, *, front: bool = False) -> str:
        conversation = await start(conversations, await new_visitor(conversations, site), status="queued",
                                   priority=priority)
        await conversations.apply(conversation.id, [], now=T0,
                                  changes={"queued_at": queued_at, "queue_front": front})
        return conversation.id

    late = await queued(1, minutes(10))
    early = await queued(1, minutes(1))
    urgent = await queued(3, minutes(20))
    returned = await queued(1, minutes(30), front=True)
    low = await queued(0, minutes(0))
    # Not waiting: never in the queue.
    bot = await start(conversations, await new_visitor(conversations, site), status="bot")
    held = await queued(2, minutes(0))
    await conversations.apply(held, [], now=T0, changes={"status": "assigned", "agent_id": agent.id})
    assert [c.id for c in await conversations.queued()] == [urgent, returned, early, late, low]
    assert bot not in {c.id for c in await conversations.queued()}


async def test_loads_and_assigned(
    conversations: ConversationStore, accounts: AccountStore, site: records.Site
) -> None:
    alice, bob = await make_agent(accounts, "alice"), await make_agent(accounts, "bob")
    assert await conversations.loads() == {}

    async def held_by(agent: records.User, at: datetime.datetime, status: str = "assigned") -> str:
        conversation = await start(conversations, await new_visitor(conversations, site))
        await conversations.apply(conversation.id, [], now=at,
                                  changes={"status": status, "agent_id": agent.id, "assigned_at": at})
        return conversation.id

    second = await held_by(alice, minutes(2))
    first = await held_by(alice, minutes(1))
    bobs = await held_by(bob, minutes(3))
    await held_by(bob, minutes(4), status="closed")  # closed: keeps agent_id on record, holds no slot
    await start(conversations, await new_visitor(conversations, site), status="queued")
    assert await conversations.loads() == {alice.id: 2, bob.id: 1}
    assert [c.id for c in await conversations.assigned(alice.id)] == [first, second]
    assert [c.id for c in await conversations.assigned()] == [first, second, bobs]


async def test_recent_handling_seconds(
    conversations: ConversationStore, accounts: AccountStore, site: records.Site
) -> None:
    agent = await make_agent(accounts, "carol")
    for n, held_minutes in enumerate((3, 5, 1)):
        conversation = await start(conversations, await new_visitor(conversations, site))
        await conversations.apply(
            conversation.id, [], now=T0,
            changes={"status": "closed", "agent_id": agent.id, "assigned_at": minutes(10 * n),
                     "closed_at": minutes(10 * n + held_minutes)},
        )
    never_assigned = await start(conversations, await new_visitor(conversations, site))
    await conversations.apply(never_assigned.id, [], now=T0, changes={"status": "closed", "closed_at": minutes(99)})
    assert await conversations.recent_handling_seconds() == [60.0, 300.0, 180.0]  # latest closed first
    assert await conversations.recent_handling_seconds(limit=1) == [60.0]


# --- time -----------------------------------------------------------------------------------------------


async def test_timestamps_come_back_as_aware_utc(
    conversations: ConversationStore, visitor: records.Visitor
) -> None:
    local = T0.astimezone(PLUS_TWO)
    conversation, _ = await conversations.start(
        site_id=visitor.site_id, visitor_id=visitor.id, status="bot", topic=None, team_id=None, priority=1,
        now=local,
    )
    await conversations.apply(conversation.id, [message(visitor.id, "t")], now=local,
                              changes={"queued_at": local, "status": "queued"})
    stored = await conversations.get(conversation.id)
    [event] = await conversations.events_after(conversation.id, 0, 10)
    for moment in (stored.created_at, stored.queued_at, event.created_at, (await conversations.get_visitor(
            visitor.id)).created_at):  # type: ignore[union-attr]
        assert moment is not None
        assert moment.tzinfo is not None and moment.utcoffset() == datetime.timedelta(0)
        assert moment == T0  # the same instant, to the microsecond
        assert moment.isoformat().endswith("+00:00")


async def test_naive_datetimes_are_refused(conversations: ConversationStore, site: records.Site) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        await conversations.create_visitor(site.id, datetime.datetime(2024, 5, 1, 10, 0))
