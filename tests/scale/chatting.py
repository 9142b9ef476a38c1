"""A conversation under fire: both sides write while something fails, then the screens and the stored transcript
are compared (the delivery promise of ../shared/SECURITY.md, last section; case 27)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from chatsvc.client import AgentClient, VisitorClient
from chatsvc.domain import protocol
from tests.support.cluster import Cluster, same_screens

Disruption = Callable[[], Awaitable[None]]


async def pair(cluster: Cluster, *, visitor_home: int, agent_home: int) -> tuple[VisitorClient, AgentClient, str]:
    """An agent on ``agent_home`` holding the chat of a visitor on ``visitor_home``; the conversation id."""
    [email] = await cluster.add_agents(1, prefix=f"pair{visitor_home}{agent_home}x")
    agent = cluster.agent(email, home=agent_home)
    await agent.connect()
    visitor = cluster.visitor(home=visitor_home)
    await visitor.connect()
    ack = await visitor.send("hello", timeout=20)
    chat = await agent.wait_chat(timeout=20)
    assert chat.id == ack.conversation
    await agent.wait_event(text="hello", timeout=20)
    return visitor, agent, ack.conversation


async def _write(
    send: Callable[[str], Awaitable[protocol.Ack]], prefix: str, count: int, calm: asyncio.Event, *,
    at: int | None = None, disruption: Disruption | None = None, started: list[asyncio.Task[None]] | None = None,
    gap: float = 0.01, after: int = 20,
) -> list[tuple[str, protocol.Ack]]:
    """At least ``count`` messages with random gaps of 0 to ``gap`` seconds, several in flight at once (not waiting
    for each ack); the writer goes on until the disruption is over and ``after`` more were sent since."""
    rng = random.Random(prefix)
    tasks: list[tuple[str, asyncio.Future[protocol.Ack]]] = []
    i = sent_calm = 0
    while i < count or not calm.is_set() or sent_calm < after:
        if i == at and disruption is not None and started is not None:
            started.append(asyncio.ensure_future(_then_set(disruption, calm)))
        if calm.is_set():
            sent_calm += 1
        text = f"{prefix}{i}"
        tasks.append((text, asyncio.ensure_future(send(text))))
        i += 1
        await asyncio.sleep(rng.uniform(0, gap))
    return [(text, await task) for text, task in tasks]


async def _then_set(disruption: Disruption, calm: asyncio.Event) -> None:
    try:
        await disruption()
    finally:
        calm.set()


async def converse_through(
    cluster: Cluster, visitor: VisitorClient, agent: AgentClient, conversation: str, disruption: Disruption, *,
    count: int = 200, at: int = 100, gap: float = 0.01, ack_timeout: float = 60.0,
) -> None:
    """Both sides send ``count`` messages or more; when the visitor has sent ``at`` of them ``disruption`` runs, and
    both go on until it is over (and 20 more each). Afterwards: every acknowledged message is on both screens once,
    in order, and the screens equal the stored transcript."""
    started: list[asyncio.Task[None]] = []
    calm = asyncio.Event()

    async def from_visitor(text: str) -> protocol.Ack:
        return await visitor.send(text, timeout=ack_timeout)

    async def from_agent(text: str) -> protocol.Ack:
        return await agent.send(conversation, text, timeout=ack_timeout)

    visitor_acks, agent_acks = await asyncio.gather(
        _write(from_visitor, "v", count, calm, at=at, disruption=disruption, started=started, gap=gap),
        _write(from_agent, "a", count, calm, gap=gap),
    )
    for task in started:
        await task
    acks = visitor_acks + agent_acks
    assert all(ack.conversation == conversation for _, ack in acks)
    seqs = [ack.seq for _, ack in acks]
    assert len(set(seqs)) == len(seqs), "two messages acknowledged with one seq"

    # Both screens catch up with the last acknowledged seq.
    last = max(seqs)
    async with asyncio.timeout(30):
        while min(visitor.last_seq.get(conversation, 0), agent.last_seq.get(conversation, 0)) < last:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # anything after it (there should be nothing) arrives too

    stored = [(e["seq"], e["kind"], e.get("text")) for e in await cluster.transcript(conversation)]
    shown = same_screens([visitor, agent], conversation)
    assert shown == stored
    by_seq = {seq: text for seq, _, text in stored}
    for text, ack in acks:
        assert by_seq.get(ack.seq) == text, f"ack of {text!r} says seq {ack.seq}, stored: {by_seq.get(ack.seq)!r}"
    texts = [text for _, kind, text in stored if kind == "message"]
    for text, _ in acks:
        assert texts.count(text) == 1, f"{text!r} stored {texts.count(text)} times"
    assert visitor.gaps == 0 and agent.gaps == 0
