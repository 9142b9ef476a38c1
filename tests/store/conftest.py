"""Fixtures for the store's contract tests: a migrated database of each backend, and a site with a visitor."""

from __future__ import annotations

import datetime

import pytest

from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.database import Database

T0 = datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)


@pytest.fixture
def conversations(db: Database) -> ConversationStore:
    return ConversationStore(db)


@pytest.fixture
def accounts(db: Database) -> AccountStore:
    return AccountStore(db)


@pytest.fixture
async def site(accounts: AccountStore) -> records.Site:
    return await accounts.create_site(key="shop", name="Shop", allowed_origins=["https://shop.example"], now=T0)


@pytest.fixture
async def visitor(conversations: ConversationStore, site: records.Site) -> records.Visitor:
    return await conversations.create_visitor(site.id, T0)
