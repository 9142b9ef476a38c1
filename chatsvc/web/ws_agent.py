"""``/ws/agent``: a staff member's socket, authenticated by the session from the handshake."""

from __future__ import annotations

import asyncio
import logging

import msgspec
from starlette.websockets import WebSocket

from chatsvc import errors
from chatsvc.domain import protocol
from chatsvc.domain.model import AgentStatus, Role
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.container import Services
from chatsvc.services.frames import iso
from chatsvc.services.hub import Envelope
from chatsvc.services.queue_view import STAFF_CHANNEL
from chatsvc.web.socket import SocketSession, not_stored, serve_staff_socket

log = logging.getLogger("chatsvc.ws_agent")

_decode_waiting = msgspec.json.Decoder(protocol.Waiting).decode


def _servable(frame: protocol.Waiting, teams: frozenset[str]) -> protocol.Waiting:
    """What an agent of ``teams`` may see of the queue: the chats they could serve (no team, or one of theirs)."""
    items = [item for item in frame.conversations if item.team_id is None or item.team_id in teams]
    if len(items) == len(frame.conversations):
        return frame
    return protocol.Waiting(conversations=items, version=frame.version)


class _WaitingCache:
    """One queue view from the broker, decoded once for all of this process's staff sockets, and encoded once per
    set of teams (the hub hands every socket the same envelope object)."""

    def __init__(self) -> None:
        self.envelope: Envelope | None = None
        self.frame: protocol.Waiting | None = None
        self.encoded: dict[frozenset[str], bytes] = {}

    def decoded(self, envelope: Envelope) -> protocol.Waiting | None:
        if envelope is not self.envelope:
            self.envelope, self.encoded = envelope, {}
            try:
                self.frame = _decode_waiting(bytes(envelope.frame))
            except (msgspec.DecodeError, msgspec.ValidationError):
                self.frame = None
        return self.frame

    def for_teams(self, teams: frozenset[str]) -> bytes:
        assert self.frame is not None
        data = self.encoded.get(teams)
        if data is None:
            data = self.encoded[teams] = protocol.encode(_servable(self.frame, teams))
        return data


_waiting_cache = _WaitingCache()


class AgentSocket(SocketSession):
    role = "agent"
    sees_staff_only = True  # notes, the visitor's page and read marks, the waiting queue

    def __init__(self, websocket: WebSocket, services: Services, token: str | None) -> None:
        super().__init__(websocket, services)
        self.token = token
        self.who: StaffIdentity | None = None
        self.registered = False
        self.waiting_version = -1  # the version of the last queue view sent: an older one is not sent after it

    async def authenticate(self, data: str) -> None:
        frame = protocol.decode_agent(data) if data else None
        if not isinstance(frame, protocol.AgentHello):
            raise errors.Unauthorized()
        if frame.v != protocol.PROTOCOL_VERSION:
            raise errors.UnsupportedVersion()
        self.who = who = await self.services.accounts.authenticate(self.token)
        user = who.user
        self.identity = f"user:{user.id}"
        await self.listen(self.identity)
        await self.listen(f"session:{who.session.token_digest}")
        status = AgentStatus(frame.status) if frame.status else AgentStatus.ONLINE
        held = await self.services.conversation_store.assigned(user.id)
        infos = [await self.services.directory.info(c, for_staff=True) for c in held]
        teams = []
        for team_id in sorted(await self.services.account_store.team_ids_of(user.id)):
            name = await self.services.directory.team_name(team_id)
            if name is not None:
                teams.append(protocol.TeamRef(id=team_id, name=name))
        self.send(
            protocol.Welcome(
                v=protocol.PROTOCOL_VERSION,
                role=user.role,
                you=protocol.Person(role=user.role, name=user.name, id=user.id),
                conversations=infos,
                server_time=iso(self.services.clock()) or "",
                status=status.value,
                capacity=user.max_chats or self.services.settings.default_capacity,
                teams=teams,
            )
        )
        for conversation in held:
            await self.follow(conversation.id, None)  # the client syncs each from the seq it has
        self.welcomed()
        # Only now may new chats be assigned: their notices must come after the welcome.
        await self.services.routing.agent_connected(user, status)
        self.registered = True
        # The queue view: listening first, so that a change from now on is not missed; then the whole list,
        # unless a newer one was broadcast meanwhile (``_send_waiting`` compares versions).
        await self.listen(STAFF_CHANNEL)
        await self._send_waiting()
        self._spawn(self._recheck_session())

    def on_resync(self) -> None:
        """The broker was away: conversations catch up from storage, and the queue view is sent afresh."""
        super().on_resync()
        if self.registered:
            self._spawn(self._send_waiting())

    @property
    def sees_every_team(self) -> bool:
        return self.who is not None and self.who.user.role in (Role.MANAGER.value, Role.ADMIN.value)

    def _teams(self) -> frozenset[str]:
        assert self.who is not None
        presence = self.services.routing.presence.get(self.who.user.id)
        return presence.team_ids if presence is not None else frozenset()

    async def _send_waiting(self) -> None:
        """This socket's own copy of the queue view (after the welcome, after a broker outage)."""
        frame = await self.services.routing.waiting_frame()
        if frame.version < self.waiting_version or (frame.version == self.waiting_version and frame.version):
            return  # a broadcast as new or newer was sent meanwhile
        self.waiting_version = frame.version
        self.send(frame if self.sees_every_team else _servable(frame, self._teams()))

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        if channel != STAFF_CHANNEL or envelope.control is not None or self._before_welcome is not None:
            super().on_envelope(channel, envelope)
            return
        frame = _waiting_cache.decoded(envelope)
        if frame is None:
            return
        if frame.version < self.waiting_version:
            return  # an older list than the one shown (published late by another process)
        self.waiting_version = frame.version
        self.send_raw(bytes(envelope.frame) if self.sees_every_team else _waiting_cache.for_teams(self._teams()))

    async def _recheck_session(self) -> None:
        """Close this socket soon after its session ends by any route, including one no broker message
        reports (the CLI disabling the user while the server runs on the in-process broker)."""
        while self._closing is None:
            await asyncio.sleep(self.services.settings.session_recheck_seconds)
            try:
                await self.services.accounts.authenticate(self.token)
            except errors.ChatError:
                self.abort(errors.CLOSE_POLICY, "session_ended")
            except Exception as exc:  # noqa: BLE001 - the database away for a moment must not end the checks
                # The kind only: a database error's text can carry the statement's parameters (a token digest).
                log.warning("could not re-check a console socket's session (%s); trying again later",
                            type(exc).__name__)

    async def cleanup(self) -> None:
        if self.registered and self.who is not None:
            self.services.routing.agent_disconnected(self.who.user.id)

    async def handle(self, data: str) -> None:
        assert self.who is not None
        frame = protocol.decode_agent(data)
        chat = self.services.chat
        routing = self.services.routing
        who = self.who
        if isinstance(frame, (protocol.AgentMessage, protocol.AgentNote)):
            try:
                if isinstance(frame, protocol.AgentMessage):
                    self.send(await chat.agent_message(who, frame))
                else:
                    self.send(await chat.agent_note(who, frame))
            except errors.ChatError as exc:
                exc.ref = frame.client_id  # the client marks that line failed
                raise
            except Exception as exc:
                raise not_stored(frame.client_id) from exc
        elif isinstance(frame, protocol.AgentTyping):
            await chat.agent_typing(who, frame.conversation, frame.active)
        elif isinstance(frame, protocol.AgentStatusFrame):
            await routing.set_status(who.user.id, AgentStatus(frame.status))
        elif isinstance(frame, protocol.AgentClose):
            await chat.agent_close(who, frame.conversation)
        elif isinstance(frame, protocol.AgentPick):
            await routing.pick(who.user.id, frame.conversation)
        elif isinstance(frame, protocol.AgentTransfer):
            await chat.held_conversation(who, frame.conversation)
            await routing.transfer(
                who.user.id, frame.conversation, frame.to_agent, frame.note, author_role=who.user.role
            )
        elif isinstance(frame, protocol.Sync):
            conversation = await chat.readable_conversation(who, frame.conversation)
            if self.sees_every_team or chat.holds(who, conversation):
                # Managers and admins may read everything: they follow what they open. An agent follows the chats
                # they hold (a transfer away or a close ends it).
                await self.follow(frame.conversation, None)
                await self.sync(frame.conversation, frame.after_seq)
                if not self.sees_every_team:
                    current = await self.services.conversation_store.find(frame.conversation)
                    if current is None or not chat.holds(who, current):
                        await self.unfollow(frame.conversation)  # moved away while following began
            else:
                # Not theirs (a queued chat, an earlier one): read once, nothing live after it.
                await self.replay(frame.conversation, frame.after_seq)
        elif isinstance(frame, protocol.AgentHello):
            raise errors.InvalidState("Already authenticated.")


async def agent_endpoint(websocket: WebSocket) -> None:
    await serve_staff_socket(websocket, AgentSocket)
