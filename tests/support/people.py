"""Staff of each role on a running test server (password ``STAFF_PASSWORD``, no password change pending)."""

from __future__ import annotations

import dataclasses

from chatsvc.store import records
from tests.support.servers import InProcessServer


@dataclasses.dataclass(frozen=True)
class People:
    admin: records.User
    manager: records.User
    agent: records.User


async def people_on(server: InProcessServer) -> People:
    return People(
        admin=await server.add_staff("Ada Admin", role="admin"),
        manager=await server.add_staff("Max Manager", role="manager"),
        agent=await server.add_staff("Alex Agent", role="agent"),
    )
