"""Brokers are chosen by URL."""

from __future__ import annotations

import pytest

from chatsvc.broker import create_broker
from chatsvc.broker.memory import MemoryBroker
from chatsvc.broker.redis import RedisBroker


@pytest.mark.parametrize("url", ["", "memory://", "memory://anything"])
def test_memory(url: str) -> None:
    broker = create_broker(url)
    assert isinstance(broker, MemoryBroker) and broker.name == "memory"


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1", "unix:///tmp/redis.sock"])
async def test_redis(url: str) -> None:
    broker = create_broker(url, prefix="p:")
    try:
        assert isinstance(broker, RedisBroker) and broker.name == "redis"
        assert broker.prefix == "p:" and broker.url == url
    finally:
        await broker.stop()  # never started, never connected: stopping is still clean


@pytest.mark.parametrize("url", ["http://localhost", "amqp://mq", "redis", "REDIS://x", "kafka://k"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported broker URL"):
        create_broker(url)
