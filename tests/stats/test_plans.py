"""The period's rows are found through the created_at indexes of migration 0007, on both backends."""

from __future__ import annotations

import datetime

from chatsvc.domain.metrics import StatsFilter, parse_period
from chatsvc.store.database import Database
from chatsvc.store.stats import StatsStore, figures_query, tickets_query, unanswered_query
from tests.stats.history import NOW, PERIOD, build_history

PERIOD_30 = parse_period(PERIOD, today=datetime.date(2026, 3, 10), tz="Europe/Paris")


async def _plan(db: Database, query: object) -> str:
    # PostgreSQL would scan tables this small whatever the indexes: forbid that to see which index serves.
    settings = () if db.is_sqlite else ("SET LOCAL enable_seqscan = off",)
    return await StatsStore(db).plan(query, settings=settings)


async def test_the_queries_use_the_period_indexes(db: Database) -> None:
    await build_history(db)
    everyone, one_site = StatsFilter(), StatsFilter(site_id="shop")
    assert "ix_conversations_created" in await _plan(db, figures_query(PERIOD_30, everyone))
    assert "ix_conversations_site_created" in await _plan(db, figures_query(PERIOD_30, one_site))
    assert "ix_tickets_created" in await _plan(db, tickets_query(PERIOD_30, everyone, NOW))
    assert "ix_events_kind_created" in await _plan(db, unanswered_query(PERIOD_30, everyone))
    if db.is_sqlite:  # (PostgreSQL's choice for the look-ups depends on its statistics of these few rows)
        # The FCR look-ups go by visitor, through the indexes that existed already.
        figures = await _plan(db, figures_query(PERIOD_30, everyone))
        assert "ix_conversations_visitor" in figures and "ix_tickets_visitor" in figures
