"""Fixtures for the accounts tests; servers come from tests/conftest.py (real uvicorn on a free port)."""

from __future__ import annotations

import dataclasses

import pytest

from chatsvc.store import records
from tests.support.servers import InProcessServer


@dataclasses.dataclass(frozen=True)
class People:
    admin: records.User
    manager: records.User
    agent: records.User


@pytest.fixture
async def people(sqlite_server: InProcessServer) -> People:
    """One staff member of each role, password ``STAFF_PASSWORD``, no password change pending."""
    return People(
        admin=await sqlite_server.add_staff("Ada Admin", role="admin"),
        manager=await sqlite_server.add_staff("Max Manager", role="manager"),
        agent=await sqlite_server.add_staff("Alex Agent", role="agent"),
    )


@pytest.fixture
async def people_everywhere(server: InProcessServer) -> People:
    """The same people on every backend the ``server`` fixture runs (SQLite, PostgreSQL + Redis)."""
    return People(
        admin=await server.add_staff("Ada Admin", role="admin"),
        manager=await server.add_staff("Max Manager", role="manager"),
        agent=await server.add_staff("Alex Agent", role="agent"),
    )
