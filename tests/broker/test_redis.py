"""The Redis broker across "processes" (separate broker instances) and through connection loss."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from chatsvc.broker.redis import RedisBroker
from tests.broker.conftest import BrokerKind, MakeBroker


async def test_two_processes_see_each_others_publishes(make_redis_broker: MakeBroker) -> None:
    first, first_inbox = await make_redis_broker()
    second, second_inbox = await make_redis_broker()
    await first.subscribe("conv:shared")
    await second.subscribe("conv:shared")
    await first.publish("conv:shared", b"from first")
    await second.publish("conv:shared", b"from second")
    await first_inbox.wait_count(2)
    await second_inbox.wait_count(2)
    # Both see both, in the order Redis received them, the publisher's own message included.
    assert first_inbox.on("conv:shared") == second_inbox.on("conv:shared") == [b"from first", b"from second"]


async def test_a_process_receives_only_what_it_subscribed(make_redis_broker: MakeBroker) -> None:
    first, first_inbox = await make_redis_broker()
    second, second_inbox = await make_redis_broker()
    await first.subscribe("conv:a")
    await second.subscribe("conv:b")
    await first.publish("conv:b", b"for second")
    await second.publish("conv:a", b"for first")
    await first_inbox.wait_count(1)
    await second_inbox.wait_count(1)
    assert first_inbox.messages == [("conv:a", b"for first")]
    assert second_inbox.messages == [("conv:b", b"for second")]


async def test_another_prefix_is_another_installation(make_redis_broker: MakeBroker, redis_kind: BrokerKind) -> None:
    ours, our_inbox = await make_redis_broker()
    theirs, their_inbox = await make_redis_broker(prefix=redis_kind.prefix + "other:")
    for broker in (ours, theirs):
        await broker.subscribe("conv:1")
        await broker.subscribe("marker")
    await ours.publish("conv:1", b"ours")
    await theirs.publish("conv:1", b"theirs")
    await ours.publish("marker", b"done")
    await theirs.publish("marker", b"done")
    await our_inbox.wait_count(2)
    await their_inbox.wait_count(2)
    assert our_inbox.messages == [("conv:1", b"ours"), ("marker", b"done")]
    assert their_inbox.messages == [("conv:1", b"theirs"), ("marker", b"done")]


async def test_channels_are_prefixed_in_redis(redis_kind: BrokerKind, make_redis_broker: MakeBroker) -> None:
    broker, _ = await make_redis_broker()
    raw = aioredis.Redis.from_url(redis_kind.url)
    try:
        pubsub = raw.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(redis_kind.prefix + "conv:1")
        await broker.publish("conv:1", b"seen by a plain client")
        async with asyncio.timeout(5):
            while (message := await pubsub.get_message(timeout=1.0)) is None:
                pass
        assert message["channel"] == (redis_kind.prefix + "conv:1").encode()
        assert message["data"] == b"seen by a plain client"
        await pubsub.aclose()
    finally:
        await raw.aclose()


async def test_the_control_channel_is_not_delivered(redis_kind: BrokerKind, make_redis_broker: MakeBroker) -> None:
    broker, inbox = await make_redis_broker()
    await broker.subscribe("marker")
    raw = aioredis.Redis.from_url(redis_kind.url)
    try:
        await raw.publish(broker._control, b"internal")  # type: ignore[attr-defined]
    finally:
        await raw.aclose()
    await broker.publish("marker", b"done")
    await inbox.wait_count(1)
    assert inbox.messages == [("marker", b"done")]


# --- losing the connection ---------------------------------------------------------------------------------


def _subscriber_address(broker: RedisBroker) -> str:
    """host:port of the broker's subscriber connection as Redis sees it (to kill that one connection only)."""
    connection = broker._pubsub.connection
    assert connection is not None
    host, port = connection._writer.get_extra_info("sockname")[:2]  # redis-py internals, for the test only
    return f"{host}:{port}"


async def test_a_killed_subscriber_connection_is_restored(
    redis_kind: BrokerKind, make_redis_broker: MakeBroker
) -> None:
    broker, inbox = await make_redis_broker()
    publisher, _ = await make_redis_broker()
    await broker.subscribe("conv:1")
    await broker.subscribe("conv:2")
    await publisher.publish("conv:1", b"before")
    await inbox.wait_count(1)
    assert inbox.resyncs == 0

    admin = aioredis.Redis.from_url(redis_kind.url)
    try:
        # CLIENT KILL TYPE pubsub, narrowed to this broker's connection: the Redis server is shared with other
        # test runs, whose subscribers must not be cut.
        killed = await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub", "ADDR", _subscriber_address(broker))
        assert killed == 1
    finally:
        await admin.aclose()

    await inbox.wait_for(lambda: inbox.resyncs >= 1, timeout=10)  # "catch up from the database"
    await publisher.publish("conv:1", b"after on 1")
    await publisher.publish("conv:2", b"after on 2")
    await inbox.wait_for(lambda: len(inbox.on("conv:2")) == 1, timeout=5)
    assert inbox.on("conv:1")[0] == b"before" and inbox.on("conv:1")[-1] == b"after on 1"
    assert inbox.on("conv:2") == [b"after on 2"]
    # Subscribing and unsubscribing work on the new connection.
    await broker.subscribe("conv:3")
    await broker.unsubscribe("conv:1")
    await publisher.publish("conv:1", b"unsubscribed")
    await publisher.publish("conv:3", b"new channel")
    await inbox.wait_for(lambda: inbox.on("conv:3") == [b"new channel"], timeout=5)
    assert b"unsubscribed" not in inbox.on("conv:1")
    assert inbox.resyncs == 1


class RedisGate:
    """A TCP forwarder in front of Redis that can go down (refusing new connections, cutting open ones) and
    come back on the same port: a Redis restart as the broker sees it, without touching the shared server."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update({writer, upstream_writer})
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            sink.transport.abort()


@pytest.fixture
async def gate(redis_kind: BrokerKind) -> AsyncIterator[RedisGate]:
    url = aioredis.connection.parse_url(redis_kind.url)
    proxy = RedisGate(url.get("host", "127.0.0.1"), int(url.get("port", 6379)))
    await proxy.up()
    yield proxy
    with contextlib.suppress(AssertionError):
        await proxy.down()


async def test_during_an_outage_publish_does_not_raise_and_ping_says_false(
    gate: RedisGate, make_redis_broker: MakeBroker
) -> None:
    broker, _ = await make_redis_broker(url=f"redis://127.0.0.1:{gate.port}/0")
    assert await broker.ping() is True
    await gate.down()
    await broker.publish("conv:1", b"lost, and that is allowed")  # the database is the truth
    assert await broker.ping() is False
    await gate.up()
    assert await broker.ping() is True


async def test_a_brief_cut_is_restored(gate: RedisGate, make_redis_broker: MakeBroker) -> None:
    broker, inbox = await make_redis_broker(url=f"redis://127.0.0.1:{gate.port}/0")
    publisher, _ = await make_redis_broker()
    await broker.subscribe("conv:1")
    await gate.down()
    await gate.up()  # back at once: the first reconnect attempt succeeds
    await inbox.wait_for(lambda: inbox.resyncs >= 1, timeout=10)
    await publisher.publish("conv:1", b"after")
    await inbox.wait_for(lambda: inbox.on("conv:1") == [b"after"], timeout=5)


async def test_the_broker_comes_back_after_a_longer_outage(gate: RedisGate, make_redis_broker: MakeBroker) -> None:
    broker, inbox = await make_redis_broker(url=f"redis://127.0.0.1:{gate.port}/0")
    publisher, _ = await make_redis_broker()
    await broker.subscribe("conv:1")
    await publisher.publish("conv:1", b"before")
    await inbox.wait_count(1)
    await gate.down()
    await asyncio.sleep(2.0)  # Redis restarting
    await broker.subscribe("conv:2")  # a socket arrived meanwhile
    await gate.up()
    await inbox.wait_for(lambda: inbox.resyncs >= 1, timeout=10)
    await publisher.publish("conv:1", b"after")
    await publisher.publish("conv:2", b"new")
    await inbox.wait_for(lambda: inbox.on("conv:2") == [b"new"], timeout=5)
    assert inbox.on("conv:1") == [b"before", b"after"]


async def test_ping_is_false_when_redis_is_unreachable() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0", prefix="nowhere:")
    try:
        assert await broker.ping() is False
    finally:
        await broker.stop()
