"""Scale-out tests: 3 ``chatsvc serve`` processes on one PostgreSQL database and one Redis (issue 8).

They need PostgreSQL and Redis: skipped with the reason without them, failed under CHATSVC_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, missing
from tests.support.cluster import Cluster, RedisServer, running_cluster
from tests.support.servers import Backend, postgres_database, redis_prefix


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test."""
    if not TEST_DATABASE_URL:
        missing("CHATSVC_TEST_DATABASE_URL is not set: the scale-out tests need PostgreSQL")
    async with postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
async def cluster_backend(pg_url: str) -> AsyncIterator[Backend]:
    """One fresh PostgreSQL database and a Redis prefix of this test's own on the shared Redis."""
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: the scale-out tests need Redis")
    async with redis_prefix(TEST_REDIS_URL) as prefix:
        yield Backend(name="postgres+redis", database_url=pg_url, redis_url=TEST_REDIS_URL, redis_prefix=prefix)


@pytest.fixture
async def cluster(cluster_backend: Backend, tmp_path: Path) -> AsyncIterator[Cluster]:
    """3 processes started at once, with an admin signed in."""
    async with running_cluster(cluster_backend, tmp_path) as running:
        yield running


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A ``redis-server`` of this test's own (to restart without disturbing the shared one)."""
    import shutil

    if shutil.which("redis-server") is None:
        missing("redis-server is not installed: the Redis restart test needs its own")
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
