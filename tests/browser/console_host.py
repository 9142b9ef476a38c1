"""What the agent console's browser tests share: a page object that drives ``/console`` by its DOM contract (the
``data-c`` attributes of /tmp/console_spec.md, "DOM contract"), signing in through the real ``/login`` form; visitors
driven through ``chatsvc.client.VisitorClient`` that also keep every raw frame they received; a line between a
console tab and ``/ws/agent`` that notes (and can hold back, or add) frames; and server set-up helpers (agents, an
admin's HTTP client, a shared canned response, a KB article).

Tests of a module share one Chromium (``module_browser`` from widget_host) and run in one event loop
(``pytestmark = pytest.mark.asyncio(loop_scope="module")``); each test starts its own server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from chatsvc.client import VisitorClient
from chatsvc.domain import protocol
from chatsvc.store import records
from tests.browser.widget_host import eventually
from tests.support.servers import STAFF_PASSWORD, Backend, InProcessServer

STEP = 5_000  # ms: every local step takes a few hundred milliseconds at most
SLOW_STEP = 10_000  # ms: across a reload or a reconnect
ORIGIN = "https://shop.example"  # the default site's allowed origin in tests (make_settings)
CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
             "Safari/537.36")

# The console's settings in these tests: a console reload must not lose the agent's chats (the grace period covers
# the reload); everything else as the other browser tests have it (make_settings).
CONSOLE_SETTINGS: dict[str, Any] = {"agent_grace_seconds": 15.0}

ARTICLE = {
    "article_id": "reset-password",
    "title": "Reset your password",
    "body": "Open **Account > Security** and choose *Reset password*. We email you a link.",
    "alt": ["I forgot my password", "how do I change my password"],
}


# --- visitors ------------------------------------------------------------------------------------------------


class Visitor(VisitorClient):
    """A ``VisitorClient`` that keeps the raw text of every frame its socket received (``raw``), sends the handshake
    with a browser's User-Agent, and sends the contract's ``page`` and ``read`` frames written out as dicts
    (``send_page``, ``send_read``: a hostile test sends what the typed client would not)."""

    def __init__(self, base_url: str, *, user_agent: str | None = CHROME_UA, **kwargs: Any) -> None:
        self.raw: list[str] = []
        self.user_agent = user_agent
        kwargs.setdefault("origin", ORIGIN)
        super().__init__(base_url, **kwargs)

    @property  # type: ignore[override]
    def ws(self) -> Any:
        return self._ws

    @ws.setter
    def ws(self, value: Any) -> None:
        # Every socket the client opens (reconnects too) is wrapped before its first frame is read.
        self._ws = value
        if value is None:
            return
        recv = value.recv

        async def recording(*args: Any, **kwargs: Any) -> Any:
            data = await recv(*args, **kwargs)
            self.raw.append(data if isinstance(data, str) else bytes(data).decode("utf-8", "replace"))
            return data

        value.recv = recording

    def _headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent} if self.user_agent else {}

    async def send_page(self, url: str, title: str | None = None, timezone: str | None = None,
                        language: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "page", "url": url}
        for key, value in (("title", title), ("timezone", timezone), ("language", language)):
            if value is not None:
                frame[key] = value
        await self.send_frame(frame)

    async def send_read(self, seq: int, conversation: str | None = None) -> None:
        await self.send_frame({"type": "read", "conversation": conversation or self.conversation, "seq": seq})

    def raw_frames(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.raw]

    def events(self, conversation: str | None = None) -> list[protocol.Event]:
        return list(self.transcripts.get(conversation or self.conversation or "", []))

    def texts(self, conversation: str | None = None, role: str | None = None) -> list[str]:
        return [e.text or "" for e in self.events(conversation)
                if e.kind == "message" and (role is None or e.author.role == role)]


async def ask_for_person(visitor: Visitor, text: str | None) -> str:
    """The visitor asks for a person: ``text`` first when given (the bot answers it, or queues it at once when it
    has nothing to offer), then the handoff when the chat is not queued yet. Returns the conversation's id once it
    waits in the queue."""
    before = {(e.conversation, e.seq) for events in visitor.transcripts.values() for e in events}

    def queued() -> str | None:
        for events in visitor.transcripts.values():
            for e in events:
                if e.kind == "queued" and (e.conversation, e.seq) not in before:
                    return e.conversation
        return None

    if text is not None:
        conversation = (await visitor.send(text)).conversation
        # The message's own turn: the bot's answer, or queued at once.
        await eventually(lambda: queued() or any(
            e.kind == "bot" and (e.conversation, e.seq) not in before for e in visitor.events(conversation)))
        if queued():
            return conversation
    await visitor.handoff()
    return str(await eventually(queued))


@contextlib.asynccontextmanager
async def visitors(server: InProcessServer, count: int, **kwargs: Any) -> AsyncIterator[list[Visitor]]:
    clients = [Visitor(server.url, **kwargs) for _ in range(count)]
    try:
        for client in clients:
            await client.connect()
        yield clients
    finally:
        for client in clients:
            await client.close()


# --- the server ----------------------------------------------------------------------------------------------


async def add_agent(server: InProcessServer, name: str, *, max_chats: int | None = None,
                    role: str = "agent") -> records.User:
    email = "".join(c for c in name.lower() if c.isalnum()) + f"-{uuid.uuid4().hex[:6]}@support.example"
    return await server.add_staff(name, email=email, max_chats=max_chats, role=role)


async def bearer_http(server: InProcessServer, user: records.User) -> httpx.AsyncClient:
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"})


async def admin_http(server: InProcessServer) -> httpx.AsyncClient:
    return await bearer_http(server, await add_agent(server, "Ada Admin", role="admin"))


async def shared_canned(server: InProcessServer, shortcut: str, body: str, title: str = "A canned answer") -> None:
    async with await admin_http(server) as http:
        created = await http.post("/api/canned", json={"shortcut": shortcut, "title": title, "body": body,
                                                       "shared": True})
        assert created.status_code == 201, created.text


async def add_article(server: InProcessServer, **article: Any) -> None:
    await server.services.kb.create(**(ARTICLE | article))


async def events_of(server: InProcessServer, conversation: str) -> list[records.StoredEvent]:
    return await server.services.conversation_store.events_after(conversation, 0, 10_000)


# --- the console in a tab ------------------------------------------------------------------------------------

EVENTS_JS = """(id) => {
  const pane = document.querySelector(`[data-c=pane][data-conversation="${CSS.escape(id)}"]`);
  if (!pane) return null;
  return [...pane.querySelectorAll('[data-c=event]')].map(e => {
    const text = e.querySelector('[data-c=text]');
    return {seq: e.getAttribute('data-seq'), kind: e.getAttribute('data-kind'),
            role: e.getAttribute('data-author-role'), state: e.getAttribute('data-state'),
            text: text ? text.textContent : '', all: e.textContent};
  });
}"""

# Markup a visitor may try to inject, and what its presence in the DOM would mean.
INJECTED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (/^on/i.test(attr)) bad.push(el.tagName + ' ' + attr + '=' + el.getAttribute(attr));
    }
  }
  for (const el of document.querySelectorAll('img[src=x], svg[onload], script:not([src]):not([type="application/json"])')) {
    bad.push('element ' + el.outerHTML.slice(0, 80));
  }
  for (const a of document.querySelectorAll('a[href], area[href], [xlink\\\\:href]')) {
    const href = (a.getAttribute('href') || '').trim().toLowerCase();
    if (href.startsWith('javascript:') || href.startsWith('data:') || href.startsWith('vbscript:')) {
      bad.push('link ' + a.outerHTML.slice(0, 120));
    }
  }
  return bad;
}"""


class Console:
    """One tab on ``/console``: every dialog, uncaught error and console error is noted (``assert_clean``)."""

    def __init__(self, page: Any, server: InProcessServer, user: records.User) -> None:
        self.page = page
        self.server = server
        self.user = user
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        asyncio.ensure_future(dialog.dismiss())

    # --- locators ---

    def c(self, name: str) -> Any:
        return self.page.locator(f"[data-c={name}]")

    def item(self, conversation: str) -> Any:
        return self.page.locator(f'[data-c=chat-item][data-conversation="{conversation}"]')

    def pane(self, conversation: str) -> Any:
        return self.page.locator(f'[data-c=pane][data-conversation="{conversation}"]')

    def composer(self, conversation: str) -> Any:
        return self.pane(conversation).locator("[data-c=composer]")

    def queue_item(self, conversation: str) -> Any:
        return self.page.locator(f'[data-c=queue] [data-c=queue-item][data-conversation="{conversation}"]')

    def event(self, conversation: str, text: str, kind: str | None = None) -> Any:
        selector = "[data-c=event]" + (f"[data-kind={kind}]" if kind else "")
        return self.pane(conversation).locator(selector).filter(
            has=self.page.locator("[data-c=text]", has_text=text))

    # --- reading ---

    async def chat_ids(self) -> list[str]:
        return list(await self.page.eval_on_selector_all(
            "[data-c=chat-list] [data-c=chat-item]", "els => els.map(e => e.getAttribute('data-conversation'))"))

    async def queue_ids(self) -> list[str]:
        return list(await self.page.eval_on_selector_all(
            "[data-c=queue] [data-c=queue-item]", "els => els.map(e => e.getAttribute('data-conversation'))"))

    async def events(self, conversation: str) -> list[dict[str, Any]]:
        return list(await self.page.evaluate(EVENTS_JS, conversation) or [])

    async def load(self) -> str:
        return " ".join((await self.c("load").inner_text()).split())

    async def active(self) -> str | None:
        return await self.page.get_attribute("[data-c=chat-item][aria-selected=true]", "data-conversation",
                                              timeout=STEP)

    async def injected(self) -> list[str]:
        return list(await self.page.evaluate(INJECTED_JS))

    # --- waiting ---

    async def wait_online(self, timeout: float = SLOW_STEP) -> None:
        await self.page.locator("[data-c=connection][data-state=online]").wait_for(state="attached",
                                                                                   timeout=timeout)

    async def wait_load(self, used: int, capacity: int, timeout: float = STEP) -> None:
        await self.page.wait_for_function(
            """([used, max]) => { const el = document.querySelector('[data-c=load]');
               return !!el && new RegExp('(^|\\\\D)' + used + '\\\\s*/\\\\s*' + max + '(\\\\D|$)').test(el.textContent); }""",
            arg=[used, capacity], timeout=timeout)

    async def wait_chats(self, count: int, timeout: float = STEP) -> list[str]:
        await self.page.wait_for_function(
            "(n) => document.querySelectorAll('[data-c=chat-list] [data-c=chat-item]').length === n",
            arg=count, timeout=timeout)
        return await self.chat_ids()

    async def wait_event(self, conversation: str, text: str, kind: str | None = None,
                         timeout: float = STEP) -> Any:
        locator = self.event(conversation, text, kind).first
        await locator.wait_for(state="attached", timeout=timeout)
        return locator

    async def wait_sent(self, conversation: str, text: str, timeout: float = STEP) -> Any:
        locator = self.pane(conversation).locator("[data-c=event][data-state=sent]").filter(
            has=self.page.locator("[data-c=text]", has_text=text)).first
        await locator.wait_for(state="attached", timeout=timeout)
        return locator

    # --- acting ---

    async def open_chat(self, conversation: str) -> None:
        await self.item(conversation).click()
        await self.page.locator(f'[data-c=chat-item][data-conversation="{conversation}"][aria-selected=true]'
                                ).wait_for(state="attached")
        await self.pane(conversation).wait_for(state="visible")

    async def type_draft(self, conversation: str, text: str) -> None:
        composer = self.composer(conversation)
        await composer.click()
        await composer.press_sequentially(text)

    async def send(self, conversation: str, text: str) -> Any:
        """Type ``text`` in the chat's composer and press Enter; returns the message once acknowledged."""
        composer = self.composer(conversation)
        await composer.fill(text)
        await composer.press("Enter")
        return await self.wait_sent(conversation, text)

    async def set_status(self, status: str) -> None:
        await self.c("status").select_option(status)

    async def reload(self) -> None:
        await self.page.reload()
        await self.wait_online()

    def assert_clean(self) -> None:
        """No dialog, no uncaught exception, nothing logged as an error: what every test ends with."""
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        assert self.console_errors == [], self.console_errors


# --- the line between a console tab and /ws/agent ------------------------------------------------------------


class AgentWire:
    """Every frame between the tab and ``/ws/agent``, noted; frames from the server may be held back (``hold``)
    and let through (``release``); ``inject`` hands the tab a frame as if the server sent it; the line can be cut
    (both ends of each socket close, new sockets close at once) and mended."""

    def __init__(self) -> None:
        self.to_server: list[dict[str, Any]] = []
        self.to_page: list[dict[str, Any]] = []
        self.holding: Callable[[dict[str, Any]], bool] | None = None
        self.held: list[tuple[Any, str | bytes]] = []
        self.live: list[tuple[Any, Any]] = []  # (the page's side, the server's side) of each socket
        self.down = False
        self.connections = 0

    async def attach(self, page: Any) -> None:
        await page.route_web_socket(re.compile(r"/ws/agent"), self._route)

    async def _route(self, ws: Any) -> None:
        self.connections += 1
        if self.down:
            await ws.close(code=1011, reason="network")
            return
        server = ws.connect_to_server()
        self.live.append((ws, server))

        def from_page(message: str | bytes) -> None:
            self.to_server.append(_frame(message))
            server.send(message)

        def from_server(message: str | bytes) -> None:
            frame = _frame(message)
            self.to_page.append(frame)
            if self.holding is not None and self.holding(frame):
                self.held.append((ws, message))
            else:
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    def hold(self, which: Callable[[dict[str, Any]], bool] = lambda frame: True) -> None:
        self.holding = which

    def release(self) -> None:
        self.holding = None
        held, self.held = self.held, []
        for ws, message in held:
            ws.send(message)

    def inject(self, frame: dict[str, Any]) -> None:
        for ws, _server in self.live:
            ws.send(json.dumps(frame))

    async def cut(self) -> None:
        """The network fails: frames held back are lost, both ends of each socket close (1011)."""
        self.down = True
        self.holding, self.held = None, []
        live, self.live = self.live, []
        for ws, server in live:
            with contextlib.suppress(Exception):
                await server.close(code=1011, reason="network")
            with contextlib.suppress(Exception):
                await ws.close(code=1011, reason="network")

    def mend(self) -> None:
        self.down = False

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.to_server if frame.get("type") == kind]


def _frame(payload: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except (ValueError, TypeError):
        return {"type": "<not json>", "raw": str(payload)[:200]}
    return value if isinstance(value, dict) else {"type": "<not an object>", "raw": value}


# --- the test's world ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class ConsoleEnv:
    server: InProcessServer
    browser: Any
    contexts: list[Any] = dataclasses.field(default_factory=list)

    async def context(self, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1440, "height": 900})
        options.setdefault("locale", "en-GB")
        context = await self.browser.new_context(**options)
        context.set_default_timeout(STEP)
        self.contexts.append(context)
        return context

    async def console(self, user: records.User, *, context: Any | None = None, lang: str = "en",
                      wire: AgentWire | None = None, **options: Any) -> Console:
        """A browser (its own context unless given) signs ``user`` in through the real form: ``/console`` sends
        a signed-out browser to ``/login?next=/console``, the form brings it back; the console's socket is up."""
        context = context or await self.context(**options)
        page = await context.new_page()
        console = Console(page, self.server, user)
        if wire is not None:
            await wire.attach(page)
        await sign_in(page, self.server, user.email, lang=lang)
        await console.wait_online()
        return console


async def sign_in(page: Any, server: InProcessServer, email: str, *, lang: str = "en") -> None:
    await page.goto(f"{server.url}/console?lang={lang}")
    await page.wait_for_url(re.compile(r"/login\?"))
    assert "next=/console" in page.url, page.url
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/console(\?|$)"))


@contextlib.asynccontextmanager
async def console_env(start_server: Callable[..., InProcessServer], backend: Backend, browser: Any,
                      **overrides: Any) -> AsyncIterator[ConsoleEnv]:
    async with start_server(backend, **(CONSOLE_SETTINGS | overrides)) as server:
        env = ConsoleEnv(server=server, browser=browser)
        try:
            yield env
        finally:
            for context in env.contexts:  # before the server stops: the consoles' sockets close first
                with contextlib.suppress(Exception):
                    await context.close()


__all__ = [
    "ARTICLE",
    "CHROME_UA",
    "CONSOLE_SETTINGS",
    "SLOW_STEP",
    "STEP",
    "AgentWire",
    "Console",
    "ConsoleEnv",
    "Visitor",
    "add_agent",
    "add_article",
    "admin_http",
    "ask_for_person",
    "bearer_http",
    "console_env",
    "events_of",
    "eventually",
    "shared_canned",
    "sign_in",
    "visitors",
]
