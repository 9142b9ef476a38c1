"""The migrations build exactly what ``schema.py`` describes, on both backends."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chatsvc.store import schema
from chatsvc.store.database import Database

PARTIAL_UNIQUE_INDEXES = {
    "uq_conversations_one_open_per_visitor": ("conversations", ["visitor_id"], "status != 'closed'"),
    "uq_events_client_id": ("events", ["conversation_id", "author_id", "client_id"], "client_id IS NOT NULL"),
}


def _differences(connection: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def _diff(db: Database, metadata: sa.MetaData) -> list[Any]:
    async with db.connect() as conn:
        return await conn.run_sync(_differences, metadata)


async def test_migrations_produce_exactly_the_schema(db: Database) -> None:
    # Types, nullability, server defaults, indexes, uniques and foreign keys all compared. No known false
    # positive needs normalising on SQLite or PostgreSQL with this schema: UTCDateTime is compared through its
    # impl (DateTime(timezone=True)), the migration uses the same type, and the one server default (conversations.visitor_read_seq, "0") reads
    # back the same on both.
    # What alembic does NOT compare is the WHERE of a partial index: the next test checks those by hand.
    assert await _diff(db, schema.metadata) == []


async def test_the_comparison_would_notice_a_difference(db: Database) -> None:
    # The control for the test above: a schema that differs from the migrated one is reported.
    changed = sa.MetaData()
    for table in schema.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["events"].append_column(sa.Column("extra", sa.String(10), nullable=True))
    sa.Index("ix_extra", changed.tables["users"].c.name)
    sa.Table("not_migrated", changed, sa.Column("id", sa.Integer, primary_key=True))
    kinds = {diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in await _diff(db, changed)}
    assert {"add_column", "add_index", "add_table"} <= kinds


def _normalise_predicate(sql: str) -> str:
    # PostgreSQL gives its own rendering back: ((status)::text <> 'closed'::text).
    sql = re.sub(r"::\w+", "", sql).replace("<>", "!=").replace("(", "").replace(")", "")
    return " ".join(sql.split()).lower()


def _indexes(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    inspector = sa.inspect(connection)
    found: dict[str, dict[str, Any]] = {}
    for table in ("conversations", "events"):
        for index in inspector.get_indexes(table):
            found[str(index["name"])] = {**index, "table": table}
    return found


async def test_partial_unique_indexes_have_their_predicates(db: Database) -> None:
    async with db.connect() as conn:
        indexes = await conn.run_sync(_indexes)
    dialect = "sqlite" if db.is_sqlite else "postgresql"
    for name, (table, columns, predicate) in PARTIAL_UNIQUE_INDEXES.items():
        index = indexes[name]
        assert index["table"] == table
        assert index["column_names"] == columns
        assert bool(index["unique"])
        where = index["dialect_options"][f"{dialect}_where"]
        where_sql = where if isinstance(where, str) else str(getattr(where, "text", where))
        assert _normalise_predicate(where_sql) == _normalise_predicate(predicate), where_sql
        # And schema.py says the same as the database.
        declared = next(i for i in schema.metadata.tables[table].indexes if i.name == name)
        assert _normalise_predicate(str(declared.dialect_options[dialect]["where"])) == _normalise_predicate(predicate)


async def test_the_only_tables_are_the_schemas_and_alembics(db: Database) -> None:
    async with db.connect() as conn:
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert names == set(schema.metadata.tables) | {"alembic_version"}


def test_utc_datetime_refuses_naive_and_converts_to_utc() -> None:
    column_type = schema.UTCDateTime()
    sqlite, postgresql = sa.dialects.sqlite.dialect(), sa.dialects.postgresql.dialect()
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime.datetime(2024, 1, 1), sqlite)
    paris = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert column_type.process_bind_param(paris, sqlite) == datetime.datetime(2024, 1, 1, 11)
    bound = column_type.process_bind_param(paris, postgresql)
    assert bound == paris and bound is not None and bound.utcoffset() == datetime.timedelta(0)
    assert column_type.process_bind_param(None, sqlite) is None
    naive_from_sqlite = column_type.process_result_value(datetime.datetime(2024, 1, 1, 11), sqlite)
    assert naive_from_sqlite == datetime.datetime(2024, 1, 1, 11, tzinfo=datetime.timezone.utc)
    assert column_type.process_result_value(paris, postgresql).tzinfo == datetime.timezone.utc  # type: ignore[union-attr]
