"""Migration 0007: down and up again keeping every row, the backfill from older columns, and the indexes."""

from __future__ import annotations

import sqlalchemy as sa

from chatsvc.store import schema
from chatsvc.store.database import Database
from tests.stats.history import at, build_sites_and_people, conversation
from tests.store.test_migrations import _run, _state

NEW_COLUMNS = {"handoff_at", "first_assigned_at", "first_responder_id"}
NEW_INDEXES = {
    "conversations": {"ix_conversations_created", "ix_conversations_site_created"},
    "events": {"ix_events_kind_created"},
    "tickets": {"ix_tickets_created"},
}


def _columns(snapshot: dict, table: str) -> set[str]:  # type: ignore[type-arg]
    return {name for name, _, _ in snapshot[table][0]}


async def test_the_stats_migration_goes_down_and_up_and_backfills(db: Database) -> None:
    await _run(db, "downgrade", "0007")  # from the newest down to 0007: this test is about 0007
    head, versions = await _state(db)
    assert versions == ["0007"]
    assert NEW_COLUMNS <= _columns(head, "conversations")
    for table, names in NEW_INDEXES.items():
        assert names <= set(head[table][1])

    await _run(db, "downgrade", "0006")
    down, versions = await _state(db)
    assert versions == ["0006"]
    assert _columns(down, "conversations") == _columns(head, "conversations") - NEW_COLUMNS
    for table, names in NEW_INDEXES.items():
        assert set(down[table][1]) == set(head[table][1]) - names
    assert {t: v for t, v in down.items() if t not in ("conversations", "events", "tickets")} == {
        t: v for t, v in head.items() if t not in ("conversations", "events", "tickets")
    }

    # Rows written before 0007, as the services of then wrote them: the backfill reads queued_at, assigned_at
    # and agent_id.
    await build_sites_and_people(db)
    old = [
        # Answered by Alice: all three backfilled.
        conversation("a", "v1", "shop", at(0, 9), queued_at=at(0, 9, 1), assigned_at=at(0, 9, 5),
                     agent_id="alice", first_response_at=at(0, 9, 6), closed_at=at(0, 9, 20)),
        # Queued, never assigned: only the handoff.
        conversation("b", "v2", "shop", at(0, 10), queued_at=at(0, 10, 1), closed_at=at(0, 10, 9),
                     closed_by_role="visitor"),
        # Assigned but never answered: no responder.
        conversation("c", "v3", "shop", at(0, 11), queued_at=at(0, 11, 1), assigned_at=at(0, 11, 2),
                     agent_id="bob", closed_at=at(0, 11, 30)),
        # The bot's: nothing.
        conversation("d", "v4", "blog", at(0, 12), resolution="bot", closed_at=at(0, 12, 1)),
    ]
    for row in old:
        for column in NEW_COLUMNS:
            del row[column]
    async with db.begin() as conn:
        for row in old:
            await conn.execute(sa.text(
                f"INSERT INTO conversations ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
            ).bindparams(*[
                sa.bindparam(k, type_=schema.conversations.c[k].type) for k in row
            ]), row)

    await _run(db, "upgrade", "0007")
    up, versions = await _state(db)
    assert versions == ["0007"] and up == head
    async with db.connect() as conn:
        result = await conn.execute(
            sa.select(
                schema.conversations.c.id, schema.conversations.c.handoff_at,
                schema.conversations.c.first_assigned_at, schema.conversations.c.first_responder_id,
            ).order_by(schema.conversations.c.id)
        )
        backfilled = {row.id: (row.handoff_at, row.first_assigned_at, row.first_responder_id) for row in result}
    assert backfilled == {
        "a": (at(0, 9, 1), at(0, 9, 5), "alice"),
        "b": (at(0, 10, 1), None, None),
        "c": (at(0, 11, 1), at(0, 11, 2), None),
        "d": (None, None, None),
    }
    await _run(db, "upgrade", "head")
