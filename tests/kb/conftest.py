"""Fixtures for the knowledge-base tests: a migrated store on each backend, people on a real server, sample data."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from chatsvc.services.container import Services
from chatsvc.store.database import Database
from chatsvc.store.kb import KbArticle, KbStore
from tests.support.people import People, people_on
from tests.support.servers import Backend, InProcessServer, make_settings

DATA = Path(__file__).parents[1] / "data"
FR_KB = DATA / "fr_support_kb.jsonl"
T0 = datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=datetime.UTC)


def article(article_id: str = "a-1", **values: object) -> KbArticle:
    base = KbArticle(
        id=article_id, title="How do I reset my password?", body="Go to **Settings**.", alt=("forgot password",),
        tags=("account",), lang="en", published=True, created_at=T0, updated_at=T0,
    )
    return dataclasses.replace(base, **values)  # type: ignore[arg-type]


@pytest.fixture
def store(db: Database) -> KbStore:
    return KbStore(db)


@pytest.fixture
async def people(server: InProcessServer) -> People:
    """One staff member of each role on the ``server`` fixture's backend (SQLite, then PostgreSQL + Redis)."""
    return await people_on(server)


@pytest.fixture
async def sqlite_people(sqlite_server: InProcessServer) -> People:
    return await people_on(sqlite_server)


@pytest.fixture
def services_on(backend: Backend, tmp_path: Path) -> Callable[[], Services]:
    """Makes Services (unstarted) on the backend: several of them are several server processes."""

    def make() -> Services:
        return Services(make_settings(backend, tmp_path))

    return make


@pytest.fixture
async def services(services_on: Callable[[], Services]) -> AsyncIterator[Services]:
    running = services_on()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
