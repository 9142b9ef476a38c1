"""``/ws/manager``: the managers' live panel. A manager's or admin's session from the handshake, a ``hello``, then the
server pushes ``stats`` frames (``services/live_stats.py`` computes them once per burst for every such socket of
this process). The client sends nothing after its hello."""

from __future__ import annotations

import asyncio
import logging

from starlette.websockets import WebSocket

from chatsvc import errors
from chatsvc.domain import protocol
from chatsvc.domain.model import Role
from chatsvc.services.container import Services
from chatsvc.services.hub import Envelope
from chatsvc.web.socket import SocketSession, serve_staff_socket

log = logging.getLogger("chatsvc.ws_manager")

MANAGER_ROLES = frozenset({Role.MANAGER.value, Role.ADMIN.value})


class ManagerSocket(SocketSession):
    role = "manager"

    def __init__(self, websocket: WebSocket, services: Services, token: str | None) -> None:
        super().__init__(websocket, services)
        self.token = token
        self.registered = False

    async def authenticate(self, data: str) -> None:
        frame = protocol.decode_manager(data) if data else None
        if frame is None:
            raise errors.Unauthorized()
        if frame.v != protocol.PROTOCOL_VERSION:
            raise errors.UnsupportedVersion()
        who = await self.services.accounts.authenticate(self.token)
        if who.user.role not in MANAGER_ROLES:
            refused = errors.Forbidden("The live panel is for managers and administrators.")
            # Said before the close, straight to the socket: nothing else was queued for it.
            await self.ws.send_text(
                protocol.encode(protocol.ErrorFrame(code=refused.code, message=refused.message)).decode()
            )
            raise refused
        self.identity = f"user:{who.user.id}"
        # Revocation (sign-out, password change, account disabled) arrives on these, as for the console.
        await self.listen(self.identity)
        await self.listen(f"session:{who.session.token_digest}")
        self.welcomed()
        self.services.live_stats.add(self)  # the first stats frame is computed now
        self.registered = True
        self._spawn(self._recheck_session())

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        # Only revocation: the user's own channel also carries their console's frames (presence, chat updates)
        # when they have the console open too; this socket is no console.
        if envelope.control == "revoke":
            super().on_envelope(channel, envelope)

    def on_resync(self) -> None:
        """Nothing followed here to catch up on; live stats recomputes on its own resync."""

    async def _recheck_session(self) -> None:
        """Close soon after the session ends by a route no broker message reports (the CLI disabling the user
        while the server runs on the in-process broker), or the role changes away from manager."""
        while self._closing is None:
            await asyncio.sleep(self.services.settings.session_recheck_seconds)
            try:
                who = await self.services.accounts.authenticate(self.token)
            except errors.ChatError:
                self.abort(errors.CLOSE_POLICY, "session_ended")
                return
            except Exception as exc:  # noqa: BLE001 - the database away for a moment must not end the checks
                # The kind only: a database error's text can carry the statement's parameters (a token digest).
                log.warning("could not re-check a manager socket's session (%s); trying again later",
                            type(exc).__name__)
                continue
            if who.user.role not in MANAGER_ROLES:
                self.abort(errors.CLOSE_POLICY, "forbidden")
                return

    async def cleanup(self) -> None:
        if self.registered:
            self.services.live_stats.remove(self)

    async def handle(self, data: str) -> None:
        protocol.decode_manager(data)  # a malformed frame is described as such
        raise errors.BadFrame("This socket takes no frame after the hello; stats come from the server.")


async def manager_endpoint(websocket: WebSocket) -> None:
    await serve_staff_socket(websocket, ManagerSocket)
