"""The agent console in a real Chromium, the issue's scenario: two agents sign in through the login form, visitors
(driven through chatsvc.client) ask for a person and are assigned within each agent's capacity; the next one waits
in both consoles' queue; closing a chat frees the place and the waiting visitor is assigned; an agent answers two
chats alternately with drafts kept, expands a canned response, writes an internal note the visitor never receives,
transfers a chat with its whole history (to an agent, or back to the queue); a reload restores the open chats and
drafts; a queue pick; two tabs of one agent. The main scenario and the note/transfer run on PostgreSQL + Redis too."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.browser.console_host import (
    SLOW_STEP,
    Console,
    ConsoleEnv,
    add_agent,
    add_article,
    ask_for_person,
    console_env,
    eventually,
    events_of,
    shared_canned,
    visitors,
)
from tests.browser.widget_host import module_browser_fixture  # noqa: F401 (the module_browser fixture)

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[ConsoleEnv]:  # type: ignore[no-untyped-def]
    async with console_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def test_chats_are_assigned_within_capacity_the_fourth_waits_and_a_close_lets_it_in(  # type: ignore[no-untyped-def]
        start_server, backend, module_browser) -> None:
    async with console_env(start_server, backend, module_browser) as env:
        server = env.server
        ana = await add_agent(server, "Ana Lopez", max_chats=2)
        ben = await add_agent(server, "Ben Okafor", max_chats=1)
        a = await env.console(ana)
        b = await env.console(ben)
        assert await a.c("status").input_value() == "online"
        await a.wait_load(0, 2)
        await b.wait_load(0, 1)

        async with visitors(server, 4) as people:
            names = ["Vera Visitor", "Walt Whitman", "Xena Xu", "Dora Waiting"]
            for visitor, name in zip(people, names, strict=True):
                await visitor.identify(name=name)
            # Three ask for a person: two with a message (no knowledge base: straight to the queue), one by the
            # "Talk to a person" button.
            chats = [await ask_for_person(people[0], "Where is my parcel?"),
                     await ask_for_person(people[1], None),
                     await ask_for_person(people[2], "I want to change my delivery address.")]
            ana_chats = await a.wait_chats(2)
            ben_chats = await b.wait_chats(1)
            assert sorted(ana_chats + ben_chats) == sorted(chats)
            await a.wait_load(2, 2)
            await b.wait_load(1, 1)
            for console, held in ((a, ana_chats), (b, ben_chats)):
                for chat in held:
                    name = names[chats.index(chat)]
                    assert (await console.item(chat).locator("[data-c=chat-name]").inner_text()).strip() == name
                    assert (await console.item(chat).locator("[data-c=wait]").inner_text()).strip() != ""

            # The fourth waits: both consoles show it in the queue with its first message, not pickable (full).
            waiting = await ask_for_person(people[3], "My parcel is late, order NW-1234, can someone check?")
            for console in (a, b):
                item = console.queue_item(waiting)
                await item.wait_for()
                assert "My parcel is late, order NW-1234" in await item.locator("[data-c=queue-first]").inner_text()
                assert (await item.locator("[data-c=queue-wait]").inner_text()).strip() != ""
                assert await item.locator("[data-c=pick]").is_disabled()
                assert waiting not in await console.chat_ids()

            # Nobody has room: Ana's transfer dialog offers only the queue (Ben is full); Escape closes it.
            await a.open_chat(ana_chats[0])
            async with a.page.expect_response(lambda r: "/api/console/agents" in r.url) as listed:
                await a.pane(ana_chats[0]).locator("[data-c=transfer]").click()
            agents = await (await listed.value).json()
            # Ben is listed (full): the dialog leaves him out. (Whether the list names the caller is the server's
            # choice; the dialog never offers her.)
            assert "Ben Okafor" in {agent["name"] for agent in agents["agents"]}, agents
            dialog = a.page.locator("[data-c=transfer-dialog]")
            await dialog.wait_for()
            await asyncio.sleep(0.2)
            values = await dialog.locator("[data-c=transfer-target] option").evaluate_all(
                "els => els.map(o => o.value)")
            assert values == [""], values
            await a.page.keyboard.press("Escape")
            await dialog.wait_for(state="detached")

            # Ben ends his chat: the waiting visitor is assigned to him at once, the queue empties everywhere.
            closed = ben_chats[0]
            await b.open_chat(closed)
            await b.pane(closed).locator("[data-c=close]").click()
            await b.pane(closed).locator("[data-c=close-confirm]").click()
            closer = people[chats.index(closed)]
            await closer.wait_event(kind="closed", conversation=closed)
            await b.page.locator(f'[data-c=pane][data-conversation="{closed}"][data-ended=true]').wait_for(
                state="attached")
            await b.item(waiting).wait_for()
            await b.wait_load(1, 1)
            for console in (a, b):
                await console.queue_item(waiting).wait_for(state="detached")
            await b.open_chat(waiting)
            await b.wait_event(waiting, "My parcel is late, order NW-1234", kind="message")
            assert (await server.services.conversation_store.get(waiting)).agent_id == ben.id
            # The ended chat is dismissed from the list; Ana's chats did not move.
            await b.open_chat(closed)
            assert await b.composer(closed).count() == 0 or not await b.composer(closed).is_editable()
            await b.pane(closed).locator("[data-c=dismiss]").click()
            await b.item(closed).wait_for(state="detached")
            assert sorted(await a.chat_ids()) == sorted(ana_chats)
            await a.wait_load(2, 2)
        a.assert_clean()
        b.assert_clean()


async def test_alternate_answers_keep_drafts_canned_expands_and_a_reload_restores(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=3)
    await shared_canned(server, "greet", "Hello {visitor_name}, this is {agent_name}. How can I help?",
                        title="Greeting")
    a = await env.console(ana)
    async with visitors(server, 2) as (vera, walt):
        await vera.identify(name="Vera Visitor")
        await walt.identify(name="Walt Whitman")
        one = await ask_for_person(vera, "Hello, my invoice is wrong.")
        two = await ask_for_person(walt, "Can I change my order?")
        await a.wait_chats(2)
        await a.wait_event(one, "Hello, my invoice is wrong.", kind="message")

        # Drafts in each chat, switching back and forth: each comes back where it was typed.
        await a.open_chat(one)
        await a.type_draft(one, "Let me look at invoice")
        await a.open_chat(two)
        assert await a.composer(two).input_value() == ""
        await a.type_draft(two, "Yes, which item")
        await a.open_chat(one)
        assert await a.composer(one).input_value() == "Let me look at invoice"
        await a.send(one, "Let me look at your invoice.")
        await a.open_chat(two)
        assert await a.composer(two).input_value() == "Yes, which item"
        await a.send(two, "Yes, which item would you like to change?")
        await a.open_chat(one)
        assert await a.composer(one).input_value() == ""
        await a.send(one, "I have corrected it, you will get a new one by mail.")
        await a.open_chat(two)
        await a.send(two, "Done, the blue tent instead of the green one.")

        # The canned response: "/greet" then Tab fills the composer with the placeholders filled.
        await a.open_chat(one)
        composer = a.composer(one)
        await composer.click()
        await composer.press_sequentially("/gre")
        await a.pane(one).locator('[data-c=canned-item][data-shortcut=greet]').wait_for()
        await composer.press_sequentially("et")
        await composer.press("Tab")
        expanded = "Hello Vera Visitor, this is Ana Lopez. How can I help?"
        await a.page.wait_for_function(
            "([sel, text]) => document.querySelector(sel).value === text",
            arg=[f'[data-c=pane][data-conversation="{one}"] [data-c=composer]', expanded])
        await composer.press("Enter")
        await a.wait_sent(one, expanded)

        # The visitors got exactly what was sent to each, in order.
        await vera.wait_event(text=expanded, conversation=one)
        await walt.wait_event(text="Done, the blue tent instead of the green one.", conversation=two)
        assert vera.texts(one, role="agent") == ["Let me look at your invoice.",
                                                 "I have corrected it, you will get a new one by mail.", expanded]
        assert walt.texts(two, role="agent") == ["Yes, which item would you like to change?",
                                                 "Done, the blue tent instead of the green one."]

        # Unsent drafts in both, then a reload: the same chats, their history, the drafts.
        await a.type_draft(one, "One more thing for Vera")
        await a.open_chat(two)
        await a.type_draft(two, "One more thing for Walt")
        before = {chat: [(e["seq"], e["kind"], e["text"]) for e in await a.events(chat)] for chat in (one, two)}
        await a.reload()
        await a.wait_chats(2)
        assert sorted(await a.chat_ids()) == sorted([one, two])
        for chat, draft in ((one, "One more thing for Vera"), (two, "One more thing for Walt")):
            await a.open_chat(chat)
            await a.wait_sent(chat, "Done, the blue tent" if chat == two else expanded, timeout=SLOW_STEP)
            after = [(e["seq"], e["kind"], e["text"]) for e in await a.events(chat)]
            assert after == before[chat]
            assert await a.composer(chat).input_value() == draft
        await a.wait_load(2, 3)
    a.assert_clean()


async def _note_and_transfer(env: ConsoleEnv) -> None:
    server = env.server
    await add_article(server)
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    ben = await add_agent(server, "Ben Okafor", max_chats=1)
    a = await env.console(ana)
    secret = "VIP customer, refund approved by Max, ref 7731"
    transfer_note = "Please take over: refund in progress"
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        await vera.send_page("https://shop.example/account", title="Your account", timezone="Europe/Madrid",
                             language="es-ES")
        chat = await ask_for_person(vera, "I forgot my password")  # the bot answers with the article first
        await a.wait_chats(1)
        await a.open_chat(chat)
        await a.wait_event(chat, "I forgot my password", kind="message")
        assert [e for e in await a.events(chat) if e["kind"] == "bot"], await a.events(chat)
        await a.send(chat, "Hello Vera, I can help with that.")

        # An internal note: note mode, then Enter. Marked as a note, with a seq.
        toggle = a.pane(chat).locator("[data-c=note-mode]")
        await toggle.click()
        assert await toggle.get_attribute("aria-pressed") == "true"
        assert await a.composer(chat).get_attribute("data-mode") == "note"
        await a.composer(chat).fill(secret)
        await a.composer(chat).press("Enter")
        note = await a.wait_event(chat, secret, kind="note")
        await a.page.wait_for_function("(el) => !!el.getAttribute('data-seq')", arg=await note.element_handle())
        note_seq = int(await note.get_attribute("data-seq") or 0)
        # Back to replies: the next message goes to the visitor (and fences the note on the visitor's socket).
        await toggle.click()
        assert await toggle.get_attribute("aria-pressed") == "false"
        assert await a.composer(chat).get_attribute("data-mode") == "reply"
        await a.send(chat, "I have sent you a reset link.")
        await vera.wait_event(text="I have sent you a reset link.", conversation=chat)
        stored = [e for e in await events_of(server, chat) if e.kind == "note"]
        assert [e.seq for e in stored] == [note_seq]

        # The visitor's socket never carried it: no note event, not the text, not its seq.
        assert [raw for raw in vera.raw if secret in raw or "ref 7731" in raw] == []
        assert not [f for f in vera.raw_frames() if f.get("kind") == "note" or f.get("type") == "note"]
        assert note_seq not in [e.seq for e in vera.events(chat)]
        assert vera.texts(chat, role="agent") == ["Hello Vera, I can help with that.", "I have sent you a reset link."]

        # After a reload the note is still there, still a note.
        await a.reload()
        await a.open_chat(chat)
        await a.wait_event(chat, secret, kind="note", timeout=SLOW_STEP)
        assert await a.event(chat, secret, kind="message").count() == 0

        # Ben signs in (nothing waits: he gets nothing); Ana transfers the chat to him with a note.
        b = await env.console(ben)
        await b.wait_load(0, 1)
        await a.pane(chat).locator("[data-c=transfer]").click()
        dialog = a.page.locator("[data-c=transfer-dialog]")
        await dialog.wait_for()
        target = dialog.locator("[data-c=transfer-target]")
        await eventually(lambda: target.locator(f'option[value="{ben.id}"]').count())
        await target.select_option(ben.id)
        await dialog.locator("[data-c=transfer-note]").fill(transfer_note)
        await dialog.locator("[data-c=transfer-confirm]").click()

        # Ben has it, with everything: the visitor's question, the bot's answer, Ana's messages and her note.
        await b.item(chat).wait_for()
        await b.open_chat(chat)
        await b.wait_event(chat, secret, kind="note")
        kinds = [e["kind"] for e in await b.events(chat)]
        assert "bot" in kinds and "message" in kinds, kinds
        texts = [e["text"] for e in await b.events(chat)]
        for text in ("I forgot my password", "Hello Vera, I can help with that.", "I have sent you a reset link."):
            assert text in texts, texts
        assert transfer_note in await b.pane(chat).locator("[data-c=log]").inner_text()
        await b.wait_load(1, 1)
        # Ana's pane ended, read-only, her load down.
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
            state="attached")
        await a.wait_load(0, 2)
        assert (await server.services.conversation_store.get(chat)).agent_id == ben.id

        # Ben sees who the visitor is and follows where she goes next.
        await b.c("details").filter(has_text="Your account").wait_for()
        await vera.send_page("https://shop.example/account/security", title="Security settings",
                             timezone="Europe/Madrid", language="es-ES")
        await b.c("details").filter(has_text="Security settings").wait_for()

        await b.send(chat, "Hi Vera, Ben here, I'll finish this for you.")
        answer = await vera.wait_event(text="Hi Vera, Ben here, I'll finish this for you.", conversation=chat)
        assert answer.author.name == "Ben Okafor"
        # Neither the note nor the transfer's note (written for Ben) ever reached the visitor.
        leaked = [raw for raw in vera.raw if transfer_note in raw or secret in raw]
        assert leaked == []
        b.assert_clean()
    a.assert_clean()


async def test_a_note_never_reaches_the_visitor_and_a_transfer_carries_the_history(env: ConsoleEnv) -> None:
    await _note_and_transfer(env)


@pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)  # SQLite: the test above
async def test_note_and_transfer_on_postgres_and_redis(start_server, backend, module_browser) -> None:  # type: ignore[no-untyped-def]
    async with console_env(start_server, backend, module_browser) as env:
        await _note_and_transfer(env)


async def test_an_agent_with_room_picks_a_waiting_visitor_and_cannot_at_capacity(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=1)
    a = await env.console(ana)
    await a.set_status("away")  # away: nothing is assigned to her; she picks herself
    await eventually(lambda: server.services.routing.presence.get(ana.id) is not None
                     and not server.services.routing.presence[ana.id].online)
    async with visitors(server, 2) as (vera, walt):
        await vera.identify(name="Vera Visitor")
        await walt.identify(name="Walt Whitman")
        first = await ask_for_person(vera, "Is the Ridge tent waterproof?")
        item = a.queue_item(first)
        await item.wait_for()
        assert "Ridge tent waterproof" in await item.locator("[data-c=queue-first]").inner_text()
        assert await item.locator("[data-c=pick]").is_enabled()
        await asyncio.sleep(0.3)
        assert await a.chat_ids() == []  # not assigned by itself while she is away
        await item.locator("[data-c=pick]").click()
        await a.item(first).wait_for()
        await item.wait_for(state="detached")
        await a.wait_load(1, 1)
        assert (await server.services.conversation_store.get(first)).agent_id == ana.id
        await vera.wait_event(kind="assigned", conversation=first)

        second = await ask_for_person(walt, "Do you ship to Norway?")
        other = a.queue_item(second)
        await other.wait_for()
        await a.page.wait_for_function(
            "(sel) => { const b = document.querySelector(sel); return !!b && b.disabled; }",
            arg=f'[data-c=queue-item][data-conversation="{second}"] [data-c=pick]')
        # At capacity, a forced click does nothing: the chat stays in the queue.
        await other.locator("[data-c=pick]").click(force=True)
        await asyncio.sleep(0.5)
        assert (await server.services.conversation_store.get(second)).status == "queued"
        assert re.search(r"1\s*/\s*1", await a.load())
        # A reload keeps her away, and her chat.
        await a.reload()
        assert await a.c("status").input_value() == "away"
        await asyncio.sleep(0.3)
        assert not server.services.routing.presence[ana.id].online
        assert await a.chat_ids() == [first]
        assert (await server.services.conversation_store.get(second)).status == "queued"
    a.assert_clean()


async def test_a_chat_transferred_back_to_the_queue_goes_to_the_next_agent_with_its_history(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    ben = await add_agent(server, "Ben Okafor", max_chats=2)
    a = await env.console(ana)
    b = await env.console(ben)
    await b.set_status("away")
    await eventually(lambda: not server.services.routing.presence[ben.id].online)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "I need an invoice in my company's name.")
        await a.item(chat).wait_for()
        await a.send(chat, "Sure, what is the company's name?")
        await vera.send("Northwind Ltd, VAT GB123456789")
        await a.wait_event(chat, "Northwind Ltd", kind="message")
        # Ana steps away and hands the chat back to the queue with a word for whoever takes it.
        await a.set_status("away")
        await eventually(lambda: not server.services.routing.presence[ana.id].online)
        await a.pane(chat).locator("[data-c=transfer]").click()
        dialog = a.page.locator("[data-c=transfer-dialog]")
        await dialog.locator("[data-c=transfer-target]").select_option("")
        await dialog.locator("[data-c=transfer-note]").fill("Invoice to redo for the company, VAT given")
        await dialog.locator("[data-c=transfer-confirm]").click()
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
            state="attached")
        await a.wait_load(0, 2)
        for console in (a, b):
            await console.queue_item(chat).wait_for()
        # Ben comes online: the chat is his, with the visitor's words, Ana's answer and her note for him.
        await b.set_status("online")
        await b.item(chat).wait_for()
        await b.open_chat(chat)
        await b.wait_event(chat, "Northwind Ltd, VAT GB123456789", kind="message")
        await b.wait_event(chat, "Sure, what is the company's name?", kind="message")
        assert "Invoice to redo for the company" in await b.pane(chat).locator("[data-c=log]").inner_text()
        for console in (a, b):
            await console.queue_item(chat).wait_for(state="detached")
        assert (await server.services.conversation_store.get(chat)).agent_id == ben.id
    a.assert_clean()
    b.assert_clean()


async def test_two_tabs_of_one_agent_show_the_same_chats(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    first = await env.console(ana)
    second_page = await first.page.context.new_page()  # the same browser: same session, same storage
    second = Console(second_page, server, ana)
    await second_page.goto(server.url + "/console")
    await second.wait_online()
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hello from Vera")
        for tab in (first, second):
            await tab.item(chat).wait_for()
            await tab.open_chat(chat)
        await first.send(chat, "Written in the first tab.")
        await second.wait_sent(chat, "Written in the first tab.")
        toggle = second.pane(chat).locator("[data-c=note-mode]")
        await toggle.click()
        await second.composer(chat).fill("Noted in the second tab.")
        await second.composer(chat).press("Enter")
        await first.wait_event(chat, "Noted in the second tab.", kind="note")
        await vera.wait_event(text="Written in the first tab.", conversation=chat)
        await asyncio.sleep(0.3)
        for tab in (first, second):
            texts = [e["text"] for e in await tab.events(chat) if e["kind"] in ("message", "note")]
            assert texts == ["Hello from Vera", "Written in the first tab.", "Noted in the second tab."], texts
            await tab.wait_load(1, 2)
        assert vera.texts(chat, role="agent") == ["Written in the first tab."]
        # The first tab closes the chat: the second shows it ended.
        await first.pane(chat).locator("[data-c=close]").click()
        await first.pane(chat).locator("[data-c=close-confirm]").click()
        for tab in (first, second):
            await tab.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
                state="attached")
            await tab.wait_load(0, 2)
    first.assert_clean()
    second.assert_clean()
