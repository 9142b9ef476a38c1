"""The manager page's tests run on one SQLite server each, with its people and a hand-built history."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.manager_pages.history import History, write_history
from tests.support.people import People, people_on
from tests.support.servers import Backend, InProcessServer


@pytest.fixture
async def server(sqlite_backend: Backend, start_server) -> AsyncIterator[InProcessServer]:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend) as running:
        yield running


@pytest.fixture
async def people(server: InProcessServer) -> People:
    return await people_on(server)


@pytest.fixture
async def history(server: InProcessServer) -> History:
    return await write_history(server.services.db)
