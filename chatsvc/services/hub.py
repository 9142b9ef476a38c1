"""This process's side of fan-out: which local sockets follow which channel, and publishing through the broker.

Channels: ``conv:ID`` (a conversation's events and typing, for everyone following it), ``conv-staff:ID`` (the
same conversation's staff-only material: notes, the visitor's ``visitor`` and ``read`` frames; only staff sockets
subscribe to it), ``user:ID`` (one staff member's sockets: their chat list, presence, revocation), ``visitor:ID``
(one visitor's sockets, e.g. every tab), ``staff`` (every staff socket: the waiting queue).

Staff-only material never travels on a channel a visitor socket listens to: a process running older code, which
would not honour the envelope's ``staff_only`` flag, cannot forward it to a visitor. A note's seq is then a gap on
``conv:ID`` that the visitor's socket fills from storage (where replays skip notes).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import msgspec

from chatsvc.broker import Broker
from chatsvc.domain import protocol
from chatsvc.domain.model import STAFF_ONLY_KINDS
from chatsvc.services.frames import event_frame
from chatsvc.store import records

log = logging.getLogger("chatsvc.hub")


class Envelope(msgspec.Struct, omit_defaults=True):
    """What travels through the broker: an encoded frame plus what a socket needs to order it."""

    frame: msgspec.Raw = msgspec.Raw(b"null")
    conversation: str | None = None
    seq: int | None = None  # numbered events: the socket de-duplicates and fills gaps from the database
    # "revoke": close the sockets on this channel; "follow" / "unfollow": start or stop following
    # ``conversation`` (a chat was assigned, transferred away, or started in another tab).
    control: str | None = None
    reason: str | None = None
    exclude: str | None = None  # sockets of this person skip it (their own typing notice)
    # Staff sockets only (a note, the visitor's page): a visitor socket never sends it, and for a numbered
    # event it only steps over the seq.
    staff_only: bool = False


_encode = msgspec.json.Encoder().encode


def conversation_channel(conversation_id: str) -> str:
    """Where a conversation's events and typing go (visitor and staff sockets listen)."""
    return f"conv:{conversation_id}"


def staff_conversation_channel(conversation_id: str) -> str:
    """Where a conversation's staff-only frames and events go (staff sockets only listen)."""
    return f"conv-staff:{conversation_id}"

_decode = msgspec.json.Decoder(Envelope).decode


class Follower(Protocol):
    def on_envelope(self, channel: str, envelope: Envelope) -> None: ...

    def on_resync(self) -> None: ...


# Told synchronously, in this process, after committed events are published (with them) or after a change held
# in memory, such as an agent's presence (with none). The hub knows nothing of what watchers do with it.
Watcher = Callable[[Sequence[records.StoredEvent]], None]


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._followers: dict[str, set[Follower]] = defaultdict(set)
        self.watchers: list[Watcher] = []

    async def start(self) -> None:
        await self.broker.start(self._receive, self._resync)

    async def stop(self) -> None:
        await self.broker.stop()

    async def follow(self, channel: str, follower: Follower) -> None:
        first = not self._followers.get(channel)
        self._followers[channel].add(follower)
        if first:
            await self.broker.subscribe(channel)

    async def unfollow(self, channel: str, follower: Follower) -> None:
        followers = self._followers.get(channel)
        if not followers:
            return
        followers.discard(follower)
        if not followers:
            del self._followers[channel]
            await self.broker.unsubscribe(channel)

    async def publish_event(
        self, conversation: str, seq: int, frame: protocol.Event, *, staff_only: bool = False
    ) -> None:
        envelope = Envelope(
            frame=msgspec.Raw(protocol.encode(frame)), conversation=conversation, seq=seq, staff_only=staff_only
        )
        # Staff-only events (notes) go on the staff channel: visitor sockets never subscribe to it.
        channel = staff_conversation_channel(conversation) if staff_only else conversation_channel(conversation)
        await self.broker.publish(channel, _encode(envelope))

    async def publish_stored(self, events: Iterable[records.StoredEvent]) -> None:
        """Publish committed events in seq order; a staff-only kind (a note) goes on the staff channel."""
        stored = list(events)
        try:
            for event in stored:
                await self.publish_event(
                    event.conversation_id, event.seq, event_frame(event), staff_only=event.kind in STAFF_ONLY_KINDS
                )
        finally:
            self.changed(stored)  # committed, whether or not the broker took the notices

    def changed(self, events: Sequence[records.StoredEvent] = ()) -> None:
        """Tell this process's watchers that something staff see changed (``events``: committed ones)."""
        for watcher in self.watchers:
            try:
                watcher(events)
            except Exception:  # noqa: BLE001 - a watcher's fault must not undo a publish
                log.exception("a hub watcher failed")

    async def publish_frame(
        self, channel: str, frame: msgspec.Struct, *, exclude: str | None = None, staff_only: bool = False
    ) -> None:
        envelope = Envelope(frame=msgspec.Raw(protocol.encode(frame)), exclude=exclude, staff_only=staff_only)
        await self.broker.publish(channel, _encode(envelope))

    async def revoke(self, channel: str, reason: str) -> None:
        await self.broker.publish(channel, _encode(Envelope(control="revoke", reason=reason)))

    async def tell_follow(self, channel: str, conversation: str, *, follow: bool = True) -> None:
        envelope = Envelope(control="follow" if follow else "unfollow", conversation=conversation)
        await self.broker.publish(channel, _encode(envelope))

    def local_count(self) -> int:
        return len(self.local_followers())

    def local_followers(self) -> set[Follower]:
        """Everything following a channel in this process (authenticated sockets, and a few services)."""
        return {follower for followers in self._followers.values() for follower in followers}

    def _receive(self, channel: str, data: bytes) -> None:
        try:
            envelope = _decode(data)
        except msgspec.DecodeError:
            log.error("dropped an undecodable broker message on %s", channel)
            return
        for follower in list(self._followers.get(channel, ())):
            try:
                follower.on_envelope(channel, envelope)
            except Exception:  # noqa: BLE001 - one broken socket must not stop fan-out to the others
                log.exception("delivery to a local socket failed")

    def _resync(self) -> None:
        for follower in {f for followers in self._followers.values() for f in followers}:
            follower.on_resync()
