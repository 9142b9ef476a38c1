"""docs/deploy.md's nginx recipe, tested: nginx (Debian's) runs as a foreground process with the very config the
doc shows (docs/nginx/main.conf and docs/nginx/chatsvc.conf, placeholders filled in) in front of two
``chatsvc serve`` processes on one PostgreSQL database and one Redis prefix. Pages and /healthz come through it; a
visitor and an agent chat through it both ways; a process is SIGKILLed and the clients reconnect through nginx to
the other one and resume by seq with nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatsvc.client import AgentClient, VisitorClient
from chatsvc.store.database import async_url
from chatsvc.store.schema import events
from tests.conftest import missing
from tests.deploy.support import add_user, server_env, shared_backend
from tests.support.servers import STAFF_PASSWORD, ServerProcess, free_port

DOCS = Path(__file__).resolve().parents[2] / "docs" / "nginx"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def render_site(backends: list[int], listen: str, server_name: str = "localhost") -> str:
    """docs/nginx/chatsvc.conf with its placeholders filled in."""
    text = (DOCS / "chatsvc.conf").read_text()
    lines = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in backends)
    rendered = text.replace("{{BACKENDS}}", lines).replace("{{LISTEN}}", listen).replace("{{SERVER_NAME}}", server_name)
    assert "{{" not in rendered
    return rendered


def write_config(prefix: Path, backends: list[int], port: int) -> Path:
    """The doc's main-context lines, an http block with paths of this test's own (an unprivileged nginx cannot
    write to /var/lib/nginx), and the doc's site file."""
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "temp").mkdir(exist_ok=True)
    (prefix / "chatsvc.conf").write_text(render_site(backends, f"127.0.0.1:{port}"))
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'temp' / kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = prefix / "nginx.conf"
    config.write_text(
        (DOCS / "main.conf").read_text()
        + f"\nhttp {{\n{temp}\n    access_log {prefix / 'logs' / 'access.log'};\n"
        + f"    include {prefix / 'chatsvc.conf'};\n}}\n"
    )
    return config


def launch(prefix: Path, config: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """nginx in the foreground, unprivileged paths; its config checked first (``nginx -t``)."""
    assert NGINX is not None
    directives = f"daemon off; pid {prefix / 'nginx.pid'}; error_log {prefix / 'logs' / 'error.log'} warn;"
    if os.geteuid() == 0:
        directives += " user root;"  # workers would run as nobody, who cannot enter the test's directory
    command = [NGINX, "-p", str(prefix), "-c", str(config), "-g", directives]
    test = subprocess.run([*command, "-t"], check=False, capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    stderr = prefix / "logs" / "stderr.log"
    with open(stderr, "wb") as output:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=output), stderr


@contextlib.asynccontextmanager
async def nginx(prefix: Path, backends: list[int]) -> AsyncIterator[str]:
    if NGINX is None:
        missing("nginx not found: the deployment recipe's test skipped (apt-get install nginx)")
    assert NGINX is not None
    port = free_port()
    config = write_config(prefix, backends, port)
    process, stderr = launch(prefix, config)
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError("nginx exited: " + stderr.read_text())
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_doc_and_the_test_share_one_template() -> None:
    doc = (DOCS.parent / "deploy.md").read_text()
    assert "docs/nginx/chatsvc.conf" in doc and "docs/nginx/main.conf" in doc
    site = render_site([8001, 8002], "80", "chat.example.com")
    for needed in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;",
                   "proxy_buffering off;", "proxy_read_timeout 75s;", "X-Forwarded-For $proxy_add_x_forwarded_for",
                   "server 127.0.0.1:8001", "server 127.0.0.1:8002", "listen 80;", "server_name chat.example.com;"):
        assert needed in site, needed
    # the read timeout is above the server's default ping interval (a quiet socket is never cut by nginx)
    from chatsvc.settings import Settings

    assert 75 > 2 * Settings().ping_interval


async def test_two_processes_behind_nginx_chat_and_survive_one_being_killed(tmp_path: Path) -> None:
    if NGINX is None:
        missing("nginx not found: the deployment recipe's test skipped (apt-get install nginx)")
    async with shared_backend() as backend:
        env = server_env(backend, tmp_path, CHATSVC_LOG_LEVEL="warning", CHATSVC_DRAIN_SECONDS="2")
        servers = [ServerProcess(env, cwd=tmp_path) for _ in range(2)]
        try:
            await servers[0].start()
            await servers[1].start()
            await add_user(env, tmp_path, "pat@support.example", "agent")
            async with nginx(tmp_path / "nginx", [s.port for s in servers]) as url:
                await chat_through(url, servers, backend.database_url)
        finally:
            for server in servers:
                await server.stop(signal.SIGKILL)


async def chat_through(url: str, servers: list[ServerProcess], database_url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for path in ("/", "/healthz", "/widget.js", "/login"):
            response = await http.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:200])
        assert (await http.get("/healthz")).json()["status"] == "ok"

    agent = AgentClient(url, "pat@support.example", STAFF_PASSWORD, backoff=(0.05, 0.3))
    visitor = VisitorClient(url, backoff=(0.05, 0.3))
    await agent.connect()
    await visitor.connect()
    try:
        first = await visitor.send("hello through nginx")
        conversation = first.conversation
        await agent.wait_chat()
        await agent.wait_event(text="hello through nginx", conversation=conversation)
        reply = await agent.send(conversation, "hello from behind nginx")
        assert (await visitor.wait_event(text="hello from behind nginx")).seq == reply.seq

        # Kill the process holding the most sockets (round-robin put the two anywhere): no close frame, no drain.
        async with httpx.AsyncClient(timeout=5) as http:
            held = [(await http.get(s.url + "/healthz")).json()["connections"] for s in servers]
        victim = servers[held.index(max(held))]
        assert max(held) >= 1, held
        before = visitor.connections + agent.connections
        await victim.stop(signal.SIGKILL)

        # Both sides keep writing while the sockets move; each send waits for its ack (resent until then).
        sent = await asyncio.gather(
            *[visitor.send(f"visitor after the kill {i}", timeout=30) for i in range(5)],
            *[agent.send(conversation, f"agent after the kill {i}", timeout=30) for i in range(5)],
        )
        assert visitor.connections + agent.connections >= before + max(held)
        for i in range(5):
            await agent.wait_event(text=f"visitor after the kill {i}", conversation=conversation, timeout=20)
            await visitor.wait_event(text=f"agent after the kill {i}", timeout=20)
        await asyncio.sleep(0.3)

        # Both screens: every seq once, in order, the same; equal to what the database holds.
        seen_by_visitor = [(e.seq, e.text) for e in visitor.transcripts[conversation] if e.kind == "message"]
        seen_by_agent = [(e.seq, e.text) for e in agent.transcripts[conversation] if e.kind == "message"]
        assert seen_by_visitor == seen_by_agent
        assert visitor.duplicates_dropped >= 0 and agent.gaps == 0
        engine = create_async_engine(async_url(database_url))
        try:
            async with engine.connect() as conn:
                stored = [(row.seq, row.body) for row in (await conn.execute(
                    sa.select(events.c.seq, events.c.body)
                    .where(events.c.conversation_id == conversation, events.c.kind == "message")
                    .order_by(events.c.seq)
                )).all()]
        finally:
            await engine.dispose()
        assert stored == seen_by_agent
        assert {ack.seq for ack in sent} | {first.seq, reply.seq} == {seq for seq, _ in stored}
    finally:
        await visitor.close()
        await agent.close()
