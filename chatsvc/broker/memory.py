"""In-process broker for the embedded default: one process, so publishing is a function call."""

from __future__ import annotations

from chatsvc.broker.base import Broker


class MemoryBroker(Broker):
    name = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._channels: set[str] = set()

    async def stop(self) -> None:
        self._channels.clear()

    async def publish(self, channel: str, data: bytes) -> None:
        if channel in self._channels:
            self._deliver(channel, data)

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def ping(self) -> bool:
        return True
