"""Two server processes on one PostgreSQL and one Redis: a change committed by one reaches a manager socket on the
other within a second (the ``stats`` notice crosses the broker; the snapshot is read from the database)."""

from __future__ import annotations

import time

import pytest

from chatsvc.client import VisitorClient
from tests.console_server import ORIGIN
from tests.manager_live import manager_wire


async def test_a_change_in_one_process_reaches_a_panel_on_the_other(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    if not backend.redis_url:
        pytest.skip("one process only on the in-process broker")
    async with start_server(backend) as first, start_server(backend) as second:
        manager = await second.add_staff("Maya", role="manager")
        visitor = VisitorClient(first.url, origin=ORIGIN)
        try:
            async with manager_wire(second, await second.staff_token(manager)) as panel:
                await panel.wait_for(lambda f: f["type"] == "stats" and f["waiting"] == 0)
                await visitor.connect()
                await visitor.send("Where is my order 991?")
                started = time.monotonic()
                await visitor.handoff()
                frame = await panel.wait_for(lambda f: f["type"] == "stats" and f["waiting"] == 1, timeout=5)
                assert time.monotonic() - started < 1.0
                assert frame["oldest_queued_at"] is not None
                # The first process published the notice; the second computed the frame.
                assert first.services.live_stats.sockets == set()
                assert second.services.live_stats.version >= 2
        finally:
            await visitor.close()
