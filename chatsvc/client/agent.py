"""The agent's side: sign in (``POST /api/auth/login``), then ``/ws/agent`` with the session as a bearer token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import httpx

from chatsvc.client.base import BaseClient, new_client_id
from chatsvc.domain import protocol

Status = Literal["online", "away", "offline"]


class AgentClient(BaseClient):
    path = "/ws/agent"

    def __init__(
        self,
        base_url: str | Sequence[str],
        email: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        status: Status = "online",
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self.email = email
        self.password = password
        self.token = token
        self.status: Status = status
        self.chats: dict[str, protocol.ConversationInfo] = {}  # the conversations this agent holds
        self.presence: protocol.PresenceUpdate | None = None
        self.waiting: protocol.Waiting | None = None  # the queue as last sent
        self._listeners.append(self._track)

    async def _prepare(self) -> None:
        if self.token is None:
            async with httpx.AsyncClient(timeout=self.open_timeout) as http:
                response = await http.post(
                    self.base_url.rstrip("/") + "/api/auth/login",
                    json={"email": self.email, "password": self.password},
                )
                response.raise_for_status()
                self.token = response.json()["token"]

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _hello(self) -> bytes:
        return protocol.encode(protocol.AgentHello(status=self.status))

    async def _after_welcome(self, welcome: protocol.Welcome) -> None:
        self.chats = {info.id: info for info in welcome.conversations}
        for info in welcome.conversations:
            await self.send_frame(protocol.Sync(conversation=info.id, after_seq=self.last_seq.get(info.id, 0)))

    def _track(self, frame: protocol.ServerFrame) -> None:
        if isinstance(frame, protocol.ChatUpdate):
            if frame.mine:
                self.chats[frame.conversation.id] = frame.conversation
            else:
                self.chats.pop(frame.conversation.id, None)
        elif isinstance(frame, protocol.PresenceUpdate):
            self.presence = frame
        elif isinstance(frame, protocol.Waiting):
            self.waiting = frame

    async def wait_chat(self, timeout: float = 10.0) -> protocol.ConversationInfo:
        """The next conversation assigned (or transferred) to this agent."""
        frame = await self.next_frame(lambda f: isinstance(f, protocol.ChatUpdate) and f.mine, timeout)
        assert isinstance(frame, protocol.ChatUpdate)
        return frame.conversation

    async def send(
        self, conversation: str, text: str, *, client_id: str | None = None, timeout: float = 10.0
    ) -> protocol.Ack:
        client_id = client_id or new_client_id()
        frame = protocol.AgentMessage(conversation=conversation, client_id=client_id, text=text)
        return await self._send_acked(client_id, frame, timeout)

    async def note(
        self, conversation: str, text: str, *, client_id: str | None = None, timeout: float = 10.0
    ) -> protocol.Ack:
        """An internal note (staff only); returns once stored, resent across reconnects until then."""
        client_id = client_id or new_client_id()
        frame = protocol.AgentNote(conversation=conversation, client_id=client_id, text=text)
        return await self._send_acked(client_id, frame, timeout)

    async def wait_waiting(
        self, predicate: Callable[[protocol.Waiting], bool] | None = None, timeout: float = 10.0
    ) -> protocol.Waiting:
        """The next ``waiting`` frame (matching ``predicate``): the whole queue as staff see it."""
        frame = await self.next_frame(
            lambda f: isinstance(f, protocol.Waiting) and (predicate is None or predicate(f)), timeout
        )
        assert isinstance(frame, protocol.Waiting)
        return frame

    async def set_status(self, status: Status) -> None:
        self.status = status
        await self.send_frame(protocol.AgentStatusFrame(status=status))

    async def typing(self, conversation: str, active: bool = True) -> None:
        await self.send_frame(protocol.AgentTyping(conversation=conversation, active=active))

    async def end(self, conversation: str) -> None:
        await self.send_frame(protocol.AgentClose(conversation=conversation))

    async def pick(self, conversation: str) -> None:
        await self.send_frame(protocol.AgentPick(conversation=conversation))

    async def transfer(self, conversation: str, to_agent: str | None = None, note: str | None = None) -> None:
        await self.send_frame(protocol.AgentTransfer(conversation=conversation, to_agent=to_agent, note=note))

    async def sync(self, conversation: str, after_seq: int = 0) -> None:
        await self.send_frame(protocol.Sync(conversation=conversation, after_seq=after_seq))
