"""Assignment across processes (issue 8, Done when; SECURITY case 26 at scale): 200 visitors arriving at once,
spread over 3 processes, and 10 agents of capacity 3 spread over them → exactly 30 chats assigned, none twice, no
agent over capacity, the other 170 queued in arrival order with the right positions, as the visitors and the staff
are told."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable

import pytest

from tests.support.cluster import Agent, Cluster, Visitor

VISITORS = 200
AGENTS = 10
CAPACITY = 3


async def _until(check: Callable[[], Awaitable[str | None]], timeout: float, what: str) -> None:
    """Polls ``check`` (None: satisfied, else why not) until satisfied; fails with the last reason."""
    reason: str | None = "never checked"
    try:
        async with asyncio.timeout(timeout):
            while (reason := await check()) is not None:
                await asyncio.sleep(0.2)
    except TimeoutError:
        pytest.fail(f"{what} within {timeout} s: {reason}")


async def _bounded(coros: list[Awaitable[object]], limit: int = 50) -> list[object]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Awaitable[object]) -> object:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


class Queue:
    """What the database says: the waiting conversations in queue order and who holds the rest."""

    def __init__(self, rows: list) -> None:  # type: ignore[type-arg]
        self.waiting = [row.id for row in rows if row.status == "queued"]
        self.held: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.status == "assigned":
                self.held[row.agent_id].add(row.id)
        self.statuses = Counter(row.status for row in rows)
        self.visitors = Counter(row.visitor_id for row in rows if row.status != "closed")


def _positions_told(visitors: list[Visitor], waiting: list[str]) -> str | None:
    place = {conversation: k + 1 for k, conversation in enumerate(waiting)}
    for visitor in visitors:
        if visitor.conversation in place:
            told = visitor.queue
            if told is None or told.conversation != visitor.conversation:
                return f"visitor of {visitor.conversation} was told no position"
            if told.position != place[visitor.conversation]:
                return f"visitor told position {told.position}, is {place[visitor.conversation]}"
    return None


def _waiting_shown(agents: list[Agent], waiting: list[str]) -> str | None:
    for agent in agents:
        frame = agent.waiting
        shown = [item.id for item in frame.conversations] if frame else []
        if shown != waiting:
            return f"{agent.email} shows {len(shown)} waiting, not the queue of {len(waiting)} in order"
        if frame and [item.position for item in frame.conversations] != list(range(1, len(waiting) + 1)):
            return f"{agent.email}: positions in the waiting frame are not 1..{len(waiting)}"
    return None


def _chat_lists(agents: list[Agent], ids: dict[str, str], queue: Queue) -> str | None:
    for agent in agents:
        mine = set(agent.chats)
        truth = queue.held.get(ids[agent.email or ""], set())
        if mine != truth:
            return f"{agent.email} lists {len(mine)} chats, holds {len(truth)} in the database"
    return None


@pytest.mark.timeout(180)
async def test_200_visitors_10_agents_3_processes(cluster: Cluster) -> None:
    emails = await cluster.add_agents(AGENTS, max_chats=CAPACITY)
    ids = await cluster.user_ids()
    agents = [cluster.agent(email, home=i % 3) for i, email in enumerate(emails)]
    await asyncio.gather(*(agent.connect() for agent in agents))
    visitors = [cluster.visitor(home=j % 3) for j in range(VISITORS)]
    await _bounded([visitor.connect() for visitor in visitors])

    # All at once: 200 first messages, a third on each process.
    acks = await asyncio.gather(*(v.send(f"visitor {j} needs help", timeout=60) for j, v in enumerate(visitors)))
    assert len({ack.conversation for ack in acks}) == VISITORS

    async def settled() -> str | None:
        queue = Queue(await cluster.conversations())
        if queue.statuses != Counter(assigned=AGENTS * CAPACITY, queued=VISITORS - AGENTS * CAPACITY):
            return f"statuses {dict(queue.statuses)}"
        return None

    await _until(settled, 30, "30 assigned and 170 queued")
    await asyncio.sleep(1.0)  # and it stays so (no late second assignment anywhere)
    queue = Queue(await cluster.conversations())
    assert queue.statuses == Counter(assigned=30, queued=170)
    assert set(queue.visitors.values()) == {1}  # one open conversation per visitor
    assert sorted(len(held) for held in queue.held.values()) == [CAPACITY] * AGENTS  # nobody over capacity
    assert set(queue.held) == {ids[email] for email in emails}
    every_held = [c for held in queue.held.values() for c in held]
    assert len(every_held) == len(set(every_held)) == 30  # none twice

    async def lists_agree() -> str | None:
        return _chat_lists(agents, ids, Queue(await cluster.conversations()))

    await _until(lists_agree, 10, "each agent lists exactly the chats the database gives them")
    shown = [c for agent in agents for c in agent.chats]
    assert len(shown) == len(set(shown)) == 30

    async def told() -> str | None:
        waiting = Queue(await cluster.conversations()).waiting
        return _positions_told(visitors, waiting) or _waiting_shown(agents, waiting)

    await _until(told, 20, "every waiting visitor told their place, every agent shown the queue in order")

    # Each agent ends one chat, all at the same moment on the 3 processes: the first 10 waiting are assigned,
    # exactly those, and everyone behind moves up 10 places.
    before = Queue(await cluster.conversations())
    ended = [min(agent.chats) for agent in agents]
    await asyncio.gather(*(agent.end(conversation) for agent, conversation in zip(agents, ended, strict=True)))

    async def moved_up() -> str | None:
        queue = Queue(await cluster.conversations())
        if queue.waiting != before.waiting[AGENTS:]:
            return f"{len(queue.waiting)} waiting; not the old queue minus its first {AGENTS}"
        if queue.statuses != Counter(assigned=30, queued=160, closed=10):
            return f"statuses {dict(queue.statuses)}"
        return None

    await _until(moved_up, 20, "the first 10 waiting assigned")
    after = Queue(await cluster.conversations())
    newly = {c for held in after.held.values() for c in held} - {c for held in before.held.values() for c in held}
    assert newly == set(before.waiting[:AGENTS])
    assert sorted(len(held) for held in after.held.values()) == [CAPACITY] * AGENTS

    async def told_again() -> str | None:
        queue = Queue(await cluster.conversations())
        return (
            _chat_lists(agents, ids, queue)
            or _positions_told(visitors, queue.waiting)
            or _waiting_shown(agents, queue.waiting)
        )

    await _until(told_again, 20, "lists, positions and waiting frames updated")
