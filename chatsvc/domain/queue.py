"""Queue and assignment policy, pure: who waits where, who gets the next chat, how long the wait is.

- Queue order: higher priority first, then chats handed back by an agent who left (they go to the front),
  then first come, first served.
- A conversation with a team (from its topic) waits for that team's agents; one without waits in the general
  queue, which any agent serves. A visitor's position counts only those ahead in the same queue.
- The next chat goes to an eligible agent (online, below capacity, in the team when there is one): the least
  loaded, ties broken by who has been idle longest.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Iterable, Sequence

DEFAULT_HANDLING_SECONDS = 300.0  # until real chats have been closed, assume five minutes each


@dataclasses.dataclass(frozen=True)
class Waiting:
    conversation_id: str
    team_id: str | None
    priority: int
    front: bool
    queued_at: float  # unix seconds


@dataclasses.dataclass(frozen=True)
class AgentSlot:
    agent_id: str
    online: bool
    load: int
    capacity: int
    idle_since: float  # unix seconds of the last assignment or release; earlier is "idle longer"
    team_ids: frozenset[str] = frozenset()

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.load) if self.online else 0

    def can_take(self, team_id: str | None) -> bool:
        return self.free > 0 and (team_id is None or team_id in self.team_ids)

    def serves(self, team_id: str | None) -> bool:
        return self.online and (team_id is None or team_id in self.team_ids)


def queue_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    return sorted(waiting, key=lambda w: (-w.priority, not w.front, w.queued_at, w.conversation_id))


def choose_agent(team_id: str | None, agents: Iterable[AgentSlot]) -> AgentSlot | None:
    eligible = [agent for agent in agents if agent.can_take(team_id)]
    if not eligible:
        return None
    return min(eligible, key=lambda a: (a.load, a.idle_since, a.agent_id))


def plan_assignments(waiting: Iterable[Waiting], agents: Iterable[AgentSlot], now: float) -> list[tuple[str, str]]:
    """(conversation id, agent id) pairs to assign, in queue order, never exceeding any agent's capacity."""
    slots = {agent.agent_id: agent for agent in agents}
    plan: list[tuple[str, str]] = []
    for item in queue_order(waiting):
        agent = choose_agent(item.team_id, slots.values())
        if agent is None:
            continue  # this queue is full; another team's queue behind it may still move
        plan.append((item.conversation_id, agent.agent_id))
        slots[agent.agent_id] = dataclasses.replace(agent, load=agent.load + 1, idle_since=now)
    return plan


def positions(waiting: Iterable[Waiting]) -> dict[str, int]:
    """1-based place of each conversation within its own queue (its team's, or the general one)."""
    seen: dict[str | None, int] = {}
    result: dict[str, int] = {}
    for item in queue_order(waiting):
        seen[item.team_id] = seen.get(item.team_id, 0) + 1
        result[item.conversation_id] = seen[item.team_id]
    return result


def typical_handling_seconds(recent: Sequence[float]) -> float:
    """The median of recent handling times (robust to one chat left open all afternoon)."""
    cleaned = [seconds for seconds in recent if seconds > 0]
    return statistics.median(cleaned) if cleaned else DEFAULT_HANDLING_SECONDS


def estimate_wait(position: int, handling_seconds: float, serving_slots: int, free_slots: int = 0) -> int | None:
    """Seconds until a person answers the visitor at ``position``; None when nobody could (no agent online).

    ``serving_slots`` is the total capacity of the online agents who serve this queue: together they finish a
    chat every ``handling_seconds / serving_slots`` seconds on average, and the visitor needs ``position`` of
    those (fewer when slots are free right now).
    """
    if serving_slots <= 0:
        return None
    needed = max(0, position - free_slots)
    if needed == 0:
        return 0
    return int(math.ceil(needed * handling_seconds / serving_slots))
