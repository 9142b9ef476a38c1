"""The SIGTERM drain: this process is going away, its clients are told to go elsewhere first.

``begin()`` flips ``/healthz`` to 503 ``draining`` (a load balancer stops sending here) and tells every open
socket to end: each stops reading, lets the frame it is handling finish (a message being committed is
committed and acknowledged), sends what it has queued, then closes with 1012 "server restarting" so that its
client reconnects (through the balancer, or to the next URL it was given) and resumes by seq. New WebSocket
handshakes meanwhile get HTTP 503, which nginx's ``proxy_next_upstream http_503`` passes to another process.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Drainable(Protocol):
    def drain(self) -> None: ...


class Drain:
    def __init__(self) -> None:
        self.active = False
        self.sockets: set[Drainable] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def begin(self) -> None:
        if self.active:
            return
        self.active = True
        for socket in list(self.sockets):
            socket.drain()

    def add(self, socket: Drainable) -> None:
        self.sockets.add(socket)
        self._idle.clear()
        if self.active:  # accepted just as the drain began
            socket.drain()

    def discard(self, socket: Drainable) -> None:
        self.sockets.discard(socket)
        if not self.sockets:
            self._idle.set()

    async def wait_closed(self, timeout: float) -> bool:
        """True once every socket has ended, False if some were still open after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        return True
