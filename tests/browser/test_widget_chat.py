"""The widget on a customer's page (another origin than the chat server), in a real Chromium, with agents driven
through chatsvc.client: the whole journey from a question to a person, reloads and other pages, a server restart
mid-conversation, and two tabs of one visitor."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from chatsvc.client import VisitorClient
from tests.browser.widget_host import (
    SLOW_STEP,
    Env,
    Widget,
    Wire,
    add_agent,
    admin_http,
    events_of,
    eventually,
    module_browser_fixture,  # noqa: F401 (the module_browser fixture)
    rows,
    start_again,
    stop_server,
    widget_env,
)

ARTICLE = ("reset-password", "Reset your password",
           "Open **Account > Security** and choose *Reset password*.", ["I forgot my password", "change my password"])


pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, sqlite_backend, module_browser) as running:
        yield running


def committed(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The entries the server numbered, as (seq, role, text)."""
    return [(e["seq"], e["role"], e["text"]) for e in entries if e["seq"]]


def assert_each_seq_once(entries: list[dict[str, Any]]) -> None:
    seqs = [e["seq"] for e in entries if e["seq"]]
    assert len(seqs) == len(set(seqs)), f"a seq shown twice: {seqs}"
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs), f"out of order: {seqs}"


async def test_question_bot_answer_no_queue_then_an_agent_answers(env: Env) -> None:
    server = env.server
    article_id, title, body, alt = ARTICLE
    await server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="en")
    # Bea is online but busy with another visitor (capacity 1), and one more visitor waits before ours.
    bea = await server.agent(await add_agent(server, "Bea Busy", max_chats=1))
    others = [VisitorClient(server.url, origin="https://shop.example") for _ in range(2)]
    nadia_client = None
    try:
        for other in others:
            await other.connect()
        await others[0].handoff()
        busy = await bea.wait_chat()
        await others[1].handoff()
        await others[1].wait_queue()

        widget = await env.widget()
        await widget.open()
        await widget.send("I forgot my password, how do I reset it?")
        mine = await widget.wait_sent("I forgot my password, how do I reset it?")
        assert await mine.locator("[data-cs=time]").inner_text() != ""

        # The bot's answer card: the article's title and body, and "Did this solve it?".
        card = widget.cs("card")
        await card.wait_for(state="visible")
        assert await card.locator("[data-cs=card-title]").inner_text() == "Reset your password"
        assert "Account > Security" in await card.locator("[data-cs=card-body]").inner_text()
        await widget.wait_msg("This article may answer your question", role="bot")
        assert (await widget.cs("no").inner_text()).strip() == "No, talk to a person"
        await widget.cs("no").click()

        # A person is asked for: the bot says so and the visitor sees their place in the queue, second...
        await widget.wait_msg("Let me bring in a person who can help.", role="bot")
        queue = widget.cs("queue")
        await queue.wait_for(state="visible")
        second = await queue.inner_text()
        assert "2" in second, second
        assert widget.sent_of("feedback") == [{"type": "feedback", "helpful": False}]
        # ...then first, when Bea ends her chat and takes the visitor before ours.
        await bea.end(busy.id)
        await bea.wait_chat()
        await widget.page.wait_for_function(
            "(before) => { const q = document.getElementById('chatsvc-widget').shadowRoot"
            ".querySelector('[data-cs=queue]'); return q && q.innerText !== before && q.innerText.includes('1'); }",
            arg=second)

        # Nadia comes online and gets the chat with what the visitor already read.
        nadia_client = await server.agent(await add_agent(server, "Nadia Ortiz"))
        chat = await nadia_client.wait_chat()
        await nadia_client.wait_event(kind="queued", conversation=chat.id)
        kinds = [e.kind for e in nadia_client.transcripts[chat.id]]
        assert kinds[:4] == ["opened", "message", "bot", "feedback"], kinds
        assert nadia_client.transcripts[chat.id][1].text == "I forgot my password, how do I reset it?"
        await queue.wait_for(state="hidden")

        await nadia_client.typing(chat.id, True)
        typing = widget.cs("typing")
        await typing.wait_for(state="visible")
        assert "Nadia Ortiz" in await typing.inner_text()
        await nadia_client.typing(chat.id, False)
        await typing.wait_for(state="hidden")

        await nadia_client.send(chat.id, "Hello, I'm Nadia. I have sent you a reset link.")
        answer = await widget.wait_msg("Hello, I'm Nadia. I have sent you a reset link.", role="agent")
        assert "Nadia Ortiz" in await answer.locator("[data-cs=author]").inner_text()

        # The visitor answers; Nadia gets it in the same conversation.
        await widget.send("Got it, thank you!")
        await nadia_client.wait_event(text="Got it, thank you!", conversation=chat.id, role="visitor")

        # Minimised, a new answer shows as an unread badge on the launcher; opening clears it.
        await widget.cs("close-panel").click()
        await widget.cs("panel").wait_for(state="hidden")
        assert await widget.cs("launcher").get_attribute("aria-expanded") == "false"
        await nadia_client.send(chat.id, "Anything else?")
        badge = widget.cs("badge")
        await badge.wait_for(state="visible")
        assert (await badge.inner_text()).strip() == "1"
        await widget.open()
        await badge.wait_for(state="hidden")
        await widget.wait_msg("Anything else?", role="agent")

        entries = await widget.entries()
        assert_each_seq_once(entries)
        shown = [(e["role"], e["text"]) for e in entries]
        for expected in [("visitor", "I forgot my password, how do I reset it?"),
                         ("agent", "Hello, I'm Nadia. I have sent you a reset link."),
                         ("visitor", "Got it, thank you!"), ("agent", "Anything else?")]:
            assert shown.count(expected) == 1, (expected, shown)
        widget.assert_clean()
    finally:
        for other in others:
            await other.close()
        await bea.close()
        if nadia_client is not None:
            await nadia_client.close()


async def _assigned_chat(env: Env, widget: Widget, first: str) -> tuple[Any, str]:
    """With no knowledge base the bot stays out: the first message goes to the queue and to the online agent."""
    agent = await env.server.agent(await add_agent(env.server, "Olga Agent"))
    await widget.open()
    await widget.send(first)
    chat = await agent.wait_chat()
    await agent.wait_event(text=first, conversation=chat.id)
    return agent, chat.id


async def test_reload_and_another_page_resume_the_same_conversation_once(env: Env) -> None:
    widget = await env.widget()
    agent, conversation = await _assigned_chat(env, widget, "Where is my parcel?")
    try:
        await agent.send(conversation, "Let me look it up.")
        await widget.wait_msg("Let me look it up.", role="agent")
        await widget.send("Order 1182, sent Monday.")
        await agent.wait_event(text="Order 1182, sent Monday.", conversation=conversation)
        await widget.wait_sent("Order 1182, sent Monday.")
        before = committed(await widget.entries())
        assert [text for _, role, text in before if role in ("visitor", "agent")] == [
            "Where is my parcel?", "Let me look it up.", "Order 1182, sent Monday."]

        await widget.reload()
        await widget.open()
        await widget.wait_msg("Order 1182, sent Monday.", role="visitor")
        await asyncio.sleep(0.3)  # a late duplicate replay would land now
        after = await widget.entries()
        assert_each_seq_once(after)
        assert committed(after) == before
        assert all(e["state"] == "sent" for e in after if e["role"] == "visitor")

        # A message while the visitor moves to another page of the site.
        await agent.send(conversation, "It is in the van today.")
        await widget.goto("/shop/other")
        await widget.open()
        await widget.wait_msg("It is in the van today.", role="agent")
        await asyncio.sleep(0.3)
        moved = await widget.entries()
        assert_each_seq_once(moved)
        assert committed(moved)[: len(before)] == before
        assert [text for _, role, text in committed(moved) if role == "agent"] == [
            "Let me look it up.", "It is in the van today."]
        await widget.send("Great, thanks")
        await agent.wait_event(text="Great, thanks", conversation=conversation)
        # One conversation for all of it.
        assert [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")] == [conversation]
        widget.assert_clean()
    finally:
        await agent.close()


async def test_messages_typed_while_the_server_is_down_arrive_once(start_server, backend, module_browser) -> None:  # type: ignore[no-untyped-def]
    # The agent keeps the chat across the restart (grace), and reconnects quickly.
    async with widget_env(start_server, backend, module_browser, agent_grace_seconds=30.0) as env:
        widget = await env.widget()
        user = await add_agent(env.server, "Rita Agent")
        agent = await env.server.agent(user, backoff=(0.05, 0.3))
        await widget.open()
        await widget.send("Before the outage")
        chat = await agent.wait_chat()
        conversation = chat.id
        await agent.wait_event(text="Before the outage", conversation=conversation)
        again = None
        try:
            offline = widget.cs("offline")
            assert not await offline.is_visible()
            await stop_server(env.server)
            await offline.wait_for(state="visible")
            await widget.send("Typed while offline, one")
            await widget.send("Typed while offline, two")
            for text in ("Typed while offline, one", "Typed while offline, two"):
                entry = widget.msg(text, "visitor")
                await entry.first.wait_for(state="visible")
                assert await entry.count() == 1
                assert await entry.get_attribute("data-state") in ("sending", "failed")
            await asyncio.sleep(1.0)  # still down: nothing can have been delivered
            assert await widget.msg("Typed while offline, one", "visitor").get_attribute("data-state") != "sent"

            again = await start_again(env.server)
            await offline.wait_for(state="hidden", timeout=SLOW_STEP)
            for text in ("Typed while offline, one", "Typed while offline, two"):
                await widget.wait_sent(text, timeout=SLOW_STEP)
                await agent.wait_event(text=text, conversation=conversation, timeout=15)

            # Live again both ways.
            await agent.send(conversation, "I see both of your messages.")
            await widget.wait_msg("I see both of your messages.", role="agent", timeout=SLOW_STEP)
            await asyncio.sleep(0.5)

            # Each message exactly once: stored, at the agent, on the visitor's screen.
            stored = Counter(e.body for e in await events_of(again, conversation) if e.kind == "message")
            seen_by_agent = Counter(e.text for e in agent.transcripts[conversation] if e.kind == "message")
            entries = await widget.entries()
            assert_each_seq_once(entries)
            on_screen = Counter(e["text"] for e in entries if e["role"] in ("visitor", "agent"))
            for text in ("Before the outage", "Typed while offline, one", "Typed while offline, two",
                         "I see both of your messages."):
                assert stored[text] == 1, (text, stored)
                assert seen_by_agent[text] == 1, (text, seen_by_agent)
                assert on_screen[text] == 1, (text, on_screen)
            assert all(e["state"] == "sent" for e in entries if e["role"] == "visitor"), entries
            # Typed order is kept.
            order = [e.body for e in await events_of(again, conversation) if e.kind == "message"]
            assert order.index("Typed while offline, one") < order.index("Typed while offline, two")
            # The widget resent with the same client ids: every message frame's id was stored once.
            resent = {frame["client_id"] for frame in widget.sent_of("message")}
            stored_ids = {e.client_id for e in await events_of(again, conversation)
                          if e.kind == "message" and e.author_role == "visitor"}
            assert len(resent) == 3 and resent == stored_ids, (resent, stored_ids)
            widget.assert_clean()
        finally:
            await agent.close()
            if again is not None:
                await again.__aexit__(None, None, None)


async def test_two_tabs_of_one_visitor_show_the_same_conversation(start_server, backend, module_browser) -> None:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, backend, module_browser) as env:
        context = await env.context()
        first = await env.widget(context)
        agent, conversation = await _assigned_chat(env, first, "Hello from the first tab")
        try:
            second = await env.widget(context, "/shop/other")
            await second.open()
            await second.wait_msg("Hello from the first tab", role="visitor")

            await second.send("And this from the second tab")
            await first.wait_msg("And this from the second tab", role="visitor")
            await agent.wait_event(text="And this from the second tab", conversation=conversation)

            await agent.send(conversation, "I read you in both.")
            await first.wait_msg("I read you in both.", role="agent")
            await second.wait_msg("I read you in both.", role="agent")
            await asyncio.sleep(0.3)
            one, two = await first.entries(), await second.entries()
            assert_each_seq_once(one)
            assert_each_seq_once(two)
            assert committed(one) == committed(two)
            assert [text for _, role, text in committed(one) if role in ("visitor", "agent")] == [
                "Hello from the first tab", "And this from the second tab", "I read you in both."]
            assert [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")] == [conversation]
            first.assert_clean()
            second.assert_clean()
        finally:
            await agent.close()


async def test_overlapping_replays_and_a_lost_ack_show_each_message_once(env: Env) -> None:
    """Between the page and the server: every event arrives twice (replays and live delivery may overlap, protocol
    rule 6), and once the socket drops after the server committed a message but before its ack reached the page
    (SECURITY case 27). The widget shows each seq once and resends with the same client id, stored once."""
    cut = {"armed": False, "done": False}
    to_server: list[dict[str, Any]] = []
    sockets = []

    async def route(ws: Any) -> None:
        server = ws.connect_to_server()
        sockets.append(ws)

        def from_page(message: str | bytes) -> None:
            to_server.append(json.loads(message))
            server.send(message)

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if cut["armed"] and not cut["done"] and (
                    frame["type"] == "ack" or (frame["type"] == "event" and frame.get("kind") == "message"
                                               and frame["author"]["role"] == "visitor")):
                if frame["type"] == "ack":  # committed, and the page never hears of it: the line drops now
                    cut["done"] = True
                    asyncio.ensure_future(ws.close(code=1011, reason="network"))
                    asyncio.ensure_future(server.close())
                return
            ws.send(message)
            if frame["type"] == "event":
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    context = await env.context()
    page = await context.new_page()
    await page.route_web_socket(re.compile(r"/ws/visitor"), route)
    widget = Widget(page, env.host)
    await widget.goto("/")
    agent, conversation = await _assigned_chat(env, widget, "First, doubled on the wire")
    try:
        await agent.send(conversation, "Second, doubled too")
        await widget.wait_msg("Second, doubled too", role="agent")
        await widget.wait_sent("First, doubled on the wire")

        cut["armed"] = True
        await widget.send("Third, its ack is lost")
        await agent.wait_event(text="Third, its ack is lost", conversation=conversation)  # committed
        await eventually(lambda: cut["done"] and len(sockets) >= 2, 10)
        await widget.wait_sent("Third, its ack is lost", timeout=SLOW_STEP)
        await agent.send(conversation, "Fourth, after the drop")
        await widget.wait_msg("Fourth, after the drop", role="agent", timeout=SLOW_STEP)
        await asyncio.sleep(0.3)

        entries = await widget.entries()
        assert_each_seq_once(entries)
        on_screen = Counter(e["text"] for e in entries if e["role"] in ("visitor", "agent"))
        stored = Counter(e.body for e in await events_of(env.server, conversation) if e.kind == "message")
        for text in ("First, doubled on the wire", "Second, doubled too", "Third, its ack is lost",
                     "Fourth, after the drop"):
            assert on_screen[text] == 1, (text, on_screen)
            assert stored[text] == 1, (text, stored)
        assert all(e["state"] == "sent" for e in entries if e["role"] == "visitor"), entries
        lost = [f["client_id"] for f in to_server if f.get("type") == "message" and f["text"] == "Third, its ack is lost"]
        assert len(set(lost)) == 1, lost
        widget.assert_clean()
    finally:
        await agent.close()


BOT_ARTICLES = [
    ("reset-password", "Reset your password", "Open **Account > Security** and choose *Reset password*.",
     ["I forgot my password", "change my password"]),
    ("refund", "Ask for a refund", "Refunds are paid within 5 days to the card you used.",
     ["get my money back", "refund an order"]),
]


async def test_quick_replies_suggestions_typing_and_ending_the_chat(env: Env) -> None:
    from chatsvc.domain import protocol
    from chatsvc.domain.menu import Action, MenuItem

    server = env.server
    for article_id, title, body, alt in BOT_ARTICLES:
        await server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="en")
    admin = await server.add_staff("Menu Admin", role="admin", email="menu.admin@support.example")
    await server.services.replies.replace_menu(admin, [
        MenuItem("help", None, 0, "Opening hours and more", None, Action.MENU),
        MenuItem("hours", "help", 0, "Opening hours", None, Action.ANSWER, "We answer **9-18h**, Monday to Friday."),
        MenuItem("person", None, 1, "Talk to a person", None, Action.HUMAN),
    ])
    agent = await server.agent(await add_agent(server, "Mia Agent"))
    try:
        widget = await env.widget()
        await widget.open()
        # The quick replies: a sub-menu, then a predefined answer.
        await widget.page.locator("#chatsvc-widget [data-cs=menu-item][data-item=help]").click()
        hours = widget.page.locator("#chatsvc-widget [data-cs=menu-item][data-item=hours]")
        await hours.click()
        await widget.page.locator("#chatsvc-widget [data-cs=msg][data-role=bot]").filter(
            has_text="9-18h, Monday to Friday").first.wait_for(state="visible")
        assert [f["item"] for f in widget.sent_of("menu")] == ["help", "hours"]

        # A vague question gets suggestions; opening one shows its card.
        await widget.send("money back or reset password")
        suggestion = widget.page.locator("#chatsvc-widget [data-cs=suggestion][data-article=refund]")
        await suggestion.wait_for(state="visible")
        assert "Ask for a refund" in await suggestion.inner_text()
        await suggestion.click()
        title = widget.page.locator("#chatsvc-widget [data-cs=card-title]", has_text="Ask for a refund").last
        await title.wait_for(state="visible")
        assert widget.sent_of("choose") == [{"type": "choose", "article": "refund"}]

        # "Talk to a person" is there all along; the agent sees the visitor typing.
        await widget.cs("human").click()
        chat = await agent.wait_chat()
        await widget.wait_msg("Mia Agent")  # the system line: who joined
        await widget.cs("input").press_sequentially("I would like", delay=20)
        typing = await agent.next_frame(lambda f: isinstance(f, protocol.TypingNotice) and f.active, timeout=5)
        assert isinstance(typing, protocol.TypingNotice) and typing.who.role == "visitor"
        await widget.cs("send").click()
        await agent.wait_event(text="I would like", conversation=chat.id)

        # The visitor ends the chat (asked to confirm), then starts a new one.
        await widget.cs("end-chat").click()
        await widget.cs("end-confirm").click()
        await agent.wait_event(kind="closed", conversation=chat.id)
        await widget.cs("new-chat").click()
        await widget.send("A fresh question")
        await widget.wait_sent("A fresh question")
        ids = [row["id"] for row in await rows(server, "SELECT id FROM conversations ORDER BY created_at")]
        assert len(ids) == 2 and ids[0] == chat.id, ids
        fresh = [e for e in await widget.entries() if e["text"] == "A fresh question"]
        assert len(fresh) == 1 and fresh[0]["seq"], fresh
        assert [e.body for e in await events_of(server, ids[1]) if e.kind == "message"] == ["A fresh question"]
        widget.assert_clean()
    finally:
        await agent.close()


async def test_an_unanswered_message_shows_failed_and_retry_sends_it_once(env: Env) -> None:
    """The server never hears of a message (the line eats it): after the ack timeout it shows as failed with a
    retry button; retry sends it again with the same client id, and it is stored once."""
    eat = {"on": False}
    to_server: list[dict[str, Any]] = []

    async def route(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if eat["on"] and frame.get("type") == "message":
                to_server.append({**frame, "eaten": True})
                return
            to_server.append(frame)
            server.send(message)

        ws.on_message(from_page)

    context = await env.context()
    page = await context.new_page()
    await page.clock.install()  # time runs as usual; the test may jump it forward
    await page.route_web_socket(re.compile(r"/ws/visitor"), route)
    widget = Widget(page, env.host)
    await widget.goto("/")
    agent, conversation = await _assigned_chat(env, widget, "This one arrives")
    try:
        eat["on"] = True
        await widget.send("This one is lost on the way")
        entry = widget.msg("This one is lost on the way", "visitor")
        await entry.wait_for(state="visible")
        assert await entry.get_attribute("data-state") == "sending"
        assert not await entry.locator("[data-cs=retry]").is_visible()
        await page.clock.fast_forward(60_000)  # past any ack timeout
        await page.locator("#chatsvc-widget [data-cs=msg][data-state=failed]").filter(
            has_text="This one is lost on the way").wait_for(state="visible")
        retry = entry.locator("[data-cs=retry]")
        await retry.wait_for(state="visible")

        eat["on"] = False
        await retry.click()
        await widget.wait_sent("This one is lost on the way")
        await agent.wait_event(text="This one is lost on the way", conversation=conversation)
        assert not await retry.is_visible()
        await asyncio.sleep(0.3)
        stored = [e.body for e in await events_of(env.server, conversation) if e.kind == "message"]
        assert stored.count("This one is lost on the way") == 1, stored
        sends = [f for f in to_server if f.get("type") == "message" and f["text"] == "This one is lost on the way"]
        assert [f.get("eaten", False) for f in sends][:1] == [True] and sends[-1].get("eaten") is None, sends
        assert len({f["client_id"] for f in sends}) == 1, sends
        assert [e["text"] for e in await widget.entries()].count("This one is lost on the way") == 1
        widget.assert_clean()
    finally:
        await agent.close()


async def _wired(env: Env) -> tuple[Wire, Widget]:
    """A tab whose visitor socket goes through a Wire (cut, held back, closed by hand)."""
    context = await env.context()
    page = await context.new_page()
    wire = Wire()
    await wire.attach(page)
    widget = Widget(page, env.host)
    await widget.goto("/")
    return wire, widget


async def _line_back(wire: Wire, widget: Widget) -> None:
    """The network is back: the browser says so (the widget reconnects at once rather than at its next try)."""
    wire.mend()
    await widget.page.evaluate("window.dispatchEvent(new Event('online'))")


async def _is(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


def _typed(wire: Wire, text: str) -> list[dict[str, Any]]:
    return [f for f in wire.to_server if f.get("type") == "message" and f.get("text") == text]


async def test_a_message_typed_offline_into_a_chat_that_ended_meanwhile_waits_for_the_visitor(env: Env) -> None:
    """Offline, the visitor writes; meanwhile the agent ends the chat. Back online, the widget shows the chat as it
    ended (the agent's closing line, the survey, a new-chat button) and does not send the message, which would open
    a new conversation and wipe the ended one: it says the message was not sent and offers to send it in a new
    chat. So it stays after a reload."""
    wire, widget = await _wired(env)
    agent, conversation = await _assigned_chat(env, widget, "Hello, is my order on its way?")
    try:
        await agent.send(conversation, "Yes, it left this morning.")
        await widget.wait_msg("Yes, it left this morning.", role="agent")
        await wire.cut()
        await widget.cs("offline").wait_for(state="visible")
        await widget.send("Are you still there?")
        await agent.end(conversation)
        await agent.wait_event(kind="closed", conversation=conversation)
        await _line_back(wire, widget)

        await widget.wait_msg("Olga Agent ended the chat.", role="system", timeout=SLOW_STEP)
        await widget.cs("survey").wait_for(state="visible")
        await widget.cs("new-chat").wait_for(state="visible")
        held = widget.msg("Are you still there?", "visitor")
        await held.locator("[data-cs=send-new]").wait_for(state="visible")
        assert await held.get_attribute("data-state") == "failed"
        await asyncio.sleep(0.5)
        assert [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")] == [conversation]
        assert _typed(wire, "Are you still there?") == []
        assert "Yes, it left this morning." in [e["text"] for e in await widget.entries()]

        await widget.reload()
        await widget.open()
        await widget.wait_msg("Olga Agent ended the chat.", role="system")
        held = widget.msg("Are you still there?", "visitor")
        await held.locator("[data-cs=send-new]").wait_for(state="visible")
        await asyncio.sleep(0.5)
        assert [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")] == [conversation]
        assert _typed(wire, "Are you still there?") == []

        # The visitor chooses to send it: a new chat, with that message.
        await held.locator("[data-cs=send-new]").click()
        await widget.wait_sent("Are you still there?")
        ids = [row["id"] for row in await rows(env.server, "SELECT id FROM conversations ORDER BY created_at")]
        assert len(ids) == 2 and ids[0] == conversation, ids
        assert [e.body for e in await events_of(env.server, ids[1]) if e.kind == "message"] == ["Are you still there?"]
        assert [e["text"] for e in await widget.entries()].count("Are you still there?") == 1
        widget.assert_clean()
    finally:
        await agent.close()


async def test_messages_the_rate_limit_dropped_go_again_and_arrive_once(start_server, sqlite_backend, module_browser) -> None:  # type: ignore[no-untyped-def]
    """The server drops frames over its rate and says ``rate_limited`` without a ref (it drops them before
    decoding): the widget sends every unacknowledged message again, in order and with its client id, after a
    pause, until each is stored once; none is left failed."""
    async with widget_env(start_server, sqlite_backend, module_browser, rate_per_second=2.0, rate_burst=4) as env:
        agent = await env.server.agent(await add_agent(env.server, "Rae Agent"))
        try:
            widget = await env.widget()
            await widget.open()
            texts = [f"Quick message number {n}" for n in range(1, 7)]
            for text in texts:
                await widget.send(text)
            for text in texts:
                await widget.wait_sent(text, timeout=12_000)  # within the ack timeout (15 s): not by a retry click
            errors = [f for f in widget.received if f.get("type") == "error"]
            assert errors and {e["code"] for e in errors} == {"rate_limited"}, errors
            assert not any("ref" in e for e in errors), errors
            frames = widget.sent_of("message")
            assert len(frames) > len(texts), frames  # some went twice
            ids: dict[str, set[str]] = {}
            for frame in frames:
                ids.setdefault(frame["text"], set()).add(frame["client_id"])
            assert all(len(each) == 1 for each in ids.values()), ids
            (conversation,) = [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")]
            stored = Counter(e.body for e in await events_of(env.server, conversation) if e.kind == "message")
            assert all(stored[text] == 1 for text in texts), stored
            await asyncio.sleep(0.3)
            entries = [e for e in await widget.entries() if e["role"] == "visitor"]
            assert sorted(e["text"] for e in entries) == sorted(texts), entries
            assert all(e["state"] == "sent" for e in entries), entries
            widget.assert_clean()
        finally:
            await agent.close()


async def test_text_the_server_counts_as_blank_is_not_sent(env: Env) -> None:
    """The server refuses text without a non-space character by Python's rule (information separators, NEL, line
    and paragraph separators are spaces there), and such a refusal has no ref: the widget must not send it."""
    widget = await env.widget()
    await widget.open()
    for blank in ("\x1c\x1d\x1e\x1f", "\x85", "\u2028\u2029", "\u00a0\u3000 \t\u2007"):
        await widget.cs("input").fill(blank)
        assert await widget.cs("send").is_disabled(), repr(blank)
        await widget.cs("input").press("Enter")
    await widget.page.wait_for_timeout(300)
    assert widget.sent_of("message") == []
    assert await widget.msg(role="visitor").count() == 0
    await widget.cs("input").fill("\x1c a real question \x85")
    await widget.cs("send").click()
    await widget.wait_sent("a real question")
    # Control characters are 6 bytes each once JSON-escaped: 3,999 of them made a frame over the server's 16 KiB
    # (closed 1009, resent on every reconnect). They go before the message is sent; lone surrogates become U+FFFD.
    await widget.send("\u0002" * 3999 + "y")
    await widget.wait_sent("y")
    await widget.send("a\r\nb\x7f\x9fc\td")
    await widget.wait_sent("c\td")
    await widget.page.evaluate("""() => {
      const root = document.getElementById('chatsvc-widget').shadowRoot;
      const ta = root.querySelector('[data-cs=input]');
      ta.value = 'x\\ud800y\\udc00z'; ta.dispatchEvent(new Event('input'));
      root.querySelector('[data-cs=send]').click();
    }""")
    await widget.wait_sent("x\ufffdy\ufffdz")
    assert [f["text"] for f in widget.sent_of("message")][-3:] == ["y", "a\nbc\td", "x\ufffdy\ufffdz"]
    # A longer paste is cut at 4,000 by maxlength: a note says so, and goes with the text.
    assert not await widget.cs("limit").is_visible()
    await widget.cs("input").focus()
    await widget.page.keyboard.insert_text("z" * 6000)
    await widget.cs("limit").wait_for(state="visible")
    assert await widget.cs("limit").inner_text() == "Messages are limited to 4,000 characters."
    assert len(await widget.cs("input").input_value()) == 4000
    await widget.cs("input").fill("")
    assert not await widget.cs("limit").is_visible()
    widget.assert_clean()


async def test_a_socket_closed_1009_leaves_the_message_in_flight_failed_not_resent(env: Env) -> None:
    """The server closes a socket whose frame was too big with 1009: the message that went last is shown failed and
    not sent again on the next socket (it would close that one too, for ever); Retry sends it."""
    wire, widget = await _wired(env)
    await widget.open()
    wire.drop_from_server = lambda f: f.get("type") in ("ack", "event") and f.get("client_id") is not None
    await widget.send("Too big, say")
    await eventually(lambda: _typed(wire, "Too big, say"))
    await wire.close_page_side(1009, "message too big")
    failed = widget.msg("Too big, say", "visitor")
    await failed.locator("[data-cs=retry]").wait_for(state="visible", timeout=SLOW_STEP)
    await eventually(lambda: wire.connections >= 2 and widget.cs("offline").is_hidden(), timeout=SLOW_STEP)
    await asyncio.sleep(0.5)
    assert len(_typed(wire, "Too big, say")) == 1
    assert await failed.get_attribute("data-state") == "failed"
    wire.drop_from_server = None
    await failed.locator("[data-cs=retry]").click()
    await widget.wait_sent("Too big, say")
    widget.assert_clean()


async def test_a_socket_closed_for_another_reason_than_a_bad_token_keeps_the_visitor(env: Env) -> None:
    """Only close reason ``unauthorized`` says the token is no good; another 1008 (``error``) must not make the
    widget a new visitor with a new conversation."""
    wire, widget = await _wired(env)
    agent, conversation = await _assigned_chat(env, widget, "Keep me, please")
    try:
        before = await widget.storage()
        token = before["chatsvc:default:token"]
        await wire.close_page_side(1008, "error")
        await agent.send(conversation, "Still here for you")
        await widget.wait_msg("Still here for you", role="agent", timeout=SLOW_STEP)
        after = await widget.storage()
        assert after["chatsvc:default:token"] == token
        assert after["chatsvc:default:conv"] == conversation
        hellos = [f for f in wire.to_server if f.get("type") == "hello"]
        assert len(hellos) >= 2 and hellos[-1]["token"] == token and hellos[-1].get("conversation") == conversation
        assert [row["id"] for row in await rows(env.server, "SELECT id FROM conversations")] == [conversation]
        widget.assert_clean()
    finally:
        await agent.close()


async def test_a_click_while_the_stored_chat_is_looked_up_is_sent_once_the_answer_came(env: Env) -> None:
    """The stored conversation is not this visitor's: its ``sync`` is answered ``not_found``. A click on Talk to a
    person during that round trip must not hide the answer (the widget would never be ready); the click goes once
    the widget knows. Until the replay ends the log is aria-busy (a screen reader does not read the history out)."""
    agent = await env.server.agent(await add_agent(env.server, "Ned Agent"))
    try:
        wire, widget = await _wired(env)
        await widget.page.evaluate("localStorage.setItem('chatsvc:default:conv', 'NotThisVisitorsChat01')")
        wire.hold_after_page = lambda frame: frame.get("type") == "sync"
        await widget.reload()
        await widget.open()
        await eventually(lambda: wire.holding, 10)
        assert await widget.cs("log").get_attribute("aria-busy") == "true"
        await widget.cs("human").click()
        await widget.page.wait_for_timeout(500)  # it asked whether a person can answer, and queued the handoff
        assert not [f for f in wire.to_server if f.get("type") == "handoff"]
        wire.release()
        chat = await agent.wait_chat()
        await widget.wait_msg("Ned Agent joined the chat")
        assert len([f for f in wire.to_server if f.get("type") == "handoff"]) == 1
        assert await widget.cs("log").get_attribute("aria-busy") != "true"
        assert (await widget.storage())["chatsvc:default:conv"] == chat.id
        widget.assert_clean()
    finally:
        await agent.close()


async def test_loading_a_tab_never_moves_the_shared_read_marker_back(env: Env) -> None:
    """A tab that loads with the panel open must not mark the conversation read "up to seq 0" before its replay:
    another tab would count the whole history as unread."""
    context = await env.context()
    first = await env.widget(context)
    agent, conversation = await _assigned_chat(env, first, "Hello from two tabs")
    try:
        await agent.send(conversation, "First answer")
        await agent.send(conversation, "Second answer")
        await first.wait_msg("Second answer", role="agent")
        top = max(int(e["seq"]) for e in await first.entries() if e["seq"])

        async def marker() -> Any:
            return json.loads((await first.storage()).get("chatsvc:default:read") or "null")

        assert await eventually(lambda: _is(marker(), {"c": conversation, "s": top}))
        second = await env.widget(context, "/shop/other")
        await second.page.evaluate("""() => { window.reads = [];
          addEventListener('storage', (e) => { if (e.key === 'chatsvc:default:read') window.reads.push(e.newValue); }); }""")
        await first.reload()  # the panel was open: it opens with the page
        await first.wait_msg("Second answer", role="agent")
        await asyncio.sleep(0.5)
        reads = [json.loads(value) for value in await second.page.evaluate("window.reads")]
        assert all(r == {"c": conversation, "s": top} for r in reads), reads
        assert not await second.cs("badge").is_visible()
        first.assert_clean()
        second.assert_clean()
    finally:
        await agent.close()


async def test_a_message_from_a_tab_whose_line_is_down_goes_from_another_tab(env: Env) -> None:
    """Two tabs of one visitor; the first one's socket is down when the visitor writes there. The other tab sees
    the new outbox entry, shows it and sends it (the server keeps one per client id): it is stored once."""
    context = await env.context()
    page = await context.new_page()
    wire = Wire()
    await wire.attach(page)
    first = Widget(page, env.host)
    await first.goto("/")
    agent, conversation = await _assigned_chat(env, first, "Hello from the first tab")
    try:
        second = await env.widget(context, "/shop/other")
        await second.open()
        await second.wait_msg("Hello from the first tab", role="visitor")
        await wire.cut()
        await first.cs("offline").wait_for(state="visible")
        await first.send("Typed where the line is down")
        await second.wait_msg("Typed where the line is down", role="visitor")
        await agent.wait_event(text="Typed where the line is down", conversation=conversation)
        await second.wait_sent("Typed where the line is down")
        await _line_back(wire, first)
        await first.wait_sent("Typed where the line is down", timeout=SLOW_STEP)
        await asyncio.sleep(0.3)
        stored = [e.body for e in await events_of(env.server, conversation) if e.kind == "message"]
        assert stored.count("Typed where the line is down") == 1, stored
        for tab in (first, second):
            entries = await tab.entries()
            assert_each_seq_once(entries)
            assert [e["text"] for e in entries].count("Typed where the line is down") == 1, entries
            tab.assert_clean()
    finally:
        await agent.close()


async def test_a_new_chat_begun_elsewhere_shows_even_when_the_old_ones_end_comes_late(env: Env) -> None:
    """The visitor's other tab (here a client with the same token) ends the chat and starts another. This tab may
    get the new conversation's first events before the old one's ``closed`` (a replay from storage against a
    notice through the broker); here that ``closed`` never comes live at all. The widget holds the new events
    back, syncs the old conversation to learn it ended, then shows the new one from its start."""
    wire, widget = await _wired(env)
    agent, conversation = await _assigned_chat(env, widget, "The first chat")
    other = None
    try:
        token = (await widget.storage())["chatsvc:default:token"]
        dropped: list[dict[str, Any]] = []

        def drop_the_live_close(frame: dict[str, Any]) -> bool:
            if frame.get("type") == "event" and frame.get("kind") == "closed" and not dropped:
                dropped.append(frame)
                return True
            return False

        wire.drop_from_server = drop_the_live_close
        other = VisitorClient(env.server.url, origin="https://shop.example", token=token)
        await other.connect()
        await other.end()
        await agent.wait_event(kind="closed", conversation=conversation)
        await eventually(lambda: dropped)
        ack = await other.send("A new question from the other tab")
        await widget.wait_msg("A new question from the other tab", role="visitor")
        await asyncio.sleep(0.3)
        entries = await widget.entries()
        assert_each_seq_once(entries)
        assert [e["text"] for e in entries if e["role"] == "visitor"] == ["A new question from the other tab"]
        assert [e["seq"] for e in entries][:1] == ["2"], entries  # from its start (seq 1 is "opened", not shown)
        assert any(f.get("type") == "sync" and f.get("conversation") == conversation for f in wire.to_server)
        assert (await widget.storage())["chatsvc:default:conv"] == ack.conversation != conversation
        widget.assert_clean()
    finally:
        if other is not None:
            await other.close()
        await agent.close()


async def test_when_the_site_stops_allowing_the_page_the_widget_stops_trying(env: Env) -> None:
    """The admin takes the page's origin off the site's list while a visitor has the widget open: each new socket
    is refused at the handshake (HTTP 403, which a page cannot tell from a broken line). After a few such tries
    the widget asks for its config once, learns the page is not allowed, says so and stops."""
    wire, widget = await _wired(env)
    warnings: list[str] = []
    widget.page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    await widget.open()
    await widget.send("Hello before the change")
    await widget.wait_sent("Hello before the change")
    async with await admin_http(env.server) as http:
        site = next(s for s in (await http.get("/api/admin/sites")).json()["sites"] if s["key"] == "default")
        changed = await http.patch(f"/api/admin/sites/{site['id']}", json={"allowed_origins": ["https://shop.example"]})
        assert changed.status_code == 200, changed.text
    await wire.close_page_side(1011, "network")
    await eventually(lambda: any("not allowed" in text for text in warnings), 20)
    await widget.page.get_by_text("Chat is unavailable right now.").wait_for(state="visible")
    tries = wire.connections
    await widget.page.wait_for_timeout(3000)
    assert wire.connections == tries  # stopped
    widget.assert_clean()
