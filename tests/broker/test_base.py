"""The broker contract, run against every broker: what a process publishes reaches its subscribed channels."""

from __future__ import annotations

import asyncio

import pytest

from tests.broker.conftest import BrokerKind, MakeBroker


async def test_publish_reaches_a_subscriber(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("conv:abc")
    await broker.publish("conv:abc", b'{"type":"event","seq":1}')
    await inbox.wait_count(1)
    assert inbox.messages == [("conv:abc", b'{"type":"event","seq":1}')]  # the channel comes back unprefixed


async def test_payload_bytes_arrive_unchanged(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("c")
    payloads = [b"", b"\x00\xff\xfe binary", "caf\u00e9 \N{GRINNING FACE}".encode(), b"x" * 100_000]
    for payload in payloads:
        await broker.publish("c", payload)
    await inbox.wait_count(len(payloads))
    assert inbox.on("c") == payloads


async def test_order_is_kept_for_a_thousand_messages(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("conv:order")
    for n in range(1000):
        await broker.publish("conv:order", str(n).encode())
    await inbox.wait_count(1000, timeout=20)
    assert inbox.on("conv:order") == [str(n).encode() for n in range(1000)]


async def test_concurrent_publishes_all_arrive(
    make_broker: MakeBroker, broker_kind: BrokerKind, request: pytest.FixtureRequest
) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("c")
    await asyncio.gather(*(broker.publish("c", str(n).encode()) for n in range(200)))
    await inbox.wait_count(200)
    assert sorted(int(d) for d in inbox.on("c")) == list(range(200))


async def test_nothing_arrives_without_a_subscription(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("marker")
    await broker.publish("not-subscribed", b"lost")
    await broker.publish("marker", b"done")  # published after: once it is here, the other would be too
    await inbox.wait_count(1)
    assert inbox.messages == [("marker", b"done")]


async def test_unsubscribe_stops_delivery(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    await broker.subscribe("conv:1")
    await broker.subscribe("marker")
    await broker.publish("conv:1", b"first")
    await inbox.wait_count(1)
    await broker.unsubscribe("conv:1")
    await broker.publish("conv:1", b"after unsubscribe")
    await broker.publish("marker", b"done")
    await inbox.wait_count(2)
    assert inbox.messages == [("conv:1", b"first"), ("marker", b"done")]
    # And subscribing again resumes.
    await broker.subscribe("conv:1")
    await broker.publish("conv:1", b"again")
    await inbox.wait_count(3)
    assert inbox.on("conv:1") == [b"first", b"again"]


async def test_subscribe_is_idempotent_and_unsubscribe_is_not_counted(make_broker: MakeBroker) -> None:
    # Counting followers per channel is the hub's job; the broker keeps a set.
    broker, inbox = await make_broker()
    await broker.subscribe("c")
    await broker.subscribe("c")
    await broker.subscribe("marker")
    await broker.publish("c", b"once")
    await inbox.wait_count(1)
    assert inbox.messages == [("c", b"once")]  # not delivered twice
    await broker.unsubscribe("c")
    await broker.unsubscribe("c")  # a second unsubscribe is harmless
    await broker.unsubscribe("never-subscribed")
    await broker.publish("c", b"gone")
    await broker.publish("marker", b"done")
    await inbox.wait_count(2)
    assert inbox.messages == [("c", b"once"), ("marker", b"done")]


async def test_channels_are_isolated(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    for channel in ("conv:a", "conv:b", "user:a"):
        await broker.subscribe(channel)
    await broker.publish("conv:a", b"a1")
    await broker.publish("conv:b", b"b1")
    await broker.publish("conv:ab", b"neither")  # a name that shares a prefix with subscribed ones
    await broker.publish("conv:*", b"not a pattern")
    await broker.publish("user:a", b"u1")
    await broker.publish("conv:a", b"a2")
    await inbox.wait_count(4)
    assert inbox.messages == [("conv:a", b"a1"), ("conv:b", b"b1"), ("user:a", b"u1"), ("conv:a", b"a2")]


async def test_ping(make_broker: MakeBroker) -> None:
    broker, _ = await make_broker()
    assert await broker.ping() is True


async def test_many_channels_on_one_broker(make_broker: MakeBroker) -> None:
    broker, inbox = await make_broker()
    channels = [f"conv:{n}" for n in range(100)]
    await asyncio.gather(*(broker.subscribe(c) for c in channels))
    for channel in channels:
        await broker.publish(channel, channel.encode())
    await inbox.wait_count(100)
    assert inbox.messages == [(c, c.encode()) for c in channels]


async def test_stop_is_clean(make_broker: MakeBroker) -> None:
    broker, _ = await make_broker()
    await broker.subscribe("c")
    await broker.stop()  # the fixture stops it again: stopping twice must be harmless too
