"""A message the server could not store (the database failed under it) is answered with ``unavailable`` naming the
message, never left without an answer; the same message sent again is stored once."""

from __future__ import annotations

import pytest

from chatsvc.client import VisitorClient
from chatsvc.client.base import ServerError


async def test_a_failed_store_answers_unavailable_and_a_resend_is_stored_once(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = await server.add_staff("Olga")
    agent = await server.agent(user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        first = await visitor.send("hello")
        await agent.wait_chat()
        chat = server.services.chat
        real = chat.visitor_message
        failures = 0

        async def failing_once(who, frame):  # type: ignore[no-untyped-def]
            nonlocal failures
            if failures == 0:
                failures += 1
                raise ConnectionError("database connection lost")
            return await real(who, frame)

        monkeypatch.setattr(chat, "visitor_message", failing_once)
        with pytest.raises(ServerError) as refused:
            await visitor.send("are you there?", client_id="resend-me", timeout=5)
        assert refused.value.code == "unavailable"
        assert refused.value.frame.ref == "resend-me"
        # The socket still serves: the same message again is stored, once, after the first.
        ack = await visitor.send("are you there?", client_id="resend-me")
        assert ack.seq > first.seq
        again = await visitor.send("are you there?", client_id="resend-me")
        assert again.seq == ack.seq
        seen = await agent.wait_event(text="are you there?")
        assert seen.seq == ack.seq
    finally:
        await visitor.close()
        await agent.close()
