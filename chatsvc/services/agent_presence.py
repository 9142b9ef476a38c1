"""Agent presence across processes: who is connected, in what status, with what capacity.

Each process keeps its own view of the agents connected to it (``presence``: their sockets here, the status they
chose) and writes it to the shared live state (``chatsvc/broker/live_state.py``: Redis, or memory for the embedded
single process) as a record plus a lease per process, renewed by a heartbeat. Whom a chat may go to is read from
the shared snapshot: an agent connected to any process counts. When the live state cannot be reached, this
process's own view stands in.

Grace: a sweeper in every process, once per heartbeat, finds agents holding chats with no live lease anywhere,
marks when they were first seen gone (``left_at``, once) and after ``agent_grace_seconds`` has assignment return
their chats to the queue (``Assignment.requeue_gone``). See docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Coroutine
from typing import Any, Protocol

from chatsvc.broker.live_state import AgentRecord, LiveState
from chatsvc.domain import protocol
from chatsvc.domain import queue as policy
from chatsvc.domain.model import AgentStatus
from chatsvc.errors import NotFound
from chatsvc.services.hub import Hub
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore

log = logging.getLogger("chatsvc.routing")


@dataclasses.dataclass
class Presence:
    """An agent as this process sees them: ``sockets`` counts their sockets connected here only."""

    user_id: str
    name: str
    status: AgentStatus
    capacity: int
    team_ids: frozenset[str]
    sockets: int = 0
    idle_since: float = dataclasses.field(default_factory=time.time)
    rev: float = dataclasses.field(default_factory=time.time)  # when status, capacity or teams last changed

    @property
    def online(self) -> bool:
        return self.status is AgentStatus.ONLINE and self.sockets > 0

    def record(self) -> AgentRecord:
        return AgentRecord(
            user_id=self.user_id, name=self.name, status=self.status.value, capacity=self.capacity,
            team_ids=self.team_ids, idle_since=self.idle_since, rev=self.rev, sockets=self.sockets,
        )

    def adopt(self, record: AgentRecord) -> None:
        """A newer record written through another process (a status chosen in another tab, a release)."""
        if record.status in AgentStatus._value2member_map_:
            self.status = AgentStatus(record.status)
        self.name, self.capacity, self.team_ids = record.name or self.name, record.capacity, record.team_ids
        self.idle_since, self.rev = record.idle_since, record.rev


class Assignment(Protocol):
    """What presence asks of assignment (``chatsvc.services.routing.Routing``)."""

    async def dispatch(self, *, wait: bool = True) -> None: ...

    async def release_all(self, agent_id: str, *, reason: str) -> None: ...

    async def requeue_gone(self, agent_id: str) -> None: ...


def agent_slots(agents: dict[str, AgentRecord], loads: dict[str, int]) -> list[policy.AgentSlot]:
    """Every agent's slot for the queue policy: assignment and the estimates read the same ones."""
    return [
        policy.AgentSlot(
            agent_id=a.user_id,
            online=a.online,
            load=loads.get(a.user_id, 0),
            capacity=a.capacity,
            idle_since=a.idle_since,
            team_ids=a.team_ids,
        )
        for a in agents.values()
    ]


class AgentPresence:
    def __init__(
        self,
        settings: Settings,
        conversations: ConversationStore,
        accounts: AccountStore,
        hub: Hub,
        live: LiveState,
        assignment: Assignment,
    ) -> None:
        self.settings = settings
        self.conversations = conversations
        self.accounts = accounts
        self.hub = hub
        self.live = live
        self.assignment = assignment
        self.presence: dict[str, Presence] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._stopping = False

    async def agents(self) -> dict[str, AgentRecord]:
        """Every agent as all processes see them (sockets: in every process). When the live state cannot be
        reached, or does not know an agent connected here yet (it came back empty), this process's view."""
        snapshot = await self.live.snapshot()
        if snapshot is None:
            return {user_id: p.record() for user_id, p in self.presence.items()}
        for user_id, presence in self.presence.items():
            record = snapshot.get(user_id)
            if record is None:
                snapshot[user_id] = presence.record()
                continue
            if record.rev > presence.rev:
                presence.adopt(record)
            if presence.sockets > 0 and record.sockets == 0:  # our lease is not written yet
                snapshot[user_id] = dataclasses.replace(record, sockets=presence.sockets)
        return snapshot

    async def any_online(self) -> bool:
        return any(record.online for record in (await self.agents()).values())

    async def agent_connected(self, user: records.User, status: AgentStatus) -> Presence:
        presence = self.presence.get(user.id)
        team_ids = await self.accounts.team_ids_of(user.id)
        capacity = user.max_chats or self.settings.default_capacity
        if presence is None:
            presence = Presence(user.id, user.name, status, capacity, team_ids)
            self.presence[user.id] = presence
        else:
            presence.capacity, presence.team_ids, presence.name = capacity, team_ids, user.name
        presence.sockets += 1
        await self.set_status(user.id, status)  # writes the record and this process's lease
        return presence

    async def refresh_agents(self, user_ids: list[str] | set[str] | tuple[str, ...]) -> None:
        """An admin changed capacity or team membership: apply it now, not at the agents' next connection,
        whichever process they are connected to."""
        changed = False
        agents = await self.agents()
        for user_id in user_ids:
            presence = self.presence.get(user_id)
            if presence is None and user_id not in agents:
                continue
            try:
                user = await self.accounts.get_user(user_id)
            except NotFound:
                continue
            capacity = user.max_chats or self.settings.default_capacity
            team_ids = await self.accounts.team_ids_of(user_id)
            if presence is not None:
                presence.capacity, presence.team_ids, presence.name = capacity, team_ids, user.name
                await self._change(presence)
            else:
                await self.live.update(user_id, capacity=capacity, teams=team_ids, name=user.name)
            await self.push_presence(user_id)
            changed = True
        if changed:
            await self.assignment.dispatch()

    def agent_disconnected(self, user_id: str) -> None:
        presence = self.presence.get(user_id)
        if presence is None:
            return
        presence.sockets = max(0, presence.sockets - 1)
        self.hub.changed()  # the managers' live panel shows who is connected
        if not self._stopping:
            self.spawn(self.live.put([presence.record()]))  # 0 sockets: this process's lease goes
        if presence.sockets == 0:
            log.info("agent %s disconnected; chats kept for %.0fs unless they come back (on any process)",
                     user_id, self.settings.agent_grace_seconds)

    async def set_status(self, user_id: str, status: AgentStatus) -> None:
        presence = self.presence[user_id]
        presence.status = status
        await self._change(presence)
        await self.accounts.update_user(user_id, status=status.value)
        if status is AgentStatus.OFFLINE:
            await self.assignment.release_all(user_id, reason="offline")
        await self.push_presence(user_id)
        await self.assignment.dispatch()

    async def _change(self, presence: Presence) -> None:
        """Write a change made here (and this process's lease). Its ``rev`` is stamped by the live state, on one
        clock for every process, later than whatever is stored: a change made here always lands, whatever this
        machine's clock says or whichever write reaches the store first, and a later change made elsewhere is
        adopted, never undone by this process's renewals."""
        presence.rev = time.time()  # stands while the live state cannot be reached
        rev = await self.live.change(presence.record())
        if rev is not None:
            presence.rev = rev

    async def load_of(self, user_id: str) -> int:
        return (await self.conversations.loads()).get(user_id, 0)

    async def push_presence(self, user_id: str) -> None:
        presence = self.presence.get(user_id)
        record = presence.record() if presence is not None else (await self.agents()).get(user_id)
        if record is None:
            return
        frame = protocol.PresenceUpdate(
            status=record.status, load=await self.load_of(user_id), capacity=record.capacity
        )
        await self.hub.publish_frame(f"user:{user_id}", frame)
        self.hub.changed()  # status, load or capacity: the managers' live panel shows them

    async def idle_from_now(self, agent_id: str) -> None:
        now = time.time()
        presence = self.presence.get(agent_id)
        if presence is not None:
            presence.idle_since = now
        await self.live.update(agent_id, idle_since=now)

    # --- heartbeat and the sweeper --------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Renew this process's leases and rewrite its agents' records (refilling a live state that came back
        empty)."""
        await self.live.put([p.record() for p in self.presence.values() if p.sockets > 0])

    async def sweep(self) -> None:
        """Agents holding chats with no live lease anywhere: mark when first seen gone; after the grace, their
        chats go back to the queue. The live state unreachable: nobody is judged gone."""
        snapshot = await self.live.snapshot()
        if snapshot is None:
            return
        loads = await self.conversations.loads()
        for agent_id, held in loads.items():
            record = snapshot.get(agent_id)
            local = self.presence.get(agent_id)
            if held <= 0 or (record is not None and record.connected) or (local is not None and local.sockets):
                continue
            elapsed = await self.live.mark_left(agent_id)
            if elapsed is None:
                return
            if elapsed >= self.settings.agent_grace_seconds:
                await self.assignment.requeue_gone(agent_id)
        for agent_id, record in snapshot.items():
            if record.left_at is not None and not record.connected and not loads.get(agent_id):
                await self.live.clear_left(agent_id)

    async def _beat(self) -> None:
        while True:
            try:
                await self.heartbeat()
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: try again at the next beat
                log.exception("presence heartbeat failed; trying again")
            await asyncio.sleep(self.settings.presence_heartbeat)

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """The heartbeat and the sweeper, once per ``presence_heartbeat``."""
        self._heartbeat_task = asyncio.create_task(self._beat(), name="chatsvc-presence-heartbeat")

    def spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stopping(self) -> tuple[asyncio.Task[None] | None, list[asyncio.Task[object]]]:
        """No more lease writes from here: the heartbeat and the tasks spawned, for the caller to cancel."""
        self._stopping = True
        return self._heartbeat_task, list(self._tasks)
