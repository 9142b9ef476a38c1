"""The in-process broker: one process, so a publish is a function call."""

from __future__ import annotations

from chatsvc.broker.memory import MemoryBroker
from tests.broker.conftest import Inbox


async def test_delivery_happens_during_publish() -> None:
    broker, inbox = MemoryBroker(), Inbox()
    await broker.start(inbox.handler, inbox.on_resync)
    await broker.subscribe("c")
    await broker.publish("c", b"now")
    assert inbox.messages == [("c", b"now")]  # no waiting needed: before publish returned
    assert inbox.resyncs == 0  # nothing to lose, nothing to resync
    await broker.stop()


async def test_two_memory_brokers_are_two_worlds() -> None:
    # Real behaviour: nothing is shared between instances, which is why embedded mode is one process.
    first, second = MemoryBroker(), MemoryBroker()
    first_inbox, second_inbox = Inbox(), Inbox()
    await first.start(first_inbox.handler)
    await second.start(second_inbox.handler)
    await second.subscribe("c")
    await first.subscribe("c")
    await first.publish("c", b"from first")
    assert first_inbox.messages == [("c", b"from first")]
    assert second_inbox.messages == []


async def test_stop_forgets_subscriptions() -> None:
    broker, inbox = MemoryBroker(), Inbox()
    await broker.start(inbox.handler)
    await broker.subscribe("c")
    await broker.stop()
    await broker.publish("c", b"after stop")
    assert inbox.messages == []


async def test_publish_before_start_goes_nowhere() -> None:
    broker = MemoryBroker()
    await broker.subscribe("c")
    await broker.publish("c", b"no handler yet")  # must not raise
    assert await broker.ping()
