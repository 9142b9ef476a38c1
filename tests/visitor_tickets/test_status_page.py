"""The visitor's status page, GET and POST /ticket-status/{token}, over a real server (mail not involved here:
the link is made by the in-process server's own TicketLinks, exactly as the mail makes it)."""

from __future__ import annotations

import datetime
import re

import httpx

from chatsvc.client import VisitorClient
from chatsvc.store.records import StoredEvent
from chatsvc.store.tickets import TicketEntry
from chatsvc.web.i18n import Translator
from chatsvc.web.visitor_tickets import chat_items, ticket_items
from tests.visitor_tickets import ORIGIN, leave, staff_http, status_path, visible_text

XSS = '<img src=x onerror=alert(1)>"><svg onload=alert(1)>{{constructor.constructor(\'alert(1)\')()}}'


async def _new_ticket(server, http: httpx.AsyncClient, **fields) -> str:  # type: ignore[no-untyped-def]
    made = await leave(http, **fields)
    assert made.status_code == 201, made.text
    return str(made.json()["ticket"]["id"])


async def _answer(http: httpx.AsyncClient, path: str, text: str, *, client_id: str = "ans-1",
                  origin: str | None = None) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    return await http.post(path, data={"text": text, "client_id": client_id}, headers=headers)


async def test_the_page_shows_the_request_and_is_private(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        ticket_id = await _new_ticket(server, http)
        page = await http.get(status_path(server, ticket_id))
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        # The URL is a credential: not sent on as a referrer, not cached, not indexed.
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "set-cookie" not in page.headers
        text = visible_text(page.text)
        assert "My parcel never came" in text and "Ordered on Monday, tracking shows nothing since." in text
        assert "Received" in text and "Default site" in text
        assert "Request received" in text
        assert "<textarea" in page.text and 'name="client_id"' in page.text
        assert "<script" not in page.text
        # Nothing from another host: every resource and link is our own (or the site's own origin).
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
            assert url.startswith(("/", "?lang=")) or url == ORIGIN, url
        # A fresh client id per page load, so a resend of one form is stored once but two answers are two.
        again = await http.get(status_path(server, ticket_id))
        ids = [re.search(r'name="client_id" value="([^"]+)"', p.text).group(1) for p in (page, again)]  # type: ignore[union-attr]
        assert ids[0] != ids[1]


async def test_everything_typed_is_shown_as_text(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        ticket_id = await _new_ticket(server, http, name=XSS, message=XSS + "\n[x](javascript:alert(1))")
        reply = await staff.post(f"/api/tickets/{ticket_id}/reply", json={"text": "Hi " + XSS})
        assert reply.status_code == 200, reply.text
        page = await http.get(status_path(server, ticket_id))
        assert "<img src=x" not in page.text and "<svg onload" not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert 'href="javascript' not in page.text
        assert "{{constructor" in page.text  # shown literally, never evaluated


async def test_staff_replies_show_by_name_and_notes_never(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana Ferreira", role="agent")
    token = await server.staff_token(ana)
    async with httpx.AsyncClient(base_url=server.url) as http, httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        ticket_id = await _new_ticket(server, http)
        note = await staff.post(f"/api/tickets/{ticket_id}/notes", json={"text": "INTERNAL: customer is a VIP"})
        assert note.status_code == 200, note.text
        reply = await staff.post(f"/api/tickets/{ticket_id}/reply",
                                 json={"text": "Your parcel is at the depot.", "status": "pending"})
        assert reply.status_code == 200, reply.text
        page = await http.get(status_path(server, ticket_id))
        text = visible_text(page.text)
        assert "Your parcel is at the depot." in text and "Ana Ferreira" in text
        assert "INTERNAL" not in page.text and "VIP" not in page.text
        assert "Waiting for your reply" in text
        # Change entries show a status line only: never who it was assigned to, nor any id.
        assert ana.id not in page.text and "assignee" not in page.text.lower()
        order = [text.rindex(s) for s in ("Ordered on Monday", "Your parcel is at the depot.", "Waiting for your")]
        assert order == sorted(order)
        # The first reply opened the ticket in the same step: the reply says so, no extra line.
        assert "Our team is on it" not in text


async def test_the_visitor_answers_and_a_pending_ticket_reopens(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        ticket_id = await _new_ticket(server, http)
        await staff.post(f"/api/tickets/{ticket_id}/reply", json={"text": "Which address?", "status": "pending"})
        path = status_path(server, ticket_id)
        sent = await _answer(http, path, "  12 Rose Street, Lyon  ", origin=server.url)
        assert sent.status_code == 303
        assert sent.headers["location"] == path + "?done=sent"
        assert sent.headers["referrer-policy"] == "no-referrer"
        # The same form sent twice (a double click, a retry) is stored once.
        assert (await _answer(http, path, "  12 Rose Street, Lyon  ")).status_code == 303
        page = await http.get(sent.headers["location"])
        text = visible_text(page.text)
        assert "Your message is sent." in text and "12 Rose Street, Lyon" in text and "Opened again" in text
        full = (await staff.get(f"/api/tickets/{ticket_id}")).json()
        assert full["ticket"]["status"] == "open"
        answers = [e for e in full["entries"] if e["kind"] == "message" and e["author"]["role"] == "visitor"]
        assert [a["body"] for a in answers] == [answers[0]["body"], "12 Rose Street, Lyon"]


async def test_cross_site_posts_and_empty_answers_store_nothing(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        ticket_id = await _new_ticket(server, http)
        path = status_path(server, ticket_id)
        before = (await staff.get(f"/api/tickets/{ticket_id}")).json()["entries"]
        for origin in ("https://evil.test", "null", ORIGIN):
            refused = await _answer(http, path, "from elsewhere", origin=origin)
            assert refused.status_code == 403, origin
            assert "another website" in refused.text
        empty = await _answer(http, path, "   ")
        assert empty.status_code == 400 and "Write a message" in empty.text
        too_long = await _answer(http, path, "x" * 20_001)
        assert too_long.status_code == 400 and "too long" in too_long.text
        json_post = await http.post(path, json={"text": "hello"})
        assert json_post.status_code == 400
        assert (await staff.get(f"/api/tickets/{ticket_id}")).json()["entries"] == before


async def test_a_closed_request_takes_no_answer(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        ticket_id = await _new_ticket(server, http)
        for status in ("resolved", "closed"):
            moved = await staff.post(f"/api/tickets/{ticket_id}/status", json={"status": status})
            assert moved.status_code == 200, moved.text
        path = status_path(server, ticket_id)
        page = await http.get(path)
        text = visible_text(page.text)
        assert "This request is closed" in text and "<textarea" not in page.text
        assert "Marked resolved" in text
        before = (await staff.get(f"/api/tickets/{ticket_id}")).json()["entries"]
        refused = await _answer(http, path, "but wait")
        assert refused.status_code == 409
        assert "your message was not sent" in visible_text(refused.text)
        assert (await staff.get(f"/api/tickets/{ticket_id}")).json()["entries"] == before


async def test_the_page_speaks_the_tickets_language_unless_asked(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        ticket_id = await _new_ticket(server, http, lang="fr")
        path = status_path(server, ticket_id)
        french = await http.get(path, headers={"Accept-Language": "en"})
        assert '<html lang="fr">' in french.text
        assert "Reçue" in french.text and "Ajouter un message" in french.text and "Vous" in french.text
        english = await http.get(path + "?lang=en")
        assert '<html lang="en">' in english.text and "Add a message" in english.text
        assert f'action="{path}?lang=en"' in english.text
        sent = await _answer(http, path + "?lang=en", "Thanks")
        assert sent.headers["location"] == path + "?done=sent&lang=en"
        assert "set-cookie" not in english.headers
        assert (await http.get(path + "?lang=de")).text.count('<html lang="fr">') == 1


async def test_a_chat_ticket_shows_the_chat_but_nothing_internal(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        await visitor.send("Where is order 991?")
        await visitor.handoff()
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Looking into it now.")
        token = await server.staff_token(ana)
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as staff:
            converted = await staff.post(f"/api/conversations/{chat.id}/ticket",
                                         json={"reason": "SECRET-REASON warehouse"})
            assert converted.status_code == 201, converted.text
            ticket_id = converted.json()["ticket"]["id"]
        async with httpx.AsyncClient(base_url=server.url) as http:
            page = await http.get(status_path(server, ticket_id))
        text = visible_text(page.text)
        assert "Your chat with us" in text
        assert "Where is order 991?" in text and "Looking into it now." in text and "Ana" in text
        assert "SECRET-REASON" not in page.text
    finally:
        await visitor.close()
        await agent.close()


# --- the thread, pure ------------------------------------------------------------------------------------------

T0 = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.timezone.utc)


def _event(seq: int, kind: str, role: str, body: object, data: dict | None = None) -> StoredEvent:  # type: ignore[type-arg]
    return StoredEvent(conversation_id="c1", seq=seq, kind=kind, author_role=role, author_id="u1",
                       author_name={"visitor": "Vera", "agent": "Ana", "bot": "Assistant"}.get(role, "x"),
                       client_id=None, body=body, data=data, created_at=T0)  # type: ignore[arg-type]


def test_chat_items_keep_messages_and_the_bots_words_only() -> None:
    events = [
        _event(1, "message", "visitor", "How do I return shoes?"),
        _event(2, "bot", "bot", "Maybe one of these helps:", {
            "move": "suggest", "articles": [{"id": "a1", "title": "Returns policy"}, {"id": "a2", "title": "Sizes"}],
            "decision": {"query": "return shoes", "candidates": [["a1", 0.71]]},
        }),
        _event(3, "bot", "bot", {"text": "Here is the answer"}, {"canned": {"html": "<b>x</b>", "text": "Send them back"}}),
        _event(4, "typing", "visitor", None),
        _event(5, "queued", "system", None, {"position": 1}),
        _event(6, "message", "agent", "Hello Vera"),
        _event(7, "note", "agent", "internal"),
        _event(8, "closed", "agent", None, {"resolution": "ticket"}),
    ]
    items = chat_items(events)
    assert [(i.side, i.author, i.text, i.articles) for i in items] == [
        ("visitor", "Vera", "How do I return shoes?", ()),
        ("bot", "Assistant", "Maybe one of these helps:", ("Returns policy", "Sizes")),
        ("bot", "Assistant", "Here is the answer\n\nSend them back", ()),
        ("staff", "Ana", "Hello Vera", ()),
    ]
    assert all(i.from_chat for i in items)
    assert "0.71" not in repr(items) and "<b>" not in repr(items)


def test_ticket_items_drop_notes_and_internal_changes() -> None:
    def entry(seq: int, kind: str, role: str, body: str | None = None, data: dict | None = None) -> TicketEntry:  # type: ignore[type-arg]
        return TicketEntry(ticket_id="t1", seq=seq, kind=kind, author_role=role, author_id="u1",
                           author_name="Ana" if role != "visitor" else "Vera", client_id=None, body=body,
                           data=data, created_at=T0)

    entries = [
        entry(1, "change", "system", data={"field": "created", "source": "form", "rule": "r1"}),
        entry(2, "message", "visitor", "Help"),
        entry(3, "note", "agent", "VIP customer"),
        entry(4, "change", "agent", data={"field": "assignee", "from": None, "to": "u1"}),
        entry(5, "change", "agent", data={"field": "priority", "from": "normal", "to": "urgent"}),
        entry(6, "change", "agent", data={"field": "status", "from": "new", "to": "open"}),
        entry(7, "message", "agent", "On it"),
        entry(8, "change", "agent", data={"field": "status", "from": "open", "to": "resolved"}),
        entry(9, "change", "system", data={"field": "status", "from": "resolved", "to": "open"}),
        entry(10, "message", "system", "Automatic"),
    ]
    items = ticket_items(entries, Translator("en"), "Shop")
    assert [(i.kind, i.author, i.text) for i in items] == [
        ("status", "", "Request received"),
        ("message", "You", "Help"),
        ("status", "", "Our team is on it"),
        ("message", "Ana", "On it"),
        ("status", "", "Marked resolved"),
        ("status", "", "Opened again"),
        ("message", "The Shop team", "Automatic"),
    ]
