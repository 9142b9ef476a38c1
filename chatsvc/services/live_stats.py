"""The managers' live panel and this process's Prometheus counters.

Freshness across processes: every committed event (the hub's watchers hear ``publish_stored``) and every presence
change marks "changed". A process publishes at most one notice per ``CHATSVC_LIVE_STATS_INTERVAL`` on the broker
channel ``stats``: the first change at once, later ones folded into one notice when the interval ends. Every process
hears every notice; one with manager sockets computes one snapshot per burst of notices (a notice arriving while it
computes asks for exactly one more), at most one per interval however many processes send notices, encodes it once
and hands the same bytes to each of its manager sockets. Changes that store no event say so through
``Hub.changed`` (a rating, a ticket). A refresh every ``CHATSVC_LIVE_STATS_REFRESH_SECONDS`` covers what no notice
reports (the clock moving the longest wait, a lease of a vanished process expiring).

The database is the truth for the queue; loads come from the queue mirror in the live state (the database when it
has none), and presence (status, capacity, connected) from the live state shared by every process, as routing
assigns by (see services/routing.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec

from chatsvc.broker.live_state import AgentRecord
from chatsvc.domain import protocol
from chatsvc.domain import queue as policy
from chatsvc.domain.model import AgentStatus, EventKind, Role
from chatsvc.services.agent_presence import agent_slots
from chatsvc.services.clock import Clock
from chatsvc.services.frames import iso
from chatsvc.services.hub import Envelope, Hub
from chatsvc.services.routing import Routing
from chatsvc.services.tasks import stop_task
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.live_stats import LiveStatsStore, OpenCounts, Totals

log = logging.getLogger("chatsvc.live_stats")

STATS_CHANNEL = "stats"  # "something changed": every process hears it, none forwards it to a client
CONNECTION_ROLES = ("visitor", "agent", "manager")
MESSAGE_AUTHORS = ("visitor", "agent", "bot")
_STAFF_ROLES = frozenset({Role.AGENT.value, Role.MANAGER.value, Role.ADMIN.value})


class _Changed(msgspec.Struct, tag="stats_changed", tag_field="type"):
    """The notice on ``stats``: no payload, the receiver reads the database itself."""


class LiveSocket(Protocol):
    """What fan-out needs of a manager socket."""

    def send_raw(self, data: bytes) -> None: ...


@dataclasses.dataclass(frozen=True)
class QueueFigures:
    counts: OpenCounts
    estimated_wait_seconds: int | None  # for a new visitor in the general queue; None: nobody online serves it
    agents: list[protocol.StatsAgent]


@dataclasses.dataclass(frozen=True)
class MetricsFigures:
    """Everything one ``/metrics`` scrape shows, read at once."""

    queue: QueueFigures
    oldest_wait_seconds: float
    totals: Totals
    connections: dict[str, int]
    messages: dict[str, int]


def message_author(event: records.StoredEvent) -> str | None:
    """Which ``chatsvc_messages_total`` label a committed event counts under, if it is a message at all: the
    visitor's and staff's ``message`` events, and the bot's turns (``bot`` events)."""
    if event.kind == EventKind.MESSAGE.value:
        if event.author_role == Role.VISITOR.value:
            return "visitor"
        if event.author_role in _STAFF_ROLES:
            return "agent"
        return None
    if event.kind == EventKind.BOT.value:
        return "bot"
    return None


class LiveStats:
    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        routing: Routing,
        conversations: ConversationStore,
        store: LiveStatsStore,
        clock: Clock,
        today: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.routing = routing
        self.conversations = conversations
        self.store = store
        self.clock = clock
        self._today = today
        # Prometheus counters of this process since it started (committed here, whoever reads them).
        self.messages: dict[str, int] = dict.fromkeys(MESSAGE_AUTHORS, 0)
        self.sockets: set[LiveSocket] = set()
        self.version = 0  # of the last snapshot computed by this process
        self._running = False
        self._timer: asyncio.TimerHandle | None = None
        self._last_notice = -math.inf  # loop time of the last notice published
        self._stale = True  # a change was heard since the last snapshot began
        self._computing: asyncio.Task[None] | None = None
        self._last_snapshot = -math.inf  # loop time the last snapshot began
        self._snapshot_failing = False  # said once in the log until a snapshot works again
        self._refresher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._today_failing = False
        hub.watchers.append(self._on_change)

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self.hub.follow(STATS_CHANNEL, self)
        self._refresher = asyncio.create_task(self._refresh(), name="chatsvc-live-stats-refresh")

    async def stop(self) -> None:
        self._running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await stop_task(self._refresher)
        await stop_task(self._computing)
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.hub.unfollow(STATS_CHANNEL, self)
        self.sockets.clear()

    # --- publishing side: "changed", at most once per interval ---------------------------------------------

    def _on_change(self, events: Sequence[records.StoredEvent]) -> None:
        for event in events:
            author = message_author(event)
            if author is not None:
                self.messages[author] += 1
        self.mark_changed()

    def mark_changed(self) -> None:
        """Announce a change: now when the last notice is older than the interval, else once when it ends (every
        change until then rides on that one notice)."""
        if not self._running or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_notice + self.settings.live_stats_interval - loop.time())
        self._timer = loop.call_later(delay, self._notice_due)

    def _notice_due(self) -> None:
        self._timer = None
        self._last_notice = asyncio.get_running_loop().time()
        self._spawn(self._publish_notice())

    async def _publish_notice(self) -> None:
        try:
            await self.hub.publish_frame(STATS_CHANNEL, _Changed())
        except Exception:  # noqa: BLE001 - the broker is away: at least this process's panels follow
            log.warning("could not publish a stats notice; updating this process's live panels only")
            self._request()

    # --- receiving side: one snapshot per burst, encoded once -----------------------------------------------

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        self._request()

    def on_resync(self) -> None:
        self._request()  # notices may have been lost while the broker was away

    def add(self, socket: LiveSocket) -> None:
        """A manager socket is ready: it gets a snapshot computed from now (with every other socket's)."""
        self.sockets.add(socket)
        self._request()

    def remove(self, socket: LiveSocket) -> None:
        self.sockets.discard(socket)

    def _request(self) -> None:
        self._stale = True
        if not self._running or not self.sockets:
            return
        if self._computing is None or self._computing.done():
            self._computing = asyncio.create_task(self._compute(), name="chatsvc-live-stats")

    async def _compute(self) -> None:
        loop = asyncio.get_running_loop()
        while self._stale and self.sockets and self._running:
            # Paced as well: every process publishes up to one notice per interval and every process hears them
            # all, so without this a process would recompute (today's figures included) back to back, as many
            # times per interval as there are processes. Notices heard meanwhile fold into the next round.
            pause = self._last_snapshot + self.settings.live_stats_interval - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
                continue  # the sockets may all have gone meanwhile
            self._stale = False  # a notice from here on asks for one more round
            self._last_snapshot = loop.time()
            try:
                frame = await self.snapshot()
            except Exception:  # the next notice or refresh tries again
                if not self._snapshot_failing:  # once, not at every notice while the database is away
                    log.exception("could not compute the live stats; the panels keep their last figures")
                self._snapshot_failing = True
                return
            if self._snapshot_failing:
                log.info("live stats computed again")
            self._snapshot_failing = False
            data = protocol.encode(frame)
            for socket in list(self.sockets):
                socket.send_raw(data)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.settings.live_stats_refresh_seconds)
            if self.sockets:
                self._request()

    # --- the figures ------------------------------------------------------------------------------------

    async def queue_figures(self) -> QueueFigures:
        counts = await self.store.open_counts()
        loads = await self.routing.shared_loads()
        agents = await self.routing.agents()
        # As routing tells a new visitor in the general queue (no team): behind everyone waiting now, served by
        # every online agent. Routing's own slots and typical handling time, so the two never disagree.
        slots = [slot for slot in agent_slots(agents, loads) if slot.serves(None)]
        estimate = policy.estimate_wait(
            counts.waiting + 1,
            await self.routing.queue_view.handling_seconds(),
            sum(slot.capacity for slot in slots),
            sum(slot.free for slot in slots),
        )
        return QueueFigures(counts, estimate, await self._agents(loads, agents))

    async def _agents(self, loads: dict[str, int], agents: dict[str, AgentRecord]) -> list[protocol.StatsAgent]:
        """Every enabled agent, connected or not; a manager or admin only while connected to the console (they
        may take chats then). Status is what they chose while connected, else offline."""
        rows = []
        for member in await self.store.staff():
            presence = agents.get(member.id)
            connected = presence is not None and presence.connected
            if member.role != Role.AGENT.value and not connected:
                continue
            status = presence.status if connected and presence is not None else AgentStatus.OFFLINE.value
            capacity = presence.capacity if presence is not None else (
                member.max_chats or self.settings.default_capacity
            )
            rows.append(
                protocol.StatsAgent(
                    id=member.id, name=member.name, status=status,  # type: ignore[arg-type]
                    load=loads.get(member.id, 0), capacity=capacity,
                )
            )
        rows.sort(key=lambda row: (row.name.casefold(), row.id))
        return rows

    async def _today_summary(self) -> dict[str, Any] | None:
        try:
            summary = await self._today()
        except Exception:  # the live queue is worth showing without today's figures
            if not self._today_failing:
                log.exception("could not compute today's figures for the live panel")
            self._today_failing = True
            return None
        self._today_failing = False
        return summary

    async def snapshot(self) -> protocol.Stats:
        figures = await self.queue_figures()
        today = await self._today_summary()
        statuses = [agent.status for agent in figures.agents]
        self.version += 1
        return protocol.Stats(
            version=self.version,
            server_time=iso(self.clock()) or "",
            waiting=figures.counts.waiting,
            oldest_queued_at=iso(figures.counts.oldest_queued_at),
            estimated_wait_seconds=figures.estimated_wait_seconds,
            in_progress=figures.counts.in_progress,
            bot=figures.counts.bot,
            agents=figures.agents,
            agents_online=statuses.count("online"),
            agents_away=statuses.count("away"),
            agents_offline=statuses.count("offline"),
            today=today,
        )

    def connections(self) -> dict[str, int]:
        """This process's authenticated sockets by kind (each follows at least its own channel)."""
        counts = dict.fromkeys(CONNECTION_ROLES, 0)
        for follower in self.hub.local_followers():
            role = getattr(follower, "role", None)
            if role in counts:
                counts[role] += 1
        return counts

    async def metrics(self) -> MetricsFigures:
        queue, totals = await asyncio.gather(self.queue_figures(), self.store.totals(self.clock()))
        oldest = queue.counts.oldest_queued_at
        return MetricsFigures(
            queue=queue,
            oldest_wait_seconds=max(0.0, (self.clock() - oldest).total_seconds()) if oldest else 0.0,
            totals=totals,
            connections=self.connections(),
            messages=dict(self.messages),
        )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
