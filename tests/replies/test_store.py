"""The replies store on every backend: whole-tree edits in one transaction, shortcut uniqueness."""

from __future__ import annotations

import asyncio
import datetime

import pytest
import sqlalchemy as sa

from chatsvc.domain import menu
from chatsvc.domain.menu import Action, MenuError, MenuItem
from chatsvc.errors import Conflict, NotFound
from chatsvc.store import records
from chatsvc.store.database import Database
from chatsvc.store.replies import CannedStore, MenuStore
from chatsvc.store.schema import kb_articles, quick_replies
from tests.replies.conftest import T0

T1 = T0 + datetime.timedelta(hours=1)


def tree() -> list[MenuItem]:
    return list(menu.validate([
        MenuItem("billing", None, 0, "Billing", "Facturation", Action.MENU),
        MenuItem("invoice", "billing", 0, "Invoices", None, Action.ANSWER, "Under Account > Invoices."),
        MenuItem("refund", "billing", 1, "Refunds", None, Action.TOPIC, "billing"),
        MenuItem("person", None, 1, "Talk to a person", None, Action.HUMAN),
    ]).items)


async def test_replace_and_read_back(menu_store: MenuStore) -> None:
    assert await menu_store.items() == []
    saved = await menu_store.replace(tree(), T0)
    assert [i.id for i in saved] == ["billing", "invoice", "refund", "person"]
    assert sorted(await menu_store.items(), key=lambda i: i.id) == sorted(tree(), key=lambda i: i.id)
    assert await menu_store.get_item("invoice") == tree()[1]
    with pytest.raises(NotFound):
        await menu_store.get_item("ghost")


async def test_replace_keeps_creation_times_of_kept_items(menu_store: MenuStore, db: Database) -> None:
    await menu_store.replace(tree(), T0)
    smaller = [i for i in tree() if i.id != "refund"] + [MenuItem("new", None, 2, "New", None, Action.HUMAN)]
    await menu_store.replace(smaller, T1)
    async with db.connect() as conn:
        result = await conn.execute(sa.select(quick_replies.c.id, quick_replies.c.created_at))
        created = {row.id: row.created_at for row in result}
    assert created == {"billing": T0, "invoice": T0, "person": T0, "new": T1}


async def test_a_refused_edit_changes_nothing(menu_store: MenuStore) -> None:
    await menu_store.replace(tree(), T0)

    def breaks(current: list[MenuItem]) -> list[MenuItem]:
        return list(menu.validate([*current, MenuItem("x", "invoice", 0, "Under an answer", None, Action.HUMAN)]).items)

    with pytest.raises(MenuError, match="Only a sub-menu"):
        await menu_store.edit(breaks, T1)
    assert sorted(await menu_store.items(), key=lambda i: i.id) == sorted(tree(), key=lambda i: i.id)

    # An unvalidated list that is not a tree is refused by the store itself, and nothing is written.
    with pytest.raises(ValueError, match="not a tree"):
        await menu_store.replace([MenuItem("a", "b", 0, "A", None, Action.MENU),
                                  MenuItem("b", "a", 0, "B", None, Action.MENU)], T1)
    assert len(await menu_store.items()) == 4


async def test_concurrent_edits_take_turns(menu_store: MenuStore) -> None:
    """Two admins each add an item to a level holding 11: one wins, the other's tree would hold 13 and is
    refused, because the second edit reads the first one's result (the table lock; SQLite's single writer)."""
    eleven = [MenuItem(f"i{n}", None, n, f"Item {n}", None, Action.HUMAN) for n in range(11)]
    await menu_store.replace(eleven, T0)

    async def add(item_id: str) -> None:
        def change(current: list[MenuItem]) -> list[MenuItem]:
            return list(menu.validate(menu.add_item(current, MenuItem(item_id, None, 0, item_id, None,
                                                                      Action.HUMAN))).items)

        await menu_store.edit(change, T1)

    results = await asyncio.gather(add("x"), add("y"), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, MenuError) for r in results) == 1
    assert len(await menu_store.items()) == 12


async def test_articles_the_menu_may_point_at(menu_store: MenuStore, db: Database) -> None:
    async with db.begin() as conn:
        await conn.execute(kb_articles.insert(), [
            {"id": "frA-001", "title": "Remboursements", "body": "...", "alt": [], "tags": [], "lang": "fr",
             "published": True, "created_at": T0, "updated_at": T0},
            {"id": "a2", "title": "Draft", "body": "...", "alt": [], "tags": [], "lang": "en",
             "published": False, "created_at": T0, "updated_at": T0},
        ])
    assert await menu_store.existing_articles(["frA-001", "a2", "ghost"]) == {"frA-001", "a2"}
    assert await menu_store.existing_articles([]) == set()
    assert await menu_store.article_choices() == [("a2", "Draft", "en", False),
                                                  ("frA-001", "Remboursements", "fr", True)]


async def test_canned_crud_and_visibility(
    canned_store: CannedStore, owners: tuple[records.User, records.User]
) -> None:
    a, b = owners
    shared = await canned_store.create(owner_id=None, shortcut="hello", title="Hello", body="Hi {visitor_name}",
                                       now=T0)
    mine = await canned_store.create(owner_id=a.id, shortcut="hello", title="Mine", body="Hey", now=T0)
    theirs = await canned_store.create(owner_id=b.id, shortcut="bye", title="Bye", body="Bye", now=T0)
    assert shared.shared and not mine.shared and mine.owner_id == a.id
    assert shared.created_at == T0 and shared.updated_at == T0

    # Shared plus one's own, by shortcut, one's own first on the same shortcut.
    assert [r.id for r in await canned_store.visible_to(a.id)] == [mine.id, shared.id]
    assert [r.id for r in await canned_store.visible_to(b.id)] == [theirs.id, shared.id]

    updated = await canned_store.update(mine.id, now=T1, title="Mine, renamed", body="Hey there")
    assert (updated.title, updated.body, updated.created_at, updated.updated_at) == (
        "Mine, renamed", "Hey there", T0, T1,
    )
    await canned_store.delete(theirs.id)
    with pytest.raises(NotFound):
        await canned_store.get(theirs.id)
    with pytest.raises(NotFound):
        await canned_store.delete(theirs.id)
    with pytest.raises(NotFound):
        await canned_store.update(theirs.id, now=T1, title="x")
    with pytest.raises(ValueError, match="not updatable"):
        await canned_store.update(mine.id, now=T1, owner_id=b.id)


async def test_shortcuts_are_unique_per_owner_and_among_shared(
    canned_store: CannedStore, owners: tuple[records.User, records.User]
) -> None:
    a, b = owners
    await canned_store.create(owner_id=None, shortcut="hello", title="t", body="b", now=T0)
    await canned_store.create(owner_id=a.id, shortcut="hello", title="t", body="b", now=T0)
    await canned_store.create(owner_id=b.id, shortcut="hello", title="t", body="b", now=T0)
    for owner in (None, a.id):
        with pytest.raises(Conflict, match="shortcut"):
            await canned_store.create(owner_id=owner, shortcut="hello", title="t", body="b", now=T0)
    other = await canned_store.create(owner_id=a.id, shortcut="other", title="t", body="b", now=T0)
    with pytest.raises(Conflict, match="shortcut"):
        await canned_store.update(other.id, now=T1, shortcut="hello")
    assert (await canned_store.get(other.id)).shortcut == "other"
    shared_other = await canned_store.create(owner_id=None, shortcut="other2", title="t", body="b", now=T0)
    with pytest.raises(Conflict):
        await canned_store.update(shared_other.id, now=T1, shortcut="hello")
    assert len(await canned_store.visible_to(a.id)) == 4
