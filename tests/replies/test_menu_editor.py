"""The menu editor's script in a real Chromium: add, nest, move and delete buttons in the page, then save."""

from __future__ import annotations

import re

from chatsvc.domain.menu import Action
from tests.browser.conftest import browser  # noqa: F401 - the fixture
from tests.replies.conftest import Staff
from tests.support.servers import STAFF_PASSWORD, InProcessServer


async def test_build_a_menu_in_the_browser(sqlite_server: InProcessServer, site_staff: Staff, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = await browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append("dialog: " + dialog.message))
    await page.goto(sqlite_server.url + "/login?lang=en")
    await page.fill("input[name=email]", site_staff.admin.email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/staff")
    await page.goto(sqlite_server.url + "/admin/menu")

    roots = page.locator("#menu-root > .menu-node")

    def own(node, selector: str):  # type: ignore[no-untyped-def]
        return node.locator(f":scope > fieldset {selector}")

    async def add_root(label: str, action: str):  # type: ignore[no-untyped-def]
        await page.click("#menu-root > .menu-add button")
        node = roots.last
        await own(node, "input[name=label]").fill(label)
        await own(node, "select[name=action]").select_option(action)
        return node

    async def add_child(parent, label: str, action: str):  # type: ignore[no-untyped-def]
        await parent.locator(":scope > .menu-children > .menu-add button").click()
        node = parent.locator(":scope > .menu-children > .menu-node").last
        await own(node, "input[name=label]").fill(label)
        await own(node, "select[name=action]").select_option(action)
        return node

    assert await page.locator(".menu-empty").is_visible()
    billing = await add_root("Billing", "menu")
    await own(billing, "input[name=label_fr]").fill("Facturation")
    assert not await page.locator(".menu-empty").is_visible()
    invoices = await add_child(billing, "Invoices", "answer")
    await own(invoices, "textarea[name=answer]").fill("Under Account > Invoices.")
    assert not await own(invoices, "input[name=topic]").is_visible()  # only the chosen action's field shows
    refunds = await add_child(billing, "Refunds", "menu")
    deepest = await add_child(refunds, "Billing team", "topic")
    await own(deepest, "input[name=topic]").fill("billing")
    # Three levels deep: no sub-menu on offer, and nothing may be added under it.
    assert await own(deepest, "select[name=action] option[value=menu]").count() == 0
    assert await deepest.locator(":scope > .menu-children").count() == 0
    await own(refunds, "button[data-op=up]").click()  # Refunds before Invoices (locators resolve anew)
    first = billing.locator(":scope > .menu-children > .menu-node").first
    assert await own(first, ".menu-item-title").inner_text() == "Refunds"
    assert await own(first, ".menu-number").inner_text() == "1.1"
    await add_root("Talk to a person", "human")
    scrap = await add_root("Scrap", "human")
    await own(scrap, "button[data-op=delete]").click()
    assert await roots.count() == 2
    assert await page.locator("#menu-preview .widget-choice").all_inner_texts() == ["Billing", "Talk to a person"]

    await page.click(".savebar button[type=submit]")
    await page.wait_for_url(re.compile(r".*/admin/menu\?done=menu_saved$"))
    assert "The menu is saved." in await page.inner_text("main")
    assert problems == []

    menu = sqlite_server.services.replies.current_menu()
    shape = [(menu.depth_of(i.id), i.label, i.action, i.payload) for i in menu.items]
    assert shape == [
        (1, "Billing", Action.MENU, None),
        (2, "Refunds", Action.MENU, None),
        (3, "Billing team", Action.TOPIC, "billing"),
        (2, "Invoices", Action.ANSWER, "Under Account > Invoices."),
        (1, "Talk to a person", Action.HUMAN, None),
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", item.id) for item in menu.items)
    assert menu.items[0].label_fr == "Facturation"

    # Ids are kept across saves: reorder the roots and save again.
    await own(roots.last, "button[data-op=up]").click()
    await page.click(".savebar button[type=submit]")
    await page.wait_for_url(re.compile(r".*done=menu_saved$"))
    again = sqlite_server.services.replies.current_menu()
    assert [c.label for c in again.choices(None, "fr")] == ["Talk to a person", "Facturation"]
    assert {i.id for i in again.items} == {i.id for i in menu.items}
