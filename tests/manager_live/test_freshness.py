"""The live panel hears the changes that store no conversation event (a rating, a ticket), paces its snapshots
however many notices come in, and keeps re-checking a session after a failed look-up; the pacing settings are
checked at load."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import pytest

from chatsvc import errors
from chatsvc.client import VisitorClient
from chatsvc.settings import Settings
from tests.console_server import ORIGIN
from tests.manager_live import closed, manager_wire, stats_frames
from tests.visitor_tickets import leave

FRESH = 1.0  # the promise: the panel shows a change within a second


async def test_a_rating_reaches_the_panel_within_a_second(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    visitor = VisitorClient(server.url, origin=ORIGIN)
    await visitor.connect()
    try:
        async with manager_wire(server, await server.staff_token(manager)) as panel:
            await visitor.handoff()
            update = await visitor.wait_queue()
            await visitor.end()
            await panel.wait_for(lambda f: f["type"] == "stats" and f["today"]["closed"] == 1, timeout=5)
            await asyncio.sleep(0.6)  # past the close's notices
            started = time.monotonic()
            await visitor.rate(update.conversation, 5)
            frame = await panel.wait_for(
                lambda f: f["type"] == "stats" and f["today"]["csat_responses"] == 1, timeout=FRESH + 4
            )
            assert time.monotonic() - started < FRESH, "a rating waited for the periodic refresh"
            assert frame["today"]["csat"] == 1.0
    finally:
        await visitor.close()


async def test_a_ticket_reaches_the_panel_within_a_second(server) -> None:  # type: ignore[no-untyped-def]
    manager = await server.add_staff("Maya", role="manager")
    async with manager_wire(server, await server.staff_token(manager)) as panel:
        await panel.wait_for(lambda f: f["type"] == "stats")
        await asyncio.sleep(0.6)
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await leave(http)
            assert response.status_code in (200, 201), response.text
        await panel.wait_for(
            lambda f: f["type"] == "stats" and f["today"]["tickets_created"] == 1, timeout=FRESH + 4
        )
        assert time.monotonic() - started < FRESH, "a new ticket waited for the periodic refresh"


async def test_notices_from_many_processes_make_one_snapshot_per_interval(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    """Every process publishes up to one notice per interval and hears everyone's: with several processes busy,
    a process must still compute at most one snapshot (today's figures included) per interval."""
    live = sqlite_server.services.live_stats
    manager = await sqlite_server.add_staff("Maya", role="manager")
    async with manager_wire(sqlite_server, await sqlite_server.staff_token(manager)) as panel:
        await panel.wait_for(lambda f: f["type"] == "stats")
        await asyncio.sleep(0.5)
        real = live.snapshot
        computed = 0

        async def slow_snapshot() -> Any:
            nonlocal computed
            computed += 1
            await asyncio.sleep(0.02)  # a busy database
            return await real()

        live.snapshot = slow_snapshot  # type: ignore[method-assign]
        before = len(stats_frames(panel))
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < 1.0:
            live.on_envelope("stats", None)  # type: ignore[arg-type]  # notices of twenty busy processes
            await asyncio.sleep(0.0125)
        await asyncio.sleep(0.6)
        interval = sqlite_server.settings.live_stats_interval
        assert 1 <= computed <= 1.0 / interval + 3, computed
        assert len(stats_frames(panel)) - before == computed


async def test_a_failed_session_check_does_not_end_the_checks(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, session_recheck_seconds=0.2) as server:
        manager = await server.add_staff("Maya", role="manager")
        accounts = server.services.accounts
        async with manager_wire(server, await server.staff_token(manager)) as panel:
            await panel.wait_for(lambda f: f["type"] == "stats")
            calls = 0

            async def flaky(token: Any, **options: Any) -> Any:
                nonlocal calls
                calls += 1
                if calls == 1:
                    raise OSError("the database is restarting")
                raise errors.Unauthorized()  # the session ended by a route no broker message reports

            accounts.authenticate = flaky  # type: ignore[method-assign]
            assert await closed(panel, timeout=5) == (1008, "session_ended")


@pytest.mark.parametrize(
    ("name", "value"),
    [("live_stats_refresh_seconds", 0.0), ("live_stats_refresh_seconds", math.nan),
     ("live_stats_refresh_seconds", -1.0), ("live_stats_interval", -0.1), ("live_stats_interval", math.inf)],
)
def test_pacing_settings_are_checked_at_load(name: str, value: float) -> None:
    with pytest.raises(ValueError, match="CHATSVC_" + name.upper()):
        Settings(**{name: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="CHATSVC_" + name.upper()):
        Settings.from_env({"CHATSVC_" + name.upper(): str(value)})
    Settings(live_stats_interval=0.0, live_stats_refresh_seconds=1.0)  # no throttle is allowed


async def test_guessing_the_metrics_token_is_rate_limited(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    """SECURITY 5: many wrong tokens from one address are refused for a while, the right one too meanwhile."""
    token = "m3trics-t0ken-7f3a9c2e5b"
    async with start_server(sqlite_backend, metrics_token=token) as server, httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})).status_code == 200
        for n in range(20):
            wrong = await http.get("/metrics", headers={"Authorization": f"Bearer guess-{n}"})
            assert wrong.status_code == 401, n
        refused = await http.get("/metrics", headers={"Authorization": "Bearer guess-20"})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= server.settings.login_window
        blocked = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert blocked.status_code == 429 and token not in blocked.text
