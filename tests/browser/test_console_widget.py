"""The console and the real widget face to face, two Chromium tabs: the widget on a customer's page (another
origin) tells where the visitor is (page, title, language, time zone, browser) and the console shows it, and
follows the visitor to another page; typing shows both ways; the agent's reply is marked seen once the widget has
shown it; an internal note never reaches the widget (not on its socket, not on screen)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.browser.console_host import CONSOLE_SETTINGS, ConsoleEnv, add_agent
from tests.browser.widget_host import Env, module_browser_fixture, widget_env  # noqa: F401 (module_browser)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def both(start_server, sqlite_backend, module_browser) -> AsyncIterator[tuple[Env, ConsoleEnv]]:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, sqlite_backend, module_browser, **CONSOLE_SETTINGS) as env:
        consoles = ConsoleEnv(server=env.server, browser=module_browser)
        try:
            yield env, consoles
        finally:
            for context in consoles.contexts:
                await context.close()


async def test_the_widget_and_the_console_face_to_face(both: tuple[Env, ConsoleEnv]) -> None:
    env, consoles = both
    ana = await add_agent(env.server, "Ana Lopez", max_chats=2)
    a = await consoles.console(ana, timezone_id="Europe/Paris")
    widget = await env.widget(await env.context(locale="de-DE", timezone_id="America/New_York"))
    await widget.open()
    await widget.send("Hallo, is the Ridge tent waterproof?")
    await widget.wait_sent("Hallo, is the Ridge tent waterproof?")
    chat = (await a.wait_chats(1))[0]
    await a.open_chat(chat)
    await a.wait_event(chat, "Hallo, is the Ridge tent waterproof?", kind="message")

    # Where the visitor is, as the widget told it.
    details = a.c("details")
    home = env.host.url("/")
    await a.page.wait_for_function(
        """(href) => { const el = document.querySelector('[data-c=details] [data-c=visitor-page]');
           const link = el && (el.tagName === 'A' ? el : el.querySelector('a'));
           return !!link && link.getAttribute('href') === href; }""", arg=home)
    assert "Shop home" in await details.inner_text()
    assert re.search(r"de", await details.locator("[data-c=visitor-lang]").inner_text(), re.I)
    assert "Linux" in await details.locator("[data-c=visitor-browser]").inner_text()
    local = await details.locator("[data-c=visitor-time]").inner_text()
    new_york = dt.datetime.now(ZoneInfo("America/New_York"))
    shown = {(new_york + dt.timedelta(minutes=d)).strftime("%H:%M") for d in (-1, 0, 1)}
    assert any(t in local for t in shown), local

    # The visitor goes to another page of the shop: the console follows.
    await widget.page.click("a[href='/shop/other']")
    await widget.cs("launcher").wait_for()
    await a.page.wait_for_function(
        """(href) => { const el = document.querySelector('[data-c=details] [data-c=visitor-page]');
           const link = el && (el.tagName === 'A' ? el : el.querySelector('a'));
           return !!link && link.getAttribute('href') === href; }""", arg=env.host.url("/shop/other"))
    assert "Other page" in await details.inner_text()
    await widget.open()

    # Typing, both ways.
    await a.type_draft(chat, "Yes it is")
    await widget.cs("typing").wait_for(state="visible")
    assert "Ana Lopez" in await widget.cs("typing").inner_text()
    await widget.cs("input").press_sequentially("And the")
    await a.pane(chat).locator("[data-c=typing]").wait_for(state="visible")

    # The reply: sent, shown by the widget, then seen on the console.
    await a.composer(chat).fill("Yes, the Ridge 2 is fully waterproof (3000 mm).")
    await a.composer(chat).press("Enter")
    reply = await a.wait_sent(chat, "Ridge 2 is fully waterproof")
    seq = await reply.get_attribute("data-seq")
    await widget.wait_msg("Yes, the Ridge 2 is fully waterproof (3000 mm).", role="agent")
    await a.pane(chat).locator(f'[data-c=event][data-seq="{seq}"][data-state=seen]').wait_for(state="attached")
    assert [f for f in widget.sent if f.get("type") == "read"], widget.sent

    # A note: on the console, never on the widget's socket nor its screen.
    toggle = a.pane(chat).locator("[data-c=note-mode]")
    await toggle.click()
    await a.composer(chat).fill("Customer asked about the Ridge 3 last month too")
    await a.composer(chat).press("Enter")
    await a.wait_event(chat, "Customer asked about the Ridge 3", kind="note")
    await toggle.click()
    await a.send(chat, "Anything else?")
    await widget.wait_msg("Anything else?", role="agent")
    assert not [f for f in widget.received if "Ridge 3" in str(f) or f.get("kind") == "note"]
    assert "Ridge 3" not in await widget.page.locator("#chatsvc-widget").inner_text()
    # And after the widget reloads (its replay), still nothing.
    await widget.reload()
    await widget.open()
    await widget.wait_msg("Anything else?", role="agent")
    assert not [f for f in widget.received if "Ridge 3" in str(f) or f.get("kind") == "note"]
    widget.assert_clean()
    a.assert_clean()
