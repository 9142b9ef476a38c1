"""The console never loses a word: the line to /ws/agent fails while a message waits for its ack and while the
agent types another; the visitor writes meanwhile. After the line comes back, each message reaches the visitor
exactly once (anything resent goes with its client id), the visitor's message shows, every seq once and in order."""

from __future__ import annotations

import asyncio
from collections import Counter
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
    events_of,
    visitors,
)
from tests.browser.widget_host import module_browser_fixture  # noqa: F401 (the module_browser fixture)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[ConsoleEnv]:  # type: ignore[no-untyped-def]
    async with console_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def test_messages_in_flight_across_a_network_failure_arrive_once(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Is anyone there?")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await a.send(chat, "Yes, Ana here.")

        # The server stores the next message, but its ack never comes back: the line fails first.
        wire.hold(lambda frame: frame.get("type") in ("ack", "event"))
        await a.composer(chat).fill("Your refund was approved today.")
        await a.composer(chat).press("Enter")
        await eventually(lambda: any(f.get("text") == "Your refund was approved today." for f in wire.sent_of("message")))
        first_id = next(f["client_id"] for f in wire.sent_of("message") if f.get("text") == "Your refund was approved today.")
        await vera.wait_event(text="Your refund was approved today.", conversation=chat)
        await wire.cut()
        await a.page.locator("[data-c=connection]:not([data-state=online])").wait_for(state="attached")

        # Offline: the visitor writes, the agent writes another (shown as sending).
        await vera.send("Great, thank you! When will I see it?")
        await a.composer(chat).fill("It takes up to five days.")
        await a.composer(chat).press("Enter")
        await a.pane(chat).locator("[data-c=event][data-state=sending]").filter(
            has_text="It takes up to five days.").wait_for(state="attached")
        await asyncio.sleep(0.5)

        wire.mend()
        await a.wait_online(timeout=SLOW_STEP)
        await a.wait_sent(chat, "It takes up to five days.", timeout=SLOW_STEP)
        await a.wait_sent(chat, "Your refund was approved today.")
        await a.wait_event(chat, "Great, thank you! When will I see it?", kind="message", timeout=SLOW_STEP)
        await vera.wait_event(text="It takes up to five days.", conversation=chat)
        await asyncio.sleep(0.3)

        # If the first went again (the replay may already show it stored), it was with the same client id; either
        # way it was stored once.
        resent = [f for f in wire.sent_of("message") if f.get("text") == "Your refund was approved today."]
        assert {f["client_id"] for f in resent} == {first_id}, resent
        stored = Counter(e.body for e in await events_of(server, chat) if e.kind == "message")
        assert stored["Your refund was approved today."] == 1 and stored["It takes up to five days."] == 1, stored
        assert vera.texts(chat, role="agent") == ["Yes, Ana here.", "Your refund was approved today.",
                                                  "It takes up to five days."]
        # The console shows each seq once, in order, and nothing still pending.
        shown = [e for e in await a.events(chat) if e["seq"]]
        seqs = [int(e["seq"]) for e in shown]
        assert seqs == sorted(set(seqs)), seqs
        texts = [e["text"] for e in shown if e["kind"] == "message"]
        assert Counter(texts)["Your refund was approved today."] == 1, texts
        assert Counter(texts)["It takes up to five days."] == 1, texts
        assert await a.pane(chat).locator("[data-c=event][data-state=sending], [data-c=event][data-state=failed]"
                                          ).count() == 0
        assert (await server.services.conversation_store.get(chat)).agent_id == ana.id
    a.assert_clean()


async def test_a_message_the_server_refuses_shows_as_failed_not_sent(env: ConsoleEnv) -> None:
    """The visitor ends the chat while the agent's answer is on its way: the server refuses it, and the console
    says so on the message (``failed``) rather than leaving it sending or calling it sent."""
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Never mind, I found it.")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        wire.hold()  # the console hears nothing for a moment: the visitor's leaving is not known to it yet
        await vera.end()
        await eventually(lambda: _status(server, chat, "closed"))
        await a.composer(chat).fill("Let me check that for you.")
        await a.composer(chat).press("Enter")
        await eventually(lambda: any(f.get("text") == "Let me check that for you." for f in wire.sent_of("message")))
        await eventually(lambda: any(f.get("type") == "error" for f in wire.to_page))
        wire.release()
        await a.page.locator(f'[data-c=pane][data-conversation="{chat}"][data-ended=true]').wait_for(
            state="attached")
        message = a.pane(chat).locator("[data-c=event]").filter(has_text="Let me check that for you.")
        await a.page.wait_for_function("(el) => el.getAttribute('data-state') === 'failed'",
                                       arg=await message.element_handle())
        assert await message.get_attribute("data-seq") in (None, "")
        assert "Let me check that for you." not in vera.texts(chat)
        assert not [e for e in await events_of(server, chat) if e.body == "Let me check that for you."]
    assert a.dialogs == [] and a.errors == []


async def _status(server, chat: str, status: str) -> bool:  # type: ignore[no-untyped-def]
    return (await server.services.conversation_store.get(chat)).status == status


async def test_a_message_sent_offline_survives_a_reload_and_arrives_once(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=2)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Hello?")
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        await wire.cut()
        await a.page.locator("[data-c=connection]:not([data-state=online])").wait_for(state="attached")
        await a.composer(chat).fill("Written while the line was down.")
        await a.composer(chat).press("Enter")
        await a.pane(chat).locator("[data-c=event][data-state=sending]").filter(
            has_text="Written while the line was down.").wait_for(state="attached")
        # The agent reloads before the line is back (the console learns its chats again once connected).
        await a.page.reload()
        await a.page.locator("[data-c=connection]").wait_for(state="attached")
        await asyncio.sleep(0.5)
        wire.mend()
        await a.wait_online(timeout=SLOW_STEP)
        await a.wait_sent(chat, "Written while the line was down.", timeout=SLOW_STEP)
        await vera.wait_event(text="Written while the line was down.", conversation=chat)
        await asyncio.sleep(0.3)
        assert vera.texts(chat, role="agent") == ["Written while the line was down."]
        shown = [e for e in await a.events(chat) if e["text"] == "Written while the line was down."]
        assert len(shown) == 1, shown
    a.assert_clean()
