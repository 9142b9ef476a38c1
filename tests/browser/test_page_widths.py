"""No page scrolls sideways: every page fits a desktop (1280 px) and a phone (390 px), in English and French.

A page wider than the window hides part of itself (a button cut off, a column outside its card) and makes the
whole page pan sideways on a phone. Pages are filled with typical content (a long-named article, a team, a
shared canned response) so their tables render; the forced password change is seen by a user who must change.
"""

from __future__ import annotations

import pytest

from chatsvc.services.admin import AdminService
from tests.support.servers import STAFF_PASSWORD, InProcessServer

PAGES = ("/", "/login", "/staff", "/account/password", "/admin/users", "/admin/sites", "/admin/teams",
         "/admin/menu", "/admin/tickets", "/admin/webhooks", "/canned", "/kb", "/tickets", "/manager")
WIDTHS = (1280, 390)


async def _sign_in(page, server: InProcessServer, email: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(server.url + "/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


async def _overflow(page, url: str) -> str | None:  # type: ignore[no-untyped-def]
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    widths = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return None if widths[0] <= widths[1] else f"{url}: {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_no_page_scrolls_sideways(sqlite_server, browser, lang) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_server.services
    admin_user = await sqlite_server.add_staff("Ada Admin", role="admin")
    await services.accounts.create_user(
        email="new.agent@support.example", name="New Agent", role="agent", password=STAFF_PASSWORD,
        must_change_password=True,
    )
    admin = AdminService.of(services)
    await admin.create_team(name="Billing and invoices", topics=["billing", "refunds"], member_ids=[admin_user.id])
    await services.kb.create(
        title="How do I change the email address of my account and keep my order history?",
        body="Open **Settings**, then *Account*.", alt=["change email", "new email address"],
        tags=["account", "email"],
    )
    await services.replies.create_canned(
        admin_user, shortcut="refund-policy", title="Refund policy",
        body="Hello {visitor_name}, refunds are processed within 5 working days.", shared=True,
    )

    problems: list[str] = []
    visits = ((None, ("/", "/login")), (admin_user.email, PAGES), ("new.agent@support.example", ("/account/password",)))
    for email, paths in visits:
        context = await browser.new_context(locale="fr-FR" if lang == "fr" else "en-US")
        page = await context.new_page()
        if email is not None:
            await _sign_in(page, sqlite_server, email)
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                problem = await _overflow(page, f"{sqlite_server.url}{path}?lang={lang}")
                if problem:
                    problems.append(f"{email or 'signed out'} at {width}: {problem}")
        await context.close()
    assert problems == []
