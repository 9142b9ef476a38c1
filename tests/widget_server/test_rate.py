"""The visitor's ``rate`` frame: one survey per closed conversation of their own, strictly checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatsvc.client import VisitorClient
from chatsvc.client.base import ServerError
from tests.support.raw import close_code, next_of, visitor_socket
from tests.support.servers import InProcessServer
from tests.widget_server import ORIGIN


async def _closed_conversation(visitor: VisitorClient) -> str:
    """A conversation the visitor opened and ended (with no KB and no menu it goes to the queue at once)."""
    ack = await visitor.send("Where is my parcel?")
    await visitor.end()
    await visitor.wait_event(kind="closed", conversation=ack.conversation)
    return ack.conversation


async def _ask(server: InProcessServer, **questions: bool) -> None:
    """Turn the default site's survey questions on or off (``survey_csat``, ``survey_nps``, ``survey_ces``)."""
    site = await server.services.account_store.find_site_by_key("default")
    assert site is not None
    await server.services.widgets.update(site.id, **questions)


async def test_a_rating_is_stored_once(server: InProcessServer) -> None:
    await _ask(server, survey_nps=True, survey_ces=True)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        conversation = await _closed_conversation(visitor)
        rated = await visitor.rate(conversation, 4, comment="  Quick and kind.  ", nps=9, ces=2)
        assert rated.conversation == conversation
        stored = await server.services.survey_store.of_conversation(conversation)
        assert stored is not None
        assert (stored.csat, stored.nps, stored.ces, stored.comment) == (4, 9, 2, "Quick and kind.")
        site = await server.services.account_store.find_site_by_key("default")
        assert site is not None and stored.site_id == site.id

        with pytest.raises(ServerError) as again:
            await visitor.rate(conversation, 1, comment="changed my mind")
        assert again.value.frame.code == "invalid_state"
        kept = await server.services.survey_store.of_conversation(conversation)
        assert kept == stored
    finally:
        await visitor.close()


async def test_only_csat_is_required(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        conversation = await _closed_conversation(visitor)
        await visitor.rate(conversation, 5, comment="   ")
        stored = await server.services.survey_store.of_conversation(conversation)
        assert stored is not None and (stored.csat, stored.nps, stored.ces, stored.comment) == (5, None, None, None)
    finally:
        await visitor.close()


async def test_questions_the_site_does_not_ask_are_refused(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        conversation = await _closed_conversation(visitor)
        # A new site asks CSAT only: an NPS or CES answer was never asked for.
        for extra in ({"nps": 9}, {"ces": 2}, {"nps": 9, "ces": 2}):
            with pytest.raises(ServerError) as refused:
                await visitor.rate(conversation, 4, comment="Fine", **extra)
            assert refused.value.frame.code == "invalid_state", extra
            assert await server.services.survey_store.of_conversation(conversation) is None

        await _ask(server, survey_csat=False)  # the site turned the survey off
        with pytest.raises(ServerError) as refused:
            await visitor.rate(conversation, 4)
        assert refused.value.frame.code == "invalid_state"
        assert refused.value.frame.message == "This site does not ask for CSAT."
        assert await server.services.survey_store.of_conversation(conversation) is None

        await _ask(server, survey_csat=True, survey_ces=True)
        await visitor.rate(conversation, 4, ces=3)  # what it asks is kept
        stored = await server.services.survey_store.of_conversation(conversation)
        assert stored is not None and (stored.csat, stored.nps, stored.ces) == (4, None, 3)
    finally:
        await visitor.close()


async def test_an_open_conversation_cannot_be_rated(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        ack = await visitor.send("Hello?")
        with pytest.raises(ServerError) as refused:
            await visitor.rate(ack.conversation, 5)
        assert refused.value.frame.code == "invalid_state"
        assert await server.services.survey_store.of_conversation(ack.conversation) is None
    finally:
        await visitor.close()


async def test_someone_elses_conversation_is_not_found(server: InProcessServer) -> None:
    owner = VisitorClient(server.url, origin=ORIGIN)
    stranger = VisitorClient(server.url, origin=ORIGIN)
    await owner.connect()
    await stranger.connect()
    try:
        conversation = await _closed_conversation(owner)
        answers = []
        for target in (conversation, "GENERAL", "general", "1", "does-not-exist"):
            with pytest.raises(ServerError) as refused:
                await stranger.rate(target, 1, comment="spam")
            answers.append((refused.value.frame.code, refused.value.frame.message))
        # SECURITY case 7: someone else's conversation gets exactly the answer of one that does not exist.
        assert set(answers) == {("not_found", "No such conversation or resource.")}
        assert await server.services.survey_store.of_conversation(conversation) is None
        await owner.rate(conversation, 5)  # and the owner still can
    finally:
        await owner.close()
        await stranger.close()


MALFORMED: list[dict[str, Any]] = [
    {"csat": 0},
    {"csat": 6},
    {"csat": -1},
    {"csat": "5"},
    {"csat": True},
    {"csat": 4.5},
    {"csat": None},
    {"csat": {"$gt": 0}},
    {"csat": [5]},
    {"nps": 11},
    {"nps": -1},
    {"nps": "9"},
    {"ces": 0},
    {"ces": 8},
    {"comment": "x" * 1001},
    {"comment": "nul \x00 byte"},
    {"comment": "bell \x07"},
    {"comment": ["a"]},
    {"comment": 5},
    {"conversation": {"$ne": None}},
    {"conversation": "../etc"},
    {"visitor": "someone"},
    {"agent_id": "u1"},
]


async def test_malformed_ratings_are_refused_and_the_socket_keeps_serving(server: InProcessServer) -> None:
    await _ask(server, survey_nps=True, survey_ces=True)
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        conversation = await _closed_conversation(visitor)
        token = visitor.token
    finally:
        await visitor.close()
    async with visitor_socket(server.ws_url, token, origin=ORIGIN) as ws:
        for fields in MALFORMED:
            frame = {"type": "rate", "conversation": conversation, "csat": 3} | fields
            await ws.send(json.dumps(frame))
            error = await next_of(ws, "error")
            assert error["code"] == "bad_frame", fields
        missing = {"type": "rate", "conversation": conversation}
        await ws.send(json.dumps(missing))
        assert (await next_of(ws, "error"))["code"] == "bad_frame"
        assert await server.services.survey_store.of_conversation(conversation) is None

        # The same socket still serves: a good rating (the longest comment allowed) is stored.
        comment = "Line one\r\n\tline two " + "é" * 980
        await ws.send(json.dumps({"type": "rate", "conversation": conversation, "csat": 3, "comment": comment,
                                  "nps": 0, "ces": 7}))
        assert await next_of(ws, "rated") == {"type": "rated", "conversation": conversation}
    stored = await server.services.survey_store.of_conversation(conversation)
    assert stored is not None and (stored.csat, stored.nps, stored.ces) == (3, 0, 7) and stored.comment == comment


async def test_rate_is_a_visitor_frame_only(server: InProcessServer) -> None:
    # An agent socket does not know the frame: it is refused like any unknown type.
    user = await server.add_staff("Alice")
    agent = await server.agent(user)
    try:
        await agent.send_frame({"type": "rate", "conversation": "GENERAL", "csat": 5})
        error = await agent.wait_error()
        assert error.code == "bad_frame"
    finally:
        await agent.close()


async def test_a_token_alone_cannot_rate_before_hello(server: InProcessServer) -> None:
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        conversation = await _closed_conversation(visitor)  # a conversation this token may rate after hello
        token = visitor.token
    finally:
        await visitor.close()
    async with visitor_socket(server.ws_url, origin=ORIGIN) as ws:
        # The token inside a rate frame is not a hello: the socket closes before anything is read as a rating.
        await ws.send(json.dumps({"type": "rate", "conversation": conversation, "csat": 5, "token": token}))
        assert await close_code(ws) == (1008, "unauthorized")
    assert await server.services.survey_store.of_conversation(conversation) is None
