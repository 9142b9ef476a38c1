"""Assignment, shared by every server process: who holds which chat.

Every change that can alter who holds what (automatic assignment, a pick, a transfer, a release) runs under one
cluster lock (``Database.cluster_lock``: a PostgreSQL advisory lock across processes), reading the queue and the
loads from the database inside it, and each assignment is a conditional write (``status`` must still be
``queued``), so a waiting visitor goes to exactly one agent and no agent exceeds capacity. Only the decisions and
the database writes happen under the lock; what is told (the events, the agents' chat lists and presence, the queue
positions and the staff's queue view) is published after it is released, so a slow broker never holds up another
process's assignments. Dispatch is coalesced per process: requests arriving while a pass runs are served by one
next pass (``dispatch``).

Who is connected, across processes, and the grace for agents gone: ``chatsvc/services/agent_presence.py``. What
waiting people are told (the staff's queue view, the visitors' places): ``chatsvc/services/queue_view.py``.
``Routing`` holds both and keeps the surface the rest of chatsvc calls. See docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable

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
from chatsvc.services.agent_presence import AgentPresence, Presence, agent_slots
from chatsvc.services.clock import Clock
from chatsvc.services.directory import Directory
from chatsvc.services.hub import Hub
from chatsvc.services.queue_view import QueueView, waiting_item
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import Applied, ConversationStore, NewEvent
from chatsvc.store.database import Database

log = logging.getLogger("chatsvc.routing")

DISPATCH_LOCK = "dispatch"


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
        self.agent_presence = AgentPresence(settings, conversations, accounts, hub, self.live, self)
        self.queue_view = QueueView(conversations, directory, hub, self.agent_presence)
        self._lock = asyncio.Lock()
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

    # --- presence and the queue view, as the rest of chatsvc calls them -------------------------------

    @property
    def presence(self) -> dict[str, Presence]:
        """The agents connected to this process (``AgentPresence.presence``)."""
        return self.agent_presence.presence

    async def agents(self) -> dict[str, AgentRecord]:
        return await self.agent_presence.agents()

    async def any_online(self) -> bool:
        return await self.agent_presence.any_online()

    async def agent_connected(self, user: records.User, status: AgentStatus) -> Presence:
        return await self.agent_presence.agent_connected(user, status)

    async def refresh_agents(self, user_ids: list[str] | set[str] | tuple[str, ...]) -> None:
        await self.agent_presence.refresh_agents(user_ids)

    def agent_disconnected(self, user_id: str) -> None:
        self.agent_presence.agent_disconnected(user_id)

    async def set_status(self, user_id: str, status: AgentStatus) -> None:
        await self.agent_presence.set_status(user_id, status)

    async def heartbeat(self) -> None:
        await self.agent_presence.heartbeat()

    async def sweep(self) -> None:
        await self.agent_presence.sweep()

    async def queue_update_for(self, conversation_id: str) -> protocol.QueueUpdate | None:
        return await self.queue_view.queue_update_for(conversation_id)

    async def waiting_frame(self) -> protocol.Waiting:
        return await self.queue_view.waiting_frame()

    def waiting_heard(self, frame: protocol.Waiting | None) -> None:
        self.queue_view.waiting_heard(frame)

    # --- the loads, and whom a chat may go to --------------------------------------------------------

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

    async def requeue_gone(self, agent_id: str) -> None:
        """The sweeper found the agent gone longer than the grace: their chats go back to the queue."""
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
        if await self.queue_view.publish(decided.version, decided.waiting, decided.agents, decided.loads):
            self._request_pass()

    async def _dispatch_locked(self) -> _Decided:
        """Under the lock: the plan, the assignments (database writes), and the mirror of what follows them."""
        agents = await self.agents()
        version, waiting = await self.conversations.queued_with_version()
        loads = await self.conversations.loads()
        plan = policy.plan_assignments([waiting_item(c) for c in waiting], agent_slots(agents, loads), time.time())
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

    async def slots(self, loads: dict[str, int]) -> list[policy.AgentSlot]:
        """Every agent's slot as all processes see them, for estimates (the live panel)."""
        return agent_slots(await self.agents(), loads)

    async def pick(self, agent_id: str, conversation_id: str) -> Applied:
        async with self._locked():
            conversation = await self.conversations.get(conversation_id)
            agent = (await self.agents()).get(agent_id)
            if agent is None or conversation.status != ConversationStatus.QUEUED.value:
                raise InvalidState("That conversation is not waiting in the queue.")
            if conversation.team_id is not None and conversation.team_id not in agent.team_ids:
                raise NotFound()
            if await self.agent_presence.load_of(agent_id) >= agent.capacity:
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
                if await self.agent_presence.load_of(to_agent) >= target.capacity:
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
                await self.agent_presence.push_presence(change.from_agent)
            if change.to_agent is not None:
                await self.push_chat(conversation, change.to_agent, mine=True)
                await self.agent_presence.push_presence(change.to_agent)

    async def after_close(self, conversation: records.Conversation) -> None:
        """A chat ended: free its agent's slot (and tell them), give the slot to the next visitor."""
        if conversation.agent_id is not None:
            await self.agent_presence.idle_from_now(conversation.agent_id)
            await self.push_chat(conversation, conversation.agent_id, mine=False)
            await self.agent_presence.push_presence(conversation.agent_id)
        self.queue_view.forget(conversation.id)
        await self.dispatch()

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
        await self.agent_presence.idle_from_now(agent_id)
        self.queue_view.forget(conversation_id)
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

    # --- lifecycle -----------------------------------------------------------------------------------

    async def recover(self) -> None:
        """After a start: follow the queue view, start the heartbeat and the sweeper (agents who held chats and
        are connected nowhere get the grace period from now to come back), and dispatch."""
        await self.queue_view.follow(self._broker_resynced)
        await self.live.start()
        self.agent_presence.start()
        await self.dispatch()

    def _broker_resynced(self) -> None:
        self.agent_presence.spawn(self.after_resync())

    async def stop(self) -> None:
        """Drop this process's leases (agents connected elsewhere stay connected) and stop; never requeue: a
        stopping process's agents reconnect to another one within the grace."""
        heartbeat, spawned = self.agent_presence.stopping()
        tasks = [t for t in (heartbeat, self._runner, *spawned) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.live.stop()


def _mirror(version: int, waiting: list[records.Conversation], loads: dict[str, int]) -> QueueMirror:
    items = [waiting_item(c) for c in waiting]
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
