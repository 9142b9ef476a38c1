"""Agent presence, the queue and assignment, shared by every server process.

Presence: each process keeps its own view of the agents connected to it (``presence``: their sockets here, the
status they chose) and writes it to the shared live state (``chatsvc/broker/live_state.py``: Redis, or memory for
the embedded single process) as a record plus a lease per process, renewed by a heartbeat. Whom a chat may go to
is read from the shared snapshot: an agent connected to any process counts. When the live state cannot be
reached, this process's own view stands in.

Assignment: every change that can alter who holds what (automatic assignment, a pick, a transfer, a release)
runs under one cluster lock (``Database.cluster_lock``: a PostgreSQL advisory lock across processes), reading the
queue and the loads from the database inside it, and each assignment is a conditional write (``status`` must still
be ``queued``), so a waiting visitor goes to exactly one agent and no agent exceeds capacity. Only the decisions
and the database writes happen under the lock; what is told (the events, the agents' chat lists and presence, the
queue positions and the staff's queue view) is published after it is released, so a slow broker never holds up
another process's assignments. Dispatch is coalesced per process: requests arriving while a pass runs are served
by one next pass (``dispatch``).

Grace: a sweeper in every process, once per heartbeat, finds agents holding chats with no live lease anywhere,
marks when they were first seen gone (``left_at``, once) and after ``agent_grace_seconds`` returns their chats to
the queue. See docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable

import msgspec

from chatsvc.broker.live_state import AgentRecord, LiveState, MemoryLiveState, QueueMirror
from chatsvc.domain import protocol
from chatsvc.domain import queue as policy
from chatsvc.domain.model import (
    AgentStatus,
    ConversationStatus,
    EventKind,
    check_transition,
)
from chatsvc.errors import InvalidState, NotFound, OverCapacity
from chatsvc.services.clock import Clock
from chatsvc.services.directory import Directory
from chatsvc.services.frames import iso
from chatsvc.services.hub import Envelope, Hub
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import Applied, ConversationStore, NewEvent
from chatsvc.store.database import Database

log = logging.getLogger("chatsvc.routing")

_HANDLING_CACHE_SECONDS = 30.0
FIRST_MESSAGE_CHARS = 200  # of the visitor's first message, in the staff's queue view
STAFF_CHANNEL = "staff"  # every staff socket listens here (the waiting queue)
DISPATCH_LOCK = "dispatch"


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


class Routing:
    def __init__(
        self,
        settings: Settings,
        conversations: ConversationStore,
        accounts: AccountStore,
        directory: Directory,
        hub: Hub,
        clock: Clock,
        live: LiveState | None = None,
        db: Database | None = None,
    ) -> None:
        self.settings = settings
        self.conversations = conversations
        self.accounts = accounts
        self.directory = directory
        self.hub = hub
        self.clock = clock
        self.live: LiveState = live if live is not None else MemoryLiveState(ttl=settings.presence_ttl)
        self.db = db
        self.presence: dict[str, Presence] = {}
        self._lock = asyncio.Lock()
        self._queue_seen: dict[str, tuple[int, int | None, int]] = {}
        self._waiting_seen: protocol.Waiting | None = None  # the staff's queue view as last published
        self._waiting_published: int | None = None  # the version of the view this process published last
        self._waiting_last: protocol.Waiting | None = None  # the newest view built or heard (by version)
        self._first_messages: dict[str, str] = {}  # a waiting chat's first message never changes: kept
        self._handling: tuple[float, float] = (0.0, policy.DEFAULT_HANDLING_SECONDS)
        self._tasks: set[asyncio.Task[None]] = set()
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_pass: asyncio.Future[None] | None = None  # the pass requested and not started yet
        self._runner: asyncio.Task[None] | None = None  # runs passes while one is requested
        self.passes = 0  # passes run by this process (tests, diagnostics)
        self.on_requeue: Callable[[str], None] | None = None

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """The dispatch lock: across processes on one database, else this process's."""
        if self.db is None:
            async with self._lock:
                yield
        else:
            async with self.db.cluster_lock(DISPATCH_LOCK):
                yield

    # --- presence ------------------------------------------------------------------------------------

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
            await self.dispatch()

    def agent_disconnected(self, user_id: str) -> None:
        presence = self.presence.get(user_id)
        if presence is None:
            return
        presence.sockets = max(0, presence.sockets - 1)
        self.hub.changed()  # the managers' live panel shows who is connected
        if not self._stopping:
            self._spawn(self.live.put([presence.record()]))  # 0 sockets: this process's lease goes
        if presence.sockets == 0:
            log.info("agent %s disconnected; chats kept for %.0fs unless they come back (on any process)",
                     user_id, self.settings.agent_grace_seconds)

    async def set_status(self, user_id: str, status: AgentStatus) -> None:
        presence = self.presence[user_id]
        presence.status = status
        await self._change(presence)
        await self.accounts.update_user(user_id, status=status.value)
        if status is AgentStatus.OFFLINE:
            await self.release_all(user_id, reason="offline")
        await self.push_presence(user_id)
        await self.dispatch()

    async def _change(self, presence: Presence) -> None:
        """Write a change made here (and this process's lease). Its ``rev`` is stamped by the live state, on one
        clock for every process, later than whatever is stored: a change made here always lands, whatever this
        machine's clock says or whichever write reaches the store first, and a later change made elsewhere is
        adopted, never undone by this process's renewals."""
        presence.rev = time.time()  # stands while the live state cannot be reached
        rev = await self.live.change(presence.record())
        if rev is not None:
            presence.rev = rev

    async def shared_loads(self) -> dict[str, int]:
        """Open chats per agent for readers (the transfer list, the live panel): the mirror the last dispatch
        wrote, else the database (and the mirror is rebuilt)."""
        mirror = await self.live.get_mirror()
        if mirror is not None:
            return dict(mirror.loads)
        version, waiting = await self.conversations.queued_with_version()
        loads = await self.conversations.loads()
        await self.live.put_mirror(_mirror(version, waiting, loads))
        return loads

    async def available_agents(self) -> list[dict[str, object]]:
        """Staff connected to any process and online or away, with their load: whom a chat may be transferred
        to (only those online with a free slot accept one)."""
        agents = await self.agents()
        loads = await self.shared_loads()
        return [
            {
                "id": a.user_id,
                "name": a.name,
                "status": a.status,
                "load": loads.get(a.user_id, 0),
                "capacity": a.capacity,
                "teams": sorted(a.team_ids),
            }
            for a in sorted(agents.values(), key=lambda a: (a.name.casefold(), a.user_id))
            if a.connected and a.status in (AgentStatus.ONLINE.value, AgentStatus.AWAY.value)
        ]

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
                await self._requeue_gone(agent_id)
        for agent_id, record in snapshot.items():
            if record.left_at is not None and not record.connected and not loads.get(agent_id):
                await self.live.clear_left(agent_id)

    async def _requeue_gone(self, agent_id: str) -> None:
        async with self._locked():
            snapshot = await self.live.snapshot()
            if snapshot is None:
                return
            record = snapshot.get(agent_id)
            local = self.presence.get(agent_id)
            if (record is not None and record.connected) or (local is not None and local.sockets):
                return  # back meanwhile
            log.info("agent %s did not come back; returning their chats to the queue", agent_id)
            # Only if still gone when written: a socket reaching another process right after the check above
            # has been told it is online there, and that process would adopt a newer "offline".
            await self.live.update(agent_id, only_if_gone=True, status=AgentStatus.OFFLINE.value)
            if local is not None:
                local.status = AgentStatus.OFFLINE  # its rev left alone: the shared record is adopted over it
            released = await self._release_all_locked(agent_id, reason="disconnected")
            await self.live.clear_left(agent_id)
        await self._announce(released)
        await self.dispatch()  # a pass of its own: it reads the queue afresh under the lock
        self.hub.changed()

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

    async def after_resync(self) -> None:
        """The broker's Redis is back (perhaps empty): our leases and records at once, then a dispatch, which
        rebuilds the queue mirror from the database."""
        try:
            await self.heartbeat()
            await self.dispatch()
        except Exception:  # the next heartbeat tries again
            log.warning("could not rebuild the live state after a broker outage; the next heartbeat will",
                        exc_info=True)

    # --- assignment ----------------------------------------------------------------------------------

    async def dispatch(self, *, wait: bool = True) -> None:
        """Give waiting visitors to free agents, then tell every waiting visitor where they stand.

        Coalesced: a request while a pass runs (or is already requested) joins the next pass, which reads the queue
        afresh, so N arrivals at once cost about two passes, not N. ``wait``: return once a pass that started
        after this request has finished (its assignments written and announced); else return at once (the
        request is remembered: the pass follows)."""
        pending = self._request_pass()
        if wait:
            await asyncio.shield(pending)  # a waiter cancelled must not cancel the pass others wait for

    def _request_pass(self) -> asyncio.Future[None]:
        if self._next_pass is None:
            self._next_pass = asyncio.get_running_loop().create_future()
        if self._runner is None:
            self._runner = asyncio.create_task(self._run_passes(), name="chatsvc-dispatch")
        return self._next_pass

    async def _run_passes(self) -> None:
        try:
            while self._next_pass is not None:
                current, self._next_pass = self._next_pass, None
                try:
                    await self._pass()
                except asyncio.CancelledError:
                    current.cancel()
                    raise
                except Exception as exc:  # the database or broker away: the next request tries again
                    log.warning("a dispatch pass failed", exc_info=True)
                    current.set_exception(exc)
                    current.exception()  # retrieved: nobody may be waiting (a visitor's ack did not)
                else:
                    current.set_result(None)
        finally:
            self._runner = None
            if self._next_pass is not None:  # cancelled (stopping) with a request pending
                self._next_pass.cancel()
                self._next_pass = None

    async def _pass(self) -> None:
        """One dispatch: decide and write under the cluster lock, then tell (nothing published under it)."""
        self.passes += 1
        async with self._locked():
            decided = await self._dispatch_locked()
        await self._announce(decided.changes)
        await self._publish_queue(decided)

    async def _dispatch_locked(self) -> _Decided:
        """Under the lock: the plan, the assignments (database writes), and the mirror of what follows them."""
        agents = await self.agents()
        version, waiting = await self.conversations.queued_with_version()
        loads = await self.conversations.loads()
        plan = policy.plan_assignments([_waiting(c) for c in waiting], self._slots(agents, loads), time.time())
        changes: list[_Change] = []
        for conversation_id, agent_id in plan:
            try:
                applied = await self._assign(conversation_id, agents[agent_id], expect=ConversationStatus.QUEUED)
            except (InvalidState, NotFound):
                continue  # closed or taken meanwhile
            changes.append(_Change(applied, to_agent=agent_id))
        if plan:  # something may have been assigned: the queue and the loads as they are now
            version, waiting = await self.conversations.queued_with_version()
            loads = await self.conversations.loads()
        await self.live.put_mirror(_mirror(version, waiting, loads))
        return _Decided(changes, agents, version, waiting, loads)

    @staticmethod
    def _slots(agents: dict[str, AgentRecord], loads: dict[str, int]) -> list[policy.AgentSlot]:
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

    async def slots(self, loads: dict[str, int]) -> list[policy.AgentSlot]:
        """Every agent's slot as all processes see them, for estimates (the live panel)."""
        return self._slots(await self.agents(), loads)

    async def pick(self, agent_id: str, conversation_id: str) -> Applied:
        async with self._locked():
            conversation = await self.conversations.get(conversation_id)
            agent = (await self.agents()).get(agent_id)
            if agent is None or conversation.status != ConversationStatus.QUEUED.value:
                raise InvalidState("That conversation is not waiting in the queue.")
            if conversation.team_id is not None and conversation.team_id not in agent.team_ids:
                raise NotFound()
            if await self.load_of(agent_id) >= agent.capacity:
                raise OverCapacity()
            applied = await self._assign(conversation_id, agent, expect=ConversationStatus.QUEUED)
        await self._announce([_Change(applied, to_agent=agent_id)])
        await self.dispatch(wait=False)  # the queue moved: its positions and view follow
        return applied

    async def transfer(
        self, from_agent: str, conversation_id: str, to_agent: str | None, note: str | None,
        *, author_role: str = "agent",
    ) -> Applied:
        """Hand the chat to ``to_agent``, or back to the queue. The handover ``note`` is for staff: it is stored
        as a ``note`` event just before the transfer, never in the transfer event the visitor receives."""
        async with self._locked():
            conversation = await self.conversations.get(conversation_id)
            if conversation.status != ConversationStatus.ASSIGNED.value or conversation.agent_id != from_agent:
                raise NotFound()
            handover = await self._handover_note(from_agent, author_role, note)
            if to_agent is None:
                applied = await self._release(
                    conversation, reason="transferred", actor=from_agent, before=handover
                )
                change = _Change(applied, from_agent=from_agent)
            else:
                target = (await self.agents()).get(to_agent)
                if target is None or not target.online or to_agent == from_agent:
                    raise InvalidState("That agent is not online.")
                if await self.load_of(to_agent) >= target.capacity:
                    raise OverCapacity("That agent has no free capacity.")
                applied = await self._assign(
                    conversation_id,
                    target,
                    expect=ConversationStatus.ASSIGNED,
                    kind=EventKind.TRANSFERRED,
                    extra={"from_agent": from_agent},
                    before=handover,
                )
                change = _Change(applied, to_agent=to_agent, from_agent=from_agent)
        await self._announce([change])
        await self.dispatch()
        return applied

    async def release_all(self, agent_id: str, *, reason: str) -> None:
        async with self._locked():
            released = await self._release_all_locked(agent_id, reason=reason)
        await self._announce(released)

    async def _release_all_locked(self, agent_id: str, *, reason: str) -> list[_Change]:
        released = []
        for conversation in await self.conversations.assigned(agent_id):
            try:
                applied = await self._release(conversation, reason=reason, actor=None)
            except (InvalidState, NotFound):
                continue
            released.append(_Change(applied, from_agent=conversation.agent_id))
        return released

    async def _announce(self, changes: list[_Change]) -> None:
        """After the lock: each change's events (in seq order), then the chat lists and presence it alters."""
        for change in changes:
            await self.hub.publish_stored(change.applied.events)
            conversation = change.applied.conversation
            if change.from_agent is not None:
                await self.push_chat(conversation, change.from_agent, mine=False)
                await self.push_presence(change.from_agent)
            if change.to_agent is not None:
                await self.push_chat(conversation, change.to_agent, mine=True)
                await self.push_presence(change.to_agent)

    async def after_close(self, conversation: records.Conversation) -> None:
        """A chat ended: free its agent's slot (and tell them), give the slot to the next visitor."""
        if conversation.agent_id is not None:
            await self._idle_from_now(conversation.agent_id)
            await self.push_chat(conversation, conversation.agent_id, mine=False)
            await self.push_presence(conversation.agent_id)
        self._queue_seen.pop(conversation.id, None)
        await self.dispatch()

    async def _idle_from_now(self, agent_id: str) -> None:
        now = time.time()
        presence = self.presence.get(agent_id)
        if presence is not None:
            presence.idle_since = now
        await self.live.update(agent_id, idle_since=now)

    async def _assign(
        self,
        conversation_id: str,
        agent: AgentRecord,
        *,
        expect: ConversationStatus,
        kind: EventKind = EventKind.ASSIGNED,
        extra: dict[str, object] | None = None,
        before: list[NewEvent] | None = None,
    ) -> Applied:
        """Under the lock: the conditional write. The caller announces it (``_announce``) after the lock."""
        agent_id = agent.user_id
        now = self.clock()

        def check(current: records.Conversation) -> None:
            if current.status != expect.value:
                raise InvalidState()
            check_transition(ConversationStatus(current.status), ConversationStatus.ASSIGNED)

        def changes(current: records.Conversation) -> dict[str, object]:
            values: dict[str, object] = {"status": ConversationStatus.ASSIGNED.value, "agent_id": agent_id,
                                         "assigned_at": now, "queue_front": False}
            if current.first_assigned_at is None:  # the first only: waits and handling time count from it
                values["first_assigned_at"] = now
            return values

        applied = await self.conversations.apply(
            conversation_id,
            [
                *(before or []),
                NewEvent(
                    kind=kind.value,
                    author_role="system",
                    author_id=None,
                    author_name="chatsvc",
                    data={"agent_id": agent_id, "agent_name": agent.name, **(extra or {})},
                )
            ],
            now=now,
            check=check,
            changes=changes,
            participant=agent_id,
        )
        await self.live.clear_mirror()  # the loads changed: readers go to the database until the next mirror
        await self._idle_from_now(agent_id)
        self._queue_seen.pop(conversation_id, None)
        log.info("conversation %s assigned to agent %s", conversation_id, agent_id)
        return applied

    async def _release(
        self, conversation: records.Conversation, *, reason: str, actor: str | None,
        before: list[NewEvent] | None = None,
    ) -> Applied:
        agent_id = conversation.agent_id

        def check(current: records.Conversation) -> None:
            if current.status != ConversationStatus.ASSIGNED.value or current.agent_id != agent_id:
                raise InvalidState()

        data: dict[str, object] = {"agent_id": agent_id, "reason": reason}
        applied = await self.conversations.apply(
            conversation.id,
            [*(before or []), NewEvent(kind=EventKind.REQUEUED.value, author_role="system", author_id=actor,
                                       author_name="chatsvc", data=data)],
            now=self.clock(),
            check=check,
            # Back to the front: the visitor already waited once.
            changes={"status": ConversationStatus.QUEUED.value, "agent_id": None, "queue_front": True},
        )
        await self.live.clear_mirror()
        log.info("conversation %s returned to the queue (%s)", conversation.id, reason)
        return applied

    async def _handover_note(self, author_id: str, author_role: str, note: str | None) -> list[NewEvent]:
        text = (note or "").strip()
        if not text:
            return []
        presence = self.presence.get(author_id)
        person = None if presence else await self.directory.staff_person(author_id)
        name = presence.name if presence else (person.name if person else "")
        return [NewEvent(kind=EventKind.NOTE.value, author_role=author_role, author_id=author_id, author_name=name,
                         body=text, data={"handover": True})]

    async def push_chat(self, conversation: records.Conversation, agent_id: str, *, mine: bool) -> None:
        info = await self.directory.info(conversation, for_staff=True)
        await self.hub.publish_frame(f"user:{agent_id}", protocol.ChatUpdate(conversation=info, mine=mine))
        await self.hub.tell_follow(f"user:{agent_id}", conversation.id, follow=mine)

    # --- the waiting visitor's view ------------------------------------------------------------------

    async def _handling_seconds(self) -> float:
        fetched_at, value = self._handling
        if time.monotonic() - fetched_at > _HANDLING_CACHE_SECONDS:
            value = policy.typical_handling_seconds(await self.conversations.recent_handling_seconds())
            self._handling = (time.monotonic(), value)
        return value

    async def queue_updates(
        self, waiting: list[records.Conversation], agents: dict[str, AgentRecord] | None = None,
        loads: dict[str, int] | None = None,
    ) -> dict[str, protocol.QueueUpdate]:
        items = [_waiting(c) for c in waiting]
        places = policy.positions(items)
        if loads is None:
            loads = await self.conversations.loads()
        slots = self._slots(agents if agents is not None else await self.agents(), loads)
        handling = await self._handling_seconds()
        updates: dict[str, protocol.QueueUpdate] = {}
        for item in items:
            serving = [s for s in slots if s.serves(item.team_id)]
            updates[item.conversation_id] = protocol.QueueUpdate(
                conversation=item.conversation_id,
                position=places[item.conversation_id],
                estimated_wait=policy.estimate_wait(
                    places[item.conversation_id],
                    handling,
                    sum(s.capacity for s in serving),
                    sum(s.free for s in serving),
                ),
                agents_online=len(serving),
            )
        return updates

    async def queue_update_for(self, conversation_id: str) -> protocol.QueueUpdate | None:
        return (await self.queue_updates(await self.conversations.queued())).get(conversation_id)

    async def waiting_frame(self) -> protocol.Waiting:
        """The staff's view of the whole queue, in queue order, with the queue's version. The frame last built or
        heard is reused while the version stands (a console connecting costs one small query then)."""
        last = self._waiting_last
        if last is not None and await self.conversations.queue_version() == last.version:
            return last
        version, waiting = await self.conversations.queued_with_version()
        return await self._build_waiting(version, waiting)

    async def _build_waiting(self, version: int, waiting: list[records.Conversation]) -> protocol.Waiting:
        """Two or three queries whatever the queue's length: the visitors' names at once, the first messages of
        the chats not seen before at once (they never change, so they are kept); sites and teams are cached."""
        by_id = {c.id: c for c in waiting}
        ordered = [by_id[w.conversation_id] for w in policy.queue_order([_waiting(c) for c in waiting])]
        missing = [c.id for c in ordered if c.id not in self._first_messages]
        if missing:
            found = await self.conversations.first_visitor_messages(missing)
            self._first_messages.update({k: v[:FIRST_MESSAGE_CHARS] for k, v in found.items()})
        for gone in set(self._first_messages) - set(by_id):
            del self._first_messages[gone]
        names = await self.conversations.visitor_names([c.visitor_id for c in ordered]) if ordered else {}
        items = []
        for position, conversation in enumerate(ordered, start=1):
            site = await self.directory.site(conversation.site_id)
            items.append(
                protocol.WaitingItem(
                    id=conversation.id,
                    site=site.key if site else "",
                    position=position,
                    queued_at=iso(conversation.queued_at or conversation.created_at) or "",
                    visitor=protocol.Person(role="visitor", name=names.get(conversation.visitor_id) or "Visitor"),
                    team_id=conversation.team_id,
                    team=await self.directory.team_name(conversation.team_id),
                    first_message=self._first_messages.get(conversation.id),
                )
            )
        frame = protocol.Waiting(conversations=items, version=version)
        self._remember_waiting(frame)
        return frame

    def _remember_waiting(self, frame: protocol.Waiting) -> None:
        if self._waiting_last is None or frame.version >= self._waiting_last.version:
            self._waiting_last = frame

    def waiting_heard(self, frame: protocol.Waiting | None) -> None:
        """What staff sockets last received on the staff channel (None: unknown, publish the next one)."""
        self._waiting_seen = frame
        if frame is None or frame.version != self._waiting_published:
            # Another process published (a pass of its own, which told waiting visitors their places too): what
            # this process told them last is no longer what they were told last, so it cannot skip a place.
            self._queue_seen.clear()
        if frame is not None:
            self._remember_waiting(frame)

    async def _push_waiting(self, version: int, waiting: list[records.Conversation]) -> None:
        """Publish the staff's queue view when it differs from the one last published (by anyone)."""
        frame = await self._build_waiting(version, waiting)
        if frame != self._waiting_seen:
            self._waiting_seen = frame
            self._waiting_published = frame.version
            await self.hub.publish_frame(STAFF_CHANNEL, frame, staff_only=True)

    async def _publish_queue(self, decided: _Decided) -> None:
        """After the lock, in the pass (one at a time in this process): the staff's queue view and each waiting
        visitor's place, as the pass saw the queue (``decided.version``). Nothing stale sticks: staff sockets drop a
        view older than one shown (it carries the version); the visitors' places are not published when the
        queue has moved on meanwhile, and when it moved while they were being published (another process may
        have published newer places first), another pass follows, which publishes what differs."""
        await self._push_waiting(decided.version, decided.waiting)
        if await self.conversations.queue_version() != decided.version:
            self._request_pass()  # whoever moved it requested a pass too; this one publishes after it
            return
        updates = await self.queue_updates(decided.waiting, decided.agents, decided.loads)
        for conversation_id in set(self._queue_seen) - set(updates):
            del self._queue_seen[conversation_id]
        published = False
        for conversation_id, update in updates.items():
            key = (update.position, update.estimated_wait, update.agents_online)
            if self._queue_seen.get(conversation_id) != key:
                self._queue_seen[conversation_id] = key
                await self.hub.publish_frame(f"conv:{conversation_id}", update)
                published = True
        if published and await self.conversations.queue_version() != decided.version:
            self._request_pass()

    # --- lifecycle -----------------------------------------------------------------------------------

    async def recover(self) -> None:
        """After a start: follow the queue view, start the heartbeat and the sweeper (agents who held chats and
        are connected nowhere get the grace period from now to come back), and dispatch."""
        await self.hub.follow(STAFF_CHANNEL, _StaffView(self))
        await self.live.start()
        self._heartbeat_task = asyncio.create_task(self._beat(), name="chatsvc-presence-heartbeat")
        await self.dispatch()

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Drop this process's leases (agents connected elsewhere stay connected) and stop; never requeue: a
        stopping process's agents reconnect to another one within the grace."""
        self._stopping = True
        tasks = [t for t in (self._heartbeat_task, self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.live.stop()


_decode_waiting = msgspec.json.Decoder(protocol.Waiting).decode


class _StaffView:
    """Hears the queue view whoever publishes it (another process too), so that this process publishes only what
    differs from what staff sockets last received, not from what it published itself."""

    def __init__(self, routing: Routing) -> None:
        self.routing = routing

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        try:
            self.routing.waiting_heard(_decode_waiting(bytes(envelope.frame)))
        except msgspec.DecodeError:
            self.routing.waiting_heard(None)

    def on_resync(self) -> None:
        self.routing.waiting_heard(None)  # frames may have been lost: publish the next view whatever it is
        self.routing._spawn(self.routing.after_resync())  # Redis may have come back empty


def _waiting(conversation: records.Conversation) -> policy.Waiting:
    queued_at = conversation.queued_at or conversation.created_at
    return policy.Waiting(
        conversation_id=conversation.id,
        team_id=conversation.team_id,
        priority=conversation.priority,
        front=conversation.queue_front,
        queued_at=queued_at.timestamp(),
    )


def _mirror(version: int, waiting: list[records.Conversation], loads: dict[str, int]) -> QueueMirror:
    items = [_waiting(c) for c in waiting]
    return QueueMirror(
        version=version,
        queue=[w.conversation_id for w in policy.queue_order(items)],
        positions=policy.positions(items),
        loads=dict(loads),
    )


@dataclasses.dataclass
class _Change:
    """A conversation assigned or released under the lock, to announce after it: its events, and the chat lists
    and presence of the agent who gets it (``to_agent``) and of the one who loses it (``from_agent``)."""

    applied: Applied
    to_agent: str | None = None
    from_agent: str | None = None


@dataclasses.dataclass
class _Decided:
    """What a pass decided and wrote under the lock, and the queue as it left it (to publish after)."""

    changes: list[_Change]
    agents: dict[str, AgentRecord]
    version: int
    waiting: list[records.Conversation]
    loads: dict[str, int]
