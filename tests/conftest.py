"""Shared fixtures: real servers on free ports, on SQLite + memory and on PostgreSQL + Redis.

Tests that need PostgreSQL, Redis or Chromium skip with the reason when those are absent, and fail instead
when CHATSVC_REQUIRE_SERVICES=1 (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import pytest

from chatsvc.store.database import Database
from tests.support.servers import (
    Backend,
    InProcessServer,
    make_settings,
    postgres_database,
    redis_prefix,
)

REQUIRE_SERVICES = os.environ.get("CHATSVC_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get("CHATSVC_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("CHATSVC_TEST_REDIS_URL", "")


def missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CHATSVC_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite+memory", "postgres+redis"])
async def backend(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Backend]:  # type: ignore[no-untyped-def]
    """Each backend pair the server supports, fresh and empty for this test."""
    if request.param == "sqlite+memory":
        yield Backend(name="sqlite+memory", database_url=f"sqlite:///{tmp_path}/chatsvc.db", redis_url="")
        return
    if not TEST_DATABASE_URL:
        missing("CHATSVC_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: Redis tests skipped")
    async with postgres_database(TEST_DATABASE_URL) as database_url, redis_prefix(TEST_REDIS_URL) as prefix:
        yield Backend(name="postgres+redis", database_url=database_url, redis_url=TEST_REDIS_URL, redis_prefix=prefix)


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend, for the store's own tests (no server)."""
    database = Database(backend.database_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def sqlite_backend(tmp_path) -> Backend:  # type: ignore[no-untyped-def]
    return Backend(name="sqlite+memory", database_url=f"sqlite:///{tmp_path}/chatsvc.db", redis_url="")


@pytest.fixture
def start_server(tmp_path) -> Callable[..., InProcessServer]:  # type: ignore[no-untyped-def]
    """``async with start_server(backend, **setting_overrides) as server``: a uvicorn server on a free port."""

    def start(backend: Backend, **overrides: object) -> InProcessServer:
        return InProcessServer(make_settings(backend, tmp_path, **overrides))

    return start


@pytest.fixture
async def server(backend: Backend, start_server) -> AsyncIterator[InProcessServer]:  # type: ignore[no-untyped-def]
    async with start_server(backend) as running:
        yield running


@pytest.fixture
async def sqlite_server(sqlite_backend: Backend, start_server) -> AsyncIterator[InProcessServer]:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend) as running:
        yield running
