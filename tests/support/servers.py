"""Starting real chatsvc servers for tests: in this process (uvicorn on a free port) or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from chatsvc.client import AgentClient
from chatsvc.server import uvicorn_config
from chatsvc.services.container import Services
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.database import async_url

STAFF_PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str
    redis_prefix: str = "chatsvc-test:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(backend: Backend, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: short grace periods and pings so the suite stays fast; generous rate limits."""
    base = Settings(
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        redis_prefix=backend.redis_prefix,
        data_dir=data_dir,
        allowed_origins=("https://shop.example",),
        agent_grace_seconds=1.0,
        presence_heartbeat=0.2,  # the grace must exceed the lease's TTL (a vanished process is noticed in time)
        presence_ttl=0.6,
        ping_interval=5.0,
        ping_timeout=5.0,
        hello_timeout=5.0,
        rate_per_second=1000.0,
        rate_burst=1000,
        max_connections_per_address=10_000,
        login_attempts=1000,
        log_level="warning",
    )
    return base.replace(**overrides)


class _QuietServer(uvicorn.Server):
    """Leaves the test runner's signal handlers alone (Ctrl-C still stops pytest)."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


class InProcessServer:
    """A real uvicorn server in this event loop, on a free port of 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def services(self) -> Services:
        assert self.server is not None
        return self.server.config.loaded_app.app.state.services  # type: ignore[no-any-return, union-attr]

    async def __aenter__(self) -> InProcessServer:
        config = uvicorn_config(self.settings, "127.0.0.1", self.port)
        config.load()
        self.server = _QuietServer(config)
        self.task = asyncio.create_task(self.server.serve())
        async with asyncio.timeout(20):
            while not self.server.started:
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.02)
        self.app = config.loaded_app
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None and self.task is not None
        self.server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.task, 15)

    async def add_staff(
        self, name: str, *, role: str = "agent", max_chats: int | None = None, email: str | None = None
    ) -> records.User:
        email = email or f"{name.lower().replace(' ', '.')}@support.example"
        return await self.services.accounts.create_user(
            email=email, name=name, role=role, password=STAFF_PASSWORD, max_chats=max_chats
        )

    async def agent(self, user: records.User, **kwargs: Any) -> AgentClient:
        client = AgentClient(self.url, user.email, STAFF_PASSWORD, **kwargs)
        await client.connect()
        return client

    async def staff_token(self, user: records.User) -> str:
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post("/api/auth/login", json={"email": user.email, "password": STAFF_PASSWORD})
            response.raise_for_status()
            return str(response.json()["token"])


class ServerProcess:
    """``chatsvc serve`` as a child process, to stop (SIGTERM or SIGKILL) and start again on the same port."""

    def __init__(self, env: dict[str, str], cwd: Path, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        self.log_path = cwd / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    async def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chatsvc", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env={**os.environ, **self.env},
                cwd=self.cwd,
                stdout=log,
                stderr=log,
            )
        async with httpx.AsyncClient() as http:
            for _ in range(400):
                if self.process.poll() is not None:
                    raise RuntimeError("server exited:\n" + self.log())
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.url + "/healthz", timeout=1)).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise RuntimeError("server did not start:\n" + self.log())

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        await asyncio.get_running_loop().run_in_executor(None, self.process.wait, 20)
        self.process = None


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"chatsvc_test_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


@contextlib.asynccontextmanager
async def redis_prefix(url: str) -> AsyncIterator[str]:
    """A key and channel prefix of this test's own; its keys are deleted afterwards."""
    import redis.asyncio as aioredis

    prefix = f"chatsvc-test-{uuid.uuid4().hex[:12]}:"
    client = aioredis.Redis.from_url(url)
    try:
        await client.ping()
        yield prefix
    finally:
        async for key in client.scan_iter(match=prefix + "*"):
            await client.delete(key)
        await client.aclose()
