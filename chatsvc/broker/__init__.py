"""Fan-out and live state between server processes, chosen by URL: in-process (``memory://`` / empty) or Redis."""

from __future__ import annotations

from chatsvc.broker.base import Broker, Handler
from chatsvc.broker.live_state import AgentRecord, LiveState, QueueMirror, create_live_state


def create_broker(url: str, *, prefix: str = "chatsvc:") -> Broker:
    if not url or url.startswith("memory://"):
        from chatsvc.broker.memory import MemoryBroker

        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from chatsvc.broker.redis import RedisBroker

        return RedisBroker(url, prefix=prefix)
    raise ValueError("unsupported broker URL: use redis://host:port/db, or leave it empty for in-process")


__all__ = ["AgentRecord", "Broker", "Handler", "LiveState", "QueueMirror", "create_broker", "create_live_state"]
