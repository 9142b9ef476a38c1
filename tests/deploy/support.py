"""What the deployment tests share: real ``chatsvc serve`` processes on one PostgreSQL database and one Redis
prefix (skipped without them, failed under CHATSVC_REQUIRE_SERVICES=1), staff made through the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, missing
from tests.support.servers import STAFF_PASSWORD, Backend, postgres_database, redis_prefix


@contextlib.asynccontextmanager
async def shared_backend() -> AsyncIterator[Backend]:
    """One fresh PostgreSQL database and Redis prefix for several processes (SQLite and the in-process broker
    are for one process only)."""
    if not TEST_DATABASE_URL:
        missing("CHATSVC_TEST_DATABASE_URL is not set: several processes need PostgreSQL")
    if not TEST_REDIS_URL:
        missing("CHATSVC_TEST_REDIS_URL is not set: several processes need Redis")
    async with postgres_database(TEST_DATABASE_URL) as database_url, redis_prefix(TEST_REDIS_URL) as prefix:
        yield Backend(name="postgres+redis", database_url=database_url, redis_url=TEST_REDIS_URL, redis_prefix=prefix)


def server_env(backend: Backend, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "CHATSVC_DATABASE_URL": backend.database_url,
        "CHATSVC_REDIS_URL": backend.redis_url,
        "CHATSVC_REDIS_PREFIX": backend.redis_prefix,
        "CHATSVC_DATA_DIR": str(data_dir),
        "CHATSVC_AGENT_GRACE_SECONDS": "20",
        "CHATSVC_RATE_PER_SECOND": "1000",
        "CHATSVC_RATE_BURST": "1000",
        "CHATSVC_LOG_LEVEL": "info",
        **extra,
    }


async def add_user(env: dict[str, str], cwd: Path, email: str, role: str) -> None:
    """``chatsvc user add`` (the password on stdin), as an operator would."""
    add = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatsvc", "user", "add", "--role", role, "--email", email, "--name", role.title(),
        "--password-stdin", env={**os.environ, **env}, cwd=cwd,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )
    await add.communicate((STAFF_PASSWORD + "\n").encode())
    assert add.returncode == 0


async def login(url: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/auth/login", json={"email": email, "password": STAFF_PASSWORD})
        response.raise_for_status()
        return str(response.json()["token"])
