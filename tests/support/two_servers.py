"""Two real servers in this process on one fresh PostgreSQL database and one Redis prefix: two processes of one
installation, for what must hold across processes (presence, dispatch, queue places)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, missing
from tests.support.servers import Backend, InProcessServer, make_settings, postgres_database, redis_prefix


@contextlib.asynccontextmanager
async def two_servers(tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[InProcessServer, InProcessServer]]:
    """Skips (or fails, under CHATSVC_REQUIRE_SERVICES=1) without PostgreSQL and Redis; ``overrides`` are settings."""
    if not TEST_DATABASE_URL:
        missing("CHATSVC_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: Redis tests skipped")
    async with postgres_database(TEST_DATABASE_URL) as database_url, redis_prefix(TEST_REDIS_URL) as prefix:
        settings = make_settings(Backend("postgres+redis", database_url, TEST_REDIS_URL, prefix), tmp_path, **overrides)
        async with InProcessServer(settings) as one, InProcessServer(settings) as two:
            yield one, two


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds (checked every 50 ms), or fail with TimeoutError."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)
