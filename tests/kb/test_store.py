"""KbStore contract on both backends: CRUD, search and paging, batched upserts, export order, change detection."""

from __future__ import annotations

import datetime

import pytest

from chatsvc.errors import Conflict, NotFound
from chatsvc.store.kb import KbStore
from tests.kb.conftest import T0, article


def later(minutes: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


async def test_create_get_update_delete(store: KbStore) -> None:
    created = await store.create(article("a-1", tags=("account", "login"), alt=("lost password", "forgot it")))
    assert created == article("a-1", tags=("account", "login"), alt=("lost password", "forgot it"))
    assert created.created_at == T0 and created.created_at.tzinfo is not None
    with pytest.raises(Conflict):
        await store.create(article("a-1"))

    updated = await store.update("a-1", now=later(5), title="Reset a password", published=False, alt=[])
    assert (updated.title, updated.published, updated.alt, updated.tags) == (
        "Reset a password", False, (), ("account", "login"),
    )
    assert updated.created_at == T0 and updated.updated_at == later(5)
    with pytest.raises(ValueError, match="not updatable"):
        await store.update("a-1", now=later(6), created_at=later(6))
    with pytest.raises(NotFound):
        await store.update("missing", now=later(6), title="x")

    await store.delete("a-1")
    with pytest.raises(NotFound):
        await store.get("a-1")
    with pytest.raises(NotFound):
        await store.delete("a-1")


async def test_text_survives_both_backends_unchanged(store: KbStore) -> None:
    body = "Ligne 1\n\n- « élément » ✓\n- 日本語\n\n`code` | pipe \\ backslash\n"
    await store.create(article("fr-1", title="Où est ma commande ?", body=body, lang="fr", alt=("où en est",)))
    found = await store.get("fr-1")
    assert (found.title, found.body, found.alt, found.lang) == ("Où est ma commande ?", body, ("où en est",), "fr")


async def test_search_by_title_with_paging(store: KbStore) -> None:
    for n in range(7):
        await store.create(article(f"p-{n}", title=f"Password question {n}", updated_at=later(n)))
    await store.create(article("other", title="Shipping to 100% of_countries", updated_at=later(10)))
    await store.create(article("draft", title="Password draft", published=False, updated_at=later(11)))

    page = await store.search("PASSWORD", offset=0, limit=3)
    assert page.total == 8
    assert [a.id for a in page.articles] == ["draft", "p-6", "p-5"]  # most recently changed first
    rest = await store.search("password", offset=6, limit=3)
    assert [a.id for a in rest.articles] == ["p-1", "p-0"]
    assert (await store.search("password", published_only=True)).total == 7
    # LIKE wildcards in the search are plain characters.
    assert [a.id for a in (await store.search("100%")).articles] == ["other"]
    assert [a.id for a in (await store.search("of_c")).articles] == ["other"]
    assert (await store.search("_")).total == 1
    assert (await store.search("")).total == 9


async def test_upsert_many_creates_and_replaces_by_id(store: KbStore) -> None:
    await store.create(article("keep", title="Old title", created_at=T0, updated_at=T0))
    created, updated = await store.upsert_many(
        [article("keep", title="New title", tags=()), article("new-1"), article("new-2", published=False)],
        now=later(30),
    )
    assert (sorted(created), updated) == (["new-1", "new-2"], ["keep"])
    kept = await store.get("keep")
    assert (kept.title, kept.tags, kept.created_at, kept.updated_at) == ("New title", (), T0, later(30))
    assert (await store.get("new-1")).created_at == later(30)
    with pytest.raises(ValueError, match="distinct"):
        await store.upsert_many([article("x"), article("x")], now=later(31))
    assert await store.upsert_many([], now=later(31)) == ([], [])


async def test_iterate_reads_everything_in_id_order_in_batches(store: KbStore) -> None:
    ids = [f"id-{n:03d}" for n in range(23)]
    await store.upsert_many([article(i, published=n % 3 != 0) for n, i in enumerate(reversed(ids))], now=T0)
    assert [a.id async for a in store.iterate(batch=5)] == ids
    published = [a.id async for a in store.iterate(published_only=True, batch=4)]
    assert len(published) == 15 and published == sorted(published)
    assert set(published) == set(await store.published_versions())


async def test_fingerprint_changes_with_every_write(store: KbStore) -> None:
    empty = await store.fingerprint()
    assert empty == (0, None)
    await store.create(article("a", updated_at=T0))
    first = await store.fingerprint()
    assert first == (1, T0)
    await store.update("a", now=later(1), title="Changed")
    assert await store.fingerprint() == (1, later(1))
    await store.create(article("b", updated_at=later(2)))
    await store.delete("b")
    assert await store.fingerprint() == (1, later(1))  # back to what it was: nothing to catch up on
    await store.delete("a")
    assert await store.fingerprint() == (0, None)
    versions = await store.published_versions()
    assert versions == {}
