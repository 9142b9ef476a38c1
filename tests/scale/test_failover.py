"""Process death (issue 8, Done when; SECURITY case 27): process A is SIGKILLed mid-conversation. Its clients
reconnect to another process and resume by seq: every acknowledged message is on both screens once, in order, and
equals the stored transcript. An agent who does not come back: their presence expires and their chats return to
the queue after the grace period."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.scale.chatting import converse_through, pair
from tests.support.cluster import Cluster

A = 0


@pytest.mark.parametrize("on_a", ["visitor", "agent", "both"])
async def test_sigkill_mid_conversation_loses_nothing(cluster: Cluster, on_a: str) -> None:
    visitor_home = A if on_a in ("visitor", "both") else 1
    agent_home = A if on_a in ("agent", "both") else 2
    visitor, agent, conversation = await pair(cluster, visitor_home=visitor_home, agent_home=agent_home)

    await converse_through(cluster, visitor, agent, conversation, lambda: cluster.kill(A))

    moved = [c for c, home in ((visitor, visitor_home), (agent, agent_home)) if home == A]
    assert all(client.connections >= 2 for client in moved)  # they reconnected elsewhere
    # The agent came back within the grace period: the chat is still theirs.
    assert conversation in agent.chats
    rows = {row.id: row for row in await cluster.conversations()}
    assert rows[conversation].status == "assigned"
    assert rows[conversation].agent_id == (await cluster.user_ids())[agent.email or ""]


async def _connected_agents(cluster: Cluster, token: str, index: int) -> set[str]:
    async with httpx.AsyncClient(base_url=cluster.processes[index].url, timeout=10) as http:
        response = await http.get("/api/console/agents", headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        return {agent["id"] for agent in response.json()["agents"]}


async def test_killed_process_agent_expires_and_chats_return_to_the_queue(cluster: Cluster) -> None:
    alice_email, bob_email = await cluster.add_agents(2, max_chats=1)
    ids = await cluster.user_ids()
    alice = cluster.agent(alice_email, home=A)
    await alice.connect()
    visitor = cluster.visitor(home=1)
    await visitor.connect()
    ack = await visitor.send("help me", timeout=20)
    assert (await alice.wait_chat(timeout=20)).id == ack.conversation

    bob = cluster.agent(bob_email, home=2)
    await bob.connect()
    # Presence is shared: Bob, on another process, sees Alice connected.
    async with asyncio.timeout(5):
        while ids[alice_email] not in await _connected_agents(cluster, bob.token or "", 2):
            await asyncio.sleep(0.1)

    alice.reconnect = False  # Alice does not come back
    await cluster.kill(A)
    killed_at = time.monotonic()

    # Her presence expires (lease TTL 0.6 s, heartbeat 0.2 s)...
    async with asyncio.timeout(5):
        while ids[alice_email] in await _connected_agents(cluster, bob.token or "", 2):
            await asyncio.sleep(0.1)
    # ...and after the grace (2 s) her chat returns to the queue, where Bob (free) takes it.
    chat = await bob.wait_chat(timeout=20)
    elapsed = time.monotonic() - killed_at
    assert chat.id == ack.conversation
    assert elapsed >= 1.8, f"requeued {elapsed:.1f} s after the kill, before the 2 s grace"
    rows = {row.id: row for row in await cluster.conversations()}
    assert rows[ack.conversation].agent_id == ids[bob_email]
    # The visitor, on a process that never died, goes on with Bob.
    await visitor.send("still there?")
    await bob.wait_event(text="still there?", timeout=10)
    reply = await bob.send(ack.conversation, "yes, Bob here")
    assert (await visitor.wait_event(text="yes, Bob here", timeout=10)).seq == reply.seq
