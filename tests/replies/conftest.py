"""Fixtures for the predefined-replies tests: migrated databases of each backend, and servers with staff."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.database import Database
from chatsvc.store.replies import CannedStore, MenuStore
from tests.support.servers import InProcessServer

T0 = datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=datetime.UTC)


@pytest.fixture
def menu_store(db: Database) -> MenuStore:
    return MenuStore(db)


@pytest.fixture
def canned_store(db: Database) -> CannedStore:
    return CannedStore(db)


@pytest.fixture
async def owners(db: Database) -> tuple[records.User, records.User]:
    accounts = AccountStore(db)
    return (
        await accounts.create_user(email="a@x.example", name="A", role="agent", password_hash="h", now=T0),
        await accounts.create_user(email="b@x.example", name="B", role="agent", password_hash="h", now=T0),
    )


@dataclasses.dataclass(frozen=True)
class Staff:
    admin: records.User
    agent: records.User
    other: records.User  # a second agent, whose personal responses the first must not reach
    manager: records.User


@pytest.fixture
async def staff(server: InProcessServer) -> Staff:
    """One admin, two agents and a manager on every backend the ``server`` fixture runs."""
    return Staff(
        admin=await server.add_staff("Ada Admin", role="admin"),
        agent=await server.add_staff("Alex Agent", role="agent"),
        other=await server.add_staff("Olga Other", role="agent"),
        manager=await server.add_staff("Max Manager", role="manager"),
    )


@pytest.fixture
async def site_staff(sqlite_server: InProcessServer) -> Staff:
    """The same people on the embedded backend only: pages render alike on every backend."""
    return Staff(
        admin=await sqlite_server.add_staff("Ada Admin", role="admin"),
        agent=await sqlite_server.add_staff("Alex Agent", role="agent"),
        other=await sqlite_server.add_staff("Olga Other", role="agent"),
        manager=await sqlite_server.add_staff("Max Manager", role="manager"),
    )
