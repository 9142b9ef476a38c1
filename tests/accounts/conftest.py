"""Fixtures for the accounts tests; servers come from tests/conftest.py (real uvicorn on a free port)."""

from __future__ import annotations

import pytest

from tests.support.people import People, people_on
from tests.support.servers import InProcessServer


@pytest.fixture
async def people(sqlite_server: InProcessServer) -> People:
    """One staff member of each role, password ``STAFF_PASSWORD``, no password change pending."""
    return await people_on(sqlite_server)


@pytest.fixture
async def people_everywhere(server: InProcessServer) -> People:
    """The same people on every backend the ``server`` fixture runs (SQLite, PostgreSQL + Redis)."""
    return await people_on(server)
