"""Internal notes: stored as numbered events, sent to staff, never to the visitor (checked on the wire)."""

from __future__ import annotations

import json

import httpx

from chatsvc.client import VisitorClient
from chatsvc.store.schema import outbound_mail
from tests.console_server import ORIGIN, chat_with_agent, staff_http, wire

SECRET = "NOTE-7731 visitor seems upset, refund approved by Tom"


def _carries_note(frames: list[dict]) -> bool:  # type: ignore[type-arg]
    return any(f.get("kind") == "note" or SECRET in json.dumps(f) for f in frames)


async def test_a_note_reaches_staff_and_never_the_visitors_wire(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        async with wire(server, visitor.token) as tab:
            before = (await server.services.conversation_store.get(chat)).last_seq
            ack = await agent.note(chat, SECRET)
            assert ack.conversation == chat and ack.seq == before + 1 and not ack.duplicate
            # The agent's own socket gets the note as an event, authored by them (from the session).
            event = await agent.wait_event(kind="note", conversation=chat)
            assert event.seq == ack.seq and event.text == SECRET and event.client_id == ack.client_id
            assert event.author.role == "agent" and event.author.name == "Sam"
            # The next message after it reaches the visitor; the note's seq is a gap stepped over.
            await agent.send(chat, "Sorry for the wait!")
            after = await tab.wait_for(lambda f: f.get("text") == "Sorry for the wait!")
            assert after["seq"] == ack.seq + 1
            await visitor.wait_event(text="Sorry for the wait!")
            await tab.quiet()
            assert not _carries_note(tab.frames) and all(SECRET not in raw for raw in tab.raw)
            assert all(e.kind != "note" for e in visitor.transcripts[chat])

            # A sync from before the note replays around it; the synced mark still passes it.
            await tab.send({"type": "sync", "conversation": chat, "after_seq": ack.seq - 1})
            synced = await tab.wait_for(lambda f: f["type"] == "synced" and f["last_seq"] >= ack.seq + 1)
            assert synced["conversation"] == chat
            assert not _carries_note(tab.frames)

        # A reconnect that resumes from before the note: replayed without it.
        async with wire(server, visitor.token, conversation=chat, last_seq=ack.seq - 1) as again:
            synced = await again.wait_for(lambda f: f["type"] == "synced")
            assert synced["last_seq"] == ack.seq + 1
            assert [f["seq"] for f in again.frames if f["type"] == "event"] == [ack.seq + 1]
            assert not _carries_note(again.frames)
        # ... and from the start (a new tab).
        async with wire(server, visitor.token) as fresh:
            await fresh.wait_for(lambda f: f["type"] == "synced")
            seqs = [f["seq"] for f in fresh.frames if f["type"] == "event"]
            assert ack.seq not in seqs and seqs[-1] == ack.seq + 1
            assert not _carries_note(fresh.frames)

        # A reconnecting agent (a new socket resuming from a seq before the note) gets it by seq.
        again_agent = await server.agent(user)
        try:
            await again_agent.sync(chat, ack.seq - 1)
            replayed = await again_agent.wait_event(kind="note", conversation=chat)
            assert replayed.seq == ack.seq and replayed.text == SECRET
        finally:
            await again_agent.close()

        # Staff read it in the transcript API.
        async with await staff_http(server, user) as http:
            body = (await http.get(f"/api/conversations/{chat}")).json()
        assert [e["text"] for e in body["events"] if e["kind"] == "note"] == [SECRET]
    finally:
        await visitor.close()
        await agent.close()


async def test_a_note_resend_is_stored_once(server) -> None:  # type: ignore[no-untyped-def]
    _user, agent, visitor, chat = await chat_with_agent(server)
    try:
        first = await agent.note(chat, "check the warehouse", client_id="note-1")
        again = await agent.note(chat, "check the warehouse", client_id="note-1")
        assert again.duplicate and again.seq == first.seq and again.at == first.at
        events = await server.services.conversation_store.events_after(chat, 0, 100)
        assert [e.seq for e in events if e.kind == "note"] == [first.seq]
    finally:
        await visitor.close()
        await agent.close()


async def test_notes_on_chats_not_held_are_not_found(server) -> None:  # type: ignore[no-untyped-def]
    _user, agent, visitor, chat = await chat_with_agent(server)
    other = await server.add_staff("Tess")
    tess = await server.agent(other, status="away")
    try:
        answers = []
        for target in (chat, "AAAAAAAAAAAAAAAAAAAAAA", "GENERAL"):
            await tess.send_frame({"type": "note", "conversation": target, "client_id": f"n-{target}", "text": "x"})
            refused = await tess.wait_error()
            assert refused.ref == f"n-{target}"
            answers.append((refused.code, refused.message))
        # The same answer for someone else's chat as for one that does not exist.
        assert answers == [("not_found", answers[0][1])] * 3
        events = await server.services.conversation_store.events_after(chat, 0, 100)
        assert not [e for e in events if e.kind == "note"]
        # After the chat is closed, its agent can no longer note it either; a manager can.
        await agent.end(chat)
        await agent.wait_event(kind="closed", conversation=chat)
        await agent.send_frame({"type": "note", "conversation": chat, "client_id": "late", "text": "x"})
        assert (await agent.wait_error()).code == "not_found"
        boss = await server.add_staff("Uma", role="manager")
        uma = await server.agent(boss, status="away")
        try:
            ack = await uma.note(chat, "reviewed: fine")
            assert ack.conversation == chat
        finally:
            await uma.close()
    finally:
        await tess.close()
        await visitor.close()
        await agent.close()


async def test_the_note_author_comes_from_the_session(server) -> None:  # type: ignore[no-untyped-def]
    """SECURITY 8: a note frame claiming an author or role is refused whole; nothing is stored."""
    _user, agent, visitor, chat = await chat_with_agent(server)
    try:
        forged = [
            {"author": {"role": "admin", "name": "Boss"}},
            {"role": "admin"},
            {"author_id": "x"},
            {"seq": 1},
        ]
        for extra in forged:
            frame = {"type": "note", "conversation": chat, "client_id": "f1", "text": "forged"} | extra
            await agent.send_frame(frame)
            assert (await agent.wait_error()).code == "bad_frame"
        for wrong in ({"text": ""}, {"text": " \n "}, {"text": {"$ne": None}}, {"text": "x" * 4001},
                      {"client_id": "bad id!"}, {"conversation": ["x"]}):
            frame = {"type": "note", "conversation": chat, "client_id": "f2", "text": "ok"} | wrong
            await agent.send_frame(frame)
            assert (await agent.wait_error()).code == "bad_frame"
        events = await server.services.conversation_store.events_after(chat, 0, 100)
        assert not [e for e in events if e.kind == "note"]
        # A visitor cannot send one at all.
        await visitor.send_frame({"type": "note", "conversation": chat, "client_id": "v1", "text": "hi"})
        assert (await visitor.wait_error()).code == "forbidden"
        events = await server.services.conversation_store.events_after(chat, 0, 100)
        assert not [e for e in events if e.kind == "note"]
    finally:
        await visitor.close()
        await agent.close()


async def test_a_chat_turned_ticket_keeps_notes_for_staff_only(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        await visitor.identify(name="Vera", email="vera@example.com")
        await agent.note(chat, SECRET)
        await agent.send(chat, "I will write to you by mail.")
        async with await staff_http(server, user) as http:
            converted = await http.post(f"/api/conversations/{chat}/ticket", json={"reason": "warehouse"})
            assert converted.status_code == 201, converted.text
            ticket_id = converted.json()["ticket"]["id"]
            full = (await http.get(f"/api/tickets/{ticket_id}")).json()
            page = await http.get(f"/tickets/{ticket_id}")
        # Staff: the transcript API and the ticket page show it.
        assert [e["text"] for e in full["transcript"] if e["kind"] == "note"] == [SECRET]
        assert SECRET in page.text
        # ...marked as a note there, not as a line the visitor read.
        note_item = page.text.split(SECRET)[0].rsplit("<li ", 1)[1]
        assert 'class="tk-msg tk-note"' in note_item, note_item
        # The ticket's question (from the visitor's messages) does not contain it.
        assert all(SECRET not in json.dumps(e) for e in full["entries"])
        # The visitor's status page and mails never show it.
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            token = server.services.tickets.links.token(ticket_id)
            status = await anonymous.get(f"/ticket-status/{token}")
        assert status.status_code == 200 and "I will write to you by mail." in status.text
        assert SECRET not in status.text
        async with server.services.db.connect() as conn:
            mails = (await conn.execute(outbound_mail.select())).all()
        assert all(SECRET not in (m.body_text + (m.body_html or "") + m.subject) for m in mails)
    finally:
        await visitor.close()
        await agent.close()


async def test_visitor_client_counts_the_note_as_a_gap_only(server) -> None:  # type: ignore[no-untyped-def]
    _user, agent, visitor, chat = await chat_with_agent(server)
    try:
        ack = await agent.note(chat, SECRET)
        await agent.send(chat, "next")
        await visitor.wait_event(text="next")
        assert ack.seq not in [e.seq for e in visitor.transcripts[chat]]
        fresh = VisitorClient(server.url, origin=ORIGIN, token=visitor.token)
        await fresh.connect()
        try:
            await fresh.wait_event(text="next")
            assert all(e.kind != "note" for e in fresh.transcripts[chat])
        finally:
            await fresh.close()
    finally:
        await visitor.close()
        await agent.close()


async def test_a_transfer_note_is_a_staff_note_never_on_the_visitors_wire(server) -> None:  # type: ignore[no-untyped-def]
    _user, sam, visitor, chat = await chat_with_agent(server)
    nia_user = await server.add_staff("Nia")
    nia = await server.agent(nia_user)
    handover = "HANDOVER-55 angry about the refund, be gentle"
    try:
        async with wire(server, visitor.token) as tab:
            await sam.transfer(chat, to_agent=nia_user.id, note=handover)
            assert (await nia.wait_chat()).id == chat
            moved = await nia.wait_event(kind="transferred", conversation=chat)
            note = await nia.wait_event(kind="note", conversation=chat)
            assert note.seq == moved.seq - 1 and note.text == handover and note.data == {"handover": True}
            assert note.author.name == "Sam" and note.author.role == "agent"
            assert "note" not in (moved.data or {})
            on_wire = await tab.wait_for(lambda f: f.get("kind") == "transferred")
            assert "note" not in on_wire.get("data", {})
            # Back to the queue with a note: the same.
            await nia.transfer(chat, note=handover + " (2)")
            await tab.wait_for(lambda f: f.get("kind") == "requeued")
            await tab.quiet()
            assert not _carries_note(tab.frames) and all("HANDOVER-55" not in raw for raw in tab.raw)
        events = await server.services.conversation_store.events_after(chat, 0, 100)
        assert [e.body for e in events if e.kind == "note"] == [handover, handover + " (2)"]
        # A control character in a handover note is refused whole.
        await sam.send_frame({"type": "transfer", "conversation": chat, "note": "a\x00b"})
        assert (await sam.wait_error()).code == "bad_frame"
    finally:
        await nia.close()
        await visitor.close()
        await sam.close()
