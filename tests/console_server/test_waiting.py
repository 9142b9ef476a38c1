"""The staff's view of the queue (``waiting``), the agent's teams in the welcome, and the agents list."""

from __future__ import annotations

import datetime

import httpx

from chatsvc.client import VisitorClient
from chatsvc.domain import protocol
from tests.console_server import ORIGIN, staff_http, wire


def _ids(frame: protocol.Waiting) -> list[str]:
    return [item.id for item in frame.conversations]


async def test_waiting_lists_the_queue_in_order_and_follows_it(server) -> None:  # type: ignore[no-untyped-def]
    sam_user = await server.add_staff("Sam")
    tess_user = await server.add_staff("Tess", max_chats=2)
    now = datetime.datetime.now(datetime.UTC)
    billing = await server.services.account_store.create_team(
        name="Billing", now=now, topics=["billing"], member_ids=[sam_user.id]
    )
    sam = await server.agent(sam_user, status="away")
    visitors = [VisitorClient(server.url, origin=ORIGIN) for _ in range(3)]
    tess = None
    try:
        welcome = sam.welcome
        assert welcome is not None and welcome.teams is not None
        assert [(t.id, t.name) for t in welcome.teams] == [(billing.id, "Billing")]
        assert (await sam.wait_waiting()).conversations == []  # right after the welcome, even when empty

        first_text = "My parcel never came " + "and " * 80  # longer than 200: cut
        topics = [None, "billing", None]
        acks = []
        for visitor, topic, text in zip(visitors, topics, [first_text, "Invoice is wrong", "Hello?"], strict=True):
            await visitor.connect()
            acks.append(await visitor.send(text, topic=topic))
            await visitor.handoff()
            expected = [a.conversation for a in acks]
            await sam.wait_waiting(lambda f, e=expected: _ids(f) == e)  # type: ignore[misc]
        a, b, c = (ack.conversation for ack in acks)
        frame = sam.waiting
        assert frame is not None
        items = {item.id: item for item in frame.conversations}
        assert [item.position for item in frame.conversations] == [1, 2, 3]
        assert items[a].first_message == first_text[:200] and len(items[a].first_message or "") == 200
        assert items[b].first_message == "Invoice is wrong"
        assert (items[b].team_id, items[b].team) == (billing.id, "Billing")
        assert items[a].team_id is None and items[a].site == "default"
        assert items[a].visitor.role == "visitor" and items[a].visitor.id is None
        assert items[a].queued_at <= items[b].queued_at <= items[c].queued_at

        # A new staff socket gets the list right after its welcome: an agent, only the chats they could serve
        # (Tess is in no team: not Billing's), each at its place in the whole queue.
        tess = await server.agent(tess_user, status="away")
        assert tess.welcome is not None and tess.welcome.teams == []
        hers = await tess.wait_waiting()
        assert _ids(hers) == [a, c] and [item.position for item in hers.conversations] == [1, 3]
        assert hers.version == frame.version > 0

        # Not in Billing: its chat cannot be picked (the same not_found as an unknown one).
        await tess.pick(b)
        assert (await tess.wait_error()).code == "not_found"
        # A pick takes it out of the list, for everyone, the rest moves up.
        await tess.pick(a)
        assert (await tess.wait_chat()).id == a
        after = await sam.wait_waiting(lambda f: _ids(f) == [b, c])
        assert [item.position for item in after.conversations] == [1, 2]
        assert after.version > frame.version
        await tess.wait_waiting(lambda f: _ids(f) == [c])
        # The visitor leaving the queue: out of it too.
        await visitors[2].end()
        await sam.wait_waiting(lambda f: _ids(f) == [b])

        # Visitors never receive the staff's queue view.
        async with wire(server, visitors[1].token) as tab:
            await tab.quiet()
            await visitors[0].send("one more")
            await tab.quiet()
            assert not [f for f in tab.frames if f["type"] == "waiting"]
            assert all("My parcel" not in raw for raw in tab.raw)

        # The agents list: who is connected, online or away, with load and capacity.
        async with await staff_http(server, sam_user) as http:
            listed = await http.get("/api/console/agents")
        assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
        agents = {entry["id"]: entry for entry in listed.json()["agents"]}
        assert sam_user.id not in agents  # never the caller
        async with await staff_http(server, tess_user) as http:
            listed_by_tess = await http.get("/api/console/agents")
        assert listed_by_tess.json()["agents"] == [{
            "id": sam_user.id, "name": "Sam", "status": "away", "load": 0,
            "capacity": server.settings.default_capacity, "teams": [billing.id],
        }]
        assert agents[tess_user.id] == {"id": tess_user.id, "name": "Tess", "status": "away", "load": 1,
                                        "capacity": 2, "teams": []}
        await tess.set_status("offline")  # offline: not a transfer target, not listed
        await tess.next_frame(lambda f: isinstance(f, protocol.PresenceUpdate) and f.status == "offline")
        async with await staff_http(server, sam_user) as http:
            listed = await http.get("/api/console/agents")
        assert listed.json()["agents"] == []
    finally:
        for client in [*visitors, sam, *([tess] if tess else [])]:
            await client.close()


async def test_the_agents_list_is_for_staff_only(server) -> None:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/api/console/agents")).status_code == 401
            forged = await http.get("/api/console/agents", headers={"Authorization": "Bearer forged"})
            assert forged.status_code == 401
            # A visitor token is no staff session.
            as_visitor = await http.get("/api/console/agents", headers={"Authorization": f"Bearer {visitor.token}"})
            assert as_visitor.status_code == 401
    finally:
        await visitor.close()
