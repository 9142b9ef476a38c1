"""Convert to ticket with the email the visitor gave in the chat (not to the widget): the ticket can be answered."""

from __future__ import annotations

from tests.console_server import chat_with_agent, staff_http


async def test_convert_takes_the_email_the_visitor_gave_in_the_chat(server) -> None:  # type: ignore[no-untyped-def]
    user, agent, visitor, chat = await chat_with_agent(server)
    try:
        async with await staff_http(server, user) as http:
            refused = await http.post(f"/api/conversations/{chat}/ticket",
                                      json={"reason": "refund", "email": "vera\r\nBcc: x@evil.test"})
            assert refused.status_code == 400 and refused.json()["error"] == "bad_request", refused.text
            # Nothing changed: the chat is still open and no ticket exists.
            still = (await http.get(f"/api/conversations/{chat}")).json()
            assert still["conversation"]["status"] == "assigned"
            assert still["history"]["visitor"].get("email") is None
            assert still["history"]["tickets"] == []

            converted = await http.post(f"/api/conversations/{chat}/ticket",
                                        json={"reason": "refund", "email": " vera@example.com "})
            assert converted.status_code == 201, converted.text
            ticket = (await http.get(f"/api/tickets/{converted.json()['ticket']['id']}")).json()["ticket"]
        assert ticket["requester"]["email"] == "vera@example.com", ticket["requester"]
        stored = await server.services.conversation_store.get_visitor(
            (await server.services.conversation_store.get(chat)).visitor_id
        )
        assert stored is not None and stored.email == "vera@example.com"
    finally:
        await visitor.close()
        await agent.close()
