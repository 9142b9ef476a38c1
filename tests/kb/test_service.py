"""KnowledgeBaseService: the checks, and an index that follows every change in place, in this process and others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from chatsvc.domain.matching import Article
from chatsvc.errors import BadRequest, NotFound
from chatsvc.services.container import Services
from chatsvc.services.kb import MAX_BODY, KnowledgeBaseService, check_article
from chatsvc.store.kb import KbStore
from tests.kb.conftest import FR_KB, T0, article
from tests.support.servers import Backend

RETURNS = "How do I return a parcel?"


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.02)


# --- checks --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"body": "x" * (MAX_BODY + 1)}, "body"),
        ({"alt": [f"question {n}" for n in range(51)]}, "alternative"),
        ({"alt": ["x" * 1001]}, "alternative"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"tags": ["a|b"]}, "tag"),
        ({"tags": ["a,b"]}, "tag"),
        ({"lang": "english!"}, "language"),
        ({"lang": "e"}, "language"),
        ({"lang": "abcdefghi"}, "language"),
        ({"id": "-starts-with-dash"}, "id"),
        ({"id": "has space"}, "id"),
        ({"id": "x" * 65}, "id"),
    ],
)
def test_checks_refuse(values: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"title": "A question", **values}
    with pytest.raises(BadRequest, match=message):
        check_article(**fields)  # type: ignore[arg-type]


def test_checks_normalise() -> None:
    draft = check_article(
        id="frA-001", title="  Où est ma commande ?  ", body="line 1\r\nline 2\r", alt=["  a\n  b ", "a b", ""],
        tags=["Billing", "billing", " Orders "], lang=" FR ", published=False,
    )
    assert (draft.title, draft.body, draft.alt, draft.tags, draft.lang) == (
        "Où est ma commande ?", "line 1\nline 2\n", ("a b",), ("billing", "orders"), "fr",
    )
    assert check_article(title="x", body="x" * MAX_BODY, lang="pt").lang == "pt"


# --- the index follows changes -------------------------------------------------------------------------


async def test_the_index_follows_each_change_in_place(services: Services) -> None:
    kb = services.kb
    index = kb.index
    added: list[str] = []
    original_add = index.add

    def counting_add(indexed: Article) -> None:
        added.append(indexed.id)
        original_add(indexed)

    index.add = counting_add  # type: ignore[method-assign, assignment]

    assert kb.decide("how can I return my parcel").action == "no_answer"
    created = await kb.create(title=RETURNS, body="Print the label from **My orders**.", alt=["send an item back"])
    assert [c.article_id for c in kb.decide("how can I return my parcel").offered] == [created.id]
    assert kb.article(created.id) == created

    for _ in range(50):
        kb.decide("return parcel")  # queries read the index; they never rebuild it
    assert added == [created.id]

    await kb.update(created.id, title="Where is my order?", alt=[])
    assert kb.decide("how can I return my parcel").offered == ()
    assert kb.decide("where is my order").offered[0].article_id == created.id

    await kb.update(created.id, published=False)
    assert kb.article(created.id) is None and created.id not in kb.index
    assert kb.decide("where is my order").offered == ()
    await kb.update(created.id, published=True)
    assert created.id in kb.index

    await kb.delete(created.id)
    assert kb.article(created.id) is None and len(kb.index) == 0
    assert kb.index is index  # changed in place all along, never replaced
    assert added == [created.id, created.id, created.id]  # one re-index per change that kept it published


async def test_drafts_are_never_indexed(services: Services) -> None:
    draft = await services.kb.create(title=RETURNS, published=False)
    assert draft.id not in services.kb.index and services.kb.rendered(draft.id) is None
    assert (await services.kb.get(draft.id)).published is False
    with pytest.raises(NotFound):
        await services.kb.get(draft.id, published_only=True)


async def test_the_index_is_loaded_at_start(services_on: Callable[[], Services]) -> None:
    first = services_on()
    await first.db.migrate()
    await first.kb_store.upsert_many(
        [article("a", title=RETURNS), article("b", title="Where is my order?", published=False)], now=T0
    )
    await first.db.close()
    await first.broker.stop()
    second = services_on()
    await second.start()
    try:
        assert {a.id for a in second.kb.index} == {"a"}
        assert second.kb.decide("return a parcel").offered[0].article_id == "a"
    finally:
        await second.stop()


async def test_rendered_article_for_the_bot(services: Services) -> None:
    created = await services.kb.create(
        title=RETURNS, body="See [the policy](https://shop.example/returns) <script>alert(1)</script>"
    )
    rendered = services.kb.rendered(created.id)
    assert rendered is not None
    assert '<a href="https://shop.example/returns"' in rendered.html and "<script" not in rendered.html
    assert rendered.text == "See the policy (https://shop.example/returns) <script>alert(1)</script>"
    assert services.kb.rendered("missing") is None


async def test_the_shared_french_kb_is_matched(services: Services) -> None:
    from chatsvc.kbtools.importer import import_path

    report = await import_path(services.kb, FR_KB)
    assert (report.created, report.updated, report.failed) == (30, 0, [])
    assert len(services.kb.index) == 30
    decision = services.kb.decide("comment je change mon mot de passe ?")
    assert decision.action == "answer" and decision.offered[0].article_id == "frA-001"


# --- other processes -----------------------------------------------------------------------------------


async def test_another_process_sees_the_change(backend: Backend, services_on: Callable[[], Services]) -> None:
    """With Redis, the broker notice updates the other process's index; on the embedded broker (one process by
    design) the database comparison does, as it does for a command-line import."""
    writer, reader = services_on(), services_on()
    await writer.start()
    await reader.start()
    try:
        created = await writer.kb.create(title=RETURNS)
        if backend.redis_url:
            await eventually(lambda: reader.kb.article(created.id) is not None)
        else:
            await reader.kb.sync()
        assert reader.kb.decide("return a parcel").offered[0].article_id == created.id

        await writer.kb.update(created.id, title="Where is my order?")
        if backend.redis_url:
            await eventually(lambda: getattr(reader.kb.article(created.id), "title", "") == "Where is my order?")
        else:
            await reader.kb.sync()
        assert reader.kb.decide("where is my order").offered[0].article_id == created.id

        await writer.kb.delete(created.id)
        if backend.redis_url:
            await eventually(lambda: created.id not in reader.kb.index)
        else:
            await reader.kb.sync()
        assert len(reader.kb.index) == 0
    finally:
        await writer.stop()
        await reader.stop()


async def test_a_command_line_import_reaches_a_running_server(services: Services) -> None:
    """A KnowledgeBaseService that is not started (the command line) writes and announces; the server applies
    it from the notice (Redis) or from its periodic comparison with the database (sync)."""
    offline = KnowledgeBaseService(KbStore(services.db), services.hub, services.clock)
    await offline.upsert([check_article(id="cli-1", title=RETURNS)])
    assert len(offline.index) == 0  # a command-line run keeps no index
    await services.kb.sync()
    assert services.kb.article("cli-1") is not None


async def test_a_broker_reconnect_triggers_a_full_comparison(services: Services) -> None:
    await services.kb_store.create(article("behind-its-back", title=RETURNS))  # no notice at all
    assert services.kb.article("behind-its-back") is None
    services.kb.on_resync()
    await eventually(lambda: services.kb.article("behind-its-back") is not None)
