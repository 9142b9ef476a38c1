"""Visitors who left: who holds a socket in this process, and the sweep that closes the chats they left behind.

A visitor who closes the tab while the bot talks to them or while they wait in the queue would otherwise stay
"waiting" for ever: the visitors behind them see a wrong position and agents are handed ghosts. The database is
the truth across processes: each process keeps the ids of the visitors with an open socket in it, marks them seen
(``visitors.last_seen_at``) every grace/4 seconds, and closes, through the chat service, the ``bot`` or ``queued``
chats whose visitor was last seen more than ``CHATSVC_VISITOR_GRACE_SECONDS`` ago and holds no socket here. The
close re-checks the last-seen time in its own transaction, so two processes sweeping at once close a chat once,
and a visitor who came back (to any process) in between keeps it. Assigned chats are the agent's to close.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import logging
from collections.abc import Awaitable, Callable

from chatsvc.services.clock import Clock
from chatsvc.services.tasks import stop_task
from chatsvc.settings import Settings
from chatsvc.store.conversations import ConversationStore

log = logging.getLogger("chatsvc.visitors")

CloseLeft = Callable[[str, datetime.datetime], Awaitable[object]]


class VisitorPresence:
    def __init__(self, settings: Settings, conversations: ConversationStore, clock: Clock) -> None:
        self.grace = settings.visitor_grace_seconds
        self.conversations = conversations
        self.clock = clock
        self.sockets: collections.Counter[str] = collections.Counter()  # visitor id -> open sockets here
        self._close_left: CloseLeft | None = None
        self._started: datetime.datetime | None = None
        self._task: asyncio.Task[None] | None = None

    # --- sockets (called by the visitor endpoint) ----------------------------------------------------

    def connected(self, visitor_id: str) -> None:
        """A socket of this visitor opened here (the handshake has just marked them seen)."""
        self.sockets[visitor_id] += 1

    async def disconnected(self, visitor_id: str) -> None:
        """A socket of this visitor closed here: the grace counts from now, the last moment they were there."""
        self.sockets[visitor_id] -= 1
        if self.sockets[visitor_id] <= 0:
            del self.sockets[visitor_id]
        await self.conversations.mark_seen([visitor_id], self.clock())

    # --- the sweep -----------------------------------------------------------------------------------

    def start(self, close_left: CloseLeft) -> None:
        self._close_left = close_left
        self._started = self.clock()
        self._task = asyncio.create_task(self._run(), name="chatsvc-visitor-presence")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.grace / 4)
            try:
                await self.sweep()
            except Exception:
                log.exception("visitor presence sweep failed; trying again later")

    async def sweep(self) -> int:
        """Mark this process's visitors seen, then close what visitors gone longer than the grace left
        (after a start, only once this process has run for the grace: visitors of a restarted server get
        that long to reconnect). Returns how many chats it closed."""
        assert self._close_left is not None and self._started is not None
        now = self.clock()
        if self.sockets:
            await self.conversations.mark_seen(list(self.sockets), now)
        if (now - self._started).total_seconds() < self.grace:
            return 0
        seen_before = now - datetime.timedelta(seconds=self.grace)
        closed = 0
        for conversation, _ in await self.conversations.left_unattended(seen_before):
            if conversation.visitor_id in self.sockets:
                continue  # here now (marked above); another process's clock may simply run ahead
            if await self._close_left(conversation.id, seen_before) is not None:
                closed += 1
        return closed
