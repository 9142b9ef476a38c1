"""Several real ``chatsvc serve`` processes on one PostgreSQL database and one Redis (issue 8, Scale-out).

A ``Cluster`` starts N ``ServerProcess`` at the same moment (which also exercises the start-up advisory locks),
creates staff (an admin through the CLI, agents through the admin API), hands out visitor and agent clients whose
list of base URLs starts at a chosen process (they move to the next one when their socket fails), kills and
restarts processes, and reads the truth back: transcripts through the API, conversations straight from the
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chatsvc.client import AgentClient, VisitorClient
from chatsvc.store.database import async_url
from chatsvc.store.schema import conversations
from tests.support.servers import STAFF_PASSWORD, Backend, ServerProcess, free_port

ADMIN_EMAIL = "root@support.example"

# Short times so that presence expiry and the grace period fit in a test; generous limits so that 200 visitors
# from one address are not refused.
CLUSTER_ENV = {
    "CHATSVC_AGENT_GRACE_SECONDS": "2",
    "CHATSVC_PRESENCE_HEARTBEAT": "0.2",
    "CHATSVC_PRESENCE_TTL": "0.6",
    "CHATSVC_DRAIN_SECONDS": "2",
    # 3 processes x (2 x 6 + 3) = 45 PostgreSQL connections at most, well below the server's 100.
    "CHATSVC_DATABASE_POOL": "6",
    "CHATSVC_RATE_PER_SECOND": "1000",
    "CHATSVC_RATE_BURST": "1000",
    "CHATSVC_MAX_CONNECTIONS_PER_ADDRESS": "10000",
    "CHATSVC_LOGIN_ATTEMPTS": "10000",
    "CHATSVC_PING_INTERVAL": "5",
    # Long enough that a machine loaded by three servers and the test never fails a live socket's ping (1011
    # "keepalive ping timeout" once stood in for the 1012 a rolling restart must show); no test relies on it.
    "CHATSVC_PING_TIMEOUT": "20",
    "CHATSVC_HELLO_TIMEOUT": "10",
    "CHATSVC_LIVE_STATS_INTERVAL": "1",
    "CHATSVC_LOG_LEVEL": "warning",
    "CHATSVC_ALLOWED_ORIGINS": "https://shop.example",
}

FAST_BACKOFF = (0.05, 0.5)


class RecordingMixin:
    """Remembers the close code of every socket the client lost (``close_codes``, one per lost connection)."""

    close_codes: list[int | None]
    connections: int
    closed_code: int | None

    def _init_recording(self) -> None:
        self.close_codes = []

    async def _open(self) -> None:
        if self.connections > len(self.close_codes):  # a reconnection: the previous socket closed with this code
            self.close_codes.append(self.closed_code)
        await super()._open()  # type: ignore[misc]


class Visitor(RecordingMixin, VisitorClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_recording()


class Agent(RecordingMixin, AgentClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_recording()


class Cluster:
    def __init__(self, backend: Backend, workdir: Path, size: int = 3, **env: str) -> None:
        self.backend = backend
        self.workdir = workdir
        self.env = {
            **CLUSTER_ENV,
            "CHATSVC_DATABASE_URL": backend.database_url,
            "CHATSVC_REDIS_URL": backend.redis_url,
            "CHATSVC_REDIS_PREFIX": backend.redis_prefix,
            "CHATSVC_DATA_DIR": str(workdir),
            "CHATSVC_MAIL_OUTBOX": str(workdir / "outbox"),
            **env,
        }
        self.processes = [ServerProcess(self.env, cwd=workdir) for _ in range(size)]
        self.clients: list[VisitorClient | AgentClient] = []
        self.admin_token: str | None = None
        self._engine: AsyncEngine | None = None

    # --- processes ---------------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [process.url for process in self.processes]

    def urls_from(self, index: int) -> list[str]:
        """Every process's URL, starting with process ``index``: a client's home, then where it fails over."""
        n = len(self.processes)
        return [self.processes[(index + k) % n].url for k in range(n)]

    def alive(self) -> list[int]:
        return [i for i, p in enumerate(self.processes) if p.process is not None and p.process.poll() is None]

    async def start(self) -> None:
        """All processes at once: migrations and first-start seeding must not race."""
        await asyncio.gather(*(process.start() for process in self.processes))

    async def kill(self, index: int) -> None:
        await self.processes[index].stop(signal.SIGKILL)

    async def terminate(self, index: int) -> None:
        await self.processes[index].stop(signal.SIGTERM)

    async def restart(self, index: int) -> None:
        await self.processes[index].start()

    async def stop(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await client.close()
        await asyncio.gather(*(p.stop(signal.SIGTERM) for p in self.processes), return_exceptions=True)
        if self._engine is not None:
            await self._engine.dispose()

    def logs(self) -> str:
        return "\n".join(f"--- process {i} ({p.url}) ---\n{p.log()[-4000:]}" for i, p in enumerate(self.processes))

    def tracebacks(self) -> str:
        return "\n".join(p.log() for p in self.processes if "Traceback" in p.log())

    # --- staff ---------------------------------------------------------------------------------------

    async def add_admin(self) -> str:
        """An admin through the CLI (as an operator would), signed in; returns the session token."""
        await self._create_admin()
        self.admin_token = await self.login(ADMIN_EMAIL)
        return self.admin_token

    async def start_with_admin(self) -> None:
        """The processes and the CLI creating the admin, all at the same moment (the CLI migrates too, under
        the same advisory lock), then the admin signed in."""
        await asyncio.gather(self.start(), self._create_admin())
        self.admin_token = await self.login(ADMIN_EMAIL)

    async def _create_admin(self) -> None:
        add = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatsvc", "user", "add", "--role", "admin", "--email", ADMIN_EMAIL,
            "--name", "Root", "--password-stdin", env={**os.environ, **self.env}, cwd=self.workdir,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await add.communicate((STAFF_PASSWORD + "\n").encode())
        assert add.returncode == 0, out.decode()

    async def login(self, email: str, index: int | None = None) -> str:
        url = self.processes[index if index is not None else self.alive()[0]].url
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            response = await http.post("/api/auth/login", json={"email": email, "password": STAFF_PASSWORD})
            response.raise_for_status()
            return str(response.json()["token"])

    async def add_agents(self, count: int, *, max_chats: int | None = None, prefix: str = "agent") -> list[str]:
        """``count`` agents created through the admin API, the requests spread over the processes; their emails."""
        if self.admin_token is None:
            await self.add_admin()
        emails = [f"{prefix}{i}@support.example" for i in range(count)]

        async def create(i: int, email: str) -> None:
            url = self.processes[i % len(self.processes)].url
            async with httpx.AsyncClient(base_url=url, timeout=20) as http:
                response = await http.post(
                    "/api/admin/users",
                    json={"email": email, "name": f"{prefix.title()} {i}", "role": "agent",
                          "password": STAFF_PASSWORD, "max_chats": max_chats, "must_change_password": False},
                    headers={"Authorization": f"Bearer {self.admin_token}"},
                )
                assert response.status_code == 201, response.text

        await asyncio.gather(*(create(i, email) for i, email in enumerate(emails)))
        return emails

    # --- clients -------------------------------------------------------------------------------------

    def visitor(self, home: int, **kwargs: Any) -> Visitor:
        kwargs.setdefault("backoff", FAST_BACKOFF)
        client = Visitor(self.urls_from(home), **kwargs)
        self.clients.append(client)
        return client

    def agent(self, email: str, home: int, **kwargs: Any) -> Agent:
        kwargs.setdefault("backoff", FAST_BACKOFF)
        client = Agent(self.urls_from(home), email, STAFF_PASSWORD, **kwargs)
        self.clients.append(client)
        return client

    # --- the truth -----------------------------------------------------------------------------------

    async def api(self, method: str, path: str, *, index: int | None = None, **kwargs: Any) -> httpx.Response:
        """An admin's API call to process ``index`` (default: the first one alive)."""
        assert self.admin_token is not None
        url = self.processes[index if index is not None else self.alive()[0]].url
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            return await http.request(
                method, path, headers={"Authorization": f"Bearer {self.admin_token}"}, **kwargs
            )

    async def transcript(self, conversation: str, *, index: int | None = None) -> list[dict[str, Any]]:
        """The stored events of a conversation, through ``GET /api/conversations/{id}``."""
        response = await self.api("GET", f"/api/conversations/{conversation}", index=index)
        response.raise_for_status()
        return list(response.json()["events"])

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(async_url(self.backend.database_url))
        return self._engine

    async def conversations(self) -> list[sa.Row[Any]]:
        """Every conversation row, in queue order (priority, returned chats first, then first come)."""
        query = sa.select(conversations).order_by(
            conversations.c.priority.desc(),
            conversations.c.queue_front.desc(),
            conversations.c.queued_at,
            conversations.c.id,
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def user_ids(self) -> dict[str, str]:
        """email → user id."""
        from chatsvc.store.schema import users

        async with self.engine.connect() as conn:
            return {row.email: row.id for row in await conn.execute(sa.select(users.c.email, users.c.id))}


@contextlib.asynccontextmanager
async def running_cluster(
    backend: Backend, workdir: Path, size: int = 3, *, admin: bool = True, **env: str
) -> AsyncIterator[Cluster]:
    """``size`` processes started at once (with an admin created by the CLI meanwhile, unless ``admin=False``)."""
    cluster = Cluster(backend, workdir, size, **env)
    try:
        await (cluster.start_with_admin() if admin else cluster.start())
        yield cluster
    finally:
        await cluster.stop()


class RedisServer:
    """A ``redis-server`` of the test's own on a free port, keeping nothing on disk (so a restart comes back
    empty), to stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(self.workdir / f"redis-{self.port}.log", "ab") as log:
            return subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                 "no"],
                cwd=self.workdir, stdout=log, stderr=log,
            )

    async def start(self) -> None:
        self.process = self._spawn()
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            await asyncio.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    async def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        await asyncio.get_running_loop().run_in_executor(None, self.process.wait, 10)
        self.process = None


def same_screens(clients: Sequence[VisitorClient | AgentClient], conversation: str) -> list[tuple[int, str, Any]]:
    """What each client shows of ``conversation`` as (seq, kind, text); asserts they all show the same, with no
    seq missing; returns it."""
    shown = [[(e.seq, e.kind, e.text) for e in c.transcripts.get(conversation, [])] for c in clients]
    for other in shown[1:]:
        assert other == shown[0]
    assert [seq for seq, _, _ in shown[0]] == list(range(1, len(shown[0]) + 1))
    return shown[0]
