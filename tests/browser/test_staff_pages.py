"""The staff pages in a real browser: the first admin's sign-in, the forced password change, escaping, French."""

from __future__ import annotations

import re

from tests.support.servers import STAFF_PASSWORD


async def test_first_admin_signs_in_and_must_change_the_password(sqlite_server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    email, one_time = (tmp_path / "initial-admin-password.txt").read_text().split()
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(sqlite_server.url + "/?lang=en")
    await page.get_by_role("link", name=re.compile("sign.in", re.I)).first.click()
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", "wrong password!")
    await page.click("button[type=submit]")
    assert await page.locator("[role=alert]").count() == 1
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", one_time)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/account/password")
    # Nothing else is reachable until the password is changed.
    await page.goto(sqlite_server.url + "/staff")
    await page.wait_for_url("**/account/password")
    await page.fill("input[name=current]", one_time)
    await page.fill("input[name=new]", STAFF_PASSWORD)
    await page.fill("input[name=again]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/staff"), (page.url, await page.inner_text("body"))
    await page.screenshot(path=str(tmp_path / "staff.png"), full_page=True)
    assert "Administrator" in await page.inner_text("body")

    # A user whose name is markup is shown as text on the admin page (no script runs).
    await sqlite_server.add_staff("<img src=x onerror=alert(1)>", email="xss@support.example")
    await page.goto(sqlite_server.url + "/admin/users")
    assert "<img src=x onerror=alert(1)>" in await page.inner_text("body")
    assert await page.locator("img[src=x]").count() == 0
    assert dialogs == []


async def test_pages_speak_french(sqlite_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    response = await page.goto(sqlite_server.url + "/login")
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "fr"
    body = await page.inner_text("body")
    assert "Mot de passe" in body or "mot de passe" in body
    await context.close()
