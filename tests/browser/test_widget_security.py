"""The widget on a hostile web: a host page whose CSS tries to break it, hostile text in every field a visitor, an
agent, an admin or the knowledge base can fill (SECURITY.md case 14), an attacker's frame posting messages to the
host window, the one global it may define, and its credential (never in a URL; a forged one is not used)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.browser.widget_host import (
    Env,
    Widget,
    add_agent,
    module_browser_fixture,  # noqa: F401 (the module_browser fixture)
    rows,
    set_widget,
    widget_env,
)

IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
TEMPLATE = "{{constructor.constructor('alert(1)')()}}"
MARKDOWN = "[x](javascript:alert(1)) [[y](javascript:alert(2))](https://evil.test)"
LINK = 'https://help.example/a?"><img src=x onerror=alert(1)>'
PAYLOADS = [IMG, SVG, TEMPLATE, MARKDOWN, LINK]


pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def _boxes(widget: Widget) -> dict[str, Any]:
    launcher = await widget.cs("launcher").bounding_box()
    await widget.open()
    panel = await widget.cs("panel").bounding_box()
    composer = await widget.cs("input").bounding_box()
    send = await widget.cs("send").bounding_box()
    fonts = await widget.page.evaluate("""() => {
      const root = document.getElementById('chatsvc-widget').shadowRoot;
      return Object.fromEntries(['panel', 'log', 'input', 'send', 'status'].map(name => {
        const el = root.querySelector(`[data-cs=${name}]`);
        return [name, el ? parseFloat(getComputedStyle(el).fontSize) : null];
      }));
    }""")
    return {"launcher": launcher, "panel": panel, "input": composer, "send": send, "fonts": fonts}


def _close(a: dict[str, float], b: dict[str, float], what: str, tolerance: float = 0.15) -> None:
    for key in ("width", "height"):
        assert abs(a[key] - b[key]) <= tolerance * b[key] + 2, f"{what} {key}: {a[key]} on the hostile page, {b[key]}"
    for key in ("x", "y"):
        assert abs(a[key] - b[key]) <= 24, f"{what} {key}: {a[key]} on the hostile page, {b[key]}"


async def test_hostile_host_css_does_not_break_the_widget(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Tess Agent"))
    try:
        context = await env.context()
        normal = await env.widget(context)
        expected = await _boxes(normal)
        hostile = await env.widget(context, "/?css=hostile")
        # The hostile sheet did apply to the host page itself.
        assert await hostile.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "40px"
        launcher = hostile.cs("launcher")
        box = await launcher.bounding_box()
        assert box is not None and 40 <= box["width"] <= 96 and 40 <= box["height"] <= 96, box
        got = await _boxes(hostile)  # clicks the launcher: it is clickable
        _close(got["launcher"], expected["launcher"], "launcher")
        _close(got["panel"], expected["panel"], "panel")
        _close(got["input"], expected["input"], "input")
        _close(got["send"], expected["send"], "send button")
        for name, size in expected["fonts"].items():
            assert size is not None and 12 <= size <= 20, (name, size, "on the normal page")
            assert abs(got["fonts"][name] - size) < 1, (name, got["fonts"][name], size)
        viewport = hostile.page.viewport_size
        panel = got["panel"]
        assert panel["x"] >= 0 and panel["y"] >= 0
        assert panel["x"] + panel["width"] <= viewport["width"] and panel["y"] + panel["height"] <= viewport["height"]

        # Usable: type, send, read the answer.
        await hostile.send("Typed on a hostile page")
        await hostile.wait_sent("Typed on a hostile page")
        chat = await agent.wait_chat()
        await agent.wait_event(text="Typed on a hostile page", conversation=chat.id)
        await agent.send(chat.id, "Readable here too")
        answer = await hostile.wait_msg("Readable here too", role="agent")
        text_font = await answer.locator("[data-cs=text]").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert 12 <= text_font <= 20, text_font
        await hostile.cs("close-panel").click()
        await hostile.cs("panel").wait_for(state="hidden")
        normal.assert_clean()
        hostile.assert_clean()
    finally:
        await agent.close()


async def test_the_widget_css_does_not_leak_into_the_host_page(env: Env) -> None:
    context = await env.context()
    probe = """() => Object.fromEntries(['#host-box', '#host-button', '#host-search', 'body', 'h1', 'p'].map(s => {
      const style = getComputedStyle(document.querySelector(s));
      return [s, ['font-family', 'font-size', 'color', 'background-color', 'margin', 'padding', 'display',
                  'line-height', 'box-sizing', 'border-top-width'].map(p => style.getPropertyValue(p))];
    }))"""
    plain = await env.widget(context, "/plain", wait=False)
    without = await plain.page.evaluate(probe)
    widget = await env.widget(context)
    await widget.open()
    assert await widget.page.evaluate(probe) == without
    assert await widget.page.evaluate("document.querySelectorAll('body > *:not(header):not(main):not(script)').length") == 1
    widget.assert_clean()


async def test_hostile_text_from_everyone_is_shown_as_text(env: Env) -> None:
    server = env.server
    title = f"{IMG} Reset your password {SVG}"
    await server.services.kb.create(
        article_id="reset-password", title=title, lang="en", alt=["I forgot my password"],
        body=f"Open **Account**. {IMG} [click](javascript:alert(1)) {SVG} {TEMPLATE}",
    )
    greeting = f"Hello {IMG} {SVG} {TEMPLATE}"
    await set_widget(server, greeting_en=greeting)
    hostile_name = f'{SVG} {IMG}'
    agent = await server.agent(await add_agent(server, hostile_name, email="hostile.agent@support.example"))
    try:
        widget = await env.widget()
        await widget.open()
        await widget.page.get_by_text(greeting, exact=True).wait_for(state="visible")

        await widget.send("I forgot my password")
        card = widget.cs("card")
        await card.wait_for(state="visible")
        assert await card.locator("[data-cs=card-title]").inner_text() == title
        body = await card.locator("[data-cs=card-body]").inner_text()
        assert "Open" in body and "Account" in body
        await widget.cs("no").click()
        chat = await agent.wait_chat()

        for payload in PAYLOADS:
            await widget.send(payload)
            await widget.wait_sent(payload)
            await agent.wait_event(text=payload, conversation=chat.id)
            await agent.send(chat.id, f"agent says {payload}")
        for payload in PAYLOADS:
            await widget.wait_msg(f"agent says {payload}", role="agent")
        entries = await widget.entries()
        for payload in PAYLOADS:
            assert [e["text"] for e in entries if e["role"] == "visitor" and e["text"] == payload] == [payload]
            assert [e for e in entries if e["role"] == "agent" and e["text"] == f"agent says {payload}"]
        agent_entries = [e for e in entries if e["role"] == "agent"]
        assert agent_entries and all(hostile_name in e["author"] for e in agent_entries), agent_entries
        await widget.page.wait_for_timeout(300)  # an injected handler would have fired by now

        summary = await widget.shadow_summary()
        assert summary["handlers"] == [], summary
        assert summary["iframe"] == 0 and summary["jsLinks"] == 0 and summary["docImg"] == 0, summary
        injected = await widget.page.evaluate("""() => {
          const root = document.getElementById('chatsvc-widget').shadowRoot;
          const fields = '[data-cs=author], [data-cs=text], [data-cs=card-title], [data-cs=typing]';
          return [...root.querySelectorAll(fields)].flatMap(el => [...el.querySelectorAll('img, svg')])
            .map(el => el.outerHTML.slice(0, 80));
        }""")
        links = await widget.page.evaluate("""() => [...document.getElementById('chatsvc-widget').shadowRoot
            .querySelectorAll('[data-cs=text] a')].map(a => [a.getAttribute('href'), a.textContent, a.rel])""")
        # Web addresses in text may become links: only http(s), shown as the address itself, without the opener.
        for href, text, rel in links:
            assert href.startswith(("https://", "http://")) and text == href and "noopener" in rel, (href, text, rel)
        assert injected == [], injected
        assert await widget.page.evaluate(
            "document.getElementById('chatsvc-widget').shadowRoot.querySelectorAll('img').length") == 0
        widget.assert_clean()
    finally:
        await agent.close()


async def test_a_post_message_from_another_origin_changes_nothing(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Uma Agent"))
    try:
        widget = await env.widget(path="/?evil=1")
        await widget.open()
        await widget.send("Hello from the real visitor")
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Hello, real visitor")
        await widget.wait_msg("Hello, real visitor", role="agent")
        await widget.page.wait_for_timeout(300)

        async def state() -> dict[str, Any]:
            return {
                "entries": await widget.entries(),
                "panel": await widget.cs("panel").is_visible(),
                "expanded": await widget.cs("launcher").get_attribute("aria-expanded"),
                "storage": await widget.storage(),
                "html": await widget.page.evaluate(
                    "document.getElementById('chatsvc-widget').shadowRoot.innerHTML.length"),
            }

        before = await state()
        sent_before = len(widget.sent)
        frame = next(f for f in widget.page.frames if f.url.startswith(env.host.third_origin))
        for _ in range(3):
            assert await frame.evaluate("() => window.postAll()") > 0
        # And with the panel closed: a posted "open" must not open it.
        await widget.page.wait_for_timeout(500)
        assert await state() == before
        assert widget.sent[sent_before:] == []
        await widget.cs("close-panel").click()
        await widget.cs("panel").wait_for(state="hidden")
        closed = await state()
        sent_closed = len(widget.sent)
        await frame.evaluate("() => window.postAll()")
        await widget.page.wait_for_timeout(500)
        assert await state() == closed
        assert widget.sent[sent_closed:] == []

        # Nothing reached the server either.
        await asyncio.sleep(0.2)
        texts = [row["body"] for row in await rows(env.server, "SELECT body FROM events WHERE kind = 'message'")]
        assert "posted by evil" not in texts and len(texts) == 2, texts
        visitor = (await rows(env.server, "SELECT name, email FROM visitors"))[0]
        assert visitor == {"name": None, "email": None}
        widget.assert_clean()
    finally:
        await agent.close()


async def test_one_global_and_an_api_that_works(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Vic Agent"))
    try:
        requests: list[str] = []
        context = await env.context()
        page = await context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        widget = Widget(page, env.host)
        await widget.goto("/")
        api = await widget.page.evaluate("""() => ({
          added: Object.getOwnPropertyNames(window).filter(
            k => !JSON.parse(document.documentElement.getAttribute('data-keys-before')).includes(k)),
          types: ['open', 'close', 'identify', 'on'].map(k => typeof window.Chatsvc[k]),
        })""")
        assert api == {"added": ["Chatsvc"], "types": ["function"] * 4}

        await widget.page.evaluate("""() => {
          Chatsvc.on('message', (m) => document.documentElement.setAttribute('data-last-message', JSON.stringify(m)));
          Chatsvc.on('open', () => document.documentElement.setAttribute('data-opened', 'yes'));
        }""")
        await widget.page.evaluate("() => Chatsvc.open()")
        await widget.cs("panel").wait_for(state="visible")
        assert await widget.page.get_attribute("html", "data-opened") == "yes"
        await widget.page.evaluate("() => Chatsvc.identify({name: 'Api Person', email: 'api@example.com'})")
        await widget.send("Hello through the API page")
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Answer for the API")
        await widget.wait_msg("Answer for the API", role="agent")
        last = json.loads(await widget.page.get_attribute("html", "data-last-message") or "{}")
        assert last.get("role") == "agent" and last.get("text") == "Answer for the API", last
        assert chat.visitor is not None and chat.visitor.name == "Api Person"
        await widget.page.evaluate("() => Chatsvc.close()")
        await widget.cs("panel").wait_for(state="hidden")

        # After a whole chat still one global; storage keys are the widget's own.
        added = await widget.page.evaluate("""() => Object.getOwnPropertyNames(window).filter(
            k => !JSON.parse(document.documentElement.getAttribute('data-keys-before')).includes(k))""")
        assert added == ["Chatsvc"]
        keys = await widget.page.evaluate("() => Object.keys(localStorage)")
        assert keys and all(k.startswith("chatsvc:default") for k in keys), keys

        # The credential never travels in a URL (SECURITY case 3): not the socket's, not any request's.
        stored = " ".join((await widget.storage()).values())
        token = (await rows(env.server, "SELECT id FROM visitors"))[0]["id"]
        assert widget.sockets and all(ws.url.endswith("/ws/visitor?site=default") for ws in widget.sockets)
        hello = widget.sent_of("hello")[0]
        assert hello["token"] in stored
        assert not any(hello["token"] in url or token in url for url in requests), requests
        widget.assert_clean()
    finally:
        await agent.close()


async def test_a_forged_token_in_storage_is_not_used(env: Env) -> None:
    widget = await env.widget()
    await widget.open()
    await widget.page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('chatsvc:'))")
    await widget.page.wait_for_timeout(300)
    hello = widget.sent_of("hello")
    assert hello, "the widget did not say hello"
    real = hello[0]["token"]
    forged = real[:-6] + ("AAAAAA" if not real.endswith("AAAAAA") else "BBBBBB")
    await widget.page.evaluate("""([real, forged]) => { for (const k of Object.keys(localStorage)) {
        const v = localStorage.getItem(k); if (v && v.includes(real)) localStorage.setItem(k, v.split(real).join(forged)); } }""",
                               [real, forged])
    sockets_before = len(widget.sockets)
    await widget.reload()
    await widget.open()
    await widget.page.wait_for_timeout(1500)
    # Refused with 1008: the widget does not hammer the server with the forged token...
    with_forged = [frame for frame in widget.sent_of("hello") if frame["token"] == forged]
    assert len(with_forged) <= 2, len(with_forged)
    assert len(widget.sockets) - sockets_before <= 4
    # ...and the visitor can still chat, as a new visitor.
    await widget.send("Hello after a forged token")
    await widget.wait_sent("Hello after a forged token", timeout=10_000)
    assert widget.sent_of("hello")[-1]["token"] not in (real, forged)
    widget.assert_clean()


async def test_on_a_page_whose_origin_is_not_allowed_the_widget_stays_out(env: Env) -> None:
    """The site's allow-list is exact (SECURITY case 1): the same page from another origin gets no chat."""
    context = await env.context()
    page = await context.new_page()
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    configs: list[str] = []
    page.on("request", lambda request: configs.append(request.url) if "/api/visitor/widget" in request.url else None)
    widget = Widget(page, env.host)
    await page.goto(env.host.third_origin + "/")
    await page.wait_for_timeout(3500)
    assert configs, "the widget did not ask for its configuration"
    assert await widget.cs("launcher").count() == 0 or not await widget.cs("launcher").is_visible()
    assert widget.sockets == [] and widget.sent == []
    # The integrator is told why (in the console), and the widget does not keep asking.
    assert any("not allowed" in text for text in warnings), warnings
    assert len(configs) <= 2, configs
    assert await page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('chatsvc:'))") == []
    widget.assert_clean()
