"""Brokers for the contract tests: the in-process one always, Redis with a prefix of the test's own when configured."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from chatsvc.broker import Broker
from chatsvc.broker.memory import MemoryBroker
from chatsvc.broker.redis import RedisBroker
from tests.conftest import TEST_REDIS_URL, missing
from tests.support.servers import redis_prefix


@dataclasses.dataclass
class Inbox:
    """What one broker handed to its process: messages in arrival order, and resync calls."""

    messages: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    resyncs: int = 0

    def handler(self, channel: str, data: bytes) -> None:
        self.messages.append((channel, bytes(data)))

    def on_resync(self) -> None:
        self.resyncs += 1

    def on(self, channel: str) -> list[bytes]:
        return [data for name, data in self.messages if name == channel]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)

    async def wait_count(self, count: int, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.messages) >= count, timeout)


MakeBroker = Callable[..., Awaitable[tuple[Broker, Inbox]]]


@dataclasses.dataclass
class BrokerKind:
    name: str
    url: str
    prefix: str


@pytest.fixture(params=["memory", "redis"])
async def broker_kind(request: pytest.FixtureRequest) -> AsyncIterator[BrokerKind]:
    if request.param == "memory":
        yield BrokerKind("memory", "", "")
        return
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: Redis tests skipped")
    async with redis_prefix(TEST_REDIS_URL) as prefix:
        yield BrokerKind("redis", TEST_REDIS_URL, prefix)


@pytest.fixture
async def redis_kind() -> AsyncIterator[BrokerKind]:
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: Redis tests skipped")
    async with redis_prefix(TEST_REDIS_URL) as prefix:
        yield BrokerKind("redis", TEST_REDIS_URL, prefix)


def _factory(kind: BrokerKind, started: list[Broker]) -> MakeBroker:
    async def make(*, prefix: str | None = None, url: str | None = None) -> tuple[Broker, Inbox]:
        broker: Broker
        if kind.name == "memory":
            broker = MemoryBroker()
        else:
            broker = RedisBroker(url or kind.url, prefix=kind.prefix if prefix is None else prefix)
        inbox = Inbox()
        await broker.start(inbox.handler, inbox.on_resync)
        started.append(broker)
        return broker, inbox

    return make


@pytest.fixture
async def make_broker(broker_kind: BrokerKind) -> AsyncIterator[MakeBroker]:
    """``broker, inbox = await make_broker()``: a started broker of this test's kind, stopped afterwards."""
    started: list[Broker] = []
    yield _factory(broker_kind, started)
    for broker in started:
        await broker.stop()


@pytest.fixture
async def make_redis_broker(redis_kind: BrokerKind) -> AsyncIterator[MakeBroker]:
    started: list[Broker] = []
    yield _factory(redis_kind, started)
    for broker in started:
        await broker.stop()
