"""The widget for everyone: keyboard-only use with managed focus, ARIA roles and a live region, readable contrast,
reduced motion; and French, from ``data-lang`` or from the browser's language."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.browser.widget_host import (
    Env,
    Widget,
    add_agent,
    module_browser_fixture,  # noqa: F401 (the module_browser fixture)
    set_widget,
    widget_env,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one Chromium for the module (module_browser)


@pytest_asyncio.fixture(loop_scope="module")
async def env(start_server, sqlite_backend, module_browser) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    async with widget_env(start_server, sqlite_backend, module_browser) as running:
        yield running


async def _tab_to(widget: Widget, target: str, limit: int = 15) -> None:
    for _ in range(limit):
        await widget.page.keyboard.press("Tab")
        if await widget.active_cs() == target:
            return
    raise AssertionError(f"Tab never reached [data-cs={target}] (last: {await widget.active_cs()})")


CONTRAST_JS = """(el) => {
  const rgb = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


async def test_keyboard_only_with_focus_managed_and_a_live_log(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Kim Agent"))
    try:
        widget = await env.widget()
        launcher = widget.cs("launcher")
        assert await launcher.get_attribute("aria-expanded") == "false"
        assert (await launcher.get_attribute("aria-label") or await launcher.inner_text()).strip()
        assert await launcher.evaluate(CONTRAST_JS) >= 4.5

        await _tab_to(widget, "launcher")
        await widget.page.keyboard.press("Enter")
        panel = widget.cs("panel")
        await panel.wait_for(state="visible")
        assert await widget.active_cs() == "input"
        assert await launcher.get_attribute("aria-expanded") == "true"
        assert await panel.get_attribute("role") == "dialog"
        assert (await panel.get_attribute("aria-label") or "").strip()
        log = widget.cs("log")
        assert await log.get_attribute("role") == "log"
        assert await log.get_attribute("aria-live") == "polite"

        await widget.page.keyboard.type("Typed with the keyboard only")
        await _tab_to(widget, "send", limit=5)
        await widget.page.keyboard.press("Enter")
        await widget.wait_sent("Typed with the keyboard only")
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Heard you")
        answer = await widget.wait_msg("Heard you", role="agent")
        # The new message is inside the live region.
        assert await log.locator("[data-cs=msg]").filter(has_text="Heard you").count() == 1
        assert await answer.is_visible()

        await widget.page.keyboard.press("Escape")
        await panel.wait_for(state="hidden")
        assert await widget.active_cs() == "launcher"
        assert await launcher.get_attribute("aria-expanded") == "false"
        # And back in with the keyboard: Enter on the focused launcher.
        await widget.page.keyboard.press("Enter")
        await panel.wait_for(state="visible")
        assert await widget.active_cs() == "input"
        widget.assert_clean()
    finally:
        await agent.close()


BOT_ARTICLES = [
    ("reset-password", "Reset your password", "Open **Account > Security** and choose *Reset password*.",
     ["I forgot my password", "change my password"]),
    ("refund", "Ask for a refund", "Refunds are paid within 5 days to the card you used.",
     ["get my money back", "refund an order"]),
]


async def test_a_pressed_button_that_goes_away_leaves_focus_in_the_widget(env: Env) -> None:
    """A keyboard or screen-reader user presses a bot button (a quick reply, a suggestion, Yes, No), Talk to a
    person or the end-chat confirmation: the button goes away, and focus must not fall to the host page's body.
    It goes to the composer, or once the chat is over to the survey."""
    from chatsvc.domain.menu import Action, MenuItem

    server = env.server
    for article_id, title, body, alt in BOT_ARTICLES:
        await server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="en")
    admin = await server.add_staff("Menu Admin", role="admin", email="focus.admin@support.example")
    await server.services.replies.replace_menu(admin, [
        MenuItem("help", None, 0, "Opening hours and more", None, Action.MENU),
        MenuItem("hours", "help", 0, "Opening hours", None, Action.ANSWER, "We answer **9-18h**, Monday to Friday."),
    ])
    agent = await server.agent(await add_agent(server, "Fay Agent"))
    try:
        widget = await env.widget()
        await widget.open()
        page = widget.page
        # A quick reply of the greeting, then one of the bot's own (the predefined answer).
        await page.locator("#chatsvc-widget [data-cs=menu-item][data-item=help]").click()
        await widget.wait_focus("input")
        await page.locator("#chatsvc-widget [data-cs=menu-item][data-item=hours]").click()
        await widget.wait_focus("input")
        # Yes: the bot closes the chat, the composer goes, and the survey takes the focus.
        await widget.cs("yes").click()
        await widget.cs("survey").wait_for(state="visible")
        await widget.wait_focus("csat")
        await widget.cs("new-chat").click()
        await widget.wait_focus("input")

        # A suggestion, then No: nothing left to show, so the bot hands over and Fay gets the chat.
        await widget.send("money back or reset password")
        suggestion = page.locator("#chatsvc-widget [data-cs=suggestion][data-article=refund]")
        await suggestion.click()
        await widget.wait_focus("input")
        await widget.cs("no").click()
        await widget.wait_focus("input")
        first = await agent.wait_chat()
        await widget.wait_msg("Fay Agent joined the chat")
        await widget.wait_focus("input")
        # Fay answers (the survey is offered once a person wrote).
        await agent.send(first.id, "Hello, Fay here.")
        await widget.wait_msg("Hello, Fay here.")

        # Ending it: the confirmation goes at once, then the composer; the survey takes the focus.
        await widget.cs("end-chat").click()
        await widget.cs("end-confirm").click()
        await agent.wait_event(kind="closed", conversation=first.id)
        await widget.cs("survey").wait_for(state="visible")
        await widget.wait_focus("csat")

        # Talk to a person, in a new chat.
        await widget.cs("new-chat").click()
        await widget.cs("human").click()
        await widget.wait_focus("input")
        await widget.wait_msg("Fay Agent joined the chat")
        await widget.wait_focus("input")
        widget.assert_clean()
    finally:
        await agent.close()


async def test_reduced_motion_turns_animation_off(env: Env) -> None:
    context = await env.context(reduced_motion="reduce")
    widget = await env.widget(context)
    await widget.open()
    durations = await widget.page.evaluate("""() => {
      const root = document.getElementById('chatsvc-widget').shadowRoot;
      const seconds = (v) => Math.max(...v.split(',').map(s => s.trim().endsWith('ms') ? parseFloat(s) / 1000 : parseFloat(s)));
      return [...root.querySelectorAll('*')].map(el => { const s = getComputedStyle(el);
        return Math.max(seconds(s.transitionDuration), seconds(s.animationDuration)); });
    }""")
    assert max(durations) <= 0.01, max(durations)
    widget.assert_clean()


FR_ARTICLE = ("reinitialiser", "Réinitialiser votre mot de passe",
              "Ouvrez **Compte > Sécurité** et choisissez *Réinitialiser*.",
              ["j'ai oublié mon mot de passe", "changer mon mot de passe"])


async def _strings(widget: Widget) -> dict[str, str]:
    await widget.open()
    return {
        "launcher": await widget.cs("launcher").get_attribute("aria-label") or "",
        "panel": await widget.cs("panel").get_attribute("aria-label") or "",
        "placeholder": await widget.cs("input").get_attribute("placeholder") or "",
        "send": (await widget.cs("send").get_attribute("aria-label") or await widget.cs("send").inner_text()).strip(),
    }


async def test_french_from_data_lang_and_the_bot_answers_in_french(env: Env) -> None:
    article_id, title, body, alt = FR_ARTICLE
    await env.server.services.kb.create(article_id=article_id, title=title, body=body, alt=alt, lang="fr")
    await set_widget(env.server, greeting_en="Hi from the shop!", greeting_fr="Bonjour de la boutique !")
    context = await env.context()
    english = await env.widget(context, "/")
    en = await _strings(english)
    await english.page.locator("#chatsvc-widget").get_by_text("Hi from the shop!").wait_for(state="visible")
    await english.page.close()

    widget = await env.widget(context, "/?lang=fr")
    fr = await _strings(widget)
    for key in en:
        assert fr[key] and fr[key] != en[key], (key, fr[key], en[key])
    await widget.page.locator("#chatsvc-widget").get_by_text("Bonjour de la boutique !").wait_for(state="visible")
    assert await widget.page.locator("#chatsvc-widget").get_by_text("Hi from the shop!").count() == 0

    await widget.send("J'ai oublié mon mot de passe, comment le changer ?")
    await widget.wait_msg("Cet article répond peut-être à votre question", role="bot")
    card = widget.cs("card")
    assert await card.locator("[data-cs=card-title]").inner_text() == "Réinitialiser votre mot de passe"
    assert "Compte > Sécurité" in await card.locator("[data-cs=card-body]").inner_text()
    assert (await widget.cs("yes").inner_text()).strip() == "Oui"
    no = (await widget.cs("no").inner_text()).strip()
    assert no.startswith("Non") and no != "No, talk to a person", no
    assert widget.sent_of("hello")[0].get("lang") == "fr"
    widget.assert_clean()


async def test_the_browser_language_chooses_french_and_data_lang_overrides_it(env: Env) -> None:
    await set_widget(env.server, greeting_en="Hi from the shop!", greeting_fr="Bonjour de la boutique !")
    context = await env.context(locale="fr-FR")
    widget = await env.widget(context, "/")
    await widget.open()
    await widget.page.locator("#chatsvc-widget").get_by_text("Bonjour de la boutique !").wait_for(state="visible")
    overridden = await env.widget(context, "/shop/other?lang=en")
    await overridden.open()
    await overridden.page.locator("#chatsvc-widget").get_by_text("Hi from the shop!").wait_for(state="visible")
    assert await overridden.page.locator("#chatsvc-widget").get_by_text("Bonjour de la boutique !").count() == 0
    widget.assert_clean()
    overridden.assert_clean()


async def test_on_a_phone_the_open_widget_fits_the_screen(env: Env) -> None:
    agent = await env.server.agent(await add_agent(env.server, "Pia Agent"))
    try:
        context = await env.context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
        widget = await env.widget(context)
        await widget.cs("launcher").tap()
        panel = widget.cs("panel")
        await panel.wait_for(state="visible")
        box = await panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        assert box["y"] >= 0 and box["y"] + box["height"] <= 667, box
        assert box["width"] >= 320, box  # the screen's width, not a cramped desktop box
        assert await widget.page.evaluate("document.documentElement.scrollWidth") <= 375
        await widget.send("Sent from a phone")
        await widget.wait_sent("Sent from a phone")
        chat = await agent.wait_chat()
        await agent.send(chat.id, "Answered on a phone")
        answer = await widget.wait_msg("Answered on a phone", role="agent")
        answer_box = await answer.bounding_box()
        assert answer_box is not None and answer_box["x"] + answer_box["width"] <= 375
        widget.assert_clean()
    finally:
        await agent.close()
