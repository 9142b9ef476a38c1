"""The console after a newcomer's trial: a canned answer with a placeholder that could not be filled is not sent
as written on the first Enter (the placeholder is selected, a notice says what to replace); notices sit in the pane
above the composer, over no control, and go at the next action; converting a chat of a visitor without an email
asks for one (or an explicit "without an email"), a 400 shows in the dialog; anonymous visitors are told apart
("Visitor 7F3A", "Visiteur 7F3A"); Alt+Q at capacity focuses the queue and says how many wait; a chat transferred
away is "Transferred", not "Ended"; a note's "Saved" line is not under the composer; while the line is down the
connection text is whole and the status shows nothing chosen; note mode is unmistakable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.browser.console_host import (
    SLOW_STEP,
    AgentWire,
    ConsoleEnv,
    add_agent,
    ask_for_person,
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


SELECTION_JS = """(el) => el.value.slice(el.selectionStart, el.selectionEnd)"""

OVERLAP_JS = """([a, b]) => {
  const r = document.querySelector(a).getBoundingClientRect(), s = document.querySelector(b).getBoundingClientRect();
  return !(r.right <= s.left || s.right <= r.left || r.bottom <= s.top || s.bottom <= r.top);
}"""


async def until(read, ok, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """``read()`` (awaited) again and again until ``ok`` of it; returns it."""
    async def check():  # type: ignore[no-untyped-def]
        value = await read()
        return value if ok(value) else None
    return await eventually(check, timeout=timeout)


def tag(conversation: str) -> str:
    return "".join(ch for ch in conversation if ch.isalnum())[-4:].upper()


async def test_an_unfilled_placeholder_is_selected_and_enter_asks_once(env: ConsoleEnv) -> None:
    server = env.server
    await shared_canned(server, "hi", "Hello {visitor_name}, this is {agent_name}.", title="Greeting")
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello?")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        composer = a.composer(chat)
        pane = a.pane(chat)

        # Expanded: {agent_name} is filled, {visitor_name} (an anonymous visitor) is selected to be typed over.
        await composer.fill("/hi")
        await composer.press("Tab")
        await until(composer.input_value, lambda v: "Ana Lopez" in v)
        assert await composer.evaluate(SELECTION_JS) == "{visitor_name}"
        await composer.press_sequentially("Sam")
        await composer.press("Enter")
        await a.wait_sent(chat, "Hello Sam, this is Ana Lopez.")

        # Left as it is: the first Enter sends nothing, says what to replace (in the pane, over no control) and
        # selects it; the second Enter on the same text sends it as written.
        await composer.fill("/hi")
        await composer.press("Tab")
        await until(composer.input_value, lambda v: "Ana Lopez" in v)
        await composer.press("Enter")
        banner = pane.locator("[data-c=banner]")
        await banner.filter(has_text="Replace {visitor_name}").wait_for(state="visible")
        assert await composer.evaluate(SELECTION_JS) == "{visitor_name}"
        assert await pane.locator("[data-c=event][data-state]").count() == 1
        sel = f'[data-c=pane][data-conversation="{chat}"]'
        assert not await a.page.evaluate(OVERLAP_JS, [sel + " [data-c=banner]", sel + " [data-c=transfer]"])
        assert not await a.page.evaluate(OVERLAP_JS, [sel + " [data-c=banner]", sel + " [data-c=composer]"])
        await composer.press("Enter")
        await a.wait_sent(chat, "Hello {visitor_name}, this is Ana Lopez.")
        await vera.wait_event(text="Hello {visitor_name}, this is Ana Lopez.", conversation=chat)
        # The notice went at that next action.
        await a.c("banner").wait_for(state="hidden", timeout=2000)
    a.assert_clean()


async def test_converting_without_an_email_asks_for_one(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 2) as (vera, walt):
        chat = await ask_for_person(vera, "My tent arrived torn.")
        other = await ask_for_person(walt, "Just a question.")
        await a.wait_chats(2)
        await a.open_chat(chat)
        await a.page.locator("[data-c=visitor-email].muted").wait_for()  # the details said: no email
        await a.pane(chat).locator("[data-c=convert]").click()
        dialog = a.page.locator("[data-c=convert-dialog]")
        email = dialog.locator("[data-c=convert-email]")
        assert await email.get_attribute("type") == "email"
        assert await email.get_attribute("autocomplete") == "off"
        await dialog.locator("[data-c=convert-reason]").fill("Needs a photo")

        # No email: not converted, the dialog says how to go on.
        await dialog.locator("[data-c=convert-confirm]").click()
        await dialog.locator("[data-c=convert-error]").filter(has_text="Convert without an email").wait_for()
        assert (await server.services.conversation_store.get(chat)).status == "assigned"

        # A 400 from the server shows in the dialog.
        async def refuse(route) -> None:  # type: ignore[no-untyped-def]
            await route.fulfill(status=400, content_type="application/json",
                                body=json.dumps({"error": "bad_request", "message": "bad email"}))
        await a.page.route(f"**/api/conversations/{chat}/ticket", refuse)
        await email.fill("vera@example.com")
        await dialog.locator("[data-c=convert-confirm]").click()
        await dialog.locator("[data-c=convert-error]").filter(has_text="not valid").wait_for()
        a.console_errors.remove("Failed to load resource: the server responded with a status of 400 (Bad Request)")
        await a.page.unroute(f"**/api/conversations/{chat}/ticket")

        async with a.page.expect_request(lambda r: r.method == "POST" and r.url.endswith(f"/{chat}/ticket")) as sent:
            await dialog.locator("[data-c=convert-confirm]").click()
        body = json.loads((await sent.value).post_data or "{}")
        assert body == {"reason": "Needs a photo", "email": "vera@example.com"}, body
        await dialog.wait_for(state="detached")
        await until(lambda: server.services.conversation_store.get(chat), lambda c: c.status == "closed")

        # The explicit choice converts without one.
        await a.open_chat(other)
        await a.page.locator("[data-c=visitor-email].muted").wait_for()
        await a.pane(other).locator("[data-c=convert]").click()
        await dialog.locator("[data-c=convert-reason]").fill("Internal follow-up")
        async with a.page.expect_request(lambda r: r.method == "POST" and r.url.endswith(f"/{other}/ticket")) as sent:
            await dialog.locator("[data-c=convert-without-email]").click()
        assert json.loads((await sent.value).post_data or "{}") == {"reason": "Internal follow-up"}
        await dialog.wait_for(state="detached")
    a.assert_clean()


async def test_anonymous_visitors_are_told_apart_and_alt_q_at_capacity(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=1)
    a = await env.console(ana)
    f = await env.console(await add_agent(server, "Fabien Roux", max_chats=1), lang="fr", locale="fr-FR")
    await f.set_status("away")  # routes nothing to this one: the French page only watches the queue
    await f.page.locator("[data-c=status][data-value=away]").wait_for(state="attached")
    async with visitors(server, 2) as (vera, walt):
        chat = await ask_for_person(vera, "First")
        await a.item(chat).wait_for()
        waiting = await ask_for_person(walt, "Second")
        await a.queue_item(waiting).wait_for()
        await a.open_chat(chat)
        name = f"Visitor {tag(chat)}"
        assert (await a.item(chat).locator("[data-c=chat-name]").inner_text()).strip() == name
        assert (await a.pane(chat).locator(".cx-pane-name").inner_text()).strip() == name
        assert (await a.c("visitor-name").inner_text()).strip() == name
        assert (await a.queue_item(waiting).locator(".cx-qitem-name").inner_text()).strip() == f"Visitor {tag(waiting)}"
        await f.queue_item(waiting).wait_for()
        assert (await f.queue_item(waiting).locator(".cx-qitem-name").inner_text()).strip() == f"Visiteur {tag(waiting)}"

        # At capacity the only Pick is disabled: Alt+Q focuses the queue and says how many wait.
        assert await a.queue_item(waiting).locator("[data-c=pick]").is_disabled()
        await a.page.locator("body").click(position={"x": 5, "y": 300})
        await a.page.keyboard.press("Alt+q")
        await until(lambda: a.page.evaluate("document.activeElement && document.activeElement.id"),
                    lambda v: v == "cx-queue-title")
        await until(a.page.locator("#cx-announce").inner_text, lambda v: "1 visitor waiting" in v)

        # A real name replaces the tag.
        await vera.identify(name="Vera Visitor")
        await a.item(chat).locator("[data-c=chat-name]", has_text="Vera Visitor").wait_for()
    a.assert_clean()
    f.assert_clean()


async def test_a_chat_transferred_away_is_transferred_not_ended(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hi")
        await a.item(chat).wait_for()
        ben = await add_agent(server, "Ben Okafor", max_chats=2)
        b = await env.console(ben)
        await a.open_chat(chat)
        await a.pane(chat).locator("[data-c=transfer]").click()
        dialog = a.page.locator("[data-c=transfer-dialog]")
        await dialog.locator(f'[data-c=transfer-target] option[value="{ben.id}"]').wait_for(state="attached")
        await dialog.locator("[data-c=transfer-target]").select_option(ben.id)
        await dialog.locator("[data-c=transfer-confirm]").click()
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(state="attached")
        assert (await a.item(chat).locator("[data-c=wait]").inner_text()).strip() == "Transferred"
        await b.item(chat).wait_for()
    a.assert_clean()
    b.assert_clean()


async def test_a_saved_note_is_not_under_the_composer_and_note_mode_is_plain(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    a = await env.console(ana, viewport={"width": 1280, "height": 640})
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hi")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        for n in range(8):
            await vera.send(f"Line {n} of a long story")
        await a.wait_event(chat, "Line 7 of a long story")
        composer = a.composer(chat)
        reply_bg = await a.pane(chat).locator(".cx-compose").evaluate("el => getComputedStyle(el).backgroundColor")
        await a.pane(chat).locator("[data-c=note-mode]").click()
        await composer.fill("Check the order first")
        await composer.press("Enter")
        note = await a.wait_sent(chat, "Check the order first")
        await note.locator(".cx-state-text").wait_for()
        await asyncio.sleep(0.2)
        state = await note.locator(".cx-state-text").bounding_box()
        body = await a.pane(chat).locator(".cx-body").bounding_box()
        assert state and body and state["y"] + state["height"] <= body["y"] + body["height"], (state, body)
        assert await composer.get_attribute("data-mode") == "note"  # note mode stays on
        # Note mode is unmistakable: its own background and placeholder.
        assert await composer.get_attribute("placeholder") == "Internal note — the visitor will not see this"
        assert await a.pane(chat).locator(".cx-compose").evaluate(
            "el => getComputedStyle(el).backgroundColor") != reply_bg
    a.assert_clean()


async def test_offline_text_is_whole_and_the_status_unknown(env: ConsoleEnv) -> None:
    server = env.server
    for lang in ("en", "fr"):
        ana = await add_agent(server, f"Ana {lang}", max_chats=2)
        wire = AgentWire()
        a = await env.console(ana, wire=wire, lang=lang, viewport={"width": 1280, "height": 800})
        assert await a.c("status").input_value() == "online"
        await wire.cut()
        await a.page.locator("[data-c=connection][data-state=offline]").wait_for(state="attached", timeout=SLOW_STEP)
        text = a.page.locator("[data-c=connection] .cx-conn-text")
        assert await text.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), await text.inner_text()
        assert await a.c("status").evaluate("el => el.selectedIndex") == -1
        assert await a.c("status").is_disabled()
        wire.mend()
        await a.wait_online(timeout=SLOW_STEP)
        assert await a.c("status").input_value() == "online"
        a.assert_clean()
