"""The period's rows are found through the created_at indexes of migration 0007, on both backends."""

from __future__ import annotations

import datetime

from chatsvc.domain.metrics import StatsFilter, parse_period
from chatsvc.store.database import Database
from chatsvc.store.stats import StatsStore, figures_query, tickets_query, unanswered_query
from tests.stats.history import NOW, PERIOD, build_history

THREE_DAYS = parse_period(PERIOD, today=datetime.date(2026, 3, 10), tz="Europe/Paris")


async def _plan(db: Database, query: object) -> str:
    # PostgreSQL would scan tables this small whatever the indexes: forbid that to see which index serves.
    settings = () if db.is_sqlite else ("SET LOCAL enable_seqscan = off",)
    return await StatsStore(db).plan(query, settings=settings)


async def test_the_queries_use_the_period_indexes(db: Database) -> None:
    await build_history(db)
    everyone, one_site = StatsFilter(), StatsFilter(site_id="shop")
    assert "ix_conversations_created" in await _plan(db, figures_query(THREE_DAYS, everyone))
    assert "ix_conversations_site_created" in await _plan(db, figures_query(THREE_DAYS, one_site))
    assert "ix_tickets_created" in await _plan(db, tickets_query(THREE_DAYS, everyone, NOW))
    assert "ix_events_kind_created" in await _plan(db, unanswered_query(THREE_DAYS, everyone))
    if db.is_sqlite:  # (PostgreSQL's choice for the look-ups depends on its statistics of these few rows)
        # The FCR look-ups go by visitor, through the indexes that existed already.
        figures = await _plan(db, figures_query(THREE_DAYS, everyone))
        assert "ix_conversations_visitor" in figures and "ix_tickets_visitor" in figures


async def test_sqlite_reads_the_table_when_the_period_is_most_of_it(db: Database) -> None:
    await build_history(db)
    store = StatsStore(db)
    async with db.connect() as conn:
        # Most of the history's 12 conversations are in the three days: over a quarter, so SQLite scans.
        assert await store._scan_rather_than_index(conn, THREE_DAYS, StatsFilter()) is db.is_sqlite
        one_day = parse_period({"period": "custom", "from": "2026-03-03", "to": "2026-03-03"},
                               today=datetime.date(2026, 3, 10), tz="UTC")
        assert await store._scan_rather_than_index(conn, one_day, StatsFilter(site_id="blog")) is False  # 2 of 12
    if db.is_sqlite:
        plan = await store.plan(figures_query(THREE_DAYS, StatsFilter(), scan=True))
        assert "SCAN conversations" in plan and "ix_conversations_created" not in plan
