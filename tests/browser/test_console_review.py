"""The console after its review: a note draft and the chat shown survive a reload; Alt presses that type a
character are no shortcuts; signing out leaves nothing in the browser; two tabs do not wipe each other's drafts;
a reconnect syncs only the chats of the welcome and replays silently; a rate_limited without ref makes the message
go again with its client id; a refused message is failed for good (Copy, not Retry, and out of the outbox); Enter
never sends while the canned list is open; going offline with chats asks first and is not kept across a reload;
errors are in the page's language (French here) and reach a fixed alert region; a transfer says nothing before its
answer and shows a refusal in its dialog; ended chats go to the end of the list (and away with "Clear ended") and
out of the title count; French key names and bot tag; names isolated for direction; a text of 2001 emoji goes
whole."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.browser.console_host import (
    SLOW_STEP,
    AgentWire,
    ConsoleEnv,
    add_agent,
    add_article,
    ask_for_person,
    console_env,
    eventually,
    events_of,
    visitors,
)
from tests.browser.widget_host import module_browser_fixture  # noqa: F401 (the module_browser fixture)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[ConsoleEnv]:  # type: ignore[no-untyped-def]
    async with console_env(start_server, sqlite_backend, module_browser) as running:
        yield running


STORED_JS = """() => Object.keys(localStorage).filter(k => k.startsWith('chatsvc.console.'))
  .reduce((all, k) => { all[k] = localStorage.getItem(k); return all; }, {})"""

KEY_JS = """([selector, init]) => {
  const target = selector ? document.querySelector(selector) : document.activeElement;
  const event = new KeyboardEvent('keydown', Object.assign({bubbles: true, cancelable: true}, init));
  return target.dispatchEvent(event);  // false: the console took it (preventDefault)
}"""


async def test_note_draft_active_chat_and_sign_out(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 2) as (vera, walt):
        one = await ask_for_person(vera, "First chat")
        two = await ask_for_person(walt, "Second chat")
        await a.wait_chats(2)
        await a.open_chat(two)
        await a.pane(two).locator("[data-c=note-mode]").click()
        await a.type_draft(two, "Check the invoice first")

        await a.reload()
        await a.page.locator(f'[data-c=chat-item][data-conversation="{two}"][aria-selected=true]').wait_for()
        assert await a.composer(two).input_value() == "Check the invoice first"
        assert await a.composer(two).get_attribute("data-mode") == "note"
        assert one in await a.chat_ids()

        stored = await a.page.evaluate(STORED_JS)
        assert any(k.endswith(f".draft.{two}") for k in stored), stored
        await a.page.locator("form[action='/logout'] button").click()
        await a.page.wait_for_url(lambda url: urlsplit(url).path != "/console")
        assert await a.page.evaluate(STORED_JS) == {}
    a.assert_clean()


async def test_alt_presses_that_type_are_no_shortcuts(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    await add_article(server)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.composer(chat).focus()
        # Option+N on a Mac (a dead key for ñ), Option+C (ç), AltGr+Q (@): typing, not shortcuts.
        for key, code in (("Dead", "KeyN"), ("ç", "KeyC"), ("@", "KeyQ")):
            assert await a.page.evaluate(KEY_JS, [None, {"key": key, "code": code, "altKey": True}]) is True
        assert await a.composer(chat).get_attribute("data-mode") == "reply"
        assert await a.page.locator("[data-c=close-dialog]").count() == 0
        # AZERTY: the key labelled K gives "k" whatever its position: the shortcut follows the letter.
        assert await a.page.evaluate(KEY_JS, [None, {"key": "k", "code": "KeyX", "altKey": True}]) is False
        await a.page.locator("[data-c=kb-panel]").wait_for(state="visible")
        await a.page.keyboard.press("Escape")
        # Alt+ArrowDown in the status list is the list's own.
        assert await a.page.evaluate(KEY_JS, ["[data-c=status]", {"key": "ArrowDown", "code": "ArrowDown",
                                                                  "altKey": True}]) is True
        # The help names the keys and says how a Mac does it.
        await a.c("help-open").click()
        text = await a.c("help").inner_text()
        assert "Ctrl" in text and "Mac" in text and "sign out" in text, text
        await a.page.keyboard.press("Escape")
    a.assert_clean()


async def test_two_tabs_keep_each_others_drafts(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        second = await a.page.context.new_page()
        await second.goto(f"{server.url}/console")
        await second.locator("[data-c=connection][data-state=online]").wait_for(state="attached")
        await second.locator(f'[data-c=chat-item][data-conversation="{chat}"]').click()
        await a.open_chat(chat)
        await a.type_draft(chat, "Written in the first tab")
        # The other tab shows it; leaving it (its composer untouched) does not wipe it.
        composer = second.locator(f'[data-c=pane][data-conversation="{chat}"] [data-c=composer]')
        async def shown() -> bool:
            return await composer.input_value() == "Written in the first tab"

        await eventually(shown)
        await second.close(run_before_unload=True)
        await asyncio.sleep(0.3)
        stored = await a.page.evaluate(STORED_JS)
        draft = next(v for k, v in stored.items() if k.endswith(f".draft.{chat}"))
        assert json.loads(draft)["text"] == "Written in the first tab"
    a.assert_clean()


async def test_reconnect_syncs_only_held_chats_and_replays_silently(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 2) as (vera, walt):
        one = await ask_for_person(vera, "First chat")
        two = await ask_for_person(walt, "Second chat")
        await a.wait_chats(2)
        await a.open_chat(one)
        await a.wait_event(two, "Second chat", kind="message")
        unread = int(await a.item(two).locator("[data-c=unread]").inner_text() or 0)
        await wire.cut()
        await a.page.locator("[data-c=connection]:not([data-state=online])").wait_for(state="attached")
        await vera.send_frame({"type": "close"})
        await vera.wait_event(kind="closed", conversation=one)
        await walt.send("Are you still there?")
        await walt.send("Hello?")
        syncs_before = len(wire.sent_of("sync"))
        await a.page.evaluate("() => { document.querySelector('#cx-announce').textContent = ''; }")
        wire.mend()
        await a.wait_online(timeout=SLOW_STEP)
        await a.wait_event(two, "Hello?", kind="message", timeout=SLOW_STEP)
        # The closed chat: not synced (it is no longer ours), its end read once, read only.
        await a.page.locator(f'[data-c=pane][data-conversation="{one}"][data-ended=true]').wait_for(
            state="attached")
        await a.pane(one).locator("[data-c=event][data-kind=closed]").wait_for(state="attached")
        assert [f["conversation"] for f in wire.sent_of("sync")[syncs_before:]] == [two]
        # The replay of the other chat counts as unread, silently.
        await asyncio.sleep(0.3)
        assert await a.page.locator("#cx-announce").text_content() == ""
        assert await a.item(two).locator("[data-c=unread]").inner_text() == str(unread + 2)
        # The ended chat went after the open one; only open chats count in the title; "Clear ended" removes it.
        assert await a.chat_ids() == [two, one]
        assert (await a.page.title()).startswith(f"({unread + 2}) ")
        await a.c("clear-ended").click()
        await a.wait_chats(1)
    a.assert_clean()


async def test_rate_limited_resends_and_refused_is_final(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        # The first try's answers are lost; a rate_limited without ref says a frame was dropped.
        def mine(frame: dict) -> bool:  # type: ignore[type-arg]
            return frame.get("type") == "ack" or (
                frame.get("type") == "event" and (frame.get("author") or {}).get("id") == ana.id)

        wire.hold(mine)
        await a.composer(chat).fill("One moment please.")
        await a.composer(chat).press("Enter")
        await eventually(lambda: len(wire.held) == 2)  # its event and its ack: lost
        wire.holding, wire.held = None, []
        wire.inject({"type": "error", "code": "rate_limited", "message": "Too fast."})
        await eventually(lambda: len(wire.sent_of("message")) == 2, timeout=5)
        first, again = wire.sent_of("message")
        assert again["client_id"] == first["client_id"]
        await a.wait_sent(chat, "One moment please.")
        stored = [e.body for e in await events_of(server, chat) if e.kind == "message"]
        assert stored.count("One moment please.") == 1
        assert not a.page.is_closed() and await a.c("banner").is_hidden()

        # A refusal with ref is final: failed, Copy rather than Retry, and not kept for after a reload.
        wire.hold(mine)
        await a.composer(chat).fill("This one is refused.")
        await a.composer(chat).press("Enter")
        await eventually(lambda: len(wire.sent_of("message")) == 3 and len(wire.held) == 2)
        refused = wire.sent_of("message")[2]["client_id"]
        wire.holding, wire.held = None, []
        wire.inject({"type": "error", "code": "not_found", "message": "No.", "ref": refused})
        failed = a.pane(chat).locator("[data-c=event][data-state=failed]")
        await failed.wait_for(state="attached")
        assert await failed.locator("[data-c=retry]").count() == 0
        assert await failed.locator("[data-c=copy]").count() == 1
        assert not any(refused in k for k in await a.page.evaluate(STORED_JS))
    a.assert_clean()


async def test_enter_in_the_canned_list_offline_confirm_and_emoji(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        # Enter while the list is open (nothing matches) never sends "/zzz".
        await a.type_draft(chat, "/zzz")
        await a.pane(chat).locator("[data-c=canned-list]").wait_for(state="visible")
        await a.composer(chat).press("Enter")
        await asyncio.sleep(0.3)
        assert await a.composer(chat).input_value() == "/zzz"
        assert await a.pane(chat).locator("[data-c=event][data-author-role=agent]").count() == 0
        await a.composer(chat).fill("")

        # 2001 emoji are 2001 characters (4002 UTF-16 units): they go whole.
        emoji = "😀" * 2001
        await a.composer(chat).fill(emoji)
        await a.composer(chat).press("Enter")
        got = await vera.wait_event(role="agent", conversation=chat)
        assert got.text == emoji

        # Offline with a chat held: asked first; Cancel keeps everything.
        await a.set_status("offline")
        dialog = a.page.locator("[data-c=offline-dialog]")
        await dialog.wait_for(state="visible")
        await dialog.locator("button", has_text="Cancel").click()
        assert await a.c("status").input_value() == "online"
        assert (await server.services.conversation_store.get(chat)).status == "assigned"
        await a.set_status("offline")
        await a.page.locator("[data-c=offline-confirm]").click()
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
            state="attached")
        # Offline is not kept across a reload.
        await a.reload()
        await a.page.wait_for_function("() => document.querySelector('[data-c=status]').value === 'online'")
    a.assert_clean()


async def test_french_errors_transfer_answer_and_names(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    bob = await add_agent(server, "Bob Martin", max_chats=3)
    a = await env.console(ana, lang="fr", locale="fr-FR")
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="\u202eVera")
        chat = await ask_for_person(vera, "Bonjour")
        await a.item(chat).wait_for()
        b = await env.console(bob)  # online once the chat is Ana's
        await a.open_chat(chat)
        # Names are isolated: a right-to-left override cannot turn the text around them.
        bidi = await a.item(chat).locator("[data-c=chat-name]").evaluate(
            "el => [el.getAttribute('dir'), getComputedStyle(el).unicodeBidi]")
        assert bidi == ["auto", "isolate"]
        # French key names in the help.
        await a.c("help-open").click()
        text = await a.c("help").inner_text()
        assert "Entrée" in text and "Échap" in text and "Maj" in text, text
        await a.page.keyboard.press("Escape")

        # A transfer says nothing before its answer; a refusal shows in the dialog.
        await a.pane(chat).locator("[data-c=transfer]").click()
        target = a.page.locator("[data-c=transfer-target]")
        await a.page.locator(f'[data-c=transfer-target] option[value="{bob.id}"]').wait_for(state="attached")
        await target.select_option(bob.id)
        await b.set_status("offline")
        await a.page.locator("[data-c=transfer-confirm]").click()
        error = a.page.locator("[data-c=transfer-error]")
        await a.page.wait_for_function(
            "() => { const el = document.querySelector('[data-c=transfer-error]'); return el && el.textContent; }")
        assert "Impossible" in (await error.text_content() or "")
        assert await a.page.locator("[data-c=transfer-dialog]").is_visible()
        assert "Transfert envoyé" not in (await a.c("banner").text_content() or "")
        await a.page.keyboard.press("Escape")

        # A server error in English reaches the page in French, through the fixed alert region.
        await a.page.route(re.compile(r"/api/kb/articles\?"), lambda route: route.fulfill(
            status=503, content_type="application/json",
            body=json.dumps({"error": "unavailable", "message": "Service Unavailable"})))
        await a.pane(chat).locator("[data-c=kb-open]").click()
        empty = a.page.locator("[data-c=kb-panel] .cx-kb-empty")
        await empty.wait_for()
        assert "indisponible" in await empty.inner_text()
        assert await a.c("banner").get_attribute("role") is None
        assert await a.page.locator("#cx-alert").get_attribute("role") == "alert"
    # The browser logs the 503 this test made up: nothing else.
    a.console_errors[:] = [text for text in a.console_errors if "503" not in text]
    a.assert_clean()
    b.assert_clean()


async def test_an_earlier_conversation_shown_leaves_new_messages_unread(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor", email="vera@example.com")
        earlier = await ask_for_person(vera, "My first question.")
        await a.item(earlier).wait_for()
        await a.open_chat(earlier)
        await a.pane(earlier).locator("[data-c=close]").click()
        await a.page.locator("[data-c=close-confirm]").click()
        await a.page.locator(f'[data-c=pane][data-conversation="{earlier}"][data-ended=true]').wait_for(
            state="attached")
        await a.pane(earlier).locator("[data-c=dismiss]").click()
        chat = await ask_for_person(vera, "A second question.")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.c("details").locator("[data-c=history-item]").first.click()
        await a.pane(earlier).wait_for(state="visible")
        # The chat of the list is hidden behind the earlier one: what comes now is unread.
        await vera.send("Are you there?")
        unread = a.item(chat).locator("[data-c=unread]")
        await a.page.wait_for_function(
            "(id) => document.querySelector(`[data-c=chat-item][data-conversation=\"${id}\"] [data-c=unread]`)"
            ".textContent === '1'", arg=chat)
        await a.pane(earlier).locator("[data-c=dismiss]").click()  # "Back"
        await unread.wait_for(state="hidden")
    a.assert_clean()


async def test_typing_goes_again_while_the_agent_types(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Hello")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.composer(chat).click()
        # About 5 s of steady typing: "typing" goes at the start and again after 4 s (the widget forgets it at 8 s).
        await a.composer(chat).press_sequentially("Let me check that", delay=290, timeout=10_000)
        started = [f for f in wire.sent_of("typing") if f.get("active") is True]
        assert len(started) >= 2, wire.sent_of("typing")
    a.assert_clean()
