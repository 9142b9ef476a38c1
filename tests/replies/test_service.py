"""The replies service on every backend's database: the menu held in memory (and when it is read again), the
single-item edits, and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatsvc.broker.memory import MemoryBroker
from chatsvc.domain.menu import Action, MenuError, MenuItem
from chatsvc.errors import Forbidden, NotFound
from chatsvc.services.directory import Directory
from chatsvc.services.hub import Envelope, Hub
from chatsvc.services.replies import MENU_CHANGED, MENU_MAX_AGE_SECONDS, RepliesService
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.database import Database
from chatsvc.store.replies import CannedStore, MenuStore
from tests.replies.conftest import T0


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def people(db: Database) -> dict[str, records.User]:
    accounts = AccountStore(db)
    return {
        role: await accounts.create_user(email=f"{role}@x.example", name=role.title(), role=role, password_hash="h",
                                         now=T0)
        for role in ("admin", "agent", "manager")
    }


@pytest.fixture
async def service(db: Database) -> AsyncIterator[tuple[RepliesService, Ticker]]:
    ticker = Ticker()
    hub = Hub(MemoryBroker())
    await hub.start()
    conversations = ConversationStore(db)
    replies = RepliesService(
        MenuStore(db), CannedStore(db), conversations, Directory(AccountStore(db), conversations), hub,
        lambda: T0, monotonic=ticker,
    )
    await replies.start()
    try:
        yield replies, ticker
    finally:
        await replies.stop()
        await hub.stop()


def person(item_id: str, label: str = "Talk to a person") -> MenuItem:
    return MenuItem(item_id, None, 0, label, None, Action.HUMAN)


async def test_the_menu_is_read_again_past_its_age_or_on_a_notice(
    service: tuple[RepliesService, Ticker], people: dict[str, records.User]
) -> None:
    replies, ticker = service
    await replies.replace_menu(people["admin"], [person("a")])
    assert [c.id for c in replies.menu_for(None, "en")] == ["a"]

    # Another process writes (here: straight to the store): this one serves what it holds...
    await replies.menu_store.replace([person("b")], T0)
    assert [c.id for c in replies.menu_for(None, "en")] == ["a"]
    # ...until it is told (another process's notice; its own are ignored)...
    replies.on_envelope("menu", Envelope(control=MENU_CHANGED, reason=replies._process))
    replies.on_envelope("menu", Envelope(control="revoke", reason="another process"))
    assert replies._reload is None or replies._reload.done()
    replies.on_envelope("menu", Envelope(control=MENU_CHANGED, reason="another process"))
    assert replies._reload is not None
    await replies._reload
    assert [c.id for c in replies.menu_for(None, "en")] == ["b"]

    # ...or the broker resyncs after an outage...
    await replies.menu_store.replace([person("c")], T0)
    replies.on_resync()
    assert replies._reload is not None
    await replies._reload
    assert [c.id for c in replies.menu_for(None, "en")] == ["c"]

    # ...or, a notice lost, the copy is older than its maximum age: served once more, and read again meanwhile.
    await replies.menu_store.replace([person("d")], T0)
    ticker.now += MENU_MAX_AGE_SECONDS - 1
    assert [c.id for c in replies.menu_for(None, "en")] == ["c"]
    assert replies._reload.done()
    ticker.now += 2
    assert [c.id for c in replies.menu_for(None, "en")] == ["c"]
    await replies._reload
    assert [c.id for c in replies.menu_for(None, "en")] == ["d"]


async def test_single_item_edits(service: tuple[RepliesService, Ticker], people: dict[str, records.User]) -> None:
    replies, _ticker = service
    admin = people["admin"]
    await replies.replace_menu(admin, [
        MenuItem("billing", None, 0, "Billing", None, Action.MENU),
        MenuItem("invoice", "billing", 0, "Invoices", None, Action.ANSWER, "See your account."),
    ])
    refunds = await replies.add_menu_item(admin, parent_id="billing", label=" Refunds ", action="topic",
                                          payload="billing", label_fr="Remboursements")
    assert (refunds.label, refunds.position) == ("Refunds", 1)
    assert [c.label for c in replies.menu_for("billing", "fr")] == ["Invoices", "Remboursements"]
    await replies.move_menu_item(admin, refunds.id, -1)
    assert [c.id for c in replies.menu_for("billing", "en")] == [refunds.id, "invoice"]
    updated = await replies.update_menu_item(admin, "invoice", label="Bills", payload="Under Account.")
    assert (updated.label, updated.payload, updated.parent_id) == ("Bills", "Under Account.", "billing")
    person_item = await replies.add_menu_item(admin, parent_id=None, label="Person", action="human")

    # Each edit is checked against the whole tree: refused, it changes nothing.
    before = replies.current_menu().items
    refusals = [
        (lambda: replies.update_menu_item(admin, "billing", action="answer", payload="x"), "Only a sub-menu"),
        (lambda: replies.add_menu_item(admin, parent_id="invoice", label="Under", action="human"), "Only a sub-menu"),
        (lambda: replies.add_menu_item(admin, parent_id="ghost", label="Orphan", action="human"), "does not exist"),
        (lambda: replies.add_menu_item(admin, parent_id=None, label="Bad", action="explode"), "Choose what"),
        (lambda: replies.add_menu_item(admin, parent_id=None, label="Article", action="article", payload="nope"),
         "does not exist"),
        (lambda: replies.move_menu_item(admin, "ghost", 1), "No such menu item"),
        (lambda: replies.delete_menu_item(admin, "ghost"), "No such menu item"),
    ]
    for attempt, message in refusals:
        with pytest.raises(MenuError, match=message):
            await attempt()
    with pytest.raises(NotFound):
        await replies.update_menu_item(admin, "ghost", label="x")
    assert (await replies.load_menu()).items == before

    await replies.delete_menu_item(admin, "billing")  # with everything under it
    assert [i.id for i in (await replies.load_menu()).items] == [person_item.id]


async def test_only_admins_edit_the_menu(service: tuple[RepliesService, Ticker], people: dict[str, records.User]) -> None:
    replies, _ticker = service
    for role in ("agent", "manager"):
        for attempt in (
            lambda user: replies.replace_menu(user, []),
            lambda user: replies.add_menu_item(user, parent_id=None, label="x", action="human"),
            lambda user: replies.update_menu_item(user, "x", label="y"),
            lambda user: replies.move_menu_item(user, "x", 1),
            lambda user: replies.delete_menu_item(user, "x"),
        ):
            with pytest.raises(Forbidden):
                await attempt(people[role])
    assert not replies.has_menu()
