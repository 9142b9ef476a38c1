"""The broker contract. Messages are notifications: the database stays the truth.

A process subscribes to the channels its sockets need (``conv:ID``, ``conv-staff:ID``, ``user:ID``, ``staff``) and
receives what any process publishes there. Delivery is at most once and may be lost across a broker outage;
``on_resync`` then tells the process to catch up from the database.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

Handler = Callable[[str, bytes], None]
ResyncHandler = Callable[[], None]


class Broker(abc.ABC):
    name = "broker"

    def __init__(self) -> None:
        self._handler: Handler | None = None
        self._on_resync: ResyncHandler | None = None

    async def start(self, handler: Handler, on_resync: ResyncHandler | None = None) -> None:
        self._handler = handler
        self._on_resync = on_resync

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    @abc.abstractmethod
    async def subscribe(self, channel: str) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, channel: str) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> bool: ...

    def _deliver(self, channel: str, data: bytes) -> None:
        if self._handler is not None:
            self._handler(channel, data)
