"""AccountStore contract on both backends: server secrets, users, sessions, sites, teams."""

from __future__ import annotations

import asyncio
import datetime
import itertools

import pytest
import sqlalchemy as sa

from chatsvc.errors import Conflict, NotFound
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.database import Database
from tests.store.conftest import T0
from tests.support.servers import Backend


def later(minutes: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


async def user(accounts: AccountStore, email: str = "alice@support.example", **extra: object) -> records.User:
    return await accounts.create_user(
        email=email, name=email.split("@")[0].title(), role="agent", password_hash="$argon2id$fake", now=T0,
        **extra,  # type: ignore[arg-type]
    )


# --- server secrets -------------------------------------------------------------------------------------


async def test_a_secret_is_made_once_and_then_kept(accounts: AccountStore) -> None:
    made = itertools.count()
    first = await accounts.get_or_create_secret("visitor-token", lambda: f"secret-{next(made)}")
    second = await accounts.get_or_create_secret("visitor-token", lambda: f"secret-{next(made)}")
    assert first == second == "secret-0"
    assert await accounts.get_or_create_secret("other", lambda: "another") == "another"


async def test_concurrent_first_calls_agree_on_one_secret(accounts: AccountStore, backend: Backend) -> None:
    # Several "processes" (their own Database handles) race to create the same secret.
    handles = [Database(backend.database_url) for _ in range(3)]
    stores = [accounts, *(AccountStore(h) for h in handles)]
    try:
        values = await asyncio.gather(
            *(stores[n % len(stores)].get_or_create_secret("shared", lambda n=n: f"candidate-{n}") for n in range(12))
        )
    finally:
        for handle in handles:
            await handle.close()
    assert len(set(values)) == 1
    assert values[0].startswith("candidate-")
    assert await accounts.get_or_create_secret("shared", lambda: "late") == values[0]


# --- users ----------------------------------------------------------------------------------------------


async def test_create_and_read_users(accounts: AccountStore) -> None:
    assert await accounts.count_users() == 0
    alice = await user(accounts, max_chats=4, must_change_password=True)
    assert (alice.email, alice.name, alice.role, alice.max_chats, alice.status) == (
        "alice@support.example", "Alice", "agent", 4, "offline"
    )
    assert alice.must_change_password and not alice.disabled and alice.last_login_at is None
    assert alice.created_at == T0 and alice.created_at.tzinfo is not None
    assert await accounts.get_user(alice.id) == alice
    assert await accounts.find_user_by_email("alice@support.example") == alice
    assert await accounts.find_user_by_email("nobody@support.example") is None
    bob = await user(accounts, "bob@support.example")
    assert await accounts.count_users() == 2
    assert [u.email for u in await accounts.list_users()] == ["alice@support.example", "bob@support.example"]
    assert alice.id != bob.id


async def test_public_view_never_holds_the_password_hash(accounts: AccountStore) -> None:
    alice = await user(accounts)
    public = alice.public()
    assert "password_hash" not in public and "$argon2id$fake" not in str(public)


async def test_duplicate_email_is_a_conflict(accounts: AccountStore) -> None:
    await user(accounts)
    with pytest.raises(Conflict):
        await user(accounts)
    assert await accounts.count_users() == 1


async def test_unknown_users(accounts: AccountStore) -> None:
    with pytest.raises(NotFound):
        await accounts.get_user("missing")
    with pytest.raises(NotFound):
        await accounts.update_user("missing", name="X")


async def test_update_user(accounts: AccountStore) -> None:
    alice = await user(accounts)
    updated = await accounts.update_user(
        alice.id, name="Alice B.", disabled=True, max_chats=None, status="online", last_login_at=later(5),
        must_change_password=False, password_hash="$argon2id$new",
    )
    assert (updated.name, updated.disabled, updated.max_chats, updated.status) == ("Alice B.", True, None, "online")
    assert updated.last_login_at == later(5) and updated.password_hash == "$argon2id$new"
    assert await accounts.get_user(alice.id) == updated


async def test_update_user_refuses_unknown_fields_and_taken_emails(accounts: AccountStore) -> None:
    alice = await user(accounts)
    await user(accounts, "bob@support.example")
    with pytest.raises(ValueError, match="not updatable"):
        await accounts.update_user(alice.id, id="hijack")
    with pytest.raises(ValueError, match="not updatable"):
        await accounts.update_user(alice.id, created_at=later(1))
    with pytest.raises(Conflict):
        await accounts.update_user(alice.id, email="bob@support.example")
    assert (await accounts.get_user(alice.id)).email == "alice@support.example"


# --- sessions -------------------------------------------------------------------------------------------


def session(user_id: str, digest: str, expires: datetime.datetime) -> records.StaffSession:
    return records.StaffSession(token_digest=digest, user_id=user_id, csrf_token=f"csrf-{digest}", created_at=T0,
                                expires_at=expires)


async def test_sessions(accounts: AccountStore) -> None:
    alice, bob = await user(accounts), await user(accounts, "bob@support.example")
    for item in (session(alice.id, "a1", later(60)), session(alice.id, "a2", later(1)),
                 session(alice.id, "a3", later(60)), session(bob.id, "b1", later(60))):
        await accounts.create_session(item)
    assert await accounts.find_session("a1") == session(alice.id, "a1", later(60))
    assert await accounts.find_session("nope") is None
    await accounts.delete_session("a1")
    assert await accounts.find_session("a1") is None
    await accounts.delete_expired_sessions(later(1))  # expiring exactly now counts as expired
    assert await accounts.find_session("a2") is None and await accounts.find_session("a3") is not None
    await accounts.create_session(session(alice.id, "a4", later(60)))
    await accounts.delete_sessions_of(alice.id, keep="a4")
    assert await accounts.find_session("a3") is None and await accounts.find_session("a4") is not None
    await accounts.delete_sessions_of(alice.id)
    assert await accounts.find_session("a4") is None
    assert await accounts.find_session("b1") is not None  # someone else's sessions are untouched


async def test_a_session_for_no_user_is_refused(accounts: AccountStore) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        await accounts.create_session(session("no-such-user", "x", later(60)))


# --- sites ----------------------------------------------------------------------------------------------


async def test_sites(accounts: AccountStore) -> None:
    shop = await accounts.create_site(key="shop", name="Shop", allowed_origins=["https://shop.example"], now=T0)
    assert shop.allowed_origins == ("https://shop.example",)
    assert await accounts.get_site(shop.id) == shop
    assert await accounts.find_site_by_key("shop") == shop
    assert await accounts.find_site_by_key("SHOP") is None  # keys are exact
    with pytest.raises(Conflict):
        await accounts.create_site(key="shop", name="Again", allowed_origins=[], now=T0)
    blog = await accounts.create_site(key="blog", name="Blog", allowed_origins=(), now=later(1))
    assert [s.key for s in await accounts.list_sites()] == ["shop", "blog"]
    updated = await accounts.update_site(
        shop.id, name="Shop 2", allowed_origins=(o for o in ["https://a.example", "https://b.example"])
    )
    assert updated.allowed_origins == ("https://a.example", "https://b.example") and updated.name == "Shop 2"
    with pytest.raises(ValueError, match="not updatable"):
        await accounts.update_site(shop.id, key="stolen")
    await accounts.delete_site(blog.id)
    with pytest.raises(NotFound):
        await accounts.get_site(blog.id)
    with pytest.raises(NotFound):
        await accounts.delete_site(blog.id)
    with pytest.raises(NotFound):
        await accounts.update_site("missing", name="x")


async def test_deleting_a_site_removes_its_visitors_and_conversations(
    accounts: AccountStore, conversations: ConversationStore
) -> None:
    shop = await accounts.create_site(key="shop", name="Shop", allowed_origins=[], now=T0)
    visitor = await conversations.create_visitor(shop.id, T0)
    conversation, _ = await conversations.start(site_id=shop.id, visitor_id=visitor.id, status="bot", topic=None,
                                                team_id=None, priority=1, now=T0)
    await accounts.delete_site(shop.id)
    assert await conversations.get_visitor(visitor.id) is None
    assert await conversations.find(conversation.id) is None


# --- teams ----------------------------------------------------------------------------------------------


async def test_teams_topics_and_members(accounts: AccountStore) -> None:
    alice, bob = await user(accounts), await user(accounts, "bob@support.example")
    billing = await accounts.create_team(name="Billing", now=T0)
    assert (billing.name, billing.topics, billing.member_ids) == ("Billing", (), ())
    with pytest.raises(Conflict):
        await accounts.create_team(name="Billing", now=T0)
    billing = await accounts.update_team(billing.id, topics=["refunds", "invoices", "refunds"], member_ids=[alice.id])
    assert billing.topics == ("invoices", "refunds") and billing.member_ids == (alice.id,)
    assert await accounts.team_for_topic("refunds") == billing.id
    assert await accounts.team_for_topic("unknown") is None
    assert await accounts.team_ids_of(alice.id) == frozenset({billing.id})
    assert await accounts.team_ids_of(bob.id) == frozenset()

    sales = await accounts.create_team(name="Sales", now=T0)
    with pytest.raises(Conflict):  # a topic belongs to one team
        await accounts.update_team(sales.id, topics=["refunds"])
    with pytest.raises(Conflict):  # members must exist
        await accounts.update_team(sales.id, member_ids=["no-such-user"])
    assert (await accounts.get_team(sales.id)).topics == ()
    await accounts.update_team(sales.id, member_ids=[alice.id, bob.id])
    assert await accounts.team_ids_of(alice.id) == frozenset({billing.id, sales.id})
    assert [t.name for t in await accounts.list_teams()] == ["Billing", "Sales"]
    assert await accounts.find_team_by_name("Sales") == await accounts.get_team(sales.id)

    await accounts.delete_team(billing.id)
    assert await accounts.team_for_topic("refunds") is None
    assert await accounts.team_ids_of(alice.id) == frozenset({sales.id})
    with pytest.raises(NotFound):
        await accounts.get_team(billing.id)
    with pytest.raises(NotFound):
        await accounts.delete_team(billing.id)


async def test_a_refused_team_update_changes_nothing(accounts: AccountStore) -> None:
    alice = await user(accounts)
    team = await accounts.update_team(
        (await accounts.create_team(name="Support", now=T0)).id, topics=["help"], member_ids=[alice.id]
    )
    with pytest.raises(Conflict):
        await accounts.update_team(team.id, name="Support 2", topics=["other"], member_ids=["ghost"])
    assert await accounts.get_team(team.id) == team
