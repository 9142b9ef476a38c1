"""The bot answers first, over real sockets: answer cards, suggestions, no answer, Yes / No, a person on request,
and the quick-reply menu. Every decision is stored with the conversation."""

from __future__ import annotations

import asyncio

import pytest

from chatsvc.client import VisitorClient
from chatsvc.client.base import ServerError

ARTICLES = [
    ("reset-password", "Reset your password",
     "Open **Account > Security** and choose *Reset password*. [Help](https://help.example/reset)",
     ["I forgot my password", "change my password"]),
    ("refund", "Ask for a refund", "Refunds are paid within 5 days to the card you used.",
     ["get my money back", "refund an order"]),
    ("delivery", "Track a delivery", "Your tracking link is in the shipping email.",
     ["where is my parcel", "track my order"]),
    ("invoice", "Download an invoice", "Invoices are under Orders > Invoices.", ["get an invoice", "bill copy"]),
]


async def _seed(server) -> None:  # type: ignore[no-untyped-def]
    for article_id, title, body, alt in ARTICLES:
        await server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="en")


async def _visitor(server, lang: str = "en") -> VisitorClient:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.url, lang=lang)
    await visitor.connect()
    return visitor


async def test_a_clear_question_gets_the_answer_card_and_yes_deflects(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    visitor = await _visitor(server)
    try:
        ack = await visitor.send("I forgot my password, how do I reset it?")
        turn = await visitor.wait_event(kind="bot")
        assert turn.data is not None and turn.data["move"] == "answer" and turn.data["ask_feedback"]
        card = turn.data["articles"][0]
        assert card["id"] == "reset-password" and card["title"] == "Reset your password"
        assert "<strong>Account &gt; Security</strong>" in card["html"] and "Account > Security" in card["text"]
        decision = turn.data["decision"]
        assert decision["query"].startswith("I forgot") and decision["candidates"][0]["id"] == "reset-password"
        await visitor.send_frame({"type": "feedback", "helpful": True})
        closed = await visitor.wait_event(kind="closed")
        assert closed.author.role == "bot" and closed.data == {"resolution": "bot", "survey": True}
        stored = await server.services.conversation_store.get(ack.conversation)
        assert stored.status == "closed" and stored.resolution == "bot" and stored.closed_by_role == "bot"
        assert stored.agent_id is None  # nobody was needed
    finally:
        await visitor.close()


async def test_no_shows_the_next_suggestions_then_a_person(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    user = await server.add_staff("Zoe")
    visitor = await _visitor(server)
    try:
        await visitor.send("I forgot my password")
        first = await visitor.wait_event(kind="bot")
        await visitor.send_frame({"type": "feedback", "helpful": False})
        second = await visitor.next_frame(lambda f: getattr(f, "kind", None) == "bot" and f.seq > first.seq)  # type: ignore[union-attr]
        if second.data["move"] == "suggest":  # type: ignore[union-attr]
            assert "reset-password" not in [a["id"] for a in second.data["articles"]]  # type: ignore[union-attr]
            await visitor.send_frame({"type": "feedback", "helpful": False})
        queued = await visitor.wait_event(kind="queued")
        assert queued.data is not None and queued.data["reason"] == "declined"
        agent = await server.agent(user)
        chat = await agent.wait_chat()
        # The agent sees what the visitor already read.
        await agent.wait_event(kind="bot", conversation=chat.id)
        kinds = [e.kind for e in agent.transcripts[chat.id]]
        assert kinds[:4] == ["opened", "message", "bot", "feedback"] and "queued" in kinds
        await agent.close()
    finally:
        await visitor.close()


async def test_an_unknown_question_gets_no_answer_and_the_offer_of_a_person(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    visitor = await _visitor(server)
    try:
        ack = await visitor.send("Quelle est la capitale de la Mongolie extérieure au XIIe siècle ?")
        turn = await visitor.wait_event(kind="bot")
        assert turn.data is not None and turn.data["move"] == "no_answer" and not turn.data.get("articles")
        assert (await server.services.conversation_store.get(ack.conversation)).status == "bot"
        # Feedback has nothing to refer to; the button for a person works.
        await visitor.send_frame({"type": "feedback", "helpful": True})
        assert (await visitor.wait_error()).code == "invalid_state"
        await visitor.handoff()
        await visitor.wait_event(kind="queued")
    finally:
        await visitor.close()


@pytest.mark.parametrize(
    ("lang", "text"),
    [("fr", "je veux parler à un conseiller"), ("fr", "parler a quelqu un svp"), ("en", "can I talk to someone"),
     ("en", "HUMAN please"), ("fr", "un vrai humain !")],
)
async def test_asking_for_a_person_reaches_the_queue_at_once(sqlite_server, lang: str, text: str) -> None:  # type: ignore[no-untyped-def]
    await _seed(sqlite_server)
    visitor = await _visitor(sqlite_server, lang)
    try:
        ack = await visitor.send(text)
        turn = await visitor.wait_event(kind="bot")
        assert turn.data is not None and turn.data["move"] == "handoff"
        assert turn.text == ("Bien sûr, je vous mets en relation avec un conseiller." if lang == "fr"
                             else "Of course, I'm bringing in a person.")
        await visitor.wait_event(kind="queued")
        assert (await sqlite_server.services.conversation_store.get(ack.conversation)).status == "queued"
    finally:
        await visitor.close()


async def test_suggestions_can_be_opened(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    visitor = await _visitor(server)
    try:
        await visitor.send("order")
        turn = await visitor.wait_event(kind="bot")
        assert turn.data is not None
        await visitor.send_frame({"type": "choose", "article": "invoice"})
        card = await visitor.next_frame(lambda f: getattr(f, "kind", None) == "bot" and f.seq > turn.seq)  # type: ignore[union-attr]
        assert card.data["move"] == "answer" and card.data["articles"][0]["title"] == "Download an invoice"  # type: ignore[union-attr]
        await visitor.send_frame({"type": "choose", "article": "no-such-article"})
        assert (await visitor.wait_error()).code == "not_found"
    finally:
        await visitor.close()


async def test_the_bot_is_silent_once_a_person_is_asked_for(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    visitor = await _visitor(server)
    try:
        await visitor.send("talk to a human")
        await visitor.wait_event(kind="queued")
        await visitor.send("I forgot my password")
        await asyncio.sleep(0.3)
        assert [e.kind for e in visitor.transcripts[visitor.conversation or ""]].count("bot") == 1
    finally:
        await visitor.close()


async def test_without_articles_or_menu_chats_go_straight_to_a_person(server) -> None:  # type: ignore[no-untyped-def]
    visitor = await _visitor(server)
    try:
        await visitor.send("hello?")
        await visitor.wait_event(kind="queued")
        assert all(e.kind != "bot" for e in visitor.transcripts[visitor.conversation or ""])
        assert visitor.welcome is not None and visitor.welcome.menu is None
    finally:
        await visitor.close()


async def test_quick_reply_menu_and_sub_menu(server) -> None:  # type: ignore[no-untyped-def]
    from chatsvc.domain.menu import Action, MenuItem

    await _seed(server)
    admin = await server.add_staff("Ada", role="admin")
    billing = MenuItem("billing", None, 0, "Billing", "Facturation", Action.MENU)
    items = [
        billing,
        MenuItem("invoice-btn", "billing", 0, "Get an invoice", "Obtenir une facture", Action.ARTICLE, "invoice"),
        MenuItem("hours", "billing", 1, "Opening hours", "Horaires", Action.ANSWER, "We answer **9-18h**."),
        MenuItem("billing-person", "billing", 2, "Billing specialist", None, Action.TOPIC, "billing"),
        MenuItem("person", None, 1, "Talk to a person", "Parler à un conseiller", Action.HUMAN),
    ]
    await server.services.replies.replace_menu(admin, items)
    team = await server.services.account_store.create_team(name="Billing", now=server.services.clock())
    await server.services.account_store.update_team(team.id, topics=["billing"])

    visitor = await _visitor(server, "fr")
    try:
        assert visitor.welcome is not None and visitor.welcome.menu is not None
        assert [(m.id, m.label) for m in visitor.welcome.menu] == [
            ("billing", "Facturation"), ("person", "Parler à un conseiller")]
        await visitor.send_frame({"type": "menu", "item": "billing"})
        sub = await visitor.wait_event(kind="bot")
        assert sub.data is not None and [m["id"] for m in sub.data["menu"]] == [
            "invoice-btn", "hours", "billing-person"]
        choice = await visitor.wait_event(kind="choice")
        assert choice.text == "Facturation"
        await visitor.send_frame({"type": "menu", "item": "hours"})
        canned = await visitor.next_frame(lambda f: getattr(f, "kind", None) == "bot" and f.seq > sub.seq)  # type: ignore[union-attr]
        assert canned.data["move"] == "canned" and "<strong>9-18h</strong>" in canned.data["canned"]["html"]  # type: ignore[union-attr]
        await visitor.send_frame({"type": "menu", "item": "billing-person"})
        queued = await visitor.wait_event(kind="queued")
        assert queued.data is not None and queued.data["topic"] == "billing"
        stored = await server.services.conversation_store.get(sub.conversation)
        assert stored.status == "queued" and stored.topic == "billing" and stored.team_id == team.id
        await visitor.send_frame({"type": "menu", "item": "nope"})
        assert (await visitor.wait_error()).code == "not_found"
    finally:
        await visitor.close()


async def test_an_edited_article_changes_the_answer_without_a_restart(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    await server.services.kb.update("delivery", body="Parcels travel with **Colissimo**; the link is in the email.")
    visitor = await _visitor(server)
    try:
        await visitor.send("where is my parcel? track my order")
        turn = await visitor.wait_event(kind="bot")
        assert turn.data is not None and "Colissimo" in turn.data["articles"][0]["text"]
        await server.services.kb.update("delivery", published=False)
        other = await _visitor(server)
        await other.send("where is my parcel? track my order")
        again = await other.wait_event(kind="bot")
        assert "delivery" not in [a["id"] for a in (again.data or {}).get("articles", [])]
        await other.close()
    finally:
        await visitor.close()


async def test_bot_frames_out_of_turn_are_refused(server) -> None:  # type: ignore[no-untyped-def]
    await _seed(server)
    visitor = await _visitor(server)
    try:
        for frame in ({"type": "feedback", "helpful": True}, {"type": "choose", "article": "refund"}):
            await visitor.send_frame(frame)
            assert (await visitor.wait_error()).code in ("invalid_state",)
        await visitor.send_frame({"type": "feedback", "helpful": "yes"})
        assert (await visitor.wait_error()).code == "bad_frame"
        try:
            await visitor.send("x" * 10, client_id="ok-1")
        except ServerError:  # pragma: no cover - would be a failure
            raise
    finally:
        await visitor.close()


async def test_a_new_conversation_is_replayed_once(server) -> None:  # type: ignore[no-untyped-def]
    """The sender's own follow and the follow notice for its other tabs must not both replay the history."""
    import json

    from tests.support.raw import visitor_socket

    await _seed(server)
    visitor = await _visitor(server)
    await visitor.close()
    async with visitor_socket(server.ws_url, visitor.token) as ws:
        await ws.send(json.dumps({"type": "message", "client_id": "first-1", "text": "I forgot my password"}))
        seen: list[int] = []
        synced = 0
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "event":
                    seen.append(frame["seq"])
                elif frame["type"] == "synced":
                    synced += 1
                if frame["type"] == "event" and frame["kind"] == "bot":
                    break
        await asyncio.sleep(0.3)
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                break
            if frame["type"] == "event":
                seen.append(frame["seq"])
            elif frame["type"] == "synced":
                synced += 1
    assert seen == sorted(set(seen)) and synced <= 1
