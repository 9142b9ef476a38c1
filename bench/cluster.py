"""What bench.scale, bench.idle and bench.soak share: N ``chatsvc serve`` processes on one PostgreSQL + Redis (or
one on SQLite), the reference relays, and lean clients that speak chatsvc's protocol on a bare ``websockets``
connection (no reconnection, no transcripts: the load generator shares the machine's two cores with the servers,
so it does as little as it can per frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import resource
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.procs import ChildServer, free_port, postgres_database, python_module, redis_prefix
from bench.progress import Progress
from bench.seed import PASSWORD, create_agents, email
from chatsvc.domain import protocol

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
_decode = msgspec.json.Decoder().decode  # server frames as plain dicts: the generator reads only a few fields


def database_url() -> str:
    return os.environ.get("CHATSVC_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("CHATSVC_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def raise_fd_limit() -> int:
    """Soft open-files limit up to the hard one (children inherit it: the servers need one fd per socket too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclasses.dataclass
class Cluster:
    """``processes`` chatsvc servers sharing one database (and Redis when there are several)."""

    servers: list[ChildServer]
    urls: list[str]  # http://127.0.0.1:PORT, one per process
    backend: str  # "postgres+redis" or "sqlite+memory"

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def url_for(self, index: int) -> str:
        """Clients are spread over the processes round robin."""
        return self.urls[index % len(self.urls)]


@contextlib.asynccontextmanager
async def chatsvc_cluster(
    processes: int,
    workdir: Path,
    progress: Progress,
    *,
    agents: int = 0,
    capacity: int = 1,
    postgres: bool = True,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Cluster]:
    """Start ``processes`` ``chatsvc serve`` on a throw-away PostgreSQL database and a Redis prefix of their own
    (or one on a SQLite file), with ``agents`` agents made by chatsvc's CLI; everything is removed afterwards."""
    async with contextlib.AsyncExitStack() as stack:
        env = {
            "CHATSVC_DATA_DIR": str(workdir),
            "CHATSVC_LOG_LEVEL": "warning",
            # One address opens every socket here; the per-socket limits stay far above what the load sends.
            "CHATSVC_RATE_PER_SECOND": "1000",
            "CHATSVC_RATE_BURST": "1000",
            "CHATSVC_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            "CHATSVC_DEFAULT_CAPACITY": str(capacity),
            **(extra_env or {}),
        }
        if postgres:
            env["CHATSVC_DATABASE_URL"] = await stack.enter_async_context(postgres_database(database_url()))
            env["CHATSVC_REDIS_URL"] = redis_url()
            env["CHATSVC_REDIS_PREFIX"] = await stack.enter_async_context(redis_prefix(redis_url()))
            backend = "postgres+redis"
        else:
            if processes != 1:
                raise ValueError("several processes need PostgreSQL + Redis")
            env["CHATSVC_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
            backend = "sqlite+memory"
        if agents:
            await create_agents(env, agents, capacity)
        servers: list[ChildServer] = []
        for index in range(processes):
            port = free_port()
            server = ChildServer(
                python_module("chatsvc", "serve", "--host", "127.0.0.1", "--port", str(port)),
                env,
                port,
                workdir / f"chatsvc-{index}.log",
            )
            stack.push_async_callback(server.stop)
            # One after the other: the first migrates the fresh database, the others find it done.
            await server.start(timeout=60)
            servers.append(server)
        progress.say(f"chatsvc: {processes} process(es) on {backend}, pids {[s.pid for s in servers]}")
        yield Cluster(servers, [f"http://127.0.0.1:{s.port}" for s in servers], backend)


# --- the references ----------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def relay_cluster(
    processes: int, workdir: Path, progress: Progress, *, via_redis: bool
) -> AsyncIterator[tuple[list[str], list[int]]]:
    """``bench.relay`` (one process, in-memory) or ``bench.redis_relay`` on ``processes`` processes sharing a
    Redis prefix. Yields the ws:// URLs and the pids."""
    async with contextlib.AsyncExitStack() as stack:
        urls: list[str] = []
        pids: list[int] = []
        prefix = await stack.enter_async_context(redis_prefix(redis_url())) if via_redis else ""
        for index in range(processes):
            port = free_port()
            if via_redis:
                argv = python_module("bench.redis_relay", "--port", str(port), "--redis-url", redis_url(),
                                     "--prefix", prefix)
            else:
                argv = python_module("bench.relay", "--port", str(port))
            server = ChildServer(argv, {}, port, workdir / f"relay-{index}.log")
            stack.push_async_callback(server.stop)
            await server.start()
            urls.append(f"ws://127.0.0.1:{port}")
            pids.append(server.pid)
            progress.say(f"relay {index}: pid {server.pid} ({'through Redis' if via_redis else 'in memory'})")
        yield urls, pids


# --- lean chatsvc clients ----------------------------------------------------------------------------------


def ws_base(url: str) -> str:
    return "ws" + url.removeprefix("http")


async def open_socket(url: str, headers: dict[str, str] | None = None) -> ClientConnection:
    # chatsvc's own client settings: no compression, no client pings (the server pings).
    return await connect(url, additional_headers=headers, compression=None, max_size=2**20, ping_interval=None,
                         open_timeout=30, close_timeout=2)


async def visitor_token(http: httpx.AsyncClient, url: str) -> str:
    for attempt in range(3):
        try:
            response = await http.post(url + "/api/visitor/session", json={"site": "default"})
            break
        except httpx.TransportError:  # a kept-alive connection the server closed as we reused it
            if attempt == 2:
                raise
    response.raise_for_status()
    return str(response.json()["token"])


async def open_visitor(url: str, token: str) -> tuple[ClientConnection, dict[str, Any]]:
    """An authenticated visitor socket, after its welcome."""
    ws = await open_socket(ws_base(url) + "/ws/visitor?site=default")
    await ws.send(protocol.encode(protocol.VisitorHello(token=token)).decode())
    return ws, await _welcome(ws)


async def open_visitor_retrying(url: str, token: str, retries: list[str]) -> ClientConnection:
    """``open_visitor``, tried up to 3 times: a server swamped by thousands of handshakes may drop one; each
    retry is noted in ``retries`` (printed with the results)."""
    for attempt in range(3):
        try:
            ws, _ = await open_visitor(url, token)
            return ws
        except (OSError, TimeoutError, ConnectionClosed, InvalidStatus) as exc:
            retries.append(f"{type(exc).__name__}: {exc}")
            if attempt == 2:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


async def open_chatting_visitor(http: httpx.AsyncClient, url: str, visitor: int) -> tuple[ClientConnection, str]:
    """A visitor socket whose first message (not measured) opened its conversation: the socket and the
    conversation's id, once that message is acknowledged."""
    ws, _ = await open_visitor(url, await visitor_token(http, url))
    await ws.send(visitor_message(f"hello-{visitor}", f"hello, visitor {visitor} here"))
    async with asyncio.timeout(30):
        while True:
            frame = decode(await ws.recv())
            if frame.get("type") == "ack":
                return ws, str(frame["conversation"])


async def agent_token(http: httpx.AsyncClient, url: str, agent: int) -> str:
    response = await http.post(url + "/api/auth/login", json={"email": email(agent), "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["token"])


async def open_agent(url: str, token: str) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await open_socket(ws_base(url) + "/ws/agent", {"Authorization": f"Bearer {token}"})
    await ws.send(protocol.encode(protocol.AgentHello(status="online")).decode())
    return ws, await _welcome(ws)


async def _welcome(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            frame = decode(await ws.recv())
            if frame.get("type") == "welcome":
                return frame
            if frame.get("type") == "error":
                raise RuntimeError(f"refused: {frame}")


def decode(raw: str | bytes) -> dict[str, Any]:
    frame = _decode(raw)
    return frame if isinstance(frame, dict) else {}


def visitor_message(client_id: str, text: str) -> str:
    return protocol.encode(protocol.VisitorMessage(client_id=client_id, text=text)).decode()


def agent_message(conversation: str, client_id: str, text: str) -> str:
    return protocol.encode(protocol.AgentMessage(conversation=conversation, client_id=client_id,
                                                 text=text)).decode()


async def close_all(sockets: Sequence[ClientConnection], limit: int = 500) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(ws: ClientConnection) -> None:
        async with semaphore:
            with contextlib.suppress(Exception):
                await ws.close()

    await asyncio.gather(*(one(ws) for ws in sockets))


def stamp() -> int:
    return time.perf_counter_ns()
