"""The agent console's tools in a real Chromium: the visitor's details (page, browser, language, local time, a
name given later) and earlier conversations and tickets (same visitor or same email); typing indicators both ways;
the delivery state of the agent's messages (sending, sent, seen); the knowledge base at hand (link, text); the
canned list (/, filter, arrows, Tab, click, Escape; shared and personal); closing and converting to a ticket; the
keyboard shortcuts and their help overlay; unread counts, the title badge, the tone and the system notification
of a new chat; a visitor leaving; long unbroken text kept inside its column."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.browser.console_host import (
    AgentWire,
    ConsoleEnv,
    add_agent,
    add_article,
    ask_for_person,
    bearer_http,
    console_env,
    eventually,
    shared_canned,
    visitors,
)
from tests.browser.widget_host import module_browser_fixture  # noqa: F401 (the module_browser fixture)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[ConsoleEnv]:  # type: ignore[no-untyped-def]
    async with console_env(start_server, sqlite_backend, module_browser) as running:
        yield running


def _shows_clock(text: str, zone: str) -> bool:
    """Whether ``text`` shows the time in ``zone`` now or a minute either side (24-hour or 12-hour clock)."""
    now = dt.datetime.now(ZoneInfo(zone))
    for delta in (-1, 0, 1):
        t = now + dt.timedelta(minutes=delta)
        for shown in {t.strftime("%H:%M"), t.strftime("%-I:%M")}:
            if re.search(rf"(?<!\d){re.escape(shown)}(?!\d)", text):
                return True
    return False


async def _wait_href(link: Any, href: str) -> None:
    """``[data-c=visitor-page]`` (the link itself or what holds it) comes to point at ``href``."""
    await link.page.wait_for_function(
        """(href) => { const el = document.querySelector('[data-c=details] [data-c=visitor-page]');
           const a = el && (el.tagName === 'A' ? el : el.querySelector('a'));
           return !!a && a.getAttribute('href') === href; }""", arg=href)


async def test_visitor_details_and_earlier_conversations(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    # Ana's own clock is in Paris; the visitor's is in Tokyo: the panel shows Tokyo's.
    a = await env.console(ana, timezone_id="Europe/Paris")
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor", email="vera@example.com")
        # An earlier conversation of the same visitor, ended to a ticket.
        earlier = await ask_for_person(vera, "My first question, about a refund.")
        await a.item(earlier).wait_for()
        await a.send(earlier, "Noted, I'll make it a ticket.")
        async with await bearer_http(server, ana) as http:
            converted = await http.post(f"/api/conversations/{earlier}/ticket",
                                        json={"reason": "needs the warehouse", "subject": "Refund for NW-1"})
            assert converted.status_code == 201, converted.text
            ticket = converted.json()["ticket"]["id"]
        await vera.wait_event(kind="closed", conversation=earlier)
        # Ana puts the ended chat away.
        await a.page.locator(f'[data-c=pane][data-conversation="{earlier}"][data-ended=true]').wait_for(
            state="attached")
        await a.open_chat(earlier)
        await a.pane(earlier).locator("[data-c=dismiss]").click()
        await a.item(earlier).wait_for(state="detached")

        await vera.send_page("https://shop.example/tents/ridge-2?colour=green", title="Ridge 2 tent | Northwind",
                             timezone="Asia/Tokyo", language="ja-JP")
        chat = await ask_for_person(vera, "Second question: is the Ridge 2 tent in stock?")
        assert chat != earlier
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        details = a.c("details")
        await details.locator("[data-c=visitor-name]").filter(has_text="Vera Visitor").wait_for()
        assert "vera@example.com" in await details.locator("[data-c=visitor-email]").inner_text()
        # The page: a link to its URL, and its title.
        page_link = details.locator("[data-c=visitor-page]")
        await details.locator("[data-c=visitor-page]:is(a, :has(a))").first.wait_for()
        await _wait_href(page_link, "https://shop.example/tents/ridge-2?colour=green")
        assert "Ridge 2 tent | Northwind" in await details.inner_text()
        browser_text = await details.locator("[data-c=visitor-browser]").inner_text()
        assert "Chrome" in browser_text and "Linux" in browser_text, browser_text
        lang = await details.locator("[data-c=visitor-lang]").inner_text()
        assert re.search(r"ja|japan", lang, re.I), lang
        local = await details.locator("[data-c=visitor-time]").inner_text()
        assert _shows_clock(local, "Asia/Tokyo"), local
        assert not _shows_clock(local, "Europe/Paris"), local  # not the agent's own clock

        # The earlier conversation and its ticket, with links.
        history = details.locator("[data-c=history]")
        await history.locator("[data-c=history-item]").first.wait_for()
        assert "Second question" not in await history.inner_text()
        hrefs = await history.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert f"/tickets/{ticket}" in hrefs, hrefs
        assert any(earlier in (href or "") for href in hrefs) or "Refund for NW-1" in await history.inner_text(), (
            hrefs, await history.inner_text())

        # The visitor moves on: the panel follows without a reload.
        await vera.send_page("https://shop.example/checkout", title="Checkout | Northwind", timezone="Asia/Tokyo",
                             language="ja-JP")
        await _wait_href(page_link, "https://shop.example/checkout")
        await details.filter(has_text="Checkout | Northwind").wait_for()

        # An earlier conversation opens read-only, with its history.
        chat_items = history.locator(f'[data-c=history-item]:not([href="/tickets/{ticket}"])')
        assert await chat_items.count() == 1
        await chat_items.first.click()
        await a.pane(earlier).wait_for(state="visible")
        await a.wait_event(earlier, "My first question, about a refund.", kind="message")
        await a.wait_event(earlier, "Noted, I'll make it a ticket.", kind="message")
        composer = a.pane(earlier).locator("[data-c=composer]")
        assert await composer.count() == 0 or not await composer.is_visible() or not await composer.is_editable()

    # Another browser (another visitor token) with the same email: its chat lists the ticket too.
    async with visitors(server, 1) as (again,):
        await again.identify(name="Vera V.", email="vera@example.com")
        third = await ask_for_person(again, "Writing from my phone now.")
        await a.item(third).wait_for()
        await a.open_chat(third)
        await a.page.locator(f'[data-c=details] [data-c=history] [data-c=history-item][href="/tickets/{ticket}"]'
                             ).wait_for()
    a.assert_clean()


async def test_typing_both_ways_and_delivery_states(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hello?")
        await a.item(chat).wait_for()
        await a.open_chat(chat)

        # The visitor types: the pane says so, and stops saying so.
        typing = a.pane(chat).locator("[data-c=typing]")
        assert not await typing.is_visible()
        await vera.typing(True)
        await typing.wait_for(state="visible")
        await vera.typing(False)
        await typing.wait_for(state="hidden")

        # The agent types: the visitor is told.
        typed: list[bool] = []
        vera.add_listener(lambda f: typed.append(f.active) if type(f).__name__ == "TypingNotice" else None)
        await a.type_draft(chat, "Let me ch")
        await eventually(lambda: True in typed)
        assert any(f.get("type") == "typing" and f.get("active") is True for f in wire.sent_of("typing"))

        # Sending: shown at once as "sending" (no seq) while the server's answer is held back, then "sent".
        wire.hold(lambda frame: frame.get("type") in ("ack", "event"))
        await a.composer(chat).fill("Let me check your order.")
        await a.composer(chat).press("Enter")
        pending = a.pane(chat).locator("[data-c=event][data-state=sending]").filter(has_text="Let me check your order.")
        await pending.wait_for(state="attached")
        assert await pending.get_attribute("data-seq") in (None, "")
        assert await a.composer(chat).input_value() == ""
        sent = wire.sent_of("message")[-1]
        assert sent["text"] == "Let me check your order." and sent["conversation"] == chat
        await asyncio.sleep(0.3)
        assert await pending.count() == 1  # still sending while the ack is held
        wire.release()
        message = await a.wait_sent(chat, "Let me check your order.")
        seq = int(await message.get_attribute("data-seq") or 0)
        assert seq > 0
        # After a send the visitor is told the agent stopped typing.
        await eventually(lambda: typed and typed[-1] is False)

        # The visitor reads it: "seen".
        got = await vera.wait_event(text="Let me check your order.", conversation=chat)
        assert got.seq == seq
        await vera.send_read(seq, chat)
        await a.pane(chat).locator(f'[data-c=event][data-seq="{seq}"][data-state=seen]').wait_for(state="attached")
        # An older reply is seen too; a newer one is not yet.
        await a.send(chat, "It left the warehouse today.")
        await asyncio.sleep(0.3)
        newer = a.pane(chat).locator("[data-c=event][data-state=sent]").filter(has_text="It left the warehouse today.")
        assert await newer.count() == 1
    a.assert_clean()


async def test_kb_search_inserts_a_link_or_the_text(env: ConsoleEnv) -> None:
    server = env.server
    await add_article(server)
    await add_article(server, article_id="refund", title="Ask for a refund",
                      body="Refunds are paid within **5 days** to the card you used.", alt=["money back"])
    await add_article(server, article_id="draft-secret", title="Unpublished password policy",
                      body="Not for agents yet.", alt=[], published=False)
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, None)
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.pane(chat).locator("[data-c=kb-open]").click()
        panel = a.page.locator("[data-c=kb-panel]")
        await panel.wait_for()
        await panel.locator("[data-c=kb-search]").fill("password")
        result = panel.locator("[data-c=kb-result]").filter(has_text="Reset your password")
        await result.wait_for()
        assert await panel.locator("[data-c=kb-result]").filter(has_text="Unpublished").count() == 0

        await result.locator("[data-c=kb-insert-link]").click()
        composer = a.composer(chat)
        await eventually(lambda: composer.input_value())
        link = re.search(r"https?://\S+/help/reset-password", await composer.input_value())
        assert link, await composer.input_value()
        # The link is a real public page for a visitor (no session).
        visitor_context = await env.context()
        public = await visitor_context.new_page()
        response = await public.goto(link.group(0))
        assert response is not None and response.status == 200
        assert "Reset your password" in await public.inner_text("body")
        assert "Account" in await public.inner_text("body")
        await visitor_context.close()

        await composer.fill("")
        if not await panel.is_visible():
            await a.pane(chat).locator("[data-c=kb-open]").click()
        await panel.locator("[data-c=kb-search]").fill("refund")
        result = panel.locator("[data-c=kb-result]").filter(has_text="Ask for a refund")
        await result.wait_for()
        await result.locator("[data-c=kb-insert-text]").click()
        await eventually(lambda: composer.input_value())
        text = await composer.input_value()
        assert "Refunds are paid within" in text and "5 days" in text, text
        await composer.press("Enter")
        await a.wait_sent(chat, "Refunds are paid within")
        got = await vera.wait_event(role="agent", conversation=chat)
        assert "Refunds are paid within" in (got.text or "")
    a.assert_clean()


async def test_keyboard_next_chat_help_and_close(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 2) as (vera, walt):
        await vera.identify(name="Vera Visitor")
        await walt.identify(name="Walt Whitman")
        one = await ask_for_person(vera, "First chat")
        two = await ask_for_person(walt, "Second chat")
        await a.wait_chats(2)
        order = await a.chat_ids()
        await a.open_chat(order[0])

        # Alt+ArrowDown: the next chat; Alt+ArrowUp: back.
        await a.composer(order[0]).focus()
        await a.page.keyboard.press("Alt+ArrowDown")
        await a.page.locator(f'[data-c=chat-item][data-conversation="{order[1]}"][aria-selected=true]').wait_for()
        await a.pane(order[1]).wait_for(state="visible")
        # A hidden pane keeps its box (content-visibility: hidden skips its content): what it holds is hidden.
        assert await a.pane(order[0]).get_attribute("hidden") is not None
        assert not await a.composer(order[0]).is_visible()
        await a.page.keyboard.press("Alt+ArrowUp")
        await a.page.locator(f'[data-c=chat-item][data-conversation="{order[0]}"][aria-selected=true]').wait_for()

        # Ctrl+Alt+2 / Ctrl+Alt+1: open chat number N (Alt+digit alone is the browser's tab switch on Linux: the
        # console leaves it alone).
        await a.page.keyboard.press("Control+Alt+2")
        await a.page.locator(f'[data-c=chat-item][data-conversation="{order[1]}"][aria-selected=true]').wait_for()
        await a.page.keyboard.press("Alt+1")
        await asyncio.sleep(0.2)
        assert await a.active() == order[1]
        await a.page.keyboard.press("Control+Alt+1")
        await a.page.locator(f'[data-c=chat-item][data-conversation="{order[0]}"][aria-selected=true]').wait_for()

        # Alt+N: note mode on and off, the composer keeps focus.
        toggle = a.pane(order[0]).locator("[data-c=note-mode]")
        await a.page.keyboard.press("Alt+n")
        await a.page.wait_for_function("(el) => el.getAttribute('aria-pressed') === 'true'",
                                       arg=await toggle.element_handle())
        assert await a.composer(order[0]).get_attribute("data-mode") == "note"
        assert await a.composer(order[0]).evaluate("el => el === document.activeElement")
        await a.page.keyboard.press("Alt+n")
        assert await a.composer(order[0]).get_attribute("data-mode") == "reply"

        # Alt+K: the knowledge base, its search field focused; Escape closes it.
        await a.page.keyboard.press("Alt+k")
        panel = a.page.locator("[data-c=kb-panel]")
        await panel.wait_for(state="visible")
        await a.page.wait_for_function(
            "() => document.activeElement && document.activeElement.getAttribute('data-c') === 'kb-search'")
        await a.page.keyboard.press("Escape")
        await panel.wait_for(state="hidden")

        # Enter sends, Shift+Enter makes a new line.
        composer = a.composer(order[0])
        await composer.click()
        await composer.press_sequentially("Line one")
        await composer.press("Shift+Enter")
        await composer.press_sequentially("line two")
        assert await composer.input_value() == "Line one\nline two"
        await composer.press("Enter")
        await a.wait_sent(order[0], "line two")
        first_visitor = vera if order[0] == one else walt
        await first_visitor.wait_event(text="Line one\nline two", conversation=order[0])

        # "?" in the composer is text; outside a text field it opens the help, Escape closes it.
        help_overlay = a.c("help")
        await a.composer(order[0]).fill("")
        await a.composer(order[0]).press("?")
        assert await a.composer(order[0]).input_value() == "?"
        assert not await help_overlay.is_visible()
        await a.composer(order[0]).fill("")
        await a.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        await a.page.keyboard.press("?")
        await help_overlay.wait_for(state="visible")
        help_text = await help_overlay.inner_text()
        assert "Alt" in help_text, help_text
        await a.page.keyboard.press("Escape")
        await help_overlay.wait_for(state="hidden")
        await a.c("help-open").click()
        await help_overlay.wait_for(state="visible")
        await a.page.keyboard.press("Escape")
        await help_overlay.wait_for(state="hidden")

        # Alt+C asks before closing: Escape keeps the chat; confirming closes it.
        active = order[0]
        visitor = vera if active == one else walt
        await a.composer(active).focus()
        await a.page.keyboard.press("Alt+c")
        confirm = a.page.locator("[data-c=close-confirm]")
        await confirm.wait_for(state="visible")
        await a.page.keyboard.press("Escape")
        await confirm.wait_for(state="hidden")
        await asyncio.sleep(0.3)
        assert (await server.services.conversation_store.get(active)).status == "assigned"
        await a.page.keyboard.press("Alt+c")
        await confirm.wait_for(state="visible")
        await confirm.click()
        await visitor.wait_event(kind="closed", conversation=active)
        await a.page.locator(f'[data-c=pane][data-conversation="{active}"][data-ended=true]').wait_for(
            state="attached")
        assert (await server.services.conversation_store.get(two if active == one else one)).status == "assigned"
    a.assert_clean()


async def test_unread_counts_and_the_title_badge(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    base_title = await a.page.title()
    async with visitors(server, 2) as (vera, walt):
        await vera.identify(name="Vera Visitor")
        await walt.identify(name="Walt Whitman")
        one = await ask_for_person(vera, "First chat")
        await a.item(one).wait_for()
        await a.open_chat(one)
        two = await ask_for_person(walt, "Second chat")
        await a.item(two).wait_for()
        assert await a.active() == one  # a new chat does not take the agent away from the one she is in
        unread = a.item(two).locator("[data-c=unread]")
        await a.page.wait_for_function(
            "(sel) => { const u = document.querySelector(sel); return !!u && !u.hidden && u.textContent.trim() === '1'; }",
            arg=f'[data-c=chat-item][data-conversation="{two}"] [data-c=unread]')
        await walt.send("Are you there?")
        await a.page.wait_for_function(
            "(sel) => document.querySelector(sel).textContent.trim() === '2'",
            arg=f'[data-c=chat-item][data-conversation="{two}"] [data-c=unread]')
        await a.page.wait_for_function("(base) => document.title.startsWith('(2) ') && document.title.endsWith(base)",
                                       arg=base_title)
        # A message in the chat she is looking at is not unread.
        await vera.send("Still here")
        await a.wait_event(one, "Still here", kind="message")
        assert (await a.item(one).locator("[data-c=unread]").inner_text()).strip() in ("", "0")
        # Opening the chat reads it: the count and the title badge go.
        await a.open_chat(two)
        await unread.wait_for(state="hidden")
        await a.page.wait_for_function("(base) => document.title === base", arg=base_title)
        # The sound can be muted (and stays so after a reload).
        mute = a.c("mute")
        before = await mute.get_attribute("aria-pressed")
        await mute.click()
        after = await mute.get_attribute("aria-pressed")
        assert {before, after} == {"true", "false"}
        await a.reload()
        assert await a.c("mute").get_attribute("aria-pressed") == after
    a.assert_clean()


async def test_close_and_convert_to_a_ticket_with_a_reason(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor", email="vera@example.com")
        chat = await ask_for_person(vera, "My tent arrived with a torn floor.")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.send(chat, "I'm sorry! Could you send us a photo by mail?")
        await a.pane(chat).locator("[data-c=convert]").click()
        dialog = a.page.locator("[data-c=convert-dialog]")
        await dialog.wait_for()
        # A reason is required: confirming without one keeps the dialog open and converts nothing.
        await dialog.locator("[data-c=convert-confirm]").click()
        await asyncio.sleep(0.3)
        assert await dialog.is_visible()
        assert (await server.services.conversation_store.get(chat)).status == "assigned"
        await dialog.locator("[data-c=convert-reason]").fill("Waiting for the customer's photo")
        async with a.page.expect_request(lambda r: r.method == "POST" and r.url.endswith(f"/{chat}/ticket")) as sent:
            await dialog.locator("[data-c=convert-confirm]").click()
        request = await sent.value
        # A cookie-authenticated write: it carries the session's CSRF token.
        assert (await request.all_headers()).get("x-csrf-token"), await request.all_headers()
        assert json.loads(request.post_data or "{}").get("reason") == "Waiting for the customer's photo"
        await dialog.wait_for(state="detached")
        await vera.wait_event(kind="closed", conversation=chat)
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
            state="attached")
        # The banner links to the new ticket, whose page shows the chat.
        banner = a.c("banner")
        await banner.wait_for(state="visible")
        link = banner.locator("a[href^='/tickets/']")
        await link.wait_for()
        href = await link.get_attribute("href") or ""
        ticket_page = await a.page.context.new_page()
        response = await ticket_page.goto(server.url + href)
        assert response is not None and response.status == 200
        body = await ticket_page.inner_text("main")
        assert "My tent arrived with a torn floor." in body and "Could you send us a photo" in body
        await ticket_page.close()
        await a.wait_load(0, 3)
        assert (await server.services.conversation_store.get(chat)).status == "closed"
    a.assert_clean()


async def test_canned_list_filters_and_inserts_personal_and_shared(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    await shared_canned(server, "refund", "Refunds take up to 5 days, {visitor_name}.", title="Refund delay")
    await shared_canned(server, "bye", "Thank you for your visit, {visitor_name}!", title="Goodbye")
    async with await bearer_http(server, ana) as http:
        mine = await http.post("/api/canned", json={"shortcut": "sig", "title": "My signature",
                                                    "body": "Best regards, {agent_name}"})
        assert mine.status_code == 201, mine.text
    ben = await add_agent(server, "Ben Okafor")
    async with await bearer_http(server, ben) as http:  # Ben's personal one is not Ana's
        other = await http.post("/api/canned", json={"shortcut": "bensecret", "title": "Ben's own",
                                                     "body": "Only for Ben"})
        assert other.status_code == 201, other.text
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        composer = a.composer(chat)
        await composer.click()
        await composer.press_sequentially("/")
        listed = a.pane(chat).locator("[data-c=canned-list] [data-c=canned-item]")
        await listed.first.wait_for()
        await eventually(lambda: _shortcuts(listed), timeout=3)
        shortcuts = await _shortcuts(listed)
        assert {"refund", "bye", "sig"} <= set(shortcuts) and "bensecret" not in shortcuts, shortcuts
        # Filtered by what follows "/".
        await composer.press_sequentially("b")
        await eventually(lambda: _only(listed, {"bye"}), timeout=3)
        # ArrowDown and Enter insert the second one listed (filled), and Enter does not send it yet.
        filled = {"refund": "Refunds take up to 5 days, Vera Visitor.", "bye": "Thank you for your visit, Vera Visitor!",
                  "sig": "Best regards, Ana Lopez"}
        await composer.fill("")
        await composer.press_sequentially("/")
        await eventually(lambda: _only(listed, {"refund", "bye", "sig"}), timeout=3)
        second = (await _shortcuts(listed))[1]
        await composer.press("ArrowDown")
        await composer.press("Enter")
        await a.page.wait_for_function("([el, text]) => el.value === text",
                                       arg=[await composer.element_handle(), filled[second]])
        assert await a.pane(chat).locator("[data-c=event][data-state]").count() == 0  # nothing sent
        # A click inserts too; Escape closes the list and leaves the text as typed.
        await composer.fill("")
        await composer.press_sequentially("/ref")
        await a.pane(chat).locator("[data-c=canned-item][data-shortcut=refund]").click()
        await a.page.wait_for_function("(el) => el.value === 'Refunds take up to 5 days, Vera Visitor.'",
                                       arg=await composer.element_handle())
        await composer.fill("")
        await composer.press_sequentially("/by")
        await a.pane(chat).locator("[data-c=canned-list]").wait_for(state="visible")
        await composer.press("Escape")
        await a.pane(chat).locator("[data-c=canned-list]").wait_for(state="hidden")
        assert await composer.input_value() == "/by"
    a.assert_clean()


async def _shortcuts(listed: Any) -> list[str]:
    return list(await listed.evaluate_all("els => els.map(e => e.getAttribute('data-shortcut'))"))


async def _only(listed: Any, wanted: set[str]) -> bool:
    return set(await _shortcuts(listed)) == wanted


async def test_the_visitor_leaving_ends_the_pane_and_frees_the_place(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Quick question")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.send(chat, "Go ahead!")
        await a.type_draft(chat, "A draft never sent")
        await a.wait_load(1, 2)
        await vera.end()
        pane = a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]')
        await pane.wait_for(state="attached")
        await a.wait_load(0, 2)
        # Read-only: the history stays, nothing more can be written or done to it.
        await a.wait_event(chat, "Go ahead!", kind="message")
        composer = a.composer(chat)
        assert await composer.count() == 0 or not await composer.is_visible() or not await composer.is_editable()
        for action in ("transfer", "close", "convert"):
            button = a.pane(chat).locator(f"[data-c={action}]")
            assert await button.count() == 0 or not await button.is_visible() or await button.is_disabled(), action
        await a.pane(chat).locator("[data-c=dismiss]").click()
        await a.item(chat).wait_for(state="detached")
        # Dismissed stays dismissed after a reload.
        await a.reload()
        await asyncio.sleep(0.3)
        assert chat not in await a.chat_ids()
    a.assert_clean()


# Before the console's script: a Notification that notes what it is asked to show (permission granted), a
# tab whose visibility the test sets, and an AudioContext that counts the oscillators started.
ANNOUNCE_SPY = """
window.__notes = [];
window.__tones = 0;
window.__hidden = false;
window.Notification = class {
  constructor(title, options) { window.__notes.push({title: String(title), body: options && options.body}); }
  close() {}
  static get permission() { return 'granted'; }
  static requestPermission(callback) { if (callback) callback('granted'); return Promise.resolve('granted'); }
};
Object.defineProperty(document, 'hidden', {configurable: true, get: () => window.__hidden});
Object.defineProperty(document, 'visibilityState', {configurable: true,
  get: () => window.__hidden ? 'hidden' : 'visible'});
const RealAudio = window.AudioContext;
window.AudioContext = class extends RealAudio {
  createOscillator() { window.__tones += 1; return super.createOscillator(); }
};
"""


async def test_a_new_chat_announces_itself_tone_title_and_notification(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    context = await env.context()
    await context.add_init_script(ANNOUNCE_SPY)
    a = await env.console(ana, context=context)
    base_title = await a.page.title()
    await a.page.mouse.click(700, 450)  # a first gesture: the page may play sound now
    async with visitors(server, 3) as (vera, walt, xena):
        for visitor, name in ((vera, "Vera Visitor"), (walt, "Walt Whitman"), (xena, "Xena Xu")):
            await visitor.identify(name=name)
        # Visible tab: a tone, no system notification.
        one = await ask_for_person(vera, "Hello")
        await a.item(one).wait_for()
        await eventually(lambda: a.page.evaluate("() => window.__tones > 0"))
        first_tone = asyncio.get_running_loop().time()
        await asyncio.sleep(0.3)
        assert await a.page.evaluate("() => window.__notes") == []
        # Tones are at most one every 3 s: the next chat comes after that.
        await asyncio.sleep(max(0.0, 3.1 - (asyncio.get_running_loop().time() - first_tone)))

        # Hidden tab: a system notification naming the visitor.
        await a.page.evaluate("() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }")
        tones = await a.page.evaluate("() => window.__tones")
        two = await ask_for_person(walt, "Anyone?")
        await a.item(two).wait_for()
        await eventually(lambda: a.page.evaluate("() => window.__notes.length === 1"))
        notes = await a.page.evaluate("() => window.__notes")
        assert "Walt Whitman" in notes[0]["title"], notes
        assert await a.page.evaluate("() => window.__tones") > tones
        # ...and the tab's title counts what is unread.
        await a.page.wait_for_function("(base) => /^\\(\\d+\\) /.test(document.title) && document.title.endsWith(base)",
                                       arg=base_title)

        # Muted: no tone for the next one.
        await a.page.evaluate("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }")
        await a.c("mute").click()
        assert await a.c("mute").get_attribute("aria-pressed") == "true"
        tones = await a.page.evaluate("() => window.__tones")
        three = await ask_for_person(xena, "Hi there")
        await a.item(three).wait_for()
        await asyncio.sleep(0.5)
        assert await a.page.evaluate("() => window.__tones") == tones
    a.assert_clean()


async def test_a_visitor_who_gives_their_name_later_is_renamed_on_the_console(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello, quick question")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        anonymous = (await a.item(chat).locator("[data-c=chat-name]").inner_text()).strip()
        assert anonymous and "Vera" not in anonymous
        await vera.identify(name="Vera Visitor", email="vera@example.com")
        await a.item(chat).locator("[data-c=chat-name]").filter(has_text="Vera Visitor").wait_for()
        await a.c("details").locator("[data-c=visitor-name]").filter(has_text="Vera Visitor").wait_for()
        await a.c("details").locator("[data-c=visitor-email]").filter(has_text="vera@example.com").wait_for()
    a.assert_clean()


async def test_long_unbroken_text_does_not_push_the_layout_sideways(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana)
    long_word = "x" * 3000
    long_url = "https://shop.example/" + "a" * 1900
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="N" * 120)
        await vera.send_page(long_url, title="T" * 300, timezone="Europe/Paris", language="en-GB")
        chat = await ask_for_person(vera, long_word)
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.wait_event(chat, "xxxxxxxxxx", kind="message")
        await a.c("details").filter(has_text="TTTTTTTTTT").wait_for()
        overflow = await a.page.evaluate("""() => {
          const out = [];
          const doc = document.scrollingElement;
          if (doc.scrollWidth > doc.clientWidth + 1) out.push('page ' + doc.scrollWidth + '>' + doc.clientWidth);
          for (const sel of ['[data-c=chat-list]', '[data-c=details]', '[data-c=log]', '[data-c=queue]']) {
            for (const el of document.querySelectorAll(sel)) {
              const r = el.getBoundingClientRect();
              if (r.right > window.innerWidth + 1) out.push(sel + ' right ' + r.right);
            }
          }
          for (const el of document.querySelectorAll('[data-c=log] [data-c=text], [data-c=visitor-page], [data-c=chat-name]')) {
            const box = el.closest('[data-c=log], [data-c=details], [data-c=chat-list]');
            if (box && el.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
              out.push(el.getAttribute('data-c') + ' sticks out by ' +
                       Math.round(el.getBoundingClientRect().right - box.getBoundingClientRect().right));
            }
          }
          return out;
        }""")
        assert overflow == [], overflow
    a.assert_clean()
