"""The database handle: URLs to drivers, migrations at start (repeatable, and safe when processes race)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from chatsvc.store import schema
from chatsvc.store.database import MIGRATIONS, Database, async_url, describe
from tests.support.servers import Backend


def _snapshot(connection: sa.Connection) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(str(i["name"]) for i in inspector.get_indexes(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


async def _versions(db: Database) -> list[str]:
    async with db.connect() as conn:
        return list((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())


async def test_migrate_twice_is_a_no_op(db: Database, backend: Backend) -> None:
    async with db.connect() as conn:
        before = await conn.run_sync(_snapshot)
    async with db.begin() as conn:
        await conn.execute(schema.server_secrets.insert().values(name="kept", value="across migrations"))
    await db.migrate()
    again = Database(backend.database_url)  # as a second process starting later would
    try:
        await again.migrate()
    finally:
        await again.close()
    async with db.connect() as conn:
        after = await conn.run_sync(_snapshot)
        kept = await conn.scalar(sa.select(schema.server_secrets.c.value).where(schema.server_secrets.c.name == "kept"))
    assert after == before
    assert kept == "across migrations"
    assert await _versions(db) == [NEWEST]


def _newest() -> str:
    """The head revision, read from the migration scripts themselves."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


NEWEST = _newest()


async def test_a_fresh_database_ends_at_the_newest_revision(db: Database) -> None:
    assert await _versions(db) == [NEWEST]


async def test_processes_migrating_together_take_turns(backend: Backend) -> None:
    # PostgreSQL: an advisory lock; SQLite: a file lock beside the database.
    databases = [Database(backend.database_url) for _ in range(4)]
    try:
        await asyncio.gather(*(database.migrate() for database in databases))
        assert await _versions(databases[0]) == [NEWEST]
    finally:
        for database in databases:
            await database.close()


async def test_ping(db: Database) -> None:
    assert await db.ping() is True


async def test_ping_is_false_when_the_database_is_unreachable() -> None:
    unreachable = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert await unreachable.ping() is False
    finally:
        await unreachable.close()


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.begin() as conn:
            await conn.execute(schema.server_secrets.insert().values(name="half", value="done"))
            raise RuntimeError("boom")
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(schema.server_secrets)) == 0


async def test_foreign_keys_are_enforced(db: Database) -> None:
    # SQLite ignores them unless the connection says otherwise: the store's pragmas must switch them on.
    with pytest.raises(sa.exc.IntegrityError):
        async with db.begin() as conn:
            await conn.execute(
                schema.team_members.insert().values(team_id="no-such-team", user_id="no-such-user")
            )


async def test_sqlite_pragmas(backend: Backend) -> None:
    if not backend.name.startswith("sqlite"):
        pytest.skip("SQLite only")
    database = Database(backend.database_url)
    names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only")
    try:
        async with database.begin() as conn:  # the one writer
            writer = {name: (await conn.execute(sa.text(f"PRAGMA {name}"))).scalar() for name in names}
        async with database.connect() as conn:  # a reader beside it
            reader = {name: (await conn.execute(sa.text(f"PRAGMA {name}"))).scalar() for name in names}
            with pytest.raises(sa.exc.OperationalError):
                await conn.execute(schema.server_secrets.insert().values(name="x", value="y"))
    finally:
        await database.close()
    assert writer == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 10000,
                      "query_only": 0}
    assert reader["journal_mode"] == "wal" and reader["foreign_keys"] == 1 and reader["query_only"] == 1


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///./chatsvc.db", "sqlite+aiosqlite"),
        ("sqlite:///:memory:", "sqlite+aiosqlite"),
        ("postgresql://u:p@db/chat", "postgresql+asyncpg"),
        ("postgres://u:p@db/chat", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u@db/chat", "postgresql+asyncpg"),
    ],
)
def test_async_url(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@db/chat", "oracle://u@db/x"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        async_url(url)


def test_describe_hides_the_password() -> None:
    text = describe("postgresql://chat:s3cret-pw@db.internal:5432/chat")
    assert "s3cret-pw" not in text
    assert "db.internal" in text and "chat" in text
