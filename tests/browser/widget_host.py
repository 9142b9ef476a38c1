"""What the widget's browser tests share: a customer's site on another origin than the chat server, a page
object that drives the widget by its DOM contract (``data-cs`` attributes inside its open shadow root), and
server helpers (stop and start again on the same port and database, the admin's widget settings).

The chat server listens on ``http://127.0.0.1:P1``; the customer's pages come from ``http://localhost:P2`` (another
origin: the host differs), and a third origin, ``http://127.0.0.1:P2``, serves the attacker's frame for the
``postMessage`` test. Only ``http://localhost:P2`` is on the default site's allowed origins.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import http.server
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest_asyncio
import sqlalchemy as sa

from chatsvc.store import records
from tests.browser.conftest import CHROMIUM
from tests.conftest import missing
from tests.support.servers import Backend, InProcessServer, free_port

# Short waits: every step of a widget test is local, a few hundred milliseconds at most.
STEP = 5_000  # ms, for Playwright waits
SLOW_STEP = 15_000  # ms, for waits across a reconnect

HOSTILE_CSS = """
* { all: unset !important; }
html { font-size: 40px !important; line-height: 3 !important; }
body { font-size: 40px !important; font-family: "Comic Sans MS", cursive !important; letter-spacing: 6px !important; }
div, button, textarea, input, span, p, section, form, ul, li { box-sizing: content-box !important;
  padding: 30px !important; margin: 20px !important; border: 9px solid red !important; }
button { min-width: 600px !important; font-size: 60px !important; }
textarea, input { width: 2px !important; height: 2px !important; }
"""

# What an attacker's frame posts to the host window (a third origin): every shape a widget could listen for.
EVIL_MESSAGES = [
    {"type": "message", "text": "posted by evil"},
    {"type": "send", "text": "posted by evil"},
    {"type": "open"}, {"type": "close"}, {"type": "end"}, {"type": "clear"},
    {"type": "identify", "name": "Evil", "email": "evil@evil.test"},
    {"type": "chatsvc:open"}, {"type": "chatsvc:close"}, {"type": "chatsvc:message", "text": "posted by evil"},
    {"chatsvc": {"type": "message", "text": "posted by evil"}},
    {"source": "chatsvc", "type": "message", "text": "posted by evil"},
    {"source": "chatsvc", "event": "message", "data": {"role": "agent", "author": "Evil", "text": "posted by evil"}},
    {"type": "event", "conversation": "x", "seq": 99, "kind": "message", "text": "posted by evil",
     "author": {"role": "agent", "name": "Evil"}},
    "chatsvc:open", "chatsvc:close", "open", "close",
    json.dumps({"type": "message", "text": "posted by evil"}),
    json.dumps({"chatsvc": True, "type": "close"}),
]


def _page(title: str, body: str, *, chat_url: str | None, site: str = "default", lang: str | None = None,
          css: str = "", before: str = "") -> bytes:
    tag = ""
    if chat_url is not None:
        lang_attr = f' data-lang="{html.escape(lang)}"' if lang else ""
        tag = f'<script src="{html.escape(chat_url)}/widget.js" data-site="{html.escape(site)}"{lang_attr} async></script>'
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{css}</style>{before}</head>
<body>
<header><h1>{html.escape(title)}</h1><nav><a href="/">Home</a> <a href="/shop/other">Other page</a></nav></header>
<main><p>Welcome to the shop. Our parcels go out every weekday.</p>
<label>Search <input id="host-search" type="search"></label>
<div id="host-box" class="box">A host box</div> <button id="host-button" type="button">Host button</button>
{body}</main>
{tag}
</body></html>"""
    return text.encode()


# Before the widget's tag, an inline script notes the window's own property names in a DOM attribute (so that
# noting them defines no global itself).
KEYS_BEFORE = ("<script>document.documentElement.setAttribute('data-keys-before', "
               "JSON.stringify(Object.getOwnPropertyNames(window)));</script>")


class HostSite:
    """The customer's website: ``http://localhost:PORT``, in a thread of this process.

    Pages: ``/`` and ``/shop/other`` (the widget's tag; ``?lang=fr`` adds ``data-lang``; ``?css=hostile`` adds the
    hostile stylesheet; ``?evil=1`` adds the attacker's iframe from the third origin), ``/plain`` (no widget), and
    ``/evil-frame`` (the attacker's page, to load from ``third_origin``).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.third_origin = f"http://127.0.0.1:{self.port}"
        self.chat_url: str | None = None
        self.site = "default"
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def render(self, path: str, query: dict[str, list[str]]) -> bytes | None:
        lang = query.get("lang", [None])[0]
        css = HOSTILE_CSS if query.get("css") == ["hostile"] else ""
        site = query.get("site", [self.site])[0] or self.site
        extra = ""
        if query.get("evil") == ["1"]:
            extra = (f'<iframe id="evil" title="ad" src="{self.third_origin}/evil-frame" '
                     'style="width:300px;height:80px"></iframe>')
        if path == "/":
            return _page("Shop home", extra, chat_url=self.chat_url, site=site, lang=lang, css=css, before=KEYS_BEFORE)
        if path == "/shop/other":
            return _page("Other page", extra, chat_url=self.chat_url, site=site, lang=lang, css=css)
        if path == "/plain":
            return _page("No widget", extra, chat_url=None, css=css)
        if path == "/evil-frame":
            messages = json.dumps(EVIL_MESSAGES)
            return f"""<!doctype html><html><body><p>An advert</p><script>
window.evilMessages = {messages};
window.postAll = function () {{
  for (const m of window.evilMessages) {{ window.parent.postMessage(m, "*"); window.top.postMessage(m, "*"); }}
  return window.evilMessages.length;
}};
</script></body></html>""".encode()
        return None

    def start(self) -> None:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                body = site.render(parts.path, parse_qs(parts.query))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="host-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- one Chromium per test module (a launch costs seconds on two cores); each test gets its own contexts ---------

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest_asyncio.fixture(scope="module", loop_scope="module", name="module_browser")
async def module_browser_fixture() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, shared by the tests of one module (which run in one event loop:
    ``pytestmark = pytest.mark.asyncio(loop_scope="module")``)."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} not found: browser tests skipped (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


# --- the chat server -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Env:
    server: InProcessServer
    host: HostSite
    browser: Any
    contexts: list[Any] = dataclasses.field(default_factory=list)

    async def context(self, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-GB")
        context = await self.browser.new_context(**options)
        context.set_default_timeout(STEP)
        self.contexts.append(context)
        return context

    async def widget(self, context: Any | None = None, path: str = "/", *, wait: bool = True) -> Widget:
        """A new tab on the customer's page, the widget loaded (its launcher visible)."""
        context = context or await self.context()
        widget = Widget(await context.new_page(), self.host)
        await widget.goto(path, wait=wait)
        return widget


@contextlib.asynccontextmanager
async def widget_env(start_server: Callable[..., InProcessServer], backend: Backend, browser: Any,
                     **overrides: Any) -> AsyncIterator[Env]:
    """A host site on its own origin and a chat server whose default site allows that origin."""
    host = HostSite()
    host.start()
    overrides.setdefault("allowed_origins", ("https://shop.example", host.origin))
    try:
        async with start_server(backend, **overrides) as server:
            host.chat_url = server.url
            env = Env(server=server, host=host, browser=browser)
            try:
                yield env
            finally:
                for context in env.contexts:  # before the server stops: the widgets' sockets close first
                    with contextlib.suppress(Exception):
                        await context.close()
    finally:
        host.stop()


async def stop_server(server: InProcessServer) -> None:
    """Stop the server as an operator would (its sockets are closed); its database stays."""
    assert server.server is not None and server.task is not None
    server.server.should_exit = True
    await asyncio.wait_for(server.task, 20)


async def start_again(server: InProcessServer) -> InProcessServer:
    """A new server process-alike on the same port with the same settings and database."""
    again = InProcessServer(server.settings)
    again.port, again.url, again.ws_url = server.port, server.url, server.ws_url
    for _ in range(100):  # the port may linger a moment
        try:
            return await again.__aenter__()
        except OSError:
            await asyncio.sleep(0.1)
    return await again.__aenter__()


async def admin_http(server: InProcessServer) -> httpx.AsyncClient:
    user = await server.add_staff("Ada Admin", role="admin", email=f"admin-{uuid.uuid4().hex[:8]}@support.example")
    token = await server.staff_token(user)
    return httpx.AsyncClient(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"})


async def set_widget(server: InProcessServer, **widget: Any) -> dict[str, Any]:
    """The admin's per-site widget settings for the default site (PATCH /api/admin/sites/{id})."""
    async with await admin_http(server) as http:
        listed = await http.get("/api/admin/sites")
        assert listed.status_code == 200, listed.text
        sites = listed.json()["sites"]
        site = next(s for s in sites if s["key"] == "default")
        changed = await http.patch(f"/api/admin/sites/{site['id']}", json={"widget": widget})
        assert changed.status_code == 200, changed.text
        return dict(changed.json())


async def add_agent(server: InProcessServer, name: str, **kwargs: Any) -> records.User:
    email = kwargs.pop("email", None) or "".join(c for c in name.lower() if c.isalnum()) + "@support.example"
    return await server.add_staff(name, email=email, **kwargs)


async def events_of(server: InProcessServer, conversation: str) -> list[records.StoredEvent]:
    return await server.services.conversation_store.events_after(conversation, 0, 10_000)


async def rows(server: InProcessServer, query: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of a read-only SQL query on the server's database (tables as chatsvc/store/schema.py names them)."""
    async with server.services.db.connect() as conn:
        result = await conn.execute(sa.text(query), params)
        return [dict(row._mapping) for row in result]


# --- the widget in a tab -------------------------------------------------------------------------------------

ENTRIES_JS = """() => {
  const host = document.getElementById('chatsvc-widget');
  if (!host || !host.shadowRoot) return null;
  return [...host.shadowRoot.querySelectorAll('[data-cs=msg]')].map(m => {
    const part = (name) => { const el = m.querySelector(`[data-cs=${name}]`); return el ? el.innerText.trim() : ''; };
    return {role: m.getAttribute('data-role'), seq: m.getAttribute('data-seq'), state: m.getAttribute('data-state'),
            author: part('author'), text: part('text')};
  });
}"""

SHADOW_SUMMARY_JS = """() => {
  const host = document.getElementById('chatsvc-widget');
  const root = host.shadowRoot;
  const all = [...root.querySelectorAll('*')];
  return {
    img: root.querySelectorAll('img').length,
    svg: root.querySelectorAll('svg').length,
    iframe: root.querySelectorAll('iframe, object, embed, script').length,
    handlers: all.flatMap(el => [...el.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
                                                  .map(a => el.tagName + ' ' + a.name)),
    jsLinks: all.filter(el => /^\\s*javascript:/i.test(el.getAttribute('href') || '')).length,
    docImg: document.querySelectorAll('body img[src=x], body svg[onload]').length,
  };
}"""


class Widget:
    """One tab of the customer's site, with the widget: clicks, reads and what went over its socket."""

    def __init__(self, page: Any, host: HostSite) -> None:
        self.page = page
        self.host = host
        self.sent: list[dict[str, Any]] = []  # frames the widget sent on its socket(s)
        self.received: list[dict[str, Any]] = []
        self.sockets: list[Any] = []
        self.dialogs: list[str] = []  # any alert/confirm/prompt is a failure (an injection ran)
        self.errors: list[str] = []  # uncaught exceptions in the page
        page.on("websocket", self._socket)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _socket(self, ws: Any) -> None:
        self.sockets.append(ws)
        ws.on("framesent", lambda payload: self.sent.append(_frame(payload)))
        ws.on("framereceived", lambda payload: self.received.append(_frame(payload)))

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            await dialog.dismiss()

    def cs(self, name: str) -> Any:
        """The widget's element(s) with ``data-cs=name`` (Playwright's CSS pierces the open shadow root)."""
        return self.page.locator(f"#chatsvc-widget [data-cs={name}]")

    async def goto(self, path: str = "/", *, wait: bool = True) -> None:
        await self.page.goto(self.host.url(path))
        if wait:
            await self.cs("launcher").wait_for(state="visible")

    async def reload(self) -> None:
        await self.page.reload()
        await self.cs("launcher").wait_for(state="visible")

    async def open(self) -> None:
        panel = self.cs("panel")
        if not await panel.is_visible():
            await self.cs("launcher").click()
        await panel.wait_for(state="visible")

    async def send(self, text: str) -> None:
        await self.cs("input").fill(text)
        await self.cs("send").click()

    def msg(self, text: str | None = None, role: str | None = None) -> Any:
        selector = "#chatsvc-widget [data-cs=msg]" + (f"[data-role={role}]" if role else "")
        locator = self.page.locator(selector)
        if text is not None:
            locator = locator.filter(has=self.page.locator("[data-cs=text]", has_text=text))
        return locator

    async def wait_msg(self, text: str, role: str | None = None, timeout: float = STEP) -> Any:
        locator = self.msg(text, role).first
        await locator.wait_for(state="visible", timeout=timeout)
        return locator

    async def wait_sent(self, text: str, timeout: float = STEP) -> Any:
        """The visitor's own message, once the server acknowledged it (``data-state=sent``)."""
        locator = self.page.locator("#chatsvc-widget [data-cs=msg][data-role=visitor][data-state=sent]").filter(
            has=self.page.locator("[data-cs=text]", has_text=text)).first
        await locator.wait_for(state="visible", timeout=timeout)
        return locator

    async def entries(self) -> list[dict[str, Any]]:
        return list(await self.page.evaluate(ENTRIES_JS) or [])

    async def shadow_summary(self) -> dict[str, Any]:
        return dict(await self.page.evaluate(SHADOW_SUMMARY_JS))

    async def active_cs(self) -> str | None:
        """The ``data-cs`` of the focused element inside the widget (None when focus is elsewhere)."""
        return await self.page.evaluate("""() => {
          const host = document.getElementById('chatsvc-widget');
          if (document.activeElement !== host || !host.shadowRoot.activeElement) return null;
          return host.shadowRoot.activeElement.getAttribute('data-cs');
        }""")

    async def wait_focus(self, name: str, timeout: float = STEP) -> None:
        """Focus lands (or stays) on the widget's ``data-cs=name`` element; fails saying where it is instead."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            await self.page.wait_for_function("""(name) => {
              const host = document.getElementById('chatsvc-widget');
              const el = document.activeElement === host && host.shadowRoot.activeElement;
              return !!el && el.getAttribute('data-cs') === name;
            }""", arg=name, timeout=timeout)
        except PlaywrightTimeout:
            where = await self.page.evaluate("""() => {
              const host = document.getElementById('chatsvc-widget');
              if (document.activeElement !== host) return 'page ' + document.activeElement.tagName;
              const el = host.shadowRoot.activeElement;
              return el ? el.tagName + ' ' + (el.getAttribute('data-cs') || el.textContent.slice(0, 40)) : 'nothing';
            }""")
            raise AssertionError(f"focus is not on [data-cs={name}] but on {where}") from None

    async def storage(self) -> dict[str, str]:
        return dict(await self.page.evaluate("""() => Object.fromEntries(
            Object.keys(localStorage).filter(k => k.startsWith('chatsvc:')).map(k => [k, localStorage.getItem(k)]))"""))

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.sent if frame.get("type") == kind]

    def assert_clean(self) -> None:
        """No dialog opened, no uncaught exception: what every test ends with."""
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors


class Wire:
    """The line between one tab and the chat server's visitor socket, through Playwright's WebSocket route: every
    frame both ways is noted; the line can be cut (open sockets close with 1011, new ones close at once) and mended;
    frames from the server can be held back and released, or dropped, and the page's socket closed with any code."""

    def __init__(self) -> None:
        self.down = False
        self.holding = False
        self.held: list[tuple[Any, str | bytes]] = []
        self.to_server: list[dict[str, Any]] = []
        self.to_page: list[dict[str, Any]] = []
        self.connections = 0
        self.live: list[Any] = []  # the page sides of the sockets that reach the server
        # Called with each frame from the page before it goes on: return True to start holding from there on.
        self.hold_after_page: Callable[[dict[str, Any]], bool] | None = None
        # Called with each frame from the server: return True and the page never gets it.
        self.drop_from_server: Callable[[dict[str, Any]], bool] | None = None

    async def attach(self, page: Any) -> None:
        await page.route_web_socket(re.compile(r"/ws/visitor"), self._route)

    async def _route(self, ws: Any) -> None:
        self.connections += 1
        if self.down:
            await ws.close(code=1011, reason="network")
            return
        server = ws.connect_to_server()
        self.live.append(ws)

        def from_page(message: str | bytes) -> None:
            frame = _frame(message)
            self.to_server.append(frame)
            if self.hold_after_page is not None and self.hold_after_page(frame):
                self.holding = True
            server.send(message)

        def from_server(message: str | bytes) -> None:
            frame = _frame(message)
            self.to_page.append(frame)
            if self.drop_from_server is not None and self.drop_from_server(frame):
                return
            if self.holding:
                self.held.append((ws, message))
            else:
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    async def cut(self) -> None:
        self.down = True
        live, self.live = self.live, []
        for ws in live:
            with contextlib.suppress(Exception):
                await ws.close(code=1011, reason="network")

    def mend(self) -> None:
        self.down = False

    def release(self) -> None:
        self.holding = False
        held, self.held = self.held, []
        for ws, message in held:
            ws.send(message)

    async def close_page_side(self, code: int, reason: str) -> None:
        """The server closes the tab's socket (as the page sees it) with this code and reason."""
        live, self.live = self.live, []
        for ws in live:
            await ws.close(code=code, reason=reason)


def _frame(payload: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except (ValueError, TypeError):
        return {"type": "<not json>", "raw": str(payload)[:200]}
    return value if isinstance(value, dict) else {"type": "<not an object>", "raw": value}


async def eventually(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Await ``check()`` (sync or async) until it returns a truthy value; its last value otherwise fails."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout} s: {value!r}")
        await asyncio.sleep(interval)
