"""The visitor's side: a token from ``POST /api/visitor/session``, then ``/ws/visitor``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from chatsvc.client.base import BaseClient, ServerError, new_client_id
from chatsvc.domain import protocol


class VisitorClient(BaseClient):
    path = "/ws/visitor"

    def __init__(
        self,
        base_url: str | Sequence[str],
        site: str = "default",
        *,
        token: str | None = None,
        lang: Literal["en", "fr"] = "en",
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self.site = site
        self.lang: Literal["en", "fr"] = lang
        self.token = token
        self.conversation: str | None = None
        self.queue: protocol.QueueUpdate | None = None
        self._listeners.append(self._track)

    async def _prepare(self) -> None:
        if self.token is None:
            headers = {"Origin": self.origin} if self.origin else {}
            async with httpx.AsyncClient(timeout=self.open_timeout) as http:
                response = await http.post(
                    self.base_url.rstrip("/") + "/api/visitor/session", json={"site": self.site}, headers=headers
                )
                response.raise_for_status()
                self.token = response.json()["token"]

    def _query(self) -> str:
        return urlencode({"site": self.site})

    def _hello(self) -> bytes:
        assert self.token is not None
        last = self.last_seq.get(self.conversation, 0) if self.conversation else 0
        return protocol.encode(
            protocol.VisitorHello(token=self.token, conversation=self.conversation, last_seq=last, lang=self.lang)
        )

    async def _after_welcome(self, welcome: protocol.Welcome) -> None:
        if welcome.conversations:
            self.conversation = welcome.conversations[0].id

    def _track(self, frame: protocol.ServerFrame) -> None:
        if isinstance(frame, protocol.Ack):
            self.conversation = frame.conversation
        elif isinstance(frame, protocol.Event) and self.conversation is None:
            self.conversation = frame.conversation
        elif isinstance(frame, protocol.QueueUpdate):
            self.queue = frame

    async def send(
        self, text: str, *, client_id: str | None = None, topic: str | None = None, timeout: float = 10.0
    ) -> protocol.Ack:
        """Send a message; returns once the server committed it (resent across reconnects until then)."""
        client_id = client_id or new_client_id()
        return await self._send_acked(
            client_id, protocol.VisitorMessage(client_id=client_id, text=text, topic=topic), timeout
        )

    async def page(
        self, url: str, title: str | None = None, timezone: str | None = None, language: str | None = None
    ) -> None:
        """Tell the agent which page the visitor is on."""
        await self.send_frame(protocol.VisitorPage(url=url, title=title, timezone=timezone, language=language))

    async def read(self, conversation: str, seq: int) -> None:
        """Mark the conversation seen up to ``seq``."""
        await self.send_frame(protocol.VisitorRead(conversation=conversation, seq=seq))

    async def handoff(self, topic: str | None = None) -> None:
        await self.send_frame(protocol.VisitorHandoff(topic=topic))

    async def typing(self, active: bool = True) -> None:
        await self.send_frame(protocol.VisitorTyping(active=active))

    async def feedback(self, helpful: bool) -> None:
        """Answer the bot's "Did this solve it?"."""
        await self.send_frame(protocol.VisitorFeedback(helpful=helpful))

    async def choose(self, article: str) -> None:
        """Open one of the articles the bot suggested."""
        await self.send_frame(protocol.VisitorChoose(article=article))

    async def menu(self, item: str) -> None:
        """Press one of the bot's quick-reply buttons."""
        await self.send_frame(protocol.VisitorMenu(item=item))

    async def identify(self, name: str | None = None, email: str | None = None) -> None:
        """Give the visitor's name and email (shown to agents; the email lets an unanswered question become a
        ticket answered by mail)."""
        await self.send_frame(protocol.VisitorIdentify(name=name, email=email))

    async def end(self) -> None:
        """Close the conversation (the chat, not the socket)."""
        await self.send_frame(protocol.VisitorClose())

    async def rate(
        self, conversation: str, csat: int, *, comment: str | None = None, nps: int | None = None,
        ces: int | None = None, timeout: float = 10.0,
    ) -> protocol.Rated:
        """Send the end-of-chat survey of a closed conversation; returns the server's ``rated``, or raises
        ``ServerError`` with the refusal (``not_found``, ``invalid_state``...)."""
        await self.send_frame(protocol.VisitorRate(conversation=conversation, csat=csat, comment=comment, nps=nps,
                                                   ces=ces))
        frame = await self.next_frame(
            lambda f: isinstance(f, protocol.ErrorFrame)
            or (isinstance(f, protocol.Rated) and f.conversation == conversation),
            timeout,
        )
        if isinstance(frame, protocol.ErrorFrame):
            raise ServerError(frame)
        assert isinstance(frame, protocol.Rated)
        return frame

    async def wait_queue(self, timeout: float = 10.0) -> protocol.QueueUpdate:
        frame = await self.next_frame(lambda f: isinstance(f, protocol.QueueUpdate), timeout)
        assert isinstance(frame, protocol.QueueUpdate)
        return frame
