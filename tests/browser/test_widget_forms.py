"""The widget's forms in a real Chromium on a customer's page: leave-a-message (a ticket), the end-of-chat survey
(a row in ``surveys``) and the pre-chat form (the agent sees the name)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.browser.widget_host import (
    Env,
    Widget,
    Wire,
    add_agent,
    admin_http,
    events_of,
    module_browser_fixture,  # noqa: F401 (the module_browser fixture)
    rows,
    set_widget,
    widget_env,
    eventually,
)

ARTICLE = ("reset-password", "Reset your password",
           "Open **Account > Security** and choose *Reset password*.", ["I forgot my password", "change my password"])


pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def _seed(env: Env) -> None:
    article_id, title, body, alt = ARTICLE
    await env.server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="en")


async def _leave_form(widget: Widget) -> None:
    """Nobody can answer now: the widget offers the form at once, or when the visitor asks for a person."""
    shown = await widget.page.wait_for_function("""() => {
      const root = document.getElementById('chatsvc-widget').shadowRoot;
      for (const name of ['leave-form', 'human']) {
        const el = root.querySelector(`[data-cs=${name}]`);
        if (el && el.checkVisibility()) return name;
      }
      return null;
    }""")
    if await shown.json_value() == "human":
        await widget.cs("human").click()
    await widget.cs("leave-form").wait_for(state="visible")


async def _fill_and_send(widget: Widget, name: str, email: str, message: str) -> None:
    form = widget.cs("leave-form")
    await form.locator("[name=name]").fill(name)
    await form.locator("[name=email]").fill(email)
    await form.locator("[name=message]").fill(message)
    await widget.cs("leave-send").click()
    await widget.cs("leave-done").wait_for(state="visible")


async def _tickets(env: Env) -> list[dict]:  # type: ignore[type-arg]
    async with await admin_http(env.server) as http:
        listed = await http.get("/api/tickets", params={"status": "all"})
        assert listed.status_code == 200, listed.text
        found = []
        for summary in listed.json()["tickets"]:
            full = await http.get(f"/api/tickets/{summary['id']}")
            assert full.status_code == 200, full.text
            found.append(full.json())
        return found


async def test_with_nobody_online_the_leave_a_message_form_makes_a_ticket(env: Env) -> None:
    # The page's address holds a reset token and an OAuth fragment: only its origin and path go to the ticket.
    widget = await env.widget(path="/?reset_token=SECRET-RESET#access_token=SECRET-OAUTH")
    await widget.open()
    await _leave_form(widget)
    assert not await widget.cs("queue").is_visible()
    message = "My parcel never came.\nOrder 1182, sent on Monday."
    await _fill_and_send(widget, "Vera Visitor", "vera@example.com", message)

    tickets = await _tickets(env)
    assert len(tickets) == 1, tickets
    ticket = tickets[0]["ticket"]
    assert ticket["requester"] == {"name": "Vera Visitor", "email": "vera@example.com"}
    assert ticket["subject"] == "My parcel never came."
    assert [e["body"] for e in tickets[0]["entries"] if e["kind"] == "message"] == [message]
    stored = await env.server.services.ticket_store.get(ticket["id"])
    assert stored.details.get("page_url") == env.host.url("/")
    widget.assert_clean()


async def test_a_refused_email_keeps_the_form_and_what_was_typed(env: Env) -> None:
    widget = await env.widget()
    await widget.open()
    await _leave_form(widget)
    form = widget.cs("leave-form")
    await form.locator("[name=name]").fill("Vera")
    await form.locator("[name=email]").fill("not an email")
    await form.locator("[name=message]").fill("Please call me back.")
    await widget.cs("leave-send").click()
    await widget.page.wait_for_timeout(500)
    assert not await widget.cs("leave-done").is_visible()
    assert await form.is_visible()
    assert await form.locator("[name=message]").input_value() == "Please call me back."
    assert await _tickets(env) == []
    widget.assert_clean()


async def test_leaving_a_message_from_an_open_chat_keeps_its_transcript(env: Env) -> None:
    await _seed(env)
    widget = await env.widget()
    await widget.open()
    await widget.send("I forgot my password, how do I reset it?")
    await widget.cs("card").wait_for(state="visible")
    await widget.cs("no").click()  # nobody is online: the form is offered instead of the queue
    await widget.cs("leave-form").wait_for(state="visible")
    await _fill_and_send(widget, "Sam Lee", "sam@example.org", "The reset mail never arrives.")

    conversations = await rows(env.server, "SELECT id, status FROM conversations")
    assert len(conversations) == 1 and conversations[0]["status"] == "closed", conversations
    conversation = conversations[0]["id"]
    closed = [e for e in await events_of(env.server, conversation) if e.kind == "closed"]
    assert len(closed) == 1 and closed[0].data == {"resolution": "ticket"}

    tickets = await _tickets(env)
    assert len(tickets) == 1, tickets  # made from the chat, and no second "abandoned" one
    ticket = await env.server.services.ticket_store.get(tickets[0]["ticket"]["id"])
    assert ticket.conversation_id == conversation
    assert ticket.requester_email == "sam@example.org"
    bodies = [e["body"] for e in tickets[0]["entries"] if e["kind"] == "message"]
    assert "The reset mail never arrives." in bodies
    widget.assert_clean()


async def test_a_person_who_joins_while_the_form_is_open_gets_the_message_in_the_chat(env: Env) -> None:
    """Nobody was online, so the widget offered the form; while the visitor fills it in, a person takes the chat.
    The server then refuses the form (409 ``invalid_state``: someone is there to answer): the widget closes the
    form, shows the chat, and keeps what the visitor wrote in the composer, ready to send."""
    widget = await env.widget()
    await widget.open()
    await widget.send("Is anybody there?")
    form = widget.cs("leave-form")
    await form.wait_for(state="visible")
    await form.locator("[name=email]").fill("walt@example.com")
    await form.locator("[name=message]").fill("Please call me back about order 77.")
    agent = await env.server.agent(await add_agent(env.server, "Jo Agent"))
    try:
        chat = await agent.wait_chat()
        await widget.wait_msg("Jo Agent joined the chat")
        await widget.cs("leave-send").click()
        await form.wait_for(state="hidden")
        assert await widget.cs("input").input_value() == "Please call me back about order 77."
        await widget.wait_focus("input")
        assert not await widget.cs("leave-done").is_visible()
        assert await _tickets(env) == []
        assert [row["status"] for row in await rows(env.server, "SELECT status FROM conversations")] == ["assigned"]
        await widget.cs("send").click()
        await agent.wait_event(text="Please call me back about order 77.", conversation=chat.id)
        await widget.wait_sent("Please call me back about order 77.")
        widget.assert_clean()
    finally:
        await agent.close()


async def _rate(widget: Widget, csat: int, comment: str | None) -> None:
    survey = widget.cs("survey")
    await survey.wait_for(state="visible")
    assert await widget.cs("csat").count() == 5
    await widget.page.locator(f"#chatsvc-widget [data-cs=csat][data-value='{csat}']").click()
    if comment is not None:
        await survey.locator("[name=comment]").fill(comment)
    await widget.cs("survey-send").click()
    await widget.cs("survey-done").wait_for(state="visible")


async def test_the_survey_after_an_agent_closed_the_chat_stores_the_rating(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Ines Agent"))
    try:
        widget = await env.widget()
        await widget.open()
        await widget.send("Can I change my delivery address?")
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Done, it goes to your new address.")
        await widget.wait_msg("Done, it goes to your new address.", role="agent")
        assert not await widget.cs("survey").is_visible()
        await agent.end(chat.id)

        await _rate(widget, 4, "Quick and kind, thanks")
        (rate,) = widget.sent_of("rate")
        assert (rate["conversation"], rate["csat"], rate.get("comment")) == (chat.id, 4, "Quick and kind, thanks")
        stored = await rows(env.server, "SELECT conversation_id, csat, comment, nps, ces FROM surveys")
        assert stored == [{"conversation_id": chat.id, "csat": 4, "comment": "Quick and kind, thanks",
                           "nps": None, "ces": None}]
        # The chat can start again.
        await widget.cs("new-chat").wait_for(state="visible")
        # An agent who joins and ends the chat without a word: nothing to rate.
        await widget.cs("new-chat").click()
        await widget.send("Anyone there?")
        silent = await agent.wait_chat()
        assert silent.id != chat.id
        await widget.wait_msg("Ines Agent joined the chat", role="system")
        await agent.end(silent.id)
        await widget.wait_msg("Ines Agent ended the chat.", role="system")
        await widget.cs("new-chat").wait_for(state="visible")
        assert not await widget.cs("survey").is_visible()
        widget.assert_clean()
    finally:
        await agent.close()


async def test_the_survey_after_the_bot_solved_it_stores_the_rating(env: Env) -> None:
    await _seed(env)
    widget = await env.widget()
    await widget.open()
    await widget.send("I forgot my password, how do I reset it?")
    await widget.cs("card").wait_for(state="visible")
    await widget.cs("yes").click()
    await widget.wait_msg("Glad it helped!", role="bot")
    await _rate(widget, 5, None)
    conversation = (await rows(env.server, "SELECT id FROM conversations"))[0]["id"]
    stored = await rows(env.server, "SELECT conversation_id, csat, comment FROM surveys")
    assert stored == [{"conversation_id": conversation, "csat": 5, "comment": None}]
    widget.assert_clean()


async def test_the_survey_is_not_offered_when_the_site_turned_it_off(env: Env) -> None:
    await _seed(env)
    await set_widget(env.server, survey_csat=False)
    widget = await env.widget()
    await widget.open()
    await widget.send("I forgot my password, how do I reset it?")
    await widget.cs("card").wait_for(state="visible")
    await widget.cs("yes").click()
    await widget.wait_msg("Glad it helped!", role="bot")
    await widget.page.wait_for_timeout(500)
    assert not await widget.cs("survey").is_visible()
    assert widget.sent_of("rate") == []
    widget.assert_clean()


async def test_a_required_pre_chat_form_identifies_the_visitor_to_the_agent(env: Env) -> None:
    await set_widget(env.server, prechat="required")
    agent = await env.server.agent(await add_agent(env.server, "Lea Agent"))
    try:
        widget = await env.widget()
        await widget.open()
        prechat = widget.cs("prechat")
        await prechat.wait_for(state="visible")
        assert not await widget.cs("prechat-skip").is_visible()  # required: no way around it
        assert not await widget.cs("input").is_visible() or await widget.cs("input").is_disabled()

        # No email: the form stays, nothing is sent.
        await prechat.locator("[name=name]").fill("Chloé Martin")
        await widget.cs("prechat-start").click()
        await widget.page.wait_for_timeout(300)
        assert await prechat.is_visible()
        assert widget.sent_of("identify") == []

        await prechat.locator("[name=email]").fill("chloe@example.com")
        await widget.cs("prechat-start").click()
        await prechat.wait_for(state="hidden")
        (identify,) = widget.sent_of("identify")
        assert (identify.get("name"), identify.get("email")) == ("Chloé Martin", "chloe@example.com")
        await widget.send("Hello, my order is late")

        chat = await agent.wait_chat()
        assert chat.visitor is not None and chat.visitor.name == "Chloé Martin"
        await agent.wait_event(text="Hello, my order is late", conversation=chat.id)
        visitor = await env.server.services.conversation_store.get_visitor(
            (await env.server.services.conversation_store.get(chat.id)).visitor_id)
        assert visitor is not None and visitor.email == "chloe@example.com"
        # After a reload the form is not asked again.
        await widget.reload()
        await widget.open()
        await widget.wait_msg("Hello, my order is late", role="visitor")
        assert not await prechat.is_visible()
        widget.assert_clean()
    finally:
        await agent.close()


async def test_an_optional_pre_chat_form_can_be_skipped(env: Env) -> None:
    await set_widget(env.server, prechat="optional")
    agent = await env.server.agent(await add_agent(env.server, "Lea Agent"))
    try:
        widget = await env.widget()
        await widget.open()
        await widget.cs("prechat").wait_for(state="visible")
        await widget.cs("prechat-skip").click()
        await widget.cs("prechat").wait_for(state="hidden")
        await widget.send("Just a quick question")
        chat = await agent.wait_chat()
        assert chat.visitor is not None and chat.visitor.name == "Visitor"
        assert widget.sent_of("identify") == []
        widget.assert_clean()
    finally:
        await agent.close()


async def test_outside_business_hours_the_form_replaces_the_queue_even_with_an_agent_online(env: Env) -> None:
    async with await admin_http(env.server) as http:
        site = next(s for s in (await http.get("/api/admin/sites")).json()["sites"] if s["key"] == "default")
        closed = {"timezone": "UTC", "weekly": {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                  "holidays": []}
        saved = await http.put(f"/api/admin/sites/{site['id']}/hours", json=closed)
        assert saved.status_code == 200, saved.text
    agent = await env.server.agent(await add_agent(env.server, "Otto Online"))
    try:
        widget = await env.widget()
        await widget.open()
        await _leave_form(widget)
        assert not await widget.cs("queue").is_visible()
        await _fill_and_send(widget, "Nina Night", "nina@example.com", "Written at night, answer tomorrow.")
        tickets = await _tickets(env)
        assert [t["ticket"]["requester"]["email"] for t in tickets] == ["nina@example.com"]
        assert agent.chats == {}  # nobody was asked to answer now
        widget.assert_clean()
    finally:
        await agent.close()


async def test_a_visitor_queued_while_nobody_can_answer_gets_the_form_instead_of_the_queue(env: Env) -> None:
    """The bot had nothing, the first message went to the queue, and nobody is online (leave_message): the form
    with a line saying why, not the queue card beside it; a queue frame with agents online brings the card back."""
    context = await env.context()
    page = await context.new_page()
    wire = Wire()
    await wire.attach(page)
    widget = Widget(page, env.host)
    await widget.goto("/")
    await widget.open()
    await widget.send("Something no article covers at all")
    await widget.wait_sent("Something no article covers at all")
    conversation = await eventually(lambda: next((f["conversation"] for f in wire.to_page
                                                  if f.get("kind") == "queued"), None))
    await widget.cs("leave-form").wait_for(state="visible")
    await widget.cs("leave-why").wait_for(state="visible")
    await page.wait_for_timeout(300)
    assert not await widget.cs("queue").is_visible()
    frame = {"type": "queue", "conversation": conversation, "position": 1, "estimated_wait": 60, "agents_online": 1}
    wire.live[-1].send(json.dumps(frame))
    await widget.cs("queue").wait_for(state="visible")
    widget.assert_clean()
