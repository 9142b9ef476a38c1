"""Screenshots of the visitor widget and the agent console, so anyone can look at them: ``make screenshots`` (or
``python tests/screenshots.py [--out DIR]``).

The widget: starts a chat server on a fresh SQLite database with a small knowledge base and one agent, serves a
shop's page from another origin (as a customer's site would be), and drives real conversations in headless Chromium
(Debian's ``/usr/bin/chromium``) with the agent on the other side through ``chatsvc.client``: the launcher closed,
then with an unread reply; the bot's answer card; the leave-a-message form; the agent's reply; the end-of-chat
survey, at desktop size (1280×800), and the open widget and the launcher on a phone (375×740).

The console: a second fresh server; an agent signs in through the login form and holds three chats with visitors
driven through ``chatsvc.client`` (their pages, browsers and languages sent as the widget would), a fourth visitor
waiting in the queue; the active chat shows the bot's answer, the agent's replies, an internal note and the
visitor's details with an earlier conversation; another chat keeps a draft. ``console-three-chats`` at 1440×900,
then ``console-fr``, the same console in French.

The manager page: a third fresh server; ``bench/kpi_data.py`` writes 2,000 conversations of the last 30 days for
its agents, teams and two sites; then three agents are connected through ``chatsvc.client`` (two online and full,
one away), two visitors wait in the queue and one talks to the bot, so the live panel has something to show; a
manager signs in through the login form. ``manager`` at 1440×900, then ``manager-fr``, the same page in French.

Writes PNGs to ``screenshots/`` (git-ignored) and prints their paths.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: python tests/screenshots.py
    sys.path.insert(0, str(ROOT))

from bench.kpi_data import generate
from chatsvc.client import AgentClient, VisitorClient
from chatsvc.services.admin import AdminService
from tests.support.servers import STAFF_PASSWORD, Backend, InProcessServer, free_port, make_settings

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
CONSOLE = {"width": 1440, "height": 900}
MANAGER = {"width": 1440, "height": 900}
WAIT = 10_000  # ms

ARTICLES = [
    {
        "article_id": "reset-password",
        "title": "Reset your password",
        "body": "Open **Account > Security** and choose *Reset password*. We email you a link.\n\n"
                "1. Open the link within 30 minutes.\n2. Choose a new password of at least 10 characters.\n\n"
                "No email? Check your spam folder or read [our help centre](https://help.example.com/passwords).",
        "alt": ["I forgot my password", "how do I change my password", "I can't sign in"],
    },
    {
        "article_id": "refund",
        "title": "Ask for a refund",
        "body": "Refunds are paid within **5 days** to the card you used. Open *Orders*, pick the order and choose "
                "`Request a refund`.",
        "alt": ["money back", "I want a refund", "return an item"],
    },
    {
        "article_id": "delivery",
        "title": "Where is my order?",
        "body": "Most orders arrive in 2 to 4 working days; the tracking link is in your confirmation email.\n\n"
                "- Standard delivery: 2-4 days\n- Express delivery: the next working day",
        "alt": ["track my order", "delivery time", "my parcel has not arrived"],
    },
]

MENU = [  # the bot's first buttons: (label, French label, action, payload)
    ("Track my order", "Suivre ma commande", "article", "delivery"),
    ("Returns and refunds", "Retours et remboursements", "article", "refund"),
    ("Talk to a person", "Parler à un conseiller", "human", None),
]

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outfitters</title>
<style>
body { margin: 0; font: 16px/1.6 Georgia, serif; color: #1f2328; background: #f6f3ee; }
header { background: #1d3b2a; color: #fff; padding: 18px 48px; display: flex; gap: 32px; align-items: center; }
header b { font-size: 22px; } header span { opacity: .85; }
main { padding: 40px 48px; display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 24px;
  max-width: 820px; }
.card { background: #fff; border-radius: 8px; padding: 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.card h2 { margin: 0 0 8px; font-size: 20px; } .price { color: #1d3b2a; font-weight: bold; }
@media (max-width: 600px) { header, main { padding: 16px; } header span { display: none; } }
</style></head>
<body><header><b>Northwind Outfitters</b><span>Tents</span><span>Backpacks</span><span>Sleeping bags</span></header>
<main>
<div class="card"><h2>Ridge 2 tent</h2><p>Two people, 2.1 kg, up in four minutes.</p><p class="price">€249</p></div>
<div class="card"><h2>Trail 40 backpack</h2><p>Light, waterproof, with a back that breathes.</p><p class="price">€129</p></div>
<div class="card"><h2>Summit sleeping bag</h2><p>Comfortable down to −5 °C, packs to the size of a melon.</p>
<p class="price">€179</p></div>
</main>
<script src="CHAT_URL/widget.js" data-site="default" async></script>
</body></html>
"""


@contextlib.contextmanager
def host_site() -> Iterator[dict[str, str]]:
    """The shop's page on http://localhost:PORT (another origin than the chat server's 127.0.0.1). The page
    names the chat server given later in ``site["chat_url"]``."""
    site = {"origin": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/":
                self.send_response(204)  # no favicon: and no 404 in the console
                self.end_headers()
                return
            body = HOST_PAGE.replace("CHAT_URL", site["chat_url"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    site["origin"] = f"http://localhost:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@contextlib.asynccontextmanager
async def chat_server(data_dir: Path, origin: str, **overrides: Any) -> AsyncIterator[InProcessServer]:
    backend = Backend(name="sqlite", database_url=f"sqlite:///{data_dir}/chatsvc.db", redis_url="")
    settings = make_settings(backend, data_dir, allowed_origins=(origin,), agent_grace_seconds=30.0, **overrides)
    async with InProcessServer(settings) as server:
        services = server.services
        for article in ARTICLES:
            await services.kb.create(**article)  # type: ignore[arg-type]
        admin = AdminService.of(services)
        site = await admin.site_by_key("default")
        await admin.update_site(site.id, name="Northwind Outfitters", widget={
            "color": "#1d3b2a",
            "greeting_en": "Hi there! Ask us anything about your order, our gear or your account.",
            "greeting_fr": "Bonjour ! Posez-nous vos questions sur votre commande, nos produits ou votre compte.",
            "survey_csat": True,
        })
        ada = await server.add_staff("Ada Admin", role="admin")
        for label, label_fr, action, payload in MENU:
            await services.replies.add_menu_item(
                ada, parent_id=None, label=label, label_fr=label_fr, action=action, payload=payload
            )
        yield server


class Shots:
    def __init__(self, out: Path, review: Path | None = None) -> None:
        self.out = out
        self.review = review  # --review DIR: whole-page captures too
        self.written: list[Path] = []
        self.problems: list[str] = []

    async def page(self, browser: Any, url: str, viewport: dict[str, int], **options: Any) -> Any:
        context = await browser.new_context(viewport=viewport, locale="en-GB", **options)
        context.set_default_timeout(WAIT)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        await page.emulate_media(reduced_motion="reduce")  # no half-finished animations in the pictures
        await page.goto(url)
        await page.locator("[data-cs=launcher]").wait_for()
        return page

    async def take(self, page: Any, name: str) -> None:
        await asyncio.sleep(0.4)  # the last frame's scroll
        path = self.out / f"{name}.png"
        await page.screenshot(path=str(path))
        self.written.append(path)


    async def manager(self, browser: Any, server: InProcessServer, email: str, lang: str) -> Any:
        """A manager signs in through the login form (``/manager`` sends her there and back); the panel is live."""
        return await self._signed_in(browser, server, email, lang, page_name="manager", viewport=MANAGER,
                                     ready="[data-live][data-live-state=live]")

    async def console(self, browser: Any, server: InProcessServer, email: str, lang: str) -> Any:
        """A browser signs in through the login form (``/console`` sends it there and back); the console is up."""
        return await self._signed_in(browser, server, email, lang, page_name="console", viewport=CONSOLE,
                                     ready="[data-c=connection][data-state=online]")

    async def _signed_in(
        self, browser: Any, server: InProcessServer, email: str, lang: str, *, page_name: str,
        viewport: dict[str, int], ready: str,
    ) -> Any:
        """A staff page reached through the login form it redirects to, once ``ready`` is in it; its errors are
        recorded as problems."""
        context = await browser.new_context(viewport=viewport, locale="fr-FR" if lang == "fr" else "en-GB",
                                            timezone_id="Europe/Paris")
        context.set_default_timeout(WAIT)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"{page_name} page error: {error}"))
        page.on("console",
                lambda m: self.problems.append(f"{page_name} {m.type}: {m.text}") if m.type == "error" else None)
        await page.emulate_media(reduced_motion="reduce")
        await page.goto(f"{server.url}/{page_name}?lang={lang}")
        await page.wait_for_url("**/login?**")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", STAFF_PASSWORD)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_url(f"**/{page_name}**")
        await page.locator(ready).wait_for(state="attached")
        return page


async def ask(page: Any, text: str) -> None:
    await page.locator("[data-cs=input]").fill(text)
    await page.locator("[data-cs=input]").press("Enter")


async def run(out: Path, review: Path | None = None, only: str = "") -> Shots:
    from playwright.async_api import async_playwright

    shots = Shots(out, review)
    with tempfile.TemporaryDirectory(prefix="chatsvc-shots-") as tmp, host_site() as site:
        async with chat_server(Path(tmp), site["origin"]) as server, async_playwright() as playwright:
            site["chat_url"] = server.url
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                if not only or only == "widget":
                    await _scenes(shots, browser, server, site["origin"] + "/")
                if not only or only == "console":
                    with tempfile.TemporaryDirectory(prefix="chatsvc-shots-console-") as console_tmp:
                        async with chat_server(Path(console_tmp), site["origin"]) as console_server:
                            await _console_scenes(shots, browser, console_server)
                if not only or only == "manager":
                    with tempfile.TemporaryDirectory(prefix="chatsvc-shots-manager-") as manager_tmp:
                        # Days and hours on the page in the team's zone, as a Paris desk would set it.
                        async with chat_server(Path(manager_tmp), site["origin"],
                                               stats_timezone="Europe/Paris") as manager_server:
                            await _manager_scenes(shots, browser, manager_server)
            finally:
                await browser.close()
    return shots


async def _scenes(shots: Shots, browser: Any, server: InProcessServer, url: str) -> None:
    alice = await server.add_staff("Alice Martin")

    # 1. Nobody online: the launcher, the bot's answer card, then the leave-a-message form.
    page = await shots.page(browser, url, DESKTOP)
    await shots.take(page, "desktop-launcher")
    await page.locator("[data-cs=launcher]").click()
    await shots.take(page, "desktop-greeting")
    await ask(page, "I forgot my password, how do I reset it?")
    await page.locator("[data-cs=card]").wait_for()
    await shots.take(page, "desktop-bot-answer")
    await page.locator("[data-cs=human]").click()
    await page.locator("[data-cs=leave-form]").wait_for()
    await page.locator("[data-cs=leave-form] [name=name]").fill("Sam Taylor")
    await page.locator("[data-cs=leave-form] [name=email]").fill("sam@example.com")
    await shots.take(page, "desktop-leave-message")
    await page.context.close()

    # 2. Alice online: a question, a person, her reply with her name; then the survey.
    agent: AgentClient = await server.agent(alice)
    try:
        page = await shots.page(browser, url, DESKTOP)
        await page.locator("[data-cs=launcher]").click()
        await ask(page, "My parcel has not arrived, where is my order?")
        await page.locator("[data-cs=card]").wait_for()
        await page.locator("[data-cs=no]").click()
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Hi, I'm Alice! Sorry about the wait for your parcel. Could you give me your "
                                  "order number? It starts with NW.")
        await page.locator("[data-role=agent]").wait_for()
        await ask(page, "Sure, it's NW-20417.")
        await page.locator("[data-role=visitor][data-state=sent] >> nth=-1").wait_for()
        await agent.typing(chat.id, True)
        await page.locator("[data-cs=typing]").wait_for()
        await shots.take(page, "desktop-agent-reply")
        await agent.send(chat.id, "Thanks! It left our warehouse yesterday and should reach you tomorrow. "
                                  "Tracking: https://track.example.com/NW-20417")
        await page.locator("[data-role=agent] >> nth=1").wait_for()
        await page.locator("[data-cs=close-panel]").click()
        await agent.send(chat.id, "Is there anything else I can help you with?")
        await page.locator("[data-cs=badge]").wait_for()
        await shots.take(page, "desktop-launcher-unread")
        await page.locator("[data-cs=launcher]").click()
        await agent.end(chat.id)
        await page.locator("[data-cs=survey]").wait_for()
        await page.locator("[data-cs=csat][data-value='5']").click()
        await page.locator("[data-cs=survey] [name=comment]").fill("Quick and friendly, thank you!")
        await shots.take(page, "desktop-survey")
        await page.context.close()

        # 3. A phone: the launcher, then the open widget full screen with an answer card and Alice's reply.
        page = await shots.page(browser, url, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        await shots.take(page, "phone-launcher")
        await page.locator("[data-cs=launcher]").click()
        await ask(page, "How do I get my money back?")
        await page.locator("[data-cs=card]").wait_for()
        await shots.take(page, "phone-bot-answer")
        await page.locator("[data-cs=human]").click()
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Hello, Alice here. I can start the refund for you right now.")
        await page.locator("[data-role=agent]").wait_for()
        await shots.take(page, "phone-agent-reply")
        await page.context.close()
    finally:
        await agent.close()


class _Visitor(VisitorClient):
    """A visitor whose handshake carries their browser's User-Agent (the console shows the browser it names)."""

    def __init__(self, base_url: str, user_agent: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.user_agent = user_agent

    def _headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent}


# (name, email, User-Agent, page URL, page title, time zone, language, widget language, question)
CONSOLE_VISITORS = [
    ("Sam Taylor", "sam@example.com",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
     "https://northwind.example/account/security", "Account security | Northwind Outfitters", "Europe/London",
     "en-GB", "en", "I forgot my password, how do I reset it?"),
    ("Chloé Martin", "chloe@example.fr",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0",
     "https://northwind.example/orders/NW-20417", "Order NW-20417 | Northwind Outfitters", "Europe/Paris", "fr-FR",
     "fr", "Bonjour, ma commande NW-20417 n'est toujours pas arrivée."),
    ("Jonas Berg", None,
     "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Mobile/15E148 Safari/604.1",
     "https://northwind.example/tents/ridge-2", "Ridge 2 tent | Northwind Outfitters", "Europe/Stockholm", "sv-SE",
     "en", "Do you ship the Ridge 2 tent to Sweden?"),
    ("Priya Shah", "priya@example.in",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
     "https://northwind.example/sleeping-bags/summit", "Summit sleeping bag | Northwind Outfitters", "Asia/Kolkata",
     "en-IN", "en", "Can I return a sleeping bag I have used once?"),
]


async def _to_a_person(visitor: VisitorClient, question: str) -> str:
    """The visitor asks; the bot answers (or queues at once); then they ask for a person. The conversation id."""
    conversation = (await visitor.send(question)).conversation
    turn = await visitor.next_frame(lambda f: getattr(f, "kind", None) in ("bot", "queued")
                                    and getattr(f, "conversation", None) == conversation)
    if getattr(turn, "kind", None) == "bot":
        await visitor.handoff()
        await visitor.wait_event(kind="queued", conversation=conversation)
    return conversation


async def _console_scenes(shots: Shots, browser: Any, server: InProcessServer) -> None:
    nadia = await server.add_staff("Nadia Ortiz", max_chats=3)
    await server.services.replies.create_canned(
        nadia, shortcut="thanks", title="Thanks for waiting",
        body="Thank you for waiting, {visitor_name}. I'm {agent_name} and I'll take it from here.")
    people: list[_Visitor] = []
    try:
        # Sam talked to the bot yesterday (an earlier conversation the console lists).
        sam_before = _Visitor(server.url, CONSOLE_VISITORS[0][2], origin=server.settings.allowed_origins[0])
        people.append(sam_before)
        await sam_before.connect()
        await sam_before.identify(name="Sam Taylor", email="sam@example.com")
        await sam_before.send("Where is my order?")
        await sam_before.wait_event(kind="bot")
        await sam_before.end()
        await sam_before.wait_event(kind="closed")

        page = await shots.console(browser, server, nadia.email, "en")
        chats: list[str] = []
        for name, email, agent, url, title, zone, language, lang, question in CONSOLE_VISITORS:
            visitor = sam_before if name == "Sam Taylor" else _Visitor(
                server.url, agent, lang=lang, origin=server.settings.allowed_origins[0])
            if visitor is not sam_before:
                people.append(visitor)
                await visitor.connect()
            await visitor.identify(name=name, email=email)
            await visitor.page(url, title=title, timezone=zone, language=language)
            chats.append(await _to_a_person(visitor, question))
        sam, chloe, jonas, _priya = chats
        await page.locator("[data-c=chat-list] [data-c=chat-item]").nth(2).wait_for()
        await page.locator(f'[data-c=queue-item][data-conversation="{_priya}"]').wait_for()

        async def answer(chat: str, text: str) -> None:
            await page.locator(f'[data-c=chat-item][data-conversation="{chat}"]').click()
            composer = page.locator(f'[data-c=pane][data-conversation="{chat}"] [data-c=composer]')
            await composer.fill(text)
            await composer.press("Enter")
            await page.locator(f'[data-c=pane][data-conversation="{chat}"] [data-c=event][data-state=sent]').filter(
                has_text=text[:40]).first.wait_for(state="attached")

        await answer(chloe, "Bonjour Chloé, je regarde tout de suite où en est votre colis.")
        await people[1].send("Merci beaucoup !")
        await answer(jonas, "Hi Jonas! Yes, we ship to Sweden in 3 to 5 working days.")
        await answer(sam, "Hi Sam, I'm Nadia. I have just sent you a new reset link.")
        await sam_before.send("Got it, but the link says it has expired.")
        pane = page.locator(f'[data-c=pane][data-conversation="{sam}"]')
        await pane.locator("[data-c=event]").filter(has_text="has expired").wait_for(state="attached")
        await pane.locator("[data-c=note-mode]").click()
        await pane.locator("[data-c=composer]").fill("Second expired link this week: check the mail server's clock.")
        await pane.locator("[data-c=composer]").press("Enter")
        await pane.locator("[data-c=event][data-kind=note]").wait_for(state="attached")
        await pane.locator("[data-c=note-mode]").click()
        # A draft waits in Jonas's chat; Sam's is the one shown, typing.
        await page.locator(f'[data-c=chat-item][data-conversation="{jonas}"]').click()
        await page.locator(f'[data-c=pane][data-conversation="{jonas}"] [data-c=composer]').fill(
            "The Ridge 2 is in stock in green and")
        await page.locator(f'[data-c=chat-item][data-conversation="{sam}"]').click()
        await pane.locator("[data-c=composer]").fill("Let me send you one that lasts an hour")
        await sam_before.typing(True)
        await page.locator("[data-c=details]").filter(has_text="Account security").wait_for()
        await page.locator("[data-c=details] [data-c=history] [data-c=history-item]").first.wait_for()
        await shots.take(page, "console-three-chats")

        french = await shots.console(browser, server, nadia.email, "fr")
        await french.locator(f'[data-c=chat-item][data-conversation="{chloe}"]').click()
        await french.locator(f'[data-c=pane][data-conversation="{chloe}"] [data-c=event]').filter(
            has_text="Merci beaucoup").wait_for(state="attached")
        await shots.take(french, "console-fr")
        await page.context.close()
        await french.context.close()
    finally:
        for visitor in people:
            await visitor.close()


# The manager's desk: (name, capacity, team index), the first three connected for the live panel.
DESK_AGENTS = [("Nadia Ortiz", 2, 0), ("Tomás Silva", 1, 0), ("Aiko Tanaka", 3, 1), ("Marc Dubois", 3, 0),
               ("Grace Okoye", 3, 1), ("Lena Fischer", 3, 2), ("Omar Haddad", 3, 2), ("Sofia Rossi", 3, 0)]
DESK_TEAMS = [("Orders", ["orders"]), ("Billing", ["billing"]), ("Technical", ["tech"])]
# What this shop's visitors asked that no article answers (the page groups them; a few are asked often).
DESK_UNANSWERED = [
    "Do you ship to Iceland?", "Can I pay with a gift card from another shop?", "Is the Ridge 2 tent waterproof "
    "in heavy snow?", "Do you rent tents for a weekend?", "Can I pick up my order at your warehouse in Lyon?",
    "Do you repair zips on old backpacks?", "Is there a student discount?", "Can I change the colour after ordering?",
    "Do you sell replacement tent poles?", "Can I order by phone?", "How do I wash a down sleeping bag?",
    "Do you have a shop in Brussels?", "Livrez-vous en Suisse ?", "Est-ce que je peux payer en trois fois ?",
    "Vous reprenez les vieux sacs de couchage ?", "Why was my card declined twice?",
]
DESK_QUESTIONS = ["Where is my parcel? It should have arrived on Monday.", "Can I change the delivery address?",
                  "I was charged twice for order NW-20571.", "Ma commande est arrivée abîmée, que faire ?",
                  "Do you have the Trail 40 in green?"]


async def _manager_scenes(shots: Shots, browser: Any, server: InProcessServer) -> None:
    services = server.services
    admin = AdminService.of(services)
    default = await admin.site_by_key("default")
    help_centre = await admin.create_site(key="help", name="Northwind help centre", allowed_origins=[])
    staff = [await server.add_staff(name, max_chats=capacity) for name, capacity, _team in DESK_AGENTS]
    teams = [await admin.create_team(name=name, topics=topics,
                                     member_ids=[u.id for u, (_n, _c, t) in zip(staff, DESK_AGENTS, strict=True)
                                                 if t == k])
             for k, (name, topics) in enumerate(DESK_TEAMS)]
    await generate(services.db, 2_000, seed=11, days=30, now=services.clock(), leave_open=False,
                   site_ids=[default.id, help_centre.id], team_ids=[t.id for t in teams],
                   agent_ids=[u.id for u in staff], asked=DESK_UNANSWERED)
    mia = await server.add_staff("Mia Manager", role="manager")
    origin = server.settings.allowed_origins[0]
    clients: list[AgentClient | VisitorClient] = []
    try:
        # Nadia (2 chats) and Tomás (1) online and full, Aiko away: the next two visitors wait.
        for user in staff[:2]:
            clients.append(await server.agent(user))
        for k, question in enumerate(DESK_QUESTIONS):
            visitor = _Visitor(server.url, CONSOLE_VISITORS[k % len(CONSOLE_VISITORS)][2], origin=origin)
            clients.append(visitor)
            await visitor.connect()
            await _to_a_person(visitor, question)
            await asyncio.sleep(0.6 if k >= 3 else 0.1)  # the waiting ones a few seconds apart
        clients.append(await server.agent(staff[2], status="away"))
        bot_visitor = _Visitor(server.url, CONSOLE_VISITORS[0][2], origin=origin)
        clients.append(bot_visitor)
        await bot_visitor.connect()
        await bot_visitor.send("I forgot my password, how do I reset it?")
        await bot_visitor.wait_event(kind="bot")
        await asyncio.sleep(4)  # the longest wait reads a few seconds, not zero

        for lang, name in (("en", "manager"), ("fr", "manager-fr")):
            page = await shots.manager(browser, server, mia.email, lang)
            await page.wait_for_function(
                "() => document.querySelector('[data-live-field=waiting]').textContent.trim() === '2'")
            await page.locator("[data-live-agents] tr[data-agent-id]").nth(2).wait_for()
            await shots.take(page, name)
            if shots.review is not None:  # the whole page, for a look below the fold (not written to --out)
                await page.screenshot(path=str(shots.review / f"{name}-full.png"), full_page=True)
            await page.context.close()
    finally:
        for client in clients:
            await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Screenshots of the visitor widget, the agent console and the manager page.")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="where to write the PNGs")
    parser.add_argument("--only", choices=("widget", "console", "manager"), default="",
                        help="only these screenshots (default: all)")
    parser.add_argument("--review", type=Path, default=None,
                        help="also write whole-page captures of the manager page here (for a look below the fold)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if args.review is not None:
        args.review.mkdir(parents=True, exist_ok=True)
    shots = asyncio.run(run(args.out, args.review, args.only))
    for path in shots.written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    for problem in shots.problems:
        print("warning:", problem, file=sys.stderr)
    return 1 if shots.problems else 0


if __name__ == "__main__":
    sys.exit(main())
