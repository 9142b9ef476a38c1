"""What waiting people are told: the staff's view of the queue and each waiting visitor's place.

The staff's queue view (a ``waiting`` frame on the staff channel, with the queue's version) and the visitors'
places and estimates are published by the dispatch pass after the cluster lock is released
(``chatsvc/services/routing.py``), only what differs from what was last told: the view by whoever published it
(another process too, heard on the staff channel), the places by this process until another process is heard
publishing. See docs/scaling.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from chatsvc.broker.live_state import AgentRecord
from chatsvc.domain import protocol
from chatsvc.domain import queue as policy
from chatsvc.services.agent_presence import AgentPresence, agent_slots
from chatsvc.services.directory import Directory
from chatsvc.services.frames import iso
from chatsvc.services.hub import Envelope, Hub
from chatsvc.store import records
from chatsvc.store.conversations import ConversationStore

_HANDLING_CACHE_SECONDS = 30.0
FIRST_MESSAGE_CHARS = 200  # of the visitor's first message, in the staff's queue view
STAFF_CHANNEL = "staff"  # every staff socket listens here (the waiting queue)


def waiting_item(conversation: records.Conversation) -> policy.Waiting:
    """A queued conversation as the queue policy orders it."""
    queued_at = conversation.queued_at or conversation.created_at
    return policy.Waiting(
        conversation_id=conversation.id,
        team_id=conversation.team_id,
        priority=conversation.priority,
        front=conversation.queue_front,
        queued_at=queued_at.timestamp(),
    )


class QueueView:
    def __init__(
        self, conversations: ConversationStore, directory: Directory, hub: Hub, presence: AgentPresence
    ) -> None:
        self.conversations = conversations
        self.directory = directory
        self.hub = hub
        self.presence = presence
        self._queue_seen: dict[str, tuple[int, int | None, int]] = {}
        self._waiting_seen: protocol.Waiting | None = None  # the staff's queue view as last published
        self._waiting_published: int | None = None  # the version of the view this process published last
        self._waiting_last: protocol.Waiting | None = None  # the newest view built or heard (by version)
        self._first_messages: dict[str, str] = {}  # a waiting chat's first message never changes: kept
        self._handling: tuple[float, float] = (0.0, policy.DEFAULT_HANDLING_SECONDS)

    async def follow(self, on_resync: Callable[[], None]) -> None:
        """Hear the staff channel; ``on_resync`` after a broker outage (frames may have been lost)."""
        await self.hub.follow(STAFF_CHANNEL, _StaffView(self, on_resync))

    def forget(self, conversation_id: str) -> None:
        """A conversation left the queue: no place of it is remembered as told."""
        self._queue_seen.pop(conversation_id, None)

    # --- the waiting visitor's view ------------------------------------------------------------------

    async def handling_seconds(self) -> float:
        fetched_at, value = self._handling
        if time.monotonic() - fetched_at > _HANDLING_CACHE_SECONDS:
            value = policy.typical_handling_seconds(await self.conversations.recent_handling_seconds())
            self._handling = (time.monotonic(), value)
        return value

    async def queue_updates(
        self, waiting: list[records.Conversation], agents: dict[str, AgentRecord] | None = None,
        loads: dict[str, int] | None = None,
    ) -> dict[str, protocol.QueueUpdate]:
        items = [waiting_item(c) for c in waiting]
        places = policy.positions(items)
        if loads is None:
            loads = await self.conversations.loads()
        slots = agent_slots(agents if agents is not None else await self.presence.agents(), loads)
        handling = await self.handling_seconds()
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

    # --- the staff's view of the queue ---------------------------------------------------------------

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
        ordered = [by_id[w.conversation_id] for w in policy.queue_order([waiting_item(c) for c in waiting])]
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

    # --- publishing after a pass ---------------------------------------------------------------------

    async def publish(
        self, version: int, waiting: list[records.Conversation], agents: dict[str, AgentRecord],
        loads: dict[str, int],
    ) -> bool:
        """After the lock, in the pass (one at a time in this process): the staff's queue view and each waiting
        visitor's place, as the pass saw the queue (``version``). Nothing stale sticks: staff sockets drop a view
        older than one shown (it carries the version); the visitors' places are not published when the queue has
        moved on meanwhile, and when it moved while they were being published (another process may have
        published newer places first), another pass follows, which publishes what differs. True: that pass must
        be requested."""
        await self._push_waiting(version, waiting)
        if await self.conversations.queue_version() != version:
            return True  # whoever moved it requested a pass too; this one publishes after it
        updates = await self.queue_updates(waiting, agents, loads)
        for conversation_id in set(self._queue_seen) - set(updates):
            del self._queue_seen[conversation_id]
        published = False
        for conversation_id, update in updates.items():
            key = (update.position, update.estimated_wait, update.agents_online)
            if self._queue_seen.get(conversation_id) != key:
                self._queue_seen[conversation_id] = key
                await self.hub.publish_frame(f"conv:{conversation_id}", update)
                published = True
        return published and await self.conversations.queue_version() != version


_decode_waiting = msgspec.json.Decoder(protocol.Waiting).decode


class _StaffView:
    """Hears the queue view whoever publishes it (another process too), so that this process publishes only what
    differs from what staff sockets last received, not from what it published itself."""

    def __init__(self, view: QueueView, on_resync: Callable[[], None]) -> None:
        self.view = view
        self.resynced = on_resync

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        try:
            self.view.waiting_heard(_decode_waiting(bytes(envelope.frame)))
        except msgspec.DecodeError:
            self.view.waiting_heard(None)

    def on_resync(self) -> None:
        self.view.waiting_heard(None)  # frames may have been lost: publish the next view whatever it is
        self.resynced()  # Redis may have come back empty
