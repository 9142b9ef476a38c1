"""The services write the stats columns on a real flow, once: a transfer or a requeue changes none of them."""

from __future__ import annotations

import asyncio

from chatsvc.client import VisitorClient


async def test_first_handoff_assignment_and_responder_are_kept(server) -> None:  # type: ignore[no-untyped-def]
    store = server.services.conversation_store
    alice_user = await server.add_staff("Alice")
    bob_user = await server.add_staff("Bob")
    alice = await server.agent(alice_user)
    visitor = VisitorClient(server.url)
    await visitor.connect()
    bob = None
    try:
        # No knowledge base: the bot has nothing to offer, the first message goes to the queue, then to Alice.
        ack = await visitor.send("My parcel is late")
        chat = await alice.wait_chat()
        first = await store.get(ack.conversation)
        assert first.handoff_at is not None and first.handoff_at == first.queued_at
        assert first.first_assigned_at is not None and first.first_assigned_at == first.assigned_at
        assert first.handoff_at <= first.first_assigned_at
        assert first.first_response_at is None and first.first_responder_id is None

        await alice.send(chat.id, "Let me look")
        answered = await store.get(chat.id)
        assert answered.first_response_at is not None and answered.first_responder_id == alice_user.id

        # Alice hands it to Bob, who answers too: the first reply stays Alice's.
        bob = await server.agent(bob_user)
        await alice.transfer(chat.id, to_agent=bob_user.id)
        assert (await bob.wait_chat()).id == chat.id
        await bob.send(chat.id, "Bob here, I have it")
        with_bob = await store.get(chat.id)
        assert with_bob.agent_id == bob_user.id and with_bob.assigned_at != first.assigned_at
        # Bob puts it back in the queue; it is assigned again to one of them.
        await bob.transfer(chat.id, to_agent=None)
        for _ in range(100):
            again = await store.get(chat.id)
            if again.status == "assigned" and again.assigned_at != with_bob.assigned_at:
                break
            await asyncio.sleep(0.05)
        assert again.status == "assigned" and again.assigned_at is not None
        assert again.assigned_at > with_bob.assigned_at > first.first_assigned_at  # assigned_at moved on twice...
        # ...the stats columns did not.
        assert again.handoff_at == first.handoff_at
        assert again.first_assigned_at == first.first_assigned_at
        assert again.first_response_at == answered.first_response_at
        assert again.first_responder_id == alice_user.id
    finally:
        await visitor.close()
        await alice.close()
        if bob is not None:
            await bob.close()


async def test_asking_for_a_person_sets_the_handoff(server) -> None:  # type: ignore[no-untyped-def]
    store = server.services.conversation_store
    visitor = VisitorClient(server.url)
    await visitor.connect()
    try:
        await visitor.handoff()
        update = await visitor.wait_queue()
        conversation = await store.get(update.conversation)
        assert conversation.status == "queued"
        assert conversation.handoff_at is not None and conversation.handoff_at == conversation.queued_at
        assert conversation.first_assigned_at is None
    finally:
        await visitor.close()
