"""The article editor in a real headless Chromium: the live preview shows the sanitized HTML as the author types,
under the page's Content-Security-Policy, and nothing an article holds runs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.conftest import browser  # noqa: F401 - the fixture, shared with the other page tests
from tests.support.people import People
from tests.support.servers import STAFF_PASSWORD, InProcessServer


async def test_live_preview(sqlite_server: InProcessServer, sqlite_people: People, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    article = await sqlite_server.services.kb.create(
        title="<img src=x onerror=alert(1)>", body="Old **answer**.", alt=["<script>alert(2)</script>"]
    )
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    dialogs: list[str] = []
    problems: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    await page.goto(sqlite_server.url + "/login?lang=en")
    await page.fill("input[name=email]", sqlite_people.manager.email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/staff")
    await page.click("a[href='/kb']")
    await page.wait_for_url("**/kb")
    await page.click(f"a[href='/kb/articles/{article.id}'] >> nth=0")
    await page.wait_for_url(f"**/kb/articles/{article.id}")
    assert await page.inner_html("#kb-preview") == "<p>Old <strong>answer</strong>.</p>\n"

    await page.fill(
        "#kb-body",
        "# New\n\nSee [help](https://help.example) or [this](javascript:alert(3)).\n\n<img src=x onerror=alert(4)>",
    )
    await page.locator("#kb-preview h1").wait_for()  # the page's CSP forbids evaluated strings
    preview = page.locator("#kb-preview")
    assert await preview.locator("a").count() == 1
    assert await preview.locator("a").get_attribute("href") == "https://help.example"
    assert await preview.locator("a").get_attribute("target") == "_blank"
    assert await preview.locator("img").count() == 0
    assert "<img src=x onerror=alert(4)>" in await preview.inner_text()
    assert await page.locator("img[src=x]").count() == 0
    await page.screenshot(path=str(tmp_path / "kb-edit.png"), full_page=True)

    await page.click("#kb-form button[type=submit]")
    await page.wait_for_url(re.compile(r"\?done=kb_saved$"))
    assert (await sqlite_server.services.kb.get(article.id)).body.startswith("# New")
    assert "The article is saved." in await page.inner_text("body")
    assert dialogs == [] and problems == []
    await context.close()
