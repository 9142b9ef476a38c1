"""The widget with ``data-servers`` (several chat servers, no load balancer), in a real Chromium: two
``chatsvc serve`` processes on one PostgreSQL and one Redis. When the first listed is down from the start, or is
killed (SIGKILL) mid-conversation, the visitor still chats through the other one, and nothing is lost or shown
twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatsvc.client import AgentClient
from chatsvc.store.database import async_url
from chatsvc.store.schema import events
from tests.browser.widget_host import (
    SLOW_STEP,
    STEP,
    HostSite,
    Widget,
    module_browser_fixture,  # noqa: F401 (the module_browser fixture)
)
from tests.deploy.support import add_user, server_env, shared_backend
from tests.support.servers import STAFF_PASSWORD, Backend, ServerProcess, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


class ServersSite(HostSite):
    """The customer's site, its widget tag naming several servers: ``data-servers="A,B"``."""

    def __init__(self, servers: list[str]) -> None:
        super().__init__()
        self.servers = servers

    def render(self, path: str, query: dict[str, list[str]]) -> bytes | None:
        body = super().render(path, query)
        if body is None or self.chat_url is None:
            return body
        return body.replace(b" async></script>", f' data-servers="{",".join(self.servers)}" async></script>'.encode())


@pytest_asyncio.fixture(loop_scope="module")
async def backend_pg() -> AsyncIterator[Backend]:
    async with shared_backend() as backend:
        yield backend


async def start_pair(backend: Backend, tmp_path: Path, origin: str) -> list[ServerProcess]:
    env = server_env(backend, tmp_path, CHATSVC_ALLOWED_ORIGINS=origin, CHATSVC_LOG_LEVEL="warning")
    servers = [ServerProcess(env, cwd=tmp_path) for _ in range(2)]
    await servers[0].start()  # the first seeds the database (the default site allows the host's origin)
    await servers[1].start()
    await add_user(env, tmp_path, "rita@support.example", "agent")
    return servers


async def stored_messages(backend: Backend, conversation: str) -> list[tuple[str, str | None]]:
    engine = create_async_engine(async_url(backend.database_url))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(events.c.body, events.c.client_id)
                .where(events.c.conversation_id == conversation, events.c.kind == "message")
                .order_by(events.c.seq)
            )).all()
    finally:
        await engine.dispose()
    return [(row.body, row.client_id) for row in rows]


async def widget_on(browser: Any, host: HostSite) -> tuple[Any, Widget]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(STEP)
    widget = Widget(await context.new_page(), host)
    await widget.goto("/")
    return context, widget


def socket_hosts(widget: Widget) -> list[str]:
    return [ws.url.split("/ws/")[0] for ws in widget.sockets]


async def test_the_first_server_listed_is_down_the_widget_chats_through_the_next(
    backend_pg: Backend, module_browser: Any, tmp_path: Path
) -> None:
    host = ServersSite([])
    host.start()
    servers = await start_pair(backend_pg, tmp_path, host.origin)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    up = servers[1]
    host.servers = [down, up.url]
    host.chat_url = up.url  # the script itself comes from a server that works
    agent = AgentClient(servers[0].url, "rita@support.example", STAFF_PASSWORD, backoff=(0.05, 0.3))
    await agent.connect()
    context = None
    try:
        context, widget = await widget_on(module_browser, host)
        await widget.open()
        await widget.send("Hello through the second server")
        await widget.wait_sent("Hello through the second server", timeout=SLOW_STEP)
        chat = await agent.wait_chat()
        await agent.wait_event(text="Hello through the second server", conversation=chat.id)
        await agent.send(chat.id, "Hello from an agent on the first process")
        await widget.wait_msg("Hello from an agent on the first process", role="agent", timeout=SLOW_STEP)
        assert socket_hosts(widget)[-1] == up.url.replace("http", "ws")
        widget.assert_clean()
    finally:
        await agent.close()
        if context is not None:
            await context.close()
        for server in servers:
            await server.stop(signal.SIGKILL)
        host.stop()


async def test_the_widgets_server_is_killed_the_visitor_goes_on_through_the_other(
    backend_pg: Backend, module_browser: Any, tmp_path: Path
) -> None:
    host = ServersSite([])
    host.start()
    servers = await start_pair(backend_pg, tmp_path, host.origin)
    first, second = servers
    host.servers = [first.url, second.url]
    host.chat_url = first.url
    agent = AgentClient(second.url, "rita@support.example", STAFF_PASSWORD, backoff=(0.05, 0.3))
    await agent.connect()
    context = None
    try:
        context, widget = await widget_on(module_browser, host)
        await widget.open()
        await widget.send("Before the crash")
        chat = await agent.wait_chat()
        conversation = chat.id
        await agent.wait_event(text="Before the crash", conversation=conversation)
        await agent.send(conversation, "Agent before the crash")
        await widget.wait_msg("Agent before the crash", role="agent")
        assert socket_hosts(widget) == [first.url.replace("http", "ws")]

        await first.stop(signal.SIGKILL)  # no close frame, no drain: the socket just dies
        await widget.send("Typed as the server died")
        await agent.send(conversation, "Agent while the visitor moves")
        for text in ("Typed as the server died",):
            await widget.wait_sent(text, timeout=SLOW_STEP)
            await agent.wait_event(text=text, conversation=conversation, timeout=15)
        await widget.wait_msg("Agent while the visitor moves", role="agent", timeout=SLOW_STEP)
        await widget.send("After the move")
        await widget.wait_sent("After the move", timeout=SLOW_STEP)
        await agent.wait_event(text="After the move", conversation=conversation, timeout=15)
        assert socket_hosts(widget)[-1] == second.url.replace("http", "ws")
        await asyncio.sleep(0.5)

        texts = ["Before the crash", "Agent before the crash", "Typed as the server died",
                 "Agent while the visitor moves", "After the move"]
        stored = await stored_messages(backend_pg, conversation)
        stored_count = Counter(body for body, _ in stored)
        entries = await widget.entries()
        seqs = [int(e["seq"]) for e in entries if e["seq"]]
        assert seqs == sorted(set(seqs)), f"a seq shown twice or out of order: {seqs}"
        on_screen = Counter(e["text"] for e in entries if e["role"] in ("visitor", "agent"))
        at_agent = Counter(e.text for e in agent.transcripts[conversation] if e.kind == "message")
        for text in texts:
            assert stored_count[text] == 1, (text, stored)
            assert on_screen[text] == 1, (text, entries)
            assert at_agent[text] == 1, (text, at_agent)
        assert all(e["state"] == "sent" for e in entries if e["role"] == "visitor"), entries
        # the widget's resends carried the same client ids: each visitor message stored once under its id
        sent_ids = {frame["client_id"] for frame in widget.sent_of("message")}
        assert sent_ids == {client_id for body, client_id in stored if body in texts[0::2]}
        widget.assert_clean()
    finally:
        await agent.close()
        if context is not None:
            await context.close()
        for server in servers:
            await server.stop(signal.SIGKILL)
        host.stop()
