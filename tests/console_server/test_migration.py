"""Migration 0005 (the console's visitor context and read mark) goes down and up again, keeping every row."""

from __future__ import annotations

import sqlalchemy as sa

from chatsvc.store import schema
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.database import Database
from tests.store.conftest import T0
from tests.store.test_migrations import _run, _state

VISITOR_COLUMNS = {"page_url", "page_title", "timezone", "language", "user_agent", "page_seen_at"}


def _columns(snapshot: dict, table: str) -> set[str]:  # type: ignore[type-arg]
    return {name for name, _, _ in snapshot[table][0]}


async def test_the_console_migration_goes_down_and_up_again(db: Database) -> None:
    site = await AccountStore(db).create_site(key="shop", name="Shop", allowed_origins=[], now=T0)
    store = ConversationStore(db)
    visitor = await store.create_visitor(site.id, T0)
    conversation, _ = await store.start(
        site_id=site.id, visitor_id=visitor.id, status="bot", topic=None, team_id=None, priority=1, now=T0
    )
    async with db.begin() as conn:
        await conn.execute(schema.visitors.update().values(page_url="https://shop.example/a", page_seen_at=T0))
        await conn.execute(schema.conversations.update().values(visitor_read_seq=3))
    await _run(db, "downgrade", "0005")  # from the newest down to 0005: this test is about 0005
    head, versions = await _state(db)
    assert versions == ["0005"]
    assert VISITOR_COLUMNS <= _columns(head, "visitors") and "visitor_read_seq" in _columns(head, "conversations")

    await _run(db, "downgrade", "0004")
    down, versions = await _state(db)
    assert versions == ["0004"]
    # Only the new columns go; every other table, and the rows of these two (no cascade), stay.
    assert _columns(down, "visitors") == _columns(head, "visitors") - VISITOR_COLUMNS
    assert _columns(down, "conversations") == _columns(head, "conversations") - {"visitor_read_seq"}
    assert {t: s for t, s in down.items() if t not in ("visitors", "conversations")} == {
        t: s for t, s in head.items() if t not in ("visitors", "conversations")
    }
    async with db.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM visitors")) == 1
        assert await conn.scalar(sa.text("SELECT count(*) FROM conversations")) == 1

    await _run(db, "upgrade", "0005")
    up, versions = await _state(db)
    assert versions == ["0005"] and up == head
    await _run(db, "upgrade", "head")
    # Back, empty (the read mark starts at 0) and usable.
    again = await store.get(conversation.id)
    assert again.visitor_read_seq == 0
    back = await store.get_visitor(visitor.id)
    assert back is not None and back.page_url is None


async def test_the_queue_version_migration_goes_down_and_up_again(db: Database) -> None:
    """0006 adds the ``counters`` table with the queue's row; down drops only it, up brings it back at 0."""
    async with db.begin() as conn:
        await conn.execute(schema.counters.update().values(value=41))
    await _run(db, "downgrade", "0006")  # from the newest down to 0006: this test is about 0006
    head, versions = await _state(db)
    assert versions == ["0006"] and "counters" in head
    await _run(db, "downgrade", "0005")
    down, versions = await _state(db)
    assert versions == ["0005"] and down == {t: s for t, s in head.items() if t != "counters"}
    await _run(db, "upgrade", "0006")
    up, versions = await _state(db)
    assert versions == ["0006"] and up == head
    await _run(db, "upgrade", "head")
    assert await ConversationStore(db).queue_version() == 0
