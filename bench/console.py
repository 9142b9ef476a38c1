"""``python -m bench.console``: the agent console in headless Chromium, beside chatsvc's Python client and
the bare JSON API, measured in the same run on the same fresh server.

One ``chatsvc serve`` child process on a fresh SQLite file; agents made with chatsvc's CLI (bench/seed.py);
visitors and the reference agent driven here through ``chatsvc.client``; the console is the real ``/console``
page, signed in through the ``/login`` form, in Debian's Chromium driven by Playwright. Three figures, each
beside a reference:

1. reply latency: Enter pressed in a chat's composer -> the event on the visitor's socket, beside the same
   reply sent by ``AgentClient.send`` (same agent, same visitors, taking turns);
2. opening the console: navigation -> every chat's history in the DOM, for chats of a given shape (N chats
   of M events), median of reloads, beside ``GET /api/conversations/{id}`` of the same chats from Python and
   a plain page of the same server loaded in the same browser;
3. switching chats: a click on a chat item -> its pane showing its last event, beside a click on a heading
   that does nothing (the browser's own click-to-frame time).

Progress goes to stderr, the table to stdout. See bench/README.md ("bench.console") for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.procs import ChildServer, free_port, python_module
from bench.progress import Progress
from bench.report import load_average, machine_facts, revision
from bench.seed import PASSWORD, create_agents, email
from bench.stats import percentile
from chatsvc.client import AgentClient, VisitorClient
from chatsvc.domain import protocol

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 900}  # the console's browser tests' size
STEP = 30.0  # seconds: longer than any sane wait; beyond it the run stops with an error
# Defaults: the figures of the examples in well under two minutes on 2 busy cores.
DEFAULTS = {"replies": 100, "shapes": "3x50,9x200", "reloads": 5, "switches": 20}
QUICK = {"replies": 10, "shapes": "2x12", "reloads": 2, "switches": 4}  # a smoke test, about 15 s
WORDS = (
    "order",
    "parcel",
    "refund",
    "invoice",
    "password",
    "delivery",
    "account",
    "card",
    "tracking",
    "link",
)


# --- what the page reports ----------------------------------------------------------------------------------

# Added to every page of a context before its own scripts (Playwright ``add_init_script``). It only listens:
# a keydown listener on window (capture) notes when Enter reached a composer, and WebSocket.send when a chat
# message left; a MutationObserver of two attributes only notes when the socket's indicator turns ``online``
# (the welcome arrived) and, each time a chat's log loses ``aria-busy`` (the console removes it once the
# chat's replay is ``synced``), whether every expected chat is listed and holds its last event; click
# listeners on window note a click on a chat item or on the reference heading and when its result is on
# screen. "Painted" is the first task after the next animation frame (a requestAnimationFrame callback, then
# a MessageChannel message): the frame with the change has been produced. Times are the page's
# performance.now(), milliseconds since the navigation started, unless said otherwise.
INSTRUMENT = r"""
(() => {
  const EXPECT = __EXPECT__;  // {conversation id: its last seq}, or null (no opening measured here)
  const REFERENCE = "#cx-chats-title";
  const B = window.__bench = { keys: [], sends: [] };
  const report = (payload) => { if (window.__benchReport) window.__benchReport(payload); };
  const afterPaint = (then) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => then(performance.now());
    channel.port2.postMessage(0);
  });

  const wall = () => performance.timeOrigin + performance.now();  // ms since 1970, as Python's time.time()
  const send = WebSocket.prototype.send;  // when a chat message leaves the page (the agent's reply)
  WebSocket.prototype.send = function (data) {
    if (typeof data === "string" && data.indexOf('"type":"message"') >= 0) B.sends.push(wall());
    return send.apply(this, arguments);
  };
  window.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && target && target.matches && target.matches("[data-c=composer]")) {
      B.keys.push(wall());
    }
  }, true);

  // --- switching: a click on a chat item, or on the reference heading ------------------------------------
  let click = null;
  window.addEventListener("click", (event) => {
    if (!event.isTrusted || !event.target.closest) return;
    const item = event.target.closest("[data-c=chat-item]");
    if (item) click = { kind: "switch", id: item.getAttribute("data-conversation"), start: event.timeStamp };
    else if (event.target.closest(REFERENCE)) click = { kind: "reference", id: null, start: event.timeStamp };
    else click = null;
  }, true);
  const showing = (id) => {  // the chat's pane is shown, its last event inside the scrolled log's visible box
    const pane = document.getElementById("cx-pane-" + id);
    if (!pane || pane.hidden || !pane.offsetParent) return false;
    const log = pane.querySelector("[data-c=log]");
    const events = log ? log.querySelectorAll("[data-c=event]") : [];
    const last = events[events.length - 1];
    if (!last) return false;
    const box = log.parentNode.getBoundingClientRect(), at = last.getBoundingClientRect();
    return at.height > 0 && at.bottom > box.top && at.top < box.bottom;
  };
  window.addEventListener("click", () => {  // bubbling, after the console's own click handlers
    const c = click;
    click = null;
    if (!c) return;
    const finish = () => {
      const dom = performance.now();
      afterPaint((painted) => report({
        kind: c.kind, id: c.id, dom: dom - c.start, painted: painted - c.start,
      }));
    };
    if (c.kind === "reference" || showing(c.id)) return finish();
    const started = performance.now();
    const poll = () => {  // not shown by the handler itself: look again every frame
      if (showing(c.id)) return finish();
      if (performance.now() - started > 10000) return report({ kind: "timeout", id: c.id });
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });

  // --- opening: every expected chat listed, synced, holding its last event -----------------------------
  if (!EXPECT || !/\/console(\?|$)/.test(window.location.pathname + window.location.search)) return;
  const ids = Object.keys(EXPECT);
  const ready = () => {
    if (document.querySelectorAll("[data-c=chat-list] [data-c=chat-item]").length < ids.length) return false;
    return ids.every((id) => {
      const pane = document.getElementById("cx-pane-" + id);
      const log = pane && pane.querySelector("[data-c=log]");
      return !!log && !log.hasAttribute("aria-busy")
        && !!log.querySelector('[data-seq="' + EXPECT[id] + '"]');
    });
  };
  let done = false, online = NaN;
  const observer = new MutationObserver((records) => {
    let synced = false;
    for (const r of records) {
      if (r.attributeName === "aria-busy") synced = true;
      else if (isNaN(online) && r.target.getAttribute("data-c") === "connection"
               && r.target.getAttribute("data-state") === "online") online = performance.now();
    }
    if (done || !synced || !ready()) return;
    done = true;
    observer.disconnect();
    const rendered = performance.now();
    afterPaint((painted) => {
      const send = () => {
        const nav = performance.getEntriesByType("navigation")[0];
        report({ kind: "open", load: nav ? nav.loadEventEnd : NaN, online: online, rendered: rendered,
                 painted: painted });
      };
      if (document.readyState === "complete") setTimeout(send, 0);
      else window.addEventListener("load", () => setTimeout(send, 0));
    });
  });
  observer.observe(document, {
    subtree: true, attributes: true, attributeFilter: ["aria-busy", "data-state"],
  });
})();
"""


# --- arguments ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Shape:
    chats: int
    events: int

    @property
    def label(self) -> str:
        return f"{self.chats}x{self.events}"


def parse_shapes(text: str) -> list[Shape]:
    shapes = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", part)
        if not match:
            raise ValueError(f"{part!r} is not CHATSxEVENTS (such as 9x200)")
        shapes.append(Shape(int(match[1]), int(match[2])))
    return shapes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console",
        description="The agent console in headless Chromium, beside chatsvc's Python client and the JSON "
        "API, in the same run.",
    )
    parser.add_argument(
        "--replies", type=int, help="replies timed per sender, console and client (default 100)"
    )
    parser.add_argument(
        "--reply-chats", type=int, default=3, help="chats the replies are spread over (default 3)"
    )
    parser.add_argument(
        "--shapes",
        help="chats to open, CHATSxEVENTS, comma-separated; each shape is one agent (default 3x50,9x200)",
    )
    parser.add_argument(
        "--reloads", type=int, help="console reloads timed per shape; the median is quoted (default 5)"
    )
    parser.add_argument("--switches", type=int, help="chat switches timed per shape (default 20)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test of about 20 s (10 replies, 2x12, 2 reloads)"
    )
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser to drive (default {CHROMIUM})")
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (server log, SQLite file)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:  # a flag given explicitly wins over --quick
            setattr(args, name, value)
    try:
        args.shapes = parse_shapes(args.shapes) if args.shapes.strip() else []
    except ValueError as exc:
        parser.error(f"--shapes: {exc}")
    if not 1 <= args.reply_chats <= 20 or args.replies < 0 or args.reloads < 1 or args.switches < 0:
        parser.error("--reply-chats is 1-20; --replies and --switches at least 0; --reloads at least 1")
    for shape in args.shapes:
        if not 1 <= shape.chats <= 50 or not 4 <= shape.events <= 5000:
            parser.error("a shape has 1-50 chats of 4-5000 events")
    if not Path(args.chromium).exists():
        parser.error(f"{args.chromium} not found (apt-get install chromium, or --chromium PATH)")
    return args


# --- the server and its people ------------------------------------------------------------------------------


def filler(rng: random.Random, who: str, k: int) -> str:
    return f"{who} {k}: " + " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))


class World:
    """The server child process and everything connected to it; ``close`` undoes it all."""

    def __init__(self, workdir: Path, agents: int, capacity: int, progress: Progress) -> None:
        self.workdir = workdir
        self.agents = agents
        self.capacity = capacity
        self.progress = progress
        self.server: ChildServer | None = None
        self.url = ""
        self.clients: list[AgentClient | VisitorClient] = []

    async def start(self) -> None:
        env = {
            "CHATSVC_DATA_DIR": str(self.workdir),
            "CHATSVC_DATABASE_URL": f"sqlite:///{self.workdir / 'bench.db'}",
            "CHATSVC_LOG_LEVEL": "warning",
            # As in bench.load: limits that protect a real server from one client would throttle the
            # benchmark's sockets, all from 127.0.0.1. Agents keep their chats however long the run.
            "CHATSVC_RATE_PER_SECOND": "1000",
            "CHATSVC_RATE_BURST": "1000",
            "CHATSVC_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            "CHATSVC_AGENT_GRACE_SECONDS": "3600",
        }
        self.progress.say(f"creating {self.agents} agents with the CLI (capacity {self.capacity})")
        await create_agents(env, self.agents, self.capacity)
        port = free_port()
        self.server = ChildServer(
            python_module("chatsvc", "serve", "--host", "127.0.0.1", "--port", str(port)),
            env,
            port,
            self.workdir / "chatsvc.log",
        )
        self.progress.say(f"starting chatsvc on port {port} (SQLite in {self.workdir})")
        await self.server.start()
        self.url = f"http://127.0.0.1:{port}"

    async def agent(self, index: int) -> AgentClient:
        client = AgentClient(self.url, email(index), PASSWORD)
        self.clients.append(client)
        await client.connect()
        return client

    async def visitor_in_chat(self, agent: AgentClient, first: str) -> tuple[VisitorClient, str]:
        """A visitor whose first message queues a chat, once ``agent`` (the only one online) holds it."""
        visitor = VisitorClient(self.url, site="default")
        self.clients.append(visitor)
        await visitor.connect()
        conversation = (await visitor.send(first, timeout=STEP)).conversation
        async with asyncio.timeout(STEP):
            while conversation not in agent.chats:
                await asyncio.sleep(0.02)
        return visitor, conversation

    async def close_client(self, client: AgentClient | VisitorClient) -> None:
        await client.close()
        if client in self.clients:
            self.clients.remove(client)

    async def close(self) -> list[str]:
        for client in list(self.clients):
            await self.close_client(client)
        if self.server is None:
            return []
        await self.server.stop()
        return self.server.log_problems()


async def seed_shape(world: World, agent_index: int, shape: Shape, seed: int) -> list[str]:
    """``shape.chats`` chats held by agent ``agent_index``, each of about ``shape.events`` events: the visitor
    and the agent take turns, through the sockets, each message acknowledged before the next. The agent and
    the visitors leave afterwards (the agent's chats stay his: the grace period is an hour)."""
    agent = await world.agent(agent_index)
    done = 0
    total = shape.chats * shape.events

    async def one(chat: int) -> tuple[VisitorClient, str]:
        nonlocal done
        rng = random.Random(seed * 1000 + chat)
        visitor, conversation = await world.visitor_in_chat(agent, filler(rng, "hello", 0))
        last = max(visitor.last_seq.get(conversation, 0), 1)
        k = 0
        while last < shape.events:
            k += 1
            if k % 2:
                ack = await agent.send(conversation, filler(rng, "agent", k), timeout=STEP)
            else:
                ack = await visitor.send(filler(rng, "visitor", k), timeout=STEP)
            done += ack.seq - last
            last = ack.seq
            world.progress.bar(f"seeding {shape.label}", done, total)
        return visitor, conversation

    made = await asyncio.gather(*(one(chat) for chat in range(shape.chats)))
    world.progress.done_bar()
    for visitor, _ in made:
        await world.close_client(visitor)
    await world.close_client(agent)
    return [conversation for _, conversation in made]


# --- the browser --------------------------------------------------------------------------------------------


class Tab:
    """A tab in a browser context of its own (its cookies, its storage), and its page's reports."""

    def __init__(self, page: Any, reports: asyncio.Queue[dict[str, Any]]) -> None:
        self.page = page
        self.reports = reports
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )

    @classmethod
    async def open(cls, browser: Any, expect: dict[str, int] | None = None) -> Tab:
        context = await browser.new_context(viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(STEP * 1000)
        reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await context.expose_function("__benchReport", reports.put_nowait)
        await context.add_init_script(script=INSTRUMENT.replace("__EXPECT__", json.dumps(expect)))
        return cls(await context.new_page(), reports)

    async def sign_in(self, url: str, agent_email: str) -> None:
        """As an agent does: ``/console`` sends a browser to ``/login``; the form brings it back."""
        page = self.page
        await page.goto(f"{url}/console?lang=en")
        await page.wait_for_url(re.compile(r"/login\?"))
        await page.fill("input[name=email]", agent_email)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_url(re.compile(r"/console(\?|$)"))
        await page.locator("[data-c=connection][data-state=online]").wait_for(state="attached")

    async def report(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(STEP):
            while True:
                payload = await self.reports.get()
                if payload.get("kind") == "timeout":
                    raise RuntimeError(f"the console never showed {payload.get('id')} after the click")
                if payload.get("kind") == kind:
                    return payload

    def drain(self) -> None:
        while not self.reports.empty():
            self.reports.get_nowait()

    async def wait_chats(self, count: int) -> None:
        await self.page.wait_for_function(
            "(n) => document.querySelectorAll('[data-c=chat-list] [data-c=chat-item]').length === n",
            arg=count,
        )

    def pane(self, conversation: str) -> Any:
        return self.page.locator(f'[data-c=pane][data-conversation="{conversation}"]')

    async def activate(self, conversation: str) -> None:
        await self.page.locator(f'[data-c=chat-item][data-conversation="{conversation}"]').click()
        await self.page.locator(
            f'[data-c=chat-item][data-conversation="{conversation}"][aria-selected=true]'
        ).wait_for(state="attached")
        await self.pane(conversation).wait_for(state="visible")

    async def close(self) -> None:
        await self.page.context.close()


# --- 1. reply latency ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Replies:
    console_press_ms: list[float] = dataclasses.field(default_factory=list)
    console_keydown_ms: list[float] = dataclasses.field(default_factory=list)
    client_ms: list[float] = dataclasses.field(default_factory=list)
    # In the page: the keydown of Enter -> WebSocket.send() of the message.
    keydown_to_send_ms: list[float] = dataclasses.field(default_factory=list)
    harness_ms: list[float] = dataclasses.field(default_factory=list)  # one Playwright command's round trip
    clock_offset_ms: float = (
        math.nan
    )  # the page's clock minus Python's, measured before and after the replies
    clock_uncertainty_ms: float = math.nan
    clock_skew: int = 0  # keydown times outside [press, receipt] even once corrected: dropped


async def clock_offset(page: Any, rounds: int = 20) -> tuple[float, float]:
    """How far the page's wall clock (``performance.timeOrigin + now()``) is from Python's ``time.time()``:
    a read bracketed by two of Python's, the tightest of ``rounds``; (offset, half the bracket) in ms."""
    best = (math.nan, math.inf)
    for _ in range(rounds):
        before = time.time() * 1000
        seen = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if (after - before) / 2 < best[1]:
            best = (seen - (before + after) / 2, (after - before) / 2)
    return best


async def measure_replies(
    world: World, browser: Any, agent_index: int, args: argparse.Namespace, progress: Progress
) -> tuple[Replies, list[str]]:
    """The console and ``AgentClient`` (the same agent, signed in twice) answer the same visitors in turns;
    the time runs from just before the send to the reply event arriving on the visitor's socket."""
    result = Replies()
    agent = await world.agent(agent_index)
    rng = random.Random(11)
    waiting: dict[str, asyncio.Future[tuple[float, float]]] = {}

    def on_frame(frame: protocol.ServerFrame) -> None:
        if isinstance(frame, protocol.Event) and frame.kind == "message" and frame.author.role != "visitor":
            future = waiting.pop(frame.text or "", None)
            if future is not None and not future.done():
                future.set_result((time.perf_counter(), time.time()))

    chats: list[str] = []
    visitors: list[VisitorClient] = []
    for chat in range(args.reply_chats):
        visitor, conversation = await world.visitor_in_chat(agent, filler(rng, "hello", chat))
        visitor.add_listener(on_frame)
        chats.append(conversation)
        visitors.append(visitor)
    tab = await Tab.open(browser)
    try:
        await tab.sign_in(world.url, email(agent_index))
        await tab.wait_chats(len(chats))
        loop = asyncio.get_running_loop()
        offset, uncertainty = await clock_offset(tab.page)
        keydowns: list[tuple[float, float, float]] = []  # (Python before press, page's keydown, receipt), ms

        def expect(text: str) -> Awaitable[tuple[float, float]]:
            """The (perf_counter, time) of the reply's arrival: listened for from now on."""
            future = waiting[text] = loop.create_future()

            async def arrival() -> tuple[float, float]:
                try:
                    return await asyncio.wait_for(future, STEP)
                except TimeoutError:
                    raise RuntimeError(f"the visitor never received {text!r}") from None

            return arrival()

        async def by_console(conversation: str, text: str) -> None:
            composer = tab.pane(conversation).locator("[data-c=composer]")
            await composer.fill(text)
            # The typing indicator the input sent has gone by, as it has when people type.
            await asyncio.sleep(0.05)
            arrival = expect(text)
            started, started_wall = time.perf_counter(), time.time()
            # fill() left the focus in the composer: the key alone, without a locator's checks.
            await tab.page.keyboard.press("Enter")
            done, done_wall = await arrival
            result.console_press_ms.append((done - started) * 1000)
            keydown, sent = await tab.page.evaluate("[window.__bench.keys.pop(), window.__bench.sends.pop()]")
            if keydown is None or sent is None:
                raise RuntimeError("the page saw no Enter in the composer, or sent no message")
            result.keydown_to_send_ms.append(sent - keydown)
            keydowns.append((started_wall * 1000, keydown, done_wall * 1000))
            # Untimed: the console shows it acknowledged, so the next reply starts from a quiet page.
            await (
                tab.pane(conversation)
                .locator("[data-c=event][data-state=sent]")
                .filter(has_text=text)
                .first.wait_for(state="attached")
            )

        async def by_client(conversation: str, text: str) -> None:
            arrival = expect(text)
            started = time.perf_counter()
            sending = asyncio.ensure_future(agent.send(conversation, text, timeout=STEP))
            done, _ = await arrival
            result.client_ms.append((done - started) * 1000)
            ack = await sending
            # Untimed: the console (which follows the same chat) has drawn it too, as after a console reply.
            await (
                tab.pane(conversation)
                .locator(f'[data-c=event][data-seq="{ack.seq}"]')
                .wait_for(state="attached")
            )

        active = None
        for i in range(args.replies):
            conversation = chats[i * len(chats) // args.replies]  # blocks of replies, chat after chat
            if conversation != active:
                await tab.activate(conversation)
                active = conversation
                await asyncio.sleep(0.1)
            senders: list[Callable[[str, str], Awaitable[None]]] = [by_console, by_client]
            if i % 2:
                senders.reverse()  # each goes first half of the time
            for send in senders:
                await send(
                    conversation,
                    f"reply {i} {'console' if send is by_console else 'client'}: "
                    + " ".join(rng.choices(WORDS, k=8)),
                )
            progress.bar("replies", i + 1, args.replies)
        progress.done_bar()
        for _ in range(20):
            started = time.perf_counter()
            await tab.page.evaluate("0")
            result.harness_ms.append((time.perf_counter() - started) * 1000)
        # The page's keydown times on Python's clock: the offset is the mean of the readings before and after.
        offset_after, uncertainty_after = await clock_offset(tab.page)
        result.clock_offset_ms = (offset + offset_after) / 2
        result.clock_uncertainty_ms = max(uncertainty, uncertainty_after) + abs(offset - offset_after) / 2
        for before, keydown, receipt in keydowns:
            at = keydown - result.clock_offset_ms
            if before - result.clock_uncertainty_ms <= at <= receipt + result.clock_uncertainty_ms:
                result.console_keydown_ms.append(receipt - at)
            else:
                result.clock_skew += 1
        return result, tab.errors
    finally:
        await tab.close()
        phase: list[AgentClient | VisitorClient] = [*visitors, agent]
        for client in phase:  # nothing of this phase stays connected during the next ones
            await world.close_client(client)


# --- 2 and 3. opening and switching -------------------------------------------------------------------------


@dataclasses.dataclass
class Opening:
    shape: Shape
    events: int = 0  # as stored: the shape's events, give or take a system event
    load_ms: list[float] = dataclasses.field(default_factory=list)
    online_ms: list[float] = dataclasses.field(default_factory=list)
    rendered_ms: list[float] = dataclasses.field(default_factory=list)
    painted_ms: list[float] = dataclasses.field(default_factory=list)
    layouts: list[float] = dataclasses.field(default_factory=list)  # the page's layouts until it reported
    busy_ms: list[float] = dataclasses.field(default_factory=list)  # the page's main thread busy until then
    api_ms: list[float] = dataclasses.field(default_factory=list)
    plain_ms: list[float] = dataclasses.field(default_factory=list)
    switch_dom_ms: list[float] = dataclasses.field(default_factory=list)
    switch_painted_ms: list[float] = dataclasses.field(default_factory=list)
    click_painted_ms: list[float] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)


async def fetch_all(http: httpx.AsyncClient, chats: Sequence[str]) -> dict[str, int]:
    """The reference: each chat's transcript through the JSON API, one after the other; their last seqs."""
    last = {}
    for conversation in chats:
        response = await http.get(f"/api/conversations/{conversation}")
        response.raise_for_status()
        events = response.json()["events"]
        last[conversation] = max(e["seq"] for e in events)
    return last


async def measure_shape(
    world: World,
    browser: Any,
    agent_index: int,
    shape: Shape,
    chats: list[str],
    args: argparse.Namespace,
    progress: Progress,
) -> Opening:
    result = Opening(shape)
    async with httpx.AsyncClient(base_url=world.url, timeout=STEP) as http:
        login = await http.post("/api/auth/login", json={"email": email(agent_index), "password": PASSWORD})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        expect = await fetch_all(http, chats)  # also warms the server's caches, as the first page load would
        result.events = sum(expect.values())
        tab = await Tab.open(browser, expect)
        plain = await Tab.open(browser)  # signed out: /login is a plain page of the same server
        try:
            await tab.sign_in(world.url, email(agent_index))
            await tab.report("open")  # the first load, after the sign-in: untimed (cold caches, a redirect)
            # Chromium's own counters of the page (reset by each navigation): layouts and main-thread time.
            cdp = await tab.page.context.new_cdp_session(tab.page)
            await cdp.send("Performance.enable")
            await plain.page.goto(f"{world.url}/login")
            for round_ in range(args.reloads):
                # One of each per round, so a slow patch of the machine hits all three alike.
                await asyncio.sleep(0.2)
                tab.drain()
                await tab.page.reload()
                opened = await tab.report("open")
                result.load_ms.append(opened["load"])
                result.online_ms.append(opened["online"] if opened["online"] is not None else math.nan)
                result.rendered_ms.append(opened["rendered"])
                result.painted_ms.append(opened["painted"])
                metrics = {
                    m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]
                }
                result.layouts.append(metrics.get("LayoutCount", math.nan))
                result.busy_ms.append(metrics.get("TaskDuration", math.nan) * 1000)
                started = time.perf_counter()
                await fetch_all(http, chats)
                result.api_ms.append((time.perf_counter() - started) * 1000)
                await plain.page.reload()
                result.plain_ms.append(
                    await plain.page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                )
                progress.bar(f"opening {shape.label}", round_ + 1, args.reloads)
            progress.done_bar()
            await switch(tab, chats, args.switches, result, progress)
        finally:
            result.errors = tab.errors + plain.errors
            await tab.close()
            await plain.close()
    return result


async def switch(tab: Tab, chats: list[str], count: int, result: Opening, progress: Progress) -> None:
    """Click the next chat's item, then the reference heading; each until the frame showing its result."""
    if len(chats) < 2 or count == 0:
        return
    active = await tab.page.get_attribute("[data-c=chat-item][aria-selected=true]", "data-conversation")
    index = chats.index(active) if active in chats else 0
    heading = tab.page.locator("#cx-chats-title")
    for k in range(count):
        index = (index + 1) % len(chats)
        await asyncio.sleep(0.1)
        tab.drain()
        await tab.page.locator(f'[data-c=chat-item][data-conversation="{chats[index]}"]').click()
        shown = await tab.report("switch")
        result.switch_dom_ms.append(shown["dom"])
        result.switch_painted_ms.append(shown["painted"])
        await asyncio.sleep(0.1)
        tab.drain()
        await heading.click()
        result.click_painted_ms.append((await tab.report("reference"))["painted"])
        progress.bar(f"switching {result.shape.label}", k + 1, count)
    progress.done_bar()


# --- the table ----------------------------------------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return percentile(values, 50)


def num(value: float, digits: int = 1) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def times(numerator: float, denominator: float) -> str:
    if math.isnan(numerator) or math.isnan(denominator) or denominator <= 0:
        return "-"
    return f"x{numerator / denominator:.2f}"


def render(
    args: argparse.Namespace,
    replies: Replies | None,
    openings: list[Opening],
    load_before: float,
    load_after: float,
    problems: list[str],
) -> str:
    command = f"{os.path.relpath(sys.executable)} -m bench.console" + (
        " " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""
    )
    lines = [
        "chatsvc agent console benchmark (Chromium headless, one chatsvc process on SQLite)",
        f"  machine: {machine_facts()}",
        f"  busy:    load average (1 min) {num(load_before, 2)} before, {num(load_after, 2)} after",
        f"  command: {command}  ({revision()})",
        "",
    ]
    if replies is not None:
        press, keydown, client = replies.console_press_ms, replies.console_keydown_ms, replies.client_ms
        lines.append(
            f"1. reply latency: send -> the event on the visitor's socket ({args.replies} replies per "
            f"sender, over {args.reply_chats} chats, taking turns)"
        )
        header = f"{'sender':<34}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'max ms':>9}{'x client p50':>14}"
        lines += [header, "-" * len(header)]
        for name, values in (
            ("console, from keyboard.press()", press),
            ("console, from keydown in the page", keydown),
            ("reference: AgentClient.send()", client),
        ):
            lines.append(
                f"{name:<34}{len(values):>5}{num(med(values), 2):>9}{num(percentile(values, 90), 2):>9}"
                f"{num(max(values, default=math.nan), 1):>9}{times(med(values), med(client)):>14}"
            )
        lines.append(
            f"  in the page: keydown -> WebSocket.send() of the reply p50 "
            f"{num(med(replies.keydown_to_send_ms), 2)} ms, p90 "
            f"{num(percentile(replies.keydown_to_send_ms, 90), 2)} ms"
        )
        lines.append(
            f"  harness: one Playwright command's round trip (page.evaluate) p50 "
            f"{num(med(replies.harness_ms), 2)} ms; page clock - Python clock "
            f"{num(replies.clock_offset_ms, 2)} ms +/- {num(replies.clock_uncertainty_ms, 2)} (corrected)"
            + (
                f"; {replies.clock_skew} keydown times dropped (outside press..receipt)"
                if replies.clock_skew
                else ""
            )
        )
        lines.append("")
    if openings:
        lines.append(
            f"2. opening the console: navigation -> every chat's history in the DOM "
            f"(median of {args.reloads} reloads)"
        )
        header = (
            f"{'chats x events':<16}{'events':>7}{'load ev':>9}{'online':>8}{'rendered':>10}{'painted':>9}"
            f"{'layouts':>9}{'busy ms':>9}{'API ms':>9}{'/login':>8}{'x API':>8}{'x /login':>10}"
        )
        lines += [header, "-" * len(header)]
        for o in openings:
            rendered = med(o.rendered_ms)
            lines.append(
                f"{o.shape.label:<16}{o.events:>7}{num(med(o.load_ms)):>9}{num(med(o.online_ms)):>8}"
                f"{num(rendered):>10}{num(med(o.painted_ms)):>9}{num(med(o.layouts), 0):>9}"
                f"{num(med(o.busy_ms), 0):>9}{num(med(o.api_ms)):>9}{num(med(o.plain_ms)):>8}"
                f"{times(rendered, med(o.api_ms)):>8}{times(rendered, med(o.plain_ms)):>10}"
            )
        lines.append("")
        if args.switches and any(o.switch_painted_ms for o in openings):
            lines.append(
                f"3. switching chats: click on a chat item -> its pane showing its last event "
                f"({args.switches} clicks per shape)"
            )
            header = (
                f"{'chats x events':<16}{'n':>5}{'DOM p50':>9}{'painted p50':>13}{'p90':>8}"
                f"{'ref click p50':>15}{'x ref':>8}"
            )
            lines += [header, "-" * len(header)]
            for o in openings:
                if not o.switch_painted_ms:
                    continue
                painted = med(o.switch_painted_ms)
                lines.append(
                    f"{o.shape.label:<16}{len(o.switch_painted_ms):>5}{num(med(o.switch_dom_ms), 2):>9}"
                    f"{num(painted, 2):>13}{num(percentile(o.switch_painted_ms, 90), 2):>8}"
                    f"{num(med(o.click_painted_ms), 2):>15}{times(painted, med(o.click_painted_ms)):>8}"
                )
            lines.append("")
    for problem in problems[:10]:
        lines.append(f"  problem: {problem[:200]}")
    if len(problems) > 10:
        lines.append(f"  problem: ... {len(problems) - 10} more")
    return "\n".join(lines).rstrip()


# --- the run ------------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    progress = Progress(quiet=args.quiet)
    load_before = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="chatsvc-bench-console-"))
    shapes: list[Shape] = args.shapes
    capacity = max([args.reply_chats] + [s.chats for s in shapes])
    # Agent 0 answers the replies; agent 1 + k holds shape k. Each is alone online while his chats are made.
    world = World(workdir, 1 + len(shapes), capacity, progress)
    replies: Replies | None = None
    openings: list[Opening] = []
    problems: list[str] = []
    try:
        await world.start()
        seeded = []
        for k, shape in enumerate(shapes):
            seeded.append(await seed_shape(world, 1 + k, shape, seed=k + 1))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=args.chromium, headless=True, args=["--no-sandbox"]
            )
            try:
                if args.replies:
                    progress.say(f"replies: {args.replies} by the console and {args.replies} by AgentClient")
                    replies, errors = await measure_replies(world, browser, 0, args, progress)
                    problems += errors
                for k, shape in enumerate(shapes):
                    progress.say(
                        f"opening {shape.label}: {args.reloads} reloads, then {args.switches} switches"
                    )
                    opening = await measure_shape(world, browser, 1 + k, shape, seeded[k], args, progress)
                    openings.append(opening)
                    problems += opening.errors
            finally:
                await browser.close()
    finally:
        problems += [f"server log: {line}" for line in await world.close()]
        if args.keep:
            progress.say(f"server log and database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(args, replies, openings, load_before, load_average(), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        raise SystemExit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"bench.console: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
