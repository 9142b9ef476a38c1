"""The visitor's page and read mark: validated strictly, stored, shown to staff, never echoed to the visitor."""

from __future__ import annotations

from chatsvc.client import VisitorClient
from tests.console_server import ORIGIN, chat_with_agent, staff_http, wire

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PAGE = {"type": "page", "url": "https://shop.example/orders/991?tab=2#top", "title": "Order 991 – Shop",
        "timezone": "Europe/Paris", "language": "fr-FR"}


async def test_the_page_reaches_the_agent_and_the_api_never_the_visitor(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        async with wire(server, visitor.token, user_agent=CHROME) as tab:
            await tab.send(PAGE)
            frame = await agent.next_frame(lambda f: getattr(f, "conversation", None) == chat
                                           and type(f).__name__ == "VisitorUpdate")
            details = frame.visitor  # type: ignore[attr-defined]
            assert (details.page_url, details.page_title) == (PAGE["url"], PAGE["title"])
            assert (details.timezone, details.language) == ("Europe/Paris", "fr-FR")
            assert details.browser == "Chrome 131 · Linux" and details.user_agent == CHROME
            assert details.seen_at
            await tab.quiet()
            await visitor.send("still there?")
            await tab.wait_for(lambda f: f.get("text") == "still there?")
            assert not [f for f in tab.frames if f["type"] in ("visitor", "read", "waiting")]
            assert all(PAGE["url"] not in raw and "Chrome 131" not in raw for raw in tab.raw)
            assert not [f for f in visitor.frames._queue if type(f).__name__ == "VisitorUpdate"]  # type: ignore[attr-defined]
        async with await staff_http(server, user) as http:
            body = (await http.get(f"/api/conversations/{chat}")).json()
        seen = body["history"]["visitor"]
        assert seen["page_url"] == PAGE["url"] and seen["page_title"] == PAGE["title"]
        assert seen["browser"] == "Chrome 131 · Linux" and seen["language"] == "fr-FR"
        assert seen["timezone"] == "Europe/Paris" and seen["user_agent"] == CHROME and seen["seen_at"]
        assert body["read_seq"] == 0
    finally:
        await visitor.close()
        await agent.close()


async def test_a_page_without_a_chat_is_stored_quietly(server) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        async with wire(server, visitor.token, user_agent="x" * 10 + "\t" + "x" * 2000) as tab:
            await tab.send({"type": "page", "url": "http://shop.example/"})
            await tab.quiet()
            assert [f["type"] for f in tab.frames] == ["welcome"]  # no answer, no error
        stored = await server.services.conversation_store.get_visitor(await _visitor_id(server, visitor))
        assert stored is not None and stored.page_url == "http://shop.example/"
        assert stored.user_agent == "x" * 511  # cut to the column, control characters never kept
    finally:
        await visitor.close()


async def _visitor_id(server, visitor: VisitorClient) -> str:  # type: ignore[no-untyped-def]
    claims = server.services.chat.tokens.verify(visitor.token, site_id=(
        await server.services.account_store.find_site_by_key("default")).id)
    return str(claims.visitor_id)


BAD_PAGES = [
    {"url": "javascript:alert(1)"},
    {"url": "JAVASCRIPT://x"},
    {"url": "data:text/html,<script>alert(1)</script>"},
    {"url": "https://shop.example/" + "a" * 2048},
    {"url": "https://shop.example/a b"},
    {"url": "https://shop.example/\nSet-Cookie: x"},
    {"url": "//shop.example/"},
    {"url": ""},
    {"url": {"$ne": None}},
    {"url": ["https://shop.example/"]},
    {"url": 1},
    {},
    {"url": "https://shop.example/", "title": "line one\nline two"},
    {"url": "https://shop.example/", "title": "x" * 301},
    {"url": "https://shop.example/", "title": "bell\x07"},
    {"url": "https://shop.example/", "title": 5},
    {"url": "https://shop.example/", "timezone": "Europe/Paris; DROP"},
    {"url": "https://shop.example/", "timezone": "x" * 65},
    {"url": "https://shop.example/", "timezone": ""},
    {"url": "https://shop.example/", "language": "fr_FR"},
    {"url": "https://shop.example/", "language": "a" * 36},
    {"url": "https://shop.example/", "language": "<b>"},
    {"url": "https://shop.example/", "language": True},
    {"url": "https://shop.example/", "extra": 1},
]


async def test_bad_pages_are_refused_and_store_nothing(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        async with wire(server, visitor.token) as tab:
            for fields in BAD_PAGES:
                count = len([f for f in tab.frames if f["type"] == "error"])
                await tab.send({"type": "page"} | fields)
                await tab.wait_for(lambda f, c=count: f["type"] == "error"
                                   and len([g for g in tab.frames if g["type"] == "error"]) > c)
                error = [f for f in tab.frames if f["type"] == "error"][-1]
                assert error["code"] == "bad_frame", (fields, error)
        stored = await server.services.conversation_store.get_visitor(await _visitor_id(server, visitor))
        assert stored is not None and stored.page_url is None and stored.page_title is None
        assert not [f for f in list(agent.frames._queue) if type(f).__name__ == "VisitorUpdate"]  # type: ignore[attr-defined]
        del user, chat
    finally:
        await visitor.close()
        await agent.close()


async def test_read_moves_forward_reaches_staff_and_only_for_ones_own_chat(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    stranger = VisitorClient(server.url, origin=ORIGIN)
    await stranger.connect()
    try:
        ack = await agent.send(chat, "Here is your tracking link.")
        async with wire(server, visitor.token) as tab:
            await tab.send({"type": "read", "conversation": chat, "seq": ack.seq})
            frame = await agent.next_frame(lambda f: type(f).__name__ == "ReadUpdate")
            assert (frame.conversation, frame.seq) == (chat, ack.seq)  # type: ignore[attr-defined]
            # Backwards or the same: nothing moves, nothing is sent. Past the end: counts as the end.
            await tab.send({"type": "read", "conversation": chat, "seq": 1})
            await tab.send({"type": "read", "conversation": chat, "seq": ack.seq})
            await tab.send({"type": "read", "conversation": chat, "seq": 2**31 - 1})
            await tab.quiet()
            assert not [f for f in tab.frames if f["type"] in ("read", "error")]
            assert (await server.services.conversation_store.get(chat)).visitor_read_seq == ack.seq
            # Bad shapes.
            for bad in ({"seq": -1}, {"seq": 2**31}, {"seq": "3"}, {"seq": 1.5}, {"seq": None},
                        {"conversation": "../x"}, {"conversation": 7}, {"extra": True}):
                count = len([f for f in tab.frames if f["type"] == "error"])
                await tab.send({"type": "read", "conversation": chat, "seq": 1} | bad)
                await tab.wait_for(lambda f, c=count: f["type"] == "error"
                                   and len([g for g in tab.frames if g["type"] == "error"]) > c)
                assert [f for f in tab.frames if f["type"] == "error"][-1]["code"] == "bad_frame", bad
        # Someone else's conversation, or one that does not exist: the same not_found; nothing moves.
        async with wire(server, stranger.token) as other:
            for target in (chat, "AAAAAAAAAAAAAAAAAAAAAA"):
                await other.send({"type": "read", "conversation": target, "seq": 1})
            await other.wait_for(lambda f: len([g for g in other.frames if g["type"] == "error"]) == 2)
            errors = [(f["code"], f["message"]) for f in other.frames if f["type"] == "error"]
            assert errors[0] == errors[1] and errors[0][0] == "not_found"
            assert not [f for f in other.frames if f["type"] == "read"]
        assert (await server.services.conversation_store.get(chat)).visitor_read_seq == ack.seq
        async with await staff_http(server, user) as http:
            assert (await http.get(f"/api/conversations/{chat}")).json()["read_seq"] == ack.seq
    finally:
        await stranger.close()
        await visitor.close()
        await agent.close()


async def test_identify_updates_the_agents_panel_at_once(server) -> None:  # type: ignore[no-untyped-def]
    _user, agent, visitor, chat = await chat_with_agent(server)
    try:
        await visitor.identify(name="Vera Lamb", email="vera@example.com")
        frame = await agent.next_frame(lambda f: type(f).__name__ == "VisitorUpdate")
        assert frame.conversation == chat  # type: ignore[attr-defined]
        assert (frame.visitor.name, frame.visitor.email) == ("Vera Lamb", "vera@example.com")  # type: ignore[attr-defined]
    finally:
        await visitor.close()
        await agent.close()
