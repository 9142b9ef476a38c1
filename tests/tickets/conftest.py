"""Ticket tests' shared helpers: a clock the test moves, and services started without a server."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from chatsvc.domain.tickets import Source
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.container import Services
from chatsvc.services.tickets import Intake, Requester
from tests.support.servers import Backend, make_settings

PARIS = ZoneInfo("Europe/Paris")
FRIDAY_4PM = datetime.datetime(2026, 11, 20, 16, 0, tzinfo=PARIS)  # a Friday
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [],
    "sun": [],
}


class MovableClock:
    def __init__(self, start: datetime.datetime) -> None:
        self.now = start.astimezone(datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
async def clock_and_services(backend: Backend, tmp_path) -> AsyncIterator[tuple[MovableClock, Services]]:  # type: ignore[no-untyped-def]
    clock = MovableClock(FRIDAY_4PM)
    services = Services(make_settings(backend, tmp_path, worker_interval=3600.0), clock)
    await services.start()
    try:
        yield clock, services
    finally:
        await services.stop()


async def make_ticket(services: Services, subject: str = "Where is my parcel?") -> str:
    site = await services.account_store.find_site_by_key("default")
    assert site is not None
    ticket = await services.tickets.create(Intake(
        site=site, source=Source.API, subject=subject, question="It never came.",
        requester=Requester(name="Vera", email="vera@example.com"),
    ))
    return ticket.id


async def manager_identity(services: Services) -> StaffIdentity:
    user = await services.accounts.create_user(
        email="boss@support.example", name="Boss", role="manager", password="a long enough passphrase 42"
    )
    return StaffIdentity(user=user, session=None)  # type: ignore[arg-type]


async def staff_api(server, user) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An HTTP client of the real server, signed in as ``user`` with a Bearer token."""
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
