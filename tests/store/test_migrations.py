"""Migrations run backwards too: each newest step's downgrade, then its upgrade again, on every backend."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chatsvc.store import schema
from chatsvc.store.accounts import AccountStore
from chatsvc.store.database import MIGRATIONS, Database
from tests.store.conftest import T0

WIDGET_TABLES = {"widget_settings", "surveys"}  # what 0004 adds


def _alembic(connection: sa.Connection, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def _run(db: Database, action: str, revision: str) -> None:
    async with db.engine.connect() as conn:
        await conn.run_sync(_alembic, action, revision)
        await conn.commit()


def _snapshot(connection: sa.Connection) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(str(i["name"]) for i in inspector.get_indexes(table)),
            sorted((tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in inspector.get_foreign_keys(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


async def _state(db: Database) -> tuple[dict[str, Any], list[str]]:
    async with db.connect() as conn:
        snapshot = await conn.run_sync(_snapshot)
        versions = list((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
    return snapshot, versions


async def test_the_widget_migration_goes_down_and_up_again(db: Database) -> None:
    site = await AccountStore(db).create_site(key="shop", name="Shop", allowed_origins=[], now=T0)
    async with db.begin() as conn:
        await conn.execute(schema.widget_settings.insert().values(
            site_id=site.id, color="#1f5fd1", position="left", greeting_en=None, greeting_fr=None, prechat="off",
            survey_csat=True, survey_nps=False, survey_ces=False, updated_at=T0,
        ))
    await _run(db, "downgrade", "0004")  # a no-op while 0004 is the newest; keeps this test about 0004 after
    head, versions = await _state(db)
    assert versions == ["0004"] and WIDGET_TABLES <= set(head)

    await _run(db, "downgrade", "0003")
    down, versions = await _state(db)
    assert versions == ["0003"]
    # Only the widget's tables go; every other table is as it was, and so is its data.
    assert down == {table: shape for table, shape in head.items() if table not in WIDGET_TABLES}
    assert await AccountStore(db).find_site_by_key("shop") == site

    await _run(db, "upgrade", "0004")
    up, versions = await _state(db)
    assert versions == ["0004"] and up == head
    await _run(db, "upgrade", "head")
    async with db.begin() as conn:  # the tables are back, empty and usable
        assert await conn.scalar(sa.select(sa.func.count()).select_from(schema.widget_settings)) == 0
        await conn.execute(schema.widget_settings.insert().values(
            site_id=site.id, color="#111111", position="right", greeting_en="Hi", greeting_fr=None, prechat="off",
            survey_csat=True, survey_nps=True, survey_ces=False, updated_at=T0,
        ))
