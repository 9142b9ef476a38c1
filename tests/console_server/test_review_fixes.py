"""The console's server side after review: who keeps hearing a chat, which channel staff-only material takes,
old handover notes, client ids reused across kinds, the queue view's order, version and cost, what the
conversation API shows of the visitor, and a visitor flooding ``page`` and ``read`` from many tabs
(SECURITY.md cases 9 and 20)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import time
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
import websockets

from chatsvc import errors
from chatsvc.client import VisitorClient
from chatsvc.client.base import ServerError
from chatsvc.domain import protocol
from chatsvc.services.frames import event_frame
from chatsvc.services.hub import Envelope
from chatsvc.services.queue_view import STAFF_CHANNEL
from chatsvc.store.conversations import NewEvent
from chatsvc.web.edge import SESSION_COOKIE
from tests.console_server import ORIGIN, Wire, chat_with_agent, staff_http, wire
from tests.manager_live import closed

SECRET = "NOTE-SECRET-42"


async def _nothing(client: Any, predicate: Any, seconds: float = 1.0) -> None:
    """No frame matching ``predicate`` arrives within ``seconds``."""
    with contextlib.suppress(TimeoutError):
        frame = await client.next_frame(predicate, timeout=seconds)
        raise AssertionError(f"unexpected frame: {frame!r}")


def _is_visitor_frame(frame: Any) -> bool:
    return isinstance(frame, protocol.VisitorUpdate)


async def test_an_agent_reading_a_chat_not_theirs_gets_one_replay_and_nothing_after(server) -> None:  # type: ignore[no-untyped-def]
    """SECURITY.md case 9: a sync of a queued chat is read once; when it goes to someone else, its notes and the
    visitor's page do not follow the reader. A manager who opens it keeps following."""
    a_user, a, v1, chat1 = await chat_with_agent(server, "Ana", max_chats=1)
    b_user = await server.add_staff("Bo")
    boss_user = await server.add_staff("Meg", role="manager")
    b = await server.agent(b_user, status="away")
    boss = await server.agent(boss_user, status="away")
    v2 = VisitorClient(server.url, origin=ORIGIN)
    try:
        await v2.connect()
        x = (await v2.send("card number 4111 please help")).conversation
        await v2.handoff()
        await b.wait_waiting(lambda f: any(i.id == x for i in f.conversations))
        await b.sync(x, 0)
        synced = await b.next_frame(lambda f: isinstance(f, protocol.Synced) and f.conversation == x)
        assert synced.last_seq >= 2  # type: ignore[attr-defined]
        assert [e.kind for e in b.transcripts[x]][:2] == ["opened", "message"]
        await boss.sync(x, 0)
        await boss.next_frame(lambda f: isinstance(f, protocol.Synced) and f.conversation == x)

        await a.end(chat1)
        assert (await a.wait_chat()).id == x
        note = await a.note(x, SECRET)
        await v2.page("https://shop.example/private/account?id=77", title="My account")
        assert (await boss.wait_event(kind="note", conversation=x)).seq == note.seq  # managers follow
        await boss.next_frame(_is_visitor_frame)
        await _nothing(b, lambda f: (isinstance(f, protocol.Event) and f.conversation == x) or _is_visitor_frame(f))
        assert all(e.kind != "note" for e in b.transcripts[x])
        # No longer queued and never held: B may not read it any more.
        await b.sync(x, 0)
        assert (await b.wait_error("not_found")).code == "not_found"
        async with await staff_http(server, b_user) as http:
            assert (await http.get(f"/api/conversations/{x}")).status_code == 404
    finally:
        for client in (a, b, boss, v1, v2):
            await client.close()


async def test_a_queued_chat_of_another_team_is_not_readable_by_an_agent(server) -> None:  # type: ignore[no-untyped-def]
    sam_user = await server.add_staff("Sam")
    tess_user = await server.add_staff("Tess")
    billing = await server.services.account_store.create_team(
        name="Billing", now=datetime.datetime.now(datetime.UTC), topics=["billing"], member_ids=[sam_user.id]
    )
    sam = await server.agent(sam_user, status="away")
    tess = await server.agent(tess_user, status="away")
    visitor = VisitorClient(server.url, origin=ORIGIN)
    try:
        await visitor.connect()
        chat = (await visitor.send("My invoice is wrong", topic="billing")).conversation
        await visitor.handoff()
        await sam.wait_waiting(lambda f: [i.id for i in f.conversations] == [chat])
        assert (await server.services.conversation_store.get(chat)).team_id == billing.id
        await sam.sync(chat, 0)
        await sam.next_frame(lambda f: isinstance(f, protocol.Synced) and f.conversation == chat)
        await tess.sync(chat, 0)
        assert (await tess.wait_error("not_found")).code == "not_found"
        async with await staff_http(server, tess_user) as http:
            assert (await http.get(f"/api/conversations/{chat}")).status_code == 404
        async with await staff_http(server, sam_user) as http:
            assert (await http.get(f"/api/conversations/{chat}")).status_code == 200
    finally:
        for client in (sam, tess, visitor):
            await client.close()


class _Recorder:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def on_resync(self) -> None:
        pass


async def test_staff_only_material_never_travels_on_the_visitors_channel(server) -> None:  # type: ignore[no-untyped-def]
    """Notes, ``visitor`` and ``read`` frames go on ``conv-staff:ID`` only: a process on older code, which would
    forward whatever ``conv:ID`` carries, has nothing staff-only to forward."""
    user, agent, visitor, chat = await chat_with_agent(server)
    hub = server.services.hub
    public, staff = _Recorder(), _Recorder()
    await hub.follow(f"conv:{chat}", public)
    await hub.follow(f"conv-staff:{chat}", staff)
    try:
        async with wire(server, visitor.token) as tab:
            note = await agent.note(chat, SECRET)
            await visitor.page("https://shop.example/cart", title="Cart")
            await visitor.read(chat, note.seq)
            await agent.next_frame(lambda f: isinstance(f, protocol.ReadUpdate))
            await agent.send(chat, "after the note")
            await tab.wait_for(lambda f: f.get("text") == "after the note")
            await tab.quiet()
        public_frames = [json.loads(bytes(e.frame)) for e in public.envelopes]
        staff_frames = [json.loads(bytes(e.frame)) for e in staff.envelopes]
        assert not any(e.staff_only for e in public.envelopes)
        assert all(SECRET not in json.dumps(f) for f in public_frames)
        assert {f["type"] for f in public_frames} >= {"event"}
        assert not [f for f in public_frames if f["type"] in ("visitor", "read") or f.get("kind") == "note"]
        assert [f["type"] for f in staff_frames] == ["event", "visitor", "read"]
        assert staff_frames[0]["kind"] == "note" and staff.envelopes[0].seq == note.seq
        assert all(e.staff_only for e in staff.envelopes)
        # The visitor's socket stepped over the note's seq (filled from storage) and never saw it.
        assert not [f for f in tab.frames if f.get("kind") == "note" or f["type"] in ("visitor", "read")]
    finally:
        await hub.unfollow(f"conv:{chat}", public)
        await hub.unfollow(f"conv-staff:{chat}", staff)
        await agent.close()
        await visitor.close()


async def test_a_handover_note_kept_in_old_transfer_data_never_reaches_the_visitor(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    store = server.services.conversation_store
    old = {"agent_id": user.id, "agent_name": "Sam", "from_agent": "someone", "note": SECRET}
    try:
        applied = await store.apply(chat, [
            NewEvent(kind="transferred", author_role="system", author_id=None, author_name="chatsvc", data=old),
            NewEvent(kind="requeued", author_role="system", author_id=None, author_name="chatsvc",
                     data={"agent_id": user.id, "reason": "transferred", "note": SECRET}),
        ], now=datetime.datetime.now(datetime.UTC))
        first = applied.events[0].seq
        # Published live as older code would have (no staff-only flag, the note in the data).
        for event in applied.events:
            await server.services.hub.publish_event(chat, event.seq, event_frame(event))
        await visitor.wait_event(kind="requeued", conversation=chat)
        # Replayed to a new tab, and resumed from before them.
        async with wire(server, visitor.token) as tab, wire(
            server, visitor.token, conversation=chat, last_seq=first - 1
        ) as resumed:
            for recorder in (tab, resumed):
                await recorder.wait_for(lambda f: f["type"] == "synced")
                kinds = [f.get("kind") for f in recorder.frames if f["type"] == "event"]
                assert "transferred" in kinds and "requeued" in kinds
                assert all(SECRET not in raw for raw in recorder.raw)
        transferred = next(e for e in visitor.transcripts[chat] if e.kind == "transferred")
        assert transferred.data == {k: v for k, v in old.items() if k != "note"}
        assert all(SECRET not in json.dumps(msgspec.to_builtins(e)) for e in visitor.transcripts[chat])
        # Staff keep it.
        event = await agent.wait_event(kind="transferred", conversation=chat)
        assert event.data is not None and event.data["note"] == SECRET
        async with await staff_http(server, user) as http:
            body = (await http.get(f"/api/conversations/{chat}")).json()
        assert SECRET in json.dumps(body["events"])
    finally:
        await agent.close()
        await visitor.close()


async def test_a_message_reusing_a_notes_client_id_is_refused_not_acked_as_the_note(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        note = await agent.note(chat, SECRET, client_id="same-id-1")
        with pytest.raises(ServerError) as refused:
            await agent.send(chat, "Hello there", client_id="same-id-1", timeout=5)
        assert refused.value.frame.code == "invalid_state" and refused.value.frame.ref == "same-id-1"
        stored = await server.services.conversation_store.events_after(chat, 0, 100)
        assert [e.kind for e in stored if e.client_id == "same-id-1"] == ["note"]
        assert all(e.body != "Hello there" for e in stored)
        # A resend of the note itself is still the same note.
        again = await agent.note(chat, SECRET, client_id="same-id-1")
        assert again.duplicate and again.seq == note.seq
    finally:
        await agent.close()
        await visitor.close()


async def test_the_welcome_snapshot_never_replaces_a_newer_broadcast(server) -> None:  # type: ignore[no-untyped-def]
    """The socket listens, then builds its own copy of the queue: a change broadcast in between wins."""
    user = await server.add_staff("Sam")
    routing = server.services.routing
    original = routing.waiting_frame
    visitor = VisitorClient(server.url, origin=ORIGIN)
    chats: list[str] = []
    done = asyncio.Event()

    async def late_snapshot() -> protocol.Waiting:
        frame = await original()
        routing.waiting_frame = original  # only this socket's
        await visitor.connect()
        chats.append((await visitor.send("in between")).conversation)
        await visitor.handoff()
        await asyncio.sleep(0.5)  # the broadcast of the longer queue is out before this older snapshot
        done.set()
        return frame

    routing.waiting_frame = late_snapshot
    agent = await server.agent(user, status="away")
    try:
        newer = await agent.wait_waiting(lambda f: bool(f.conversations))
        await asyncio.wait_for(done.wait(), 10)
        assert [i.id for i in newer.conversations] == chats
        await _nothing(agent, lambda f: isinstance(f, protocol.Waiting), 0.8)
        assert agent.waiting is not None and [i.id for i in agent.waiting.conversations] == chats
    finally:
        routing.waiting_frame = original
        await agent.close()
        await visitor.close()


async def test_the_queue_version_grows_with_the_queue_and_older_lists_are_dropped(server) -> None:  # type: ignore[no-untyped-def]
    user = await server.add_staff("Sam")
    agent = await server.agent(user, status="away")
    visitor = VisitorClient(server.url, origin=ORIGIN)
    try:
        first = await agent.wait_waiting()
        await visitor.connect()
        chat = (await visitor.send("hello")).conversation
        await visitor.handoff()
        queued = await agent.wait_waiting(lambda f: [i.id for i in f.conversations] == [chat])
        assert queued.version > first.version
        assert await server.services.conversation_store.queue_version() == queued.version
        # A visitor's message while waiting does not change the queue: no new version.
        await visitor.send("still here")
        assert await server.services.conversation_store.queue_version() == queued.version
        # Another process publishing late what it built before: the socket does not forward the older list.
        stale = protocol.Waiting(conversations=[], version=queued.version - 1)
        await server.services.hub.publish_frame(STAFF_CHANNEL, stale, staff_only=True)
        await _nothing(agent, lambda f: isinstance(f, protocol.Waiting), 0.6)
        await visitor.end()
        gone = await agent.wait_waiting(lambda f: f.conversations == [])
        assert gone.version > queued.version
    finally:
        await agent.close()
        await visitor.close()


async def test_managers_see_every_waiting_chat_agents_those_they_could_serve(server) -> None:  # type: ignore[no-untyped-def]
    sam_user = await server.add_staff("Sam")
    boss_user = await server.add_staff("Meg", role="manager")
    await server.services.account_store.create_team(
        name="Billing", now=datetime.datetime.now(datetime.UTC), topics=["billing"], member_ids=[]
    )
    sam = await server.agent(sam_user, status="away")
    boss = await server.agent(boss_user, status="away")
    visitors = [VisitorClient(server.url, origin=ORIGIN) for _ in range(2)]
    try:
        ids = []
        for visitor, topic in zip(visitors, ["billing", None], strict=True):
            await visitor.connect()
            ids.append((await visitor.send("help", topic=topic)).conversation)
            await visitor.handoff()
        everything = await boss.wait_waiting(lambda f: len(f.conversations) == 2)
        assert [i.id for i in everything.conversations] == ids
        mine = await sam.wait_waiting(lambda f: [i.id for i in f.conversations] == ids[1:])
        assert mine.version == everything.version and mine.conversations[0].position == 2
        # A new socket's own copy is filtered the same way.
        again = await server.agent(sam_user, status="away")
        assert [i.id for i in (await again.wait_waiting()).conversations] == ids[1:]
        await again.close()
    finally:
        for client in (sam, boss, *visitors):
            await client.close()


async def test_the_visitors_live_details_are_for_whoever_serves_them_now(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server, max_chats=1)
    boss_user = await server.add_staff("Meg", role="manager")
    live = ("page_url", "page_title", "user_agent", "browser", "seen_at")
    try:
        async with wire(server, visitor.token, user_agent="Mozilla/5.0 Firefox/130.0") as tab:
            await tab.send({"type": "page", "url": "https://shop.example/secret-page", "title": "Account"})
            await agent.next_frame(_is_visitor_frame)
        await visitor.identify(name="Zoe", email="zoe@example.com")
        await agent.next_frame(lambda f: _is_visitor_frame(f) and f.visitor.name == "Zoe")  # type: ignore[attr-defined]
        async with await staff_http(server, user) as http:
            held = (await http.get(f"/api/conversations/{chat}")).json()["history"]["visitor"]
        assert all(held.get(field) for field in live)
        await agent.end(chat)
        await agent.next_frame(lambda f: isinstance(f, protocol.Event) and f.kind == "closed")
        async with await staff_http(server, user) as http:
            after = (await http.get(f"/api/conversations/{chat}")).json()["history"]["visitor"]
        assert not any(field in after for field in live)
        assert (after["name"], after["email"]) == ("Zoe", "zoe@example.com")
        async with await staff_http(server, boss_user) as http:
            managed = (await http.get(f"/api/conversations/{chat}")).json()["history"]["visitor"]
        assert all(managed.get(field) for field in live)
    finally:
        await agent.close()
        await visitor.close()


async def test_many_tabs_flooding_page_and_read_make_about_one_update_a_second(server) -> None:  # type: ignore[no-untyped-def]
    """SECURITY.md case 20: one visitor, 20 tabs, 40 ``page`` frames each: about one stored update and fan-out
    a second, the last page winning; ``read`` the same, the highest mark winning."""
    user, agent, visitor, chat = await chat_with_agent(server)
    pages: list[Any] = []
    reads: list[Any] = []
    agent.add_listener(lambda f: pages.append(f) if _is_visitor_frame(f) else None)
    agent.add_listener(lambda f: reads.append(f) if isinstance(f, protocol.ReadUpdate) else None)
    store = server.services.conversation_store
    try:
        async with contextlib.AsyncExitStack() as stack:
            tabs = [await stack.enter_async_context(wire(server, visitor.token)) for _ in range(20)]
            started = time.monotonic()
            await asyncio.gather(*(tab.send({"type": "page", "url": f"https://shop.example/p{i}-{j}"})
                                   for j, tab in enumerate(tabs) for i in range(40)))
            await tabs[0].send({"type": "page", "url": "https://shop.example/last"})
            await asyncio.sleep(1.5)
            elapsed = time.monotonic() - started
            assert 1 <= len(pages) <= elapsed + 2, len(pages)
            assert pages[-1].visitor.page_url == "https://shop.example/last"
            stored = await store.get_visitor(await _visitor_id(server, visitor))
            assert stored is not None and stored.page_url == "https://shop.example/last"
            # The same page again: nothing stored, nothing sent.
            count = len(pages)
            await asyncio.sleep(1.1)
            await tabs[1].send({"type": "page", "url": "https://shop.example/last"})
            await asyncio.sleep(0.5)
            assert len(pages) == count

            last_seq = (await store.get(chat)).last_seq
            await asyncio.gather(*(tab.send({"type": "read", "conversation": chat, "seq": seq})
                                   for tab in tabs for seq in range(1, last_seq + 1)))
            await asyncio.sleep(1.5)
            assert 1 <= len(reads) <= 3 and reads[-1].seq == last_seq
            assert (await store.get(chat)).visitor_read_seq == last_seq
            assert not [f for tab in tabs for f in tab.frames if f["type"] == "error"]
    finally:
        await agent.close()
        await visitor.close()


async def _visitor_id(server, visitor: VisitorClient) -> str:  # type: ignore[no-untyped-def]
    site = await server.services.account_store.find_site_by_key("default")
    return server.services.chat.tokens.verify(visitor.token, site_id=site.id).visitor_id  # type: ignore[no-any-return]


async def test_the_queue_view_costs_a_few_queries_whatever_its_length(server) -> None:  # type: ignore[no-untyped-def]
    services = server.services
    store = services.conversation_store
    site = await services.account_store.find_site_by_key("default")
    now = datetime.datetime.now(datetime.UTC)
    for i in range(60):
        visitor = await store.create_visitor(site.id, now)
        conversation, _ = await store.start(site_id=site.id, visitor_id=visitor.id, status="queued", topic=None,
                                            team_id=None, priority=0, now=now)
        await store.apply(conversation.id, [NewEvent(kind="message", author_role="visitor", author_id=visitor.id,
                                                     author_name="V", body=f"hello {i}", client_id=f"c{i}")],
                          now=now, changes={"queued_at": now})
    statements = {"n": 0}

    def count(*_: Any, **__: Any) -> None:
        statements["n"] += 1

    engines = {services.db.engine, services.db.read_engine}
    for engine in engines:
        sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        frame = await services.routing.waiting_frame()
        assert len(frame.conversations) == 60
        assert sorted(i.first_message or "" for i in frame.conversations) == sorted(f"hello {i}" for i in range(60))
        assert statements["n"] <= 6, statements["n"]
        statements["n"] = 0
        assert await services.routing.waiting_frame() == frame  # nothing changed: the last frame again
        assert statements["n"] == 1
    finally:
        for engine in engines:
            sa.event.remove(engine.sync_engine, "before_cursor_execute", count)



async def test_a_failed_session_check_does_not_end_the_console_socket_checks(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    """The database away for one re-check (an exception that is no ChatError) must not stop the re-checks: a
    session ended afterwards still closes the console's socket."""
    async with start_server(sqlite_backend, session_recheck_seconds=0.2) as server:
        token = await server.staff_token(await server.add_staff("Kim"))
        cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
        async with websockets.connect(f"{server.ws_url}/ws/agent", origin=server.url, additional_headers=cookie) as ws:
            await ws.send(json.dumps({"type": "hello", "v": 1}))
            console = Wire(ws)
            try:
                await console.wait_for(lambda f: f["type"] == "welcome")
                calls = 0

                async def flaky(token: Any, **options: Any) -> Any:
                    nonlocal calls
                    calls += 1
                    if calls == 1:
                        raise OSError("the database is restarting")
                    raise errors.Unauthorized()  # the session ended by a route no broker message reports

                server.services.accounts.authenticate = flaky  # type: ignore[method-assign]
                assert await closed(console, timeout=5) == (1008, "session_ended")
                assert calls >= 2
            finally:
                console.close()
