"""/ws/manager: the live panel's frames follow the queue, picks and presence within a second; who may open it;
revocation; a bad frame; the throttle under a flood (SECURITY 9 for the socket)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from chatsvc.client import VisitorClient
from tests.console_server import ORIGIN, Wire
from tests.manager_live import agent_row, closed, logout, manager_wire, stats_frames

FRESH = 1.0  # the promise: the panel shows a change within a second


async def _after(recorder: Wire, predicate, started: float) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The first stats frame matching ``predicate``, which must arrive within FRESH of ``started``."""
    frame = await recorder.wait_for(lambda f: f["type"] == "stats" and predicate(f), timeout=FRESH + 4)
    assert time.monotonic() - started < FRESH, f"the panel took {time.monotonic() - started:.2f}s"
    return frame


async def test_the_panel_follows_the_queue_a_pick_and_presence(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    sam_user = await server.add_staff("Sam")
    tess_user = await server.add_staff("Tess", max_chats=5)  # never connects: offline, her own capacity
    sam = await server.agent(sam_user, status="away")  # away: the chat waits until he picks it
    visitor = VisitorClient(server.url, origin=ORIGIN)
    try:
        async with manager_wire(server, await server.staff_token(manager)) as panel:
            first = await panel.wait_for(lambda f: f["type"] == "stats")
            assert panel.frames[0] is first  # the first thing the socket says
            assert (first["waiting"], first["oldest_queued_at"], first["in_progress"]) == (0, None, 0)
            assert first["estimated_wait_seconds"] is None  # nobody online
            assert agent_row(first, sam_user.id) == {
                "id": sam_user.id, "name": "Sam", "status": "away", "load": 0, "capacity": 3
            }
            assert agent_row(first, tess_user.id) == {
                "id": tess_user.id, "name": "Tess", "status": "offline", "load": 0, "capacity": 5
            }
            assert agent_row(first, manager.id) is None  # a manager not on the console is not an agent
            assert (first["agents_online"], first["agents_away"], first["agents_offline"]) == (0, 1, 1)
            assert set(first) >= {"version", "server_time", "bot", "today"}
            assert first["today"] == await server.services.stats.today_summary()
            assert first["today"]["conversations"] == 0

            await visitor.connect()
            await visitor.send("Where is my order 991?")
            started = time.monotonic()
            await visitor.handoff()
            queued = await _after(panel, lambda f: f["waiting"] == 1, started)
            assert queued["oldest_queued_at"] is not None and queued["oldest_queued_at"].endswith("Z")
            assert queued["in_progress"] == 0 and queued["version"] > first["version"]
            assert (queued["today"]["conversations"], queued["today"]["handed_off"]) == (1, 1)

            assert visitor.conversation is not None
            started = time.monotonic()
            await sam.pick(visitor.conversation)
            picked = await _after(
                panel, lambda f: f["in_progress"] == 1 and agent_row(f, sam_user.id)["load"] == 1, started
            )
            assert (picked["waiting"], picked["oldest_queued_at"]) == (0, None)
            assert agent_row(picked, sam_user.id) == {
                "id": sam_user.id, "name": "Sam", "status": "away", "load": 1, "capacity": 3
            }

            started = time.monotonic()
            await sam.set_status("online")
            online = await _after(panel, lambda f: agent_row(f, sam_user.id)["status"] == "online", started)
            assert (online["agents_online"], online["agents_away"]) == (1, 0)
            assert online["estimated_wait_seconds"] == 0  # two free slots: a new visitor is served at once
            started = time.monotonic()
            await sam.set_status("away")
            away = await _after(panel, lambda f: agent_row(f, sam_user.id)["status"] == "away", started)
            assert (away["agents_online"], away["agents_away"]) == (0, 1)

            versions = [f["version"] for f in stats_frames(panel)]
            assert versions == sorted(versions) and len(set(versions)) == len(versions)
    finally:
        await visitor.close()
        await sam.close()


async def test_a_manager_on_the_console_is_listed_while_connected(server) -> None:  # type: ignore[no-untyped-def]
    boss = await server.add_staff("Ada", role="admin")
    console = await server.agent(boss, status="online")
    try:
        async with manager_wire(server, await server.staff_token(boss)) as panel:
            frame = await panel.wait_for(lambda f: f["type"] == "stats" and agent_row(f, boss.id) is not None)
            assert agent_row(frame, boss.id)["status"] == "online"  # type: ignore[index]
            await console.close()
            gone = await panel.wait_for(lambda f: f["type"] == "stats" and agent_row(f, boss.id) is None)
            assert gone["agents_online"] == 0
    finally:
        await console.close()


async def test_an_agent_is_refused_and_so_is_no_session(server) -> None:  # type: ignore[no-untyped-def]
    agent = await server.add_staff("Sam")
    async with manager_wire(server, await server.staff_token(agent)) as panel:
        assert await closed(panel) == (1008, "forbidden")
        assert [f["type"] for f in panel.frames] == ["error"]
        assert panel.frames[0]["code"] == "forbidden"
    async with manager_wire(server, None) as panel:
        assert await closed(panel) == (1008, "unauthorized")
        assert stats_frames(panel) == []
    async with manager_wire(server, "not-a-session") as panel:
        assert await closed(panel) == (1008, "unauthorized")
    # A visitor's token is no staff session either.
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        async with manager_wire(server, visitor.token) as panel:
            assert await closed(panel) == (1008, "unauthorized")
    finally:
        await visitor.close()
    assert server.services.live_stats.sockets == set()


async def test_a_foreign_origin_is_refused_before_the_handshake_completes(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    token = await server.staff_token(manager)
    own = server.url
    for origin in ("https://evil.example", ORIGIN, "null", own + ".evil.test", own.replace("http:", "https:"),
                   "http://evil.test", own.replace("127.0.0.1", "127.0.0.1.evil.test")):
        with pytest.raises(InvalidStatus) as refused:
            async with manager_wire(server, token, origin=origin):
                pass
        assert refused.value.response.status_code == 403, origin
    async with manager_wire(server, token) as panel:  # its own origin: fine
        await panel.wait_for(lambda f: f["type"] == "stats")


async def test_signing_out_closes_the_panel(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    token = await server.staff_token(manager)
    async with manager_wire(server, token) as panel:
        await panel.wait_for(lambda f: f["type"] == "stats")
        await logout(server, token)
        assert await closed(panel) == (1008, "session_ended")
    await asyncio.sleep(0.1)
    assert server.services.live_stats.sockets == set()


async def test_disabling_the_account_closes_the_panel(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    async with manager_wire(server, await server.staff_token(manager)) as panel:
        await panel.wait_for(lambda f: f["type"] == "stats")
        await server.services.accounts.revoke_all(manager.id, "account_disabled")
        assert await closed(panel) == (1008, "account_disabled")


async def test_a_bad_frame_is_answered_and_the_socket_lives(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    async with manager_wire(server, await server.staff_token(manager)) as panel:
        await panel.wait_for(lambda f: f["type"] == "stats")
        for bad in ("not json", json.dumps({"type": "pick", "conversation": "x"}), json.dumps({"type": "hello"}),
                    json.dumps([1, 2]), json.dumps({"nested": [[[[[[]]]]]]})):
            await panel.ws.send(bad)
        await asyncio.sleep(0.3)
        errors = [f for f in panel.frames if f["type"] == "error"]
        assert [e["code"] for e in errors] == ["bad_frame"] * 5
        await panel.ws.send(b"\x00binary")
        await panel.wait_for(lambda f: f["type"] == "error" and "binary" in f["message"])
        # Still open and still fed.
        count = len(stats_frames(panel))
        server.services.live_stats.mark_changed()
        await panel.wait_for(lambda f: f["type"] == "stats" and len(stats_frames(panel)) > count)


async def test_a_bad_hello_closes(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    token = await server.staff_token(manager)
    async with manager_wire(server, token, hello={"type": "hello", "v": 2}) as panel:
        assert await closed(panel) == (1008, "unsupported_version")
    async with manager_wire(server, token, hello={"type": "status", "status": "online"}) as panel:
        assert await closed(panel) == (1008, "unauthorized")
    # SECURITY 9: a field the caller may not set is refused, not applied (an agent claiming a role).
    agent = await server.add_staff("Sam")
    async with manager_wire(
        server, await server.staff_token(agent), hello={"type": "hello", "v": 1, "role": "manager"}
    ) as panel:
        assert await closed(panel) == (1008, "unauthorized")
        assert stats_frames(panel) == []


async def test_a_flood_of_messages_makes_few_stats_frames(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    sam_user = await server.add_staff("Sam")
    sam = await server.agent(sam_user)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        await visitor.send("Where is my order 991?")
        await visitor.handoff()
        chat = await sam.wait_chat()
        async with manager_wire(server, await server.staff_token(manager)) as panel:
            await panel.wait_for(lambda f: f["type"] == "stats" and f["in_progress"] == 1)
            await asyncio.sleep(0.5)
            before = len(stats_frames(panel))
            started = time.monotonic()
            for n in range(200):
                await visitor.send(f"message {n}")
            await sam.wait_event(kind="message", conversation=chat.id, text="message 199", timeout=30)
            elapsed = time.monotonic() - started
            await asyncio.sleep(0.6)  # the trailing notice
            during = len(stats_frames(panel)) - before
            interval = server.settings.live_stats_interval
            # One notice per interval at most (plus the first and the trailing one), one snapshot per notice.
            assert 1 <= during <= elapsed / interval + 3, (during, elapsed)
            assert during < 50
        assert server.services.live_stats.messages["visitor"] >= 201
    finally:
        await visitor.close()
        await sam.close()
