"""Races between processes in routing's shared presence, each process a ``Routing`` on one shared live store
(memory), with fakes for the database and the hub: what only timing decides, made deterministic."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from chatsvc.broker.live_state import MemoryLiveState, MemoryStore
from chatsvc.domain.model import AgentStatus
from chatsvc.services import agent_presence as presence_module
from chatsvc.services.routing import Routing
from chatsvc.settings import Settings


class _Conversations:
    def __init__(self) -> None:
        self.held: dict[str, int] = {}

    async def loads(self) -> dict[str, int]:
        return dict(self.held)

    async def queued(self) -> list[Any]:
        return []

    async def queued_with_version(self) -> tuple[int, list[Any]]:
        return 1, []

    async def queue_version(self) -> int:
        return 1

    async def assigned(self, agent_id: str | None = None) -> list[Any]:
        return []

    async def recent_handling_seconds(self) -> list[float]:
        return []

    async def first_visitor_messages(self, ids: list[str]) -> dict[str, str]:
        return {}

    async def visitor_names(self, ids: list[str]) -> dict[str, str]:
        return {}


class _Accounts:
    async def team_ids_of(self, user_id: str) -> frozenset[str]:
        return frozenset()

    async def update_user(self, user_id: str, **values: object) -> None:
        pass


class _Hub:
    async def publish_frame(self, *args: object, **kwargs: object) -> None:
        pass

    async def publish_stored(self, *args: object) -> None:
        pass

    async def tell_follow(self, *args: object, **kwargs: object) -> None:
        pass

    def changed(self, *args: object) -> None:
        pass


def _process(store: MemoryStore, name: str, conversations: _Conversations) -> Routing:
    settings = Settings(agent_grace_seconds=0.0, presence_heartbeat=0.2, presence_ttl=0.6)
    live = MemoryLiveState(ttl=settings.presence_ttl, process_id=name, store=store)
    return Routing(settings, conversations, _Accounts(), SimpleNamespace(), _Hub(), time.time,  # type: ignore[arg-type]
                   live=live)


USER = SimpleNamespace(id="u1", name="Ann", max_chats=3)


@pytest.fixture
def two() -> tuple[Routing, Routing, _Conversations]:
    store, conversations = MemoryStore(), _Conversations()
    return _process(store, "a", conversations), _process(store, "b", conversations), conversations


async def test_a_status_chosen_on_a_machine_whose_clock_is_behind_is_not_undone(
    two: tuple[Routing, Routing, _Conversations], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = two
    await a.agent_connected(USER, AgentStatus.ONLINE)  # type: ignore[arg-type]
    # The agent's second tab is on process b, whose machine's clock is 5 s behind a's.
    behind = SimpleNamespace(time=lambda: time.time() - 5.0, monotonic=time.monotonic)
    monkeypatch.setattr(presence_module, "time", behind)
    await b.agent_connected(USER, AgentStatus.ONLINE)  # type: ignore[arg-type]
    await b.set_status("u1", AgentStatus.AWAY)  # chosen after a's change: it must win
    monkeypatch.undo()
    await a.heartbeat()  # a renews its lease with the record as a knows it
    assert (await a.agents())["u1"].status == "away"
    assert (await b.agents())["u1"].status == "away"
    assert a.presence["u1"].status is AgentStatus.AWAY


async def test_a_status_change_landing_after_an_assignment_s_idle_update_is_kept(
    two: tuple[Routing, Routing, _Conversations]
) -> None:
    a, b, _ = two
    await a.agent_connected(USER, AgentStatus.ONLINE)  # type: ignore[arg-type]
    # a's agent chooses away (a stamps its change) while b assigns them a chat; b's idle_since update reaches the
    # store first, a's change right after.
    live: Any = a.live
    writes = {name: getattr(live, name) for name in ("put", "change") if hasattr(live, name)}

    def after_b_update(write: Any) -> Any:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            await b.live.update("u1", idle_since=time.time())
            return await write(*args, **kwargs)
        return wrapped

    for name, write in writes.items():  # whichever a uses to write its change
        setattr(live, name, after_b_update(write))
    await a.set_status("u1", AgentStatus.AWAY)
    for name in writes:
        delattr(live, name)
    assert (await b.agents())["u1"].status == "away"
    assert (await a.agents())["u1"].status == "away"
    assert a.presence["u1"].status is AgentStatus.AWAY


async def test_an_agent_reconnecting_as_the_sweeper_requeues_them_stays_online(
    two: tuple[Routing, Routing, _Conversations]
) -> None:
    a, b, conversations = two
    conversations.held["u1"] = 1  # holds a chat, connected nowhere: the grace (0 s here) is over
    real_snapshot = a.live.snapshot
    calls = 0

    async def snapshot_then_reconnect() -> Any:
        nonlocal calls
        calls += 1
        result = await real_snapshot()
        if calls == 2:  # the re-check under the lock: the agent's socket reaches b just after it
            await b.agent_connected(USER, AgentStatus.ONLINE)  # type: ignore[arg-type]
        return result

    a.live.snapshot = snapshot_then_reconnect  # type: ignore[method-assign]
    await a.sweep()
    a.live.snapshot = real_snapshot  # type: ignore[method-assign]
    assert calls >= 2
    # Connected on b, who told them they are online: b must still see them online, not adopt a's "offline".
    assert b.presence["u1"].sockets == 1
    assert (await b.agents())["u1"].online
    assert b.presence["u1"].status is AgentStatus.ONLINE
