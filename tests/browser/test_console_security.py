"""The agent console against hostile visitors, other agents and ended sessions, in a real Chromium (SECURITY.md
cases 4, 6, 9 and 14): markup in a visitor's name, message, page title and page URL, in a canned response and a
KB article, stays text (no dialog, no injected element, a javascript: URL is no link); signing out in another tab,
a password change on another device or an admin disabling the agent closes the console's socket and the console
lands on the login page; a signed-out browser is sent to the login page; a browser holding no staff session (or
only a visitor token) cannot open /ws/agent; another site's forged request changes nothing; an agent cannot read or
write a colleague's chat from their own console page. And the console speaks French."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from chatsvc.web.i18n import STRINGS
from tests.browser.console_host import (
    SLOW_STEP,
    AgentWire,
    ConsoleEnv,
    add_agent,
    add_article,
    admin_http,
    ask_for_person,
    console_env,
    eventually,
    shared_canned,
    sign_in,
    visitors,
)
from tests.browser.widget_host import HostSite, module_browser_fixture  # noqa: F401 (the module_browser fixture)
from tests.support.servers import STAFF_PASSWORD

IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(2)>'
TEMPLATE = "{{constructor.constructor('alert(3)')()}}"
MARKDOWN = "[x](javascript:alert(4)) [[y](javascript:alert(5))](https://evil.test)"
HOSTILE = f"{IMG} {SVG} {TEMPLATE} {MARKDOWN}"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[ConsoleEnv]:  # type: ignore[no-untyped-def]
    async with console_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def _not_shortcut(composer: Any) -> bool:
    value = await composer.input_value()
    return bool(value) and not value.startswith("/")


async def test_hostile_visitor_text_is_shown_as_text(env: ConsoleEnv) -> None:
    server = env.server
    await add_article(server, article_id="hostile", title=f"Password {IMG}", body=f"Text {SVG} {MARKDOWN}",
                      alt=["password help"])
    await shared_canned(server, "evil", f"Hi {{visitor_name}} {SVG}", title=f"Evil {IMG}")
    ana = await add_agent(server, "Ana Lopez", max_chats=1)
    wire = AgentWire()
    a = await env.console(ana, wire=wire)
    async with visitors(server, 2) as (vera, eve):
        # Vera holds Ana's only place, so the hostile visitor waits in the queue first.
        await vera.identify(name="Vera Visitor")
        busy = await ask_for_person(vera, "Hello")
        await a.item(busy).wait_for()
        await eve.identify(name=f'{IMG}"><svg onload=alert(6)>')
        # Where the visitor says they are: a javascript: URL (the contract refuses it), then markup in an http URL
        # and in the title.
        await eve.send_page("javascript:alert(7)", title=IMG)
        await eve.send_page('https://shop.example/search?q="><svg/onload=alert(8)>&x=<img/src=x/onerror=alert(9)>',
                            title=f"Shop {IMG} {SVG}", timezone="Europe/Paris", language="en-GB")
        chat = await ask_for_person(eve, HOSTILE)

        # The queue shows the name and the first message as text.
        item = a.queue_item(chat)
        await item.wait_for()
        assert IMG in await item.locator("[data-c=queue-first]").inner_text()
        assert "<img" in await item.inner_text()
        assert await a.injected() == []

        # Ana ends Vera's chat: the hostile visitor is hers.
        await a.open_chat(busy)
        await a.pane(busy).locator("[data-c=close]").click()
        await a.pane(busy).locator("[data-c=close-confirm]").click()
        await a.item(chat).wait_for()
        await a.open_chat(chat)
        message = await a.wait_event(chat, "constructor.constructor", kind="message")
        assert (await message.locator("[data-c=text]").inner_text()).strip() == HOSTILE
        assert IMG in await a.item(chat).locator("[data-c=chat-name]").inner_text()
        details = a.c("details")
        assert IMG in await details.locator("[data-c=visitor-name]").inner_text()
        page = details.locator("[data-c=visitor-page]")
        await details.filter(has_text="Shop <img").wait_for()
        assert f"Shop {IMG} {SVG}" in await details.inner_text()
        links = await page.evaluate_all(
            "els => els.flatMap(e => [e, ...e.querySelectorAll('a')]).filter(e => e.tagName === 'A')"
            ".map(a => a.href)")
        assert links and all(link.startswith("https://shop.example/search?q=") for link in links), links
        # Angular-style templates are not evaluated: the text is there as typed.
        assert TEMPLATE in await a.pane(chat).inner_text()

        # A frame the server would never send: a javascript: page URL is shown as text, not as a link.
        wire.inject({"type": "visitor", "conversation": chat,
                     "visitor": {"name": "Eve", "page_url": "javascript:alert(10)", "page_title": f"Evil {SVG}"}})
        await details.filter(has_text=f"Evil {SVG}").wait_for()
        assert await a.page.locator("a[href^='javascript:' i]").count() == 0
        hrefs = await page.evaluate_all(
            "els => els.flatMap(e => [e, ...e.querySelectorAll('a')]).filter(e => e.tagName === 'A')"
            ".map(a => a.getAttribute('href'))")
        assert [href for href in hrefs if href is not None] == [], hrefs  # no link at all, rather than a wrong one
        assert "javascript:alert(10)" in await details.inner_text() or "Evil" in await details.inner_text()

        # Canned and KB results with markup in their titles are text too; inserting them inserts text.
        composer = a.composer(chat)
        await composer.click()
        await composer.press_sequentially("/ev")
        canned = a.pane(chat).locator("[data-c=canned-item][data-shortcut=evil]")
        await canned.wait_for()
        assert IMG in await canned.inner_text()
        await composer.press_sequentially("il")
        await composer.press("Tab")
        await eventually(lambda: _not_shortcut(composer))
        assert await composer.input_value() == f"Hi Eve {SVG}" or SVG in await composer.input_value()
        await composer.fill("")
        await a.pane(chat).locator("[data-c=kb-open]").click()
        panel = a.page.locator("[data-c=kb-panel]")
        await panel.locator("[data-c=kb-search]").fill("password")
        result = panel.locator("[data-c=kb-result]").filter(has_text="Password")
        await result.wait_for()
        assert IMG in await result.inner_text()
        await result.locator("[data-c=kb-insert-text]").click()
        await eventually(lambda: composer.input_value())
        # The agent sends the markup back: it stays text on the console.
        await composer.fill(f"You wrote {IMG}")
        await composer.press("Enter")
        await a.wait_sent(chat, f"You wrote {IMG}")

        assert await a.injected() == []
        assert a.dialogs == []
    a.assert_clean()


async def test_signing_out_in_another_tab_closes_the_console(env: ConsoleEnv) -> None:
    ana = await add_agent(env.server, "Ana Lopez")
    a = await env.console(ana)
    other = await a.page.context.new_page()
    await other.goto(env.server.url + "/staff?lang=en")
    await other.locator("form[action='/logout'] button").click()
    await other.wait_for_url("**/login**")
    # Within seconds the console's socket is closed by the server and the console goes to the login page.
    await a.page.wait_for_url(re.compile(r"/login\?(.*&)?next=(/|%2F)console"), timeout=SLOW_STEP)
    await eventually(lambda: ana.id not in env.server.services.routing.presence
                     or not env.server.services.routing.presence[ana.id].online, timeout=5)
    # The old session is over: /console asks to sign in again.
    await a.page.goto(env.server.url + "/console")
    await a.page.wait_for_url("**/login?next=/console")
    assert a.dialogs == [] and a.errors == []


async def test_an_admin_disabling_the_agent_closes_the_console(env: ConsoleEnv) -> None:
    ana = await add_agent(env.server, "Ana Lopez")
    a = await env.console(ana)
    async with await admin_http(env.server) as http:
        disabled = await http.patch(f"/api/admin/users/{ana.id}", json={"disabled": True})
        assert disabled.status_code == 200, disabled.text
    await a.page.wait_for_url("**/login**", timeout=SLOW_STEP)
    await a.page.goto(env.server.url + "/console")
    await a.page.wait_for_url("**/login?next=/console")
    assert a.dialogs == [] and a.errors == []


async def test_a_password_change_on_another_device_closes_the_console(env: ConsoleEnv) -> None:
    ana = await add_agent(env.server, "Ana Lopez")
    a = await env.console(ana)
    phone = await (await env.context()).new_page()
    await sign_in(phone, env.server, ana.email)
    await phone.goto(env.server.url + "/account/password?lang=en")
    await phone.fill("input[name=current]", STAFF_PASSWORD)
    await phone.fill("input[name=new]", "a brand new passphrase 42")
    await phone.fill("input[name=again]", "a brand new passphrase 42")
    await phone.locator("form:has(input[name=new]) button[type=submit]").click()
    await phone.wait_for_url(re.compile(r"/staff"))
    await a.page.wait_for_url(re.compile(r"/login\?(.*&)?next=(/|%2F)console"), timeout=SLOW_STEP)
    assert a.dialogs == [] and a.errors == []


AGENT_SOCKET_JS = """async ([url, hello]) => {
  return await new Promise((resolve) => {
    const got = [];
    let ws;
    try { ws = new WebSocket(url); } catch (e) { resolve({error: String(e), got, code: null}); return; }
    const timer = setTimeout(() => resolve({timeout: true, got, code: null}), 4000);
    ws.onopen = () => ws.send(hello);
    ws.onmessage = (m) => got.push(m.data);
    ws.onclose = (e) => { clearTimeout(timer); resolve({got, code: e.code}); };
  });
}"""


async def test_a_browser_without_a_staff_session_gets_no_console_nor_agent_socket(  # type: ignore[no-untyped-def]
        start_server, sqlite_backend, module_browser) -> None:
    host = HostSite()
    host.start()
    try:
        async with console_env(start_server, sqlite_backend, module_browser,
                               allowed_origins=("https://shop.example", host.origin)) as env:
            host.chat_url = env.server.url
            ana = await add_agent(env.server, "Ana Lopez")
            context = await env.context()
            page = await context.new_page()
            # Signed out: /console sends the browser to the login page, and back after signing in.
            await page.goto(env.server.url + "/console")
            await page.wait_for_url("**/login?next=/console")
            assert await page.locator("[data-c=composer], [data-c=chat-list]").count() == 0

            # From the server's own origin but without a session: the agent socket says no.
            ws_url = env.server.ws_url + "/ws/agent"
            hello = json.dumps({"type": "hello", "v": 1, "status": "online"})
            same_origin = await page.evaluate(AGENT_SOCKET_JS, [ws_url, hello])
            assert not any('"welcome"' in frame for frame in same_origin["got"]), same_origin
            assert same_origin["code"] == 1008, same_origin

            # A visitor's browser on the shop's page, holding a visitor token: no agent socket either, with the
            # token in the hello or not.
            shop = await context.new_page()
            await shop.goto(host.url("/"))
            token = await shop.evaluate("""async (chat) => {
              const r = await fetch(chat + '/api/visitor/session?site=default', {method: 'POST',
                headers: {'Content-Type': 'application/json'}, body: JSON.stringify({site: 'default'})});
              return (await r.json()).token;
            }""", env.server.url)
            assert token
            for frame in ({"type": "hello", "v": 1}, {"type": "hello", "v": 1, "token": token},
                          {"type": "hello", "v": 1, "token": token, "conversation": None, "last_seq": 0}):
                result: dict[str, Any] = await shop.evaluate(AGENT_SOCKET_JS, [ws_url, json.dumps(frame)])
                assert not any('"welcome"' in got for got in result["got"]), result
                assert result["code"] in (1006, 1008), result
            with_token = await page.evaluate(
                AGENT_SOCKET_JS, [ws_url, json.dumps({"type": "hello", "v": 1, "token": token})])
            assert not any('"welcome"' in got for got in with_token["got"]), with_token
            assert with_token["code"] == 1008, with_token
            assert ana.id not in env.server.services.routing.presence
    finally:
        host.stop()


def _console_keys(lang: str) -> dict[str, str]:
    return {key: text for key, text in STRINGS[lang].items() if key.startswith("console.")}


async def _labels(page: Any) -> dict[str, str]:
    return dict(await page.evaluate("""() => {
      const out = {};
      for (const name of ['send', 'note-mode', 'help-open', 'kb-open', 'transfer', 'close', 'mute', 'notify']) {
        const el = document.querySelector(`[data-c=${name}]`);
        if (el) out[name] = (el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('title') || '');
      }
      const status = document.querySelector('[data-c=status]');
      if (status) for (const o of status.options) out['status:' + o.value] = o.textContent.trim();
      return out;
    }"""))


async def test_the_console_speaks_french(env: ConsoleEnv) -> None:
    server = env.server
    ana = await add_agent(server, "Ana Lopez")
    fr_keys = _console_keys("fr")
    assert fr_keys, "no console strings in the French table"
    assert set(fr_keys) == set(_console_keys("en"))
    english = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        chat = await ask_for_person(vera, "Bonjour, j'ai une question.")
        await english.item(chat).wait_for()
        await english.open_chat(chat)
        en_labels = await _labels(english.page)
        french = await env.console(ana, lang="fr", locale="fr-FR")
        await french.item(chat).wait_for()
        await french.open_chat(chat)
        assert await french.page.get_attribute("html", "lang") == "fr"
        fr_labels = await _labels(french.page)
    assert set(fr_labels) == set(en_labels) and len(fr_labels) >= 5, (en_labels, fr_labels)
    french_texts = set(STRINGS["fr"].values())
    english_texts = set(STRINGS["en"].values())
    for name, text in fr_labels.items():
        assert text, name
        # Each label is French: from the French table, and not an English string left behind.
        assert text != en_labels[name] or (text in french_texts and text not in english_texts - french_texts), (
            name, text, en_labels[name])
    differ = [name for name in fr_labels if fr_labels[name] != en_labels[name]]
    assert len(differ) * 2 >= len(fr_labels), (en_labels, fr_labels)
    assert fr_labels["status:online"] != en_labels["status:online"]
    # The help overlay in French.
    await french.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    await french.page.keyboard.press("?")
    await french.c("help").wait_for(state="visible")
    help_text = await french.c("help").inner_text()
    assert any(text in help_text for text in french_texts if len(text) > 8), help_text
    english.assert_clean()
    french.assert_clean()


async def test_a_forged_request_from_another_site_changes_nothing(  # type: ignore[no-untyped-def]
        start_server, sqlite_backend, module_browser) -> None:
    """The agent's browser, signed in, visits another site whose script posts to the console's JSON API (a simple
    request, no preflight) and opens /ws/agent: nothing is converted, no socket is had. (The session cookie's
    SameSite and the CSRF token both stand in the way; this checks that together they hold.)"""
    host = HostSite()
    host.start()
    try:
        async with console_env(start_server, sqlite_backend, module_browser) as env:
            ana = await add_agent(env.server, "Ana Lopez")
            a = await env.console(ana)
            async with visitors(env.server, 1) as (vera,):
                await vera.identify(name="Vera Visitor", email="vera@example.com")
                chat = await ask_for_person(vera, "Hello")
                await a.item(chat).wait_for()
                evil = await a.page.context.new_page()
                await evil.goto(host.url("/plain"))
                status = await evil.evaluate("""async ([url, id]) => {
                  try {
                    const r = await fetch(url + '/api/conversations/' + id + '/ticket', {method: 'POST',
                      credentials: 'include', mode: 'no-cors', headers: {'Content-Type': 'text/plain'},
                      body: JSON.stringify({reason: 'forged'})});
                    return r.type + ' ' + r.status;
                  } catch (e) { return 'error ' + e; }
                }""", [env.server.url, chat])
                assert status, status
                result = await evil.evaluate(AGENT_SOCKET_JS, [env.server.ws_url + "/ws/agent",
                                                               json.dumps({"type": "hello", "v": 1})])
                assert not any('"welcome"' in got for got in result["got"]), result
                assert (await env.server.services.conversation_store.get(chat)).status == "assigned"
                assert await env.server.services.ticket_store.of_conversation(chat) is None
                # The console itself is still fine.
                await a.send(chat, "Still here for you.")
                await vera.wait_event(text="Still here for you.", conversation=chat)
            a.assert_clean()
    finally:
        host.stop()


OTHER_CHAT_JS = """async ([url, id]) => {
  return await new Promise((resolve) => {
    const got = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => { ws.close(); resolve(got); }, 2500);
    ws.onopen = () => ws.send(JSON.stringify({type: 'hello', v: 1, status: 'away'}));
    ws.onmessage = (m) => {
      const frame = JSON.parse(m.data);
      got.push(frame);
      if (frame.type === 'welcome') {
        ws.send(JSON.stringify({type: 'sync', conversation: id, after_seq: 0}));
        ws.send(JSON.stringify({type: 'message', conversation: id, client_id: 'forged-1', text: 'Written by Ben'}));
        ws.send(JSON.stringify({type: 'note', conversation: id, client_id: 'forged-2', text: 'Noted by Ben'}));
        ws.send(JSON.stringify({type: 'close', conversation: id}));
        ws.send(JSON.stringify({type: 'transfer', conversation: id}));
      }
    };
    ws.onclose = () => { clearTimeout(timer); resolve(got); };
  });
}"""


async def test_an_agent_cannot_read_or_write_a_colleagues_chat_from_the_console(env: ConsoleEnv) -> None:
    """SECURITY.md case 9 from Ben's own signed-in console page: his session, a second socket of his own, and
    frames naming Ana's chat; and the JSON API for its transcript."""
    server = env.server
    ana = await add_agent(server, "Ana Lopez", max_chats=1)
    ben = await add_agent(server, "Ben Okafor", max_chats=1)
    a = await env.console(ana)
    async with visitors(server, 1) as (vera,):
        await vera.identify(name="Vera Visitor")
        chat = await ask_for_person(vera, "Private: my card ends in 4242")
        await a.item(chat).wait_for()
        b = await env.console(ben)
        got = await b.page.evaluate(OTHER_CHAT_JS, [server.ws_url + "/ws/agent", chat])
        assert any(f.get("type") == "welcome" for f in got), got
        assert not [f for f in got if f.get("type") in ("event", "synced", "ack") and f.get("conversation") == chat], got
        assert "4242" not in str(got)
        status = await b.page.evaluate("async (id) => (await fetch('/api/conversations/' + id)).status", chat)
        assert status in (403, 404), status
        b.console_errors = [e for e in b.console_errors if f"status of {status}" not in e]  # our own fetch's refusal
        await asyncio.sleep(0.3)
        stored = await server.services.conversation_store.get(chat)
        assert stored.status == "assigned" and stored.agent_id == ana.id
        assert not [e for e in await server.services.conversation_store.events_after(chat, 0, 1000)
                    if e.body in ("Written by Ben", "Noted by Ben")]
        assert vera.texts(chat, role="agent") == []
        assert chat not in await b.chat_ids()
        b.assert_clean()
    a.assert_clean()
