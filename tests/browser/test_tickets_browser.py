"""The staff ticket pages in a real browser: an agent filters the list, opens a ticket made from a chat (its
transcript shown first), replies and resolves it; hostile text stays inert; French. Screenshots go to
/tmp/shots/tickets_*.png (CHATSVC_SHOTS overrides) for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx

from chatsvc.client import VisitorClient
from tests.support.servers import STAFF_PASSWORD, InProcessServer

SHOTS = Path(os.environ.get("CHATSVC_SHOTS", "/tmp/shots"))
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> \"><svg onload=alert(1)> {{constructor.constructor('alert(1)')()}}"


async def _ticket(http: httpx.AsyncClient, subject: str, **values: Any) -> dict[str, Any]:
    body = {"site": "default", "subject": subject, "message": values.pop("message", "Hello, I need help."),
            "requester": values.pop("requester", {"email": "vera@example.com", "name": "Vera Visitor"}), **values}
    response = await http.post("/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["ticket"])


async def _chat_ticket(server: InProcessServer, agent_user: Any, http: httpx.AsyncClient) -> dict[str, Any]:
    """A chat the agent converts into a ticket: the ticket page shows its transcript first."""
    agent = await server.agent(agent_user)
    visitor = VisitorClient(server.url, origin="https://shop.example")
    await visitor.connect()
    try:
        await visitor.identify(name="Chloé Martin", email="chloe@example.com")
        await visitor.send("My parcel arrived broken, can someone help?")
        await visitor.handoff()
        chat = await agent.wait_chat()
        await agent.send(chat.id, "I am sorry to hear that. Could you send a photo of the box by mail?")
        converted = await http.post(f"/api/conversations/{chat.id}/ticket",
                                    json={"reason": "needs a photo", "subject": "Parcel arrived broken",
                                          "priority": "urgent"})
        assert converted.status_code == 201, converted.text
        await visitor.wait_event(kind="closed")
        return dict(converted.json()["ticket"])
    finally:
        await visitor.close()
        await agent.close()


async def _sign_in(page: Any, server: InProcessServer, email: str) -> None:
    await page.goto(server.url + "/login?lang=en")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/staff")


async def test_an_agent_filters_opens_replies_and_resolves(sqlite_server, browser) -> None:  # type: ignore[no-untyped-def]
    server: InProcessServer = sqlite_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana = await server.add_staff("Ana Lopez", email="ana@support.example")
    manager = await server.add_staff("Max Manager", role="manager")
    async with httpx.AsyncClient(base_url=server.url, timeout=10,
                                 headers={"Authorization": "Bearer " + await server.staff_token(ana)}) as http:
        parcel = await _chat_ticket(server, ana, http)
        await _ticket(http, "Invoice for March is missing", priority="normal",
                      requester={"email": "billing@acme.example", "name": "Acme Billing"})
        await _ticket(http, "Feature request: dark mode for the widget", priority="low",
                      requester={"email": "sam@example.org", "name": "Sam Lee"})
        await _ticket(http, "Cannot log in after password reset", priority="high",
                      requester={"email": "jo@example.net", "name": "Jo Park"})
        hostile = await _ticket(http, HOSTILE_SUBJECT, message="<img src=x onerror=alert(1)>\n\"><svg onload=alert(1)>",
                                requester={"email": "evil@example.com", "name": "\"><svg onload=alert(1)>"})
    async with httpx.AsyncClient(base_url=server.url, timeout=10,
                                 headers={"Authorization": "Bearer " + await server.staff_token(manager)}) as http:
        await http.post(f"/api/tickets/{parcel['id']}/notes",
                        json={"text": "Customer since 2019; offer a replacement rather than a refund."})

    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    problems: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    await _sign_in(page, server, ana.email)
    await page.click("nav.mainnav a[href='/tickets']")
    await page.wait_for_url("**/tickets")
    assert await page.locator("a.tk-subject").count() == 5
    await page.screenshot(path=str(SHOTS / "tickets_list.png"), full_page=True)

    # Filter: urgent only (a GET form, so the URL is the view).
    await page.select_option("select[name=priority]", "urgent")
    await page.click("form.tk-filters button[type=submit]")
    await page.wait_for_url(re.compile(r".*priority=urgent.*"))
    assert await page.locator("a.tk-subject").all_inner_texts() == ["Parcel arrived broken"]
    await page.screenshot(path=str(SHOTS / "tickets_list_filtered.png"), full_page=True)
    # And a text search that finds the ticket by its requester's email.
    await page.goto(server.url + "/tickets")
    await page.fill("input[name=q]", "acme")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_url(re.compile(r".*q=acme.*"))
    assert await page.locator("a.tk-subject").all_inner_texts() == ["Invoice for March is missing"]

    await page.goto(server.url + "/tickets?priority=urgent")
    await page.click("a.tk-subject")
    await page.wait_for_url(f"**/tickets/{parcel['id']}")
    body = await page.inner_text("main")
    assert "My parcel arrived broken, can someone help?" in body  # the chat's transcript
    assert "Customer since 2019" in body and "Internal note" in body
    assert await page.locator(".tk-note").count() == 1
    await page.fill("#tk-reply textarea[name=text]", "Thank you Chloé, a replacement leaves our warehouse today.")
    await page.select_option("#tk-reply select[name=status]", "resolved")
    await page.click("#tk-reply button[type=submit]")
    await page.wait_for_url(re.compile(r".*done=ticket_replied"))
    assert (await page.inner_text("#tk-status")).strip().lower() == "resolved"
    thread = await page.inner_text(".tk-story")
    assert "Thank you Chloé, a replacement leaves our warehouse today." in thread
    assert "changed the status from open to resolved" in thread
    assert await page.locator("[role=status]").inner_text() == "Your reply is sent."
    await page.screenshot(path=str(SHOTS / "tickets_view.png"), full_page=True)

    # Hostile text is inert on the list and on its page: no dialog, no injected element.
    await page.goto(server.url + "/tickets?status=all")
    assert HOSTILE_SUBJECT in await page.inner_text("main")
    await page.goto(server.url + f"/tickets/{hostile['id']}")
    assert HOSTILE_SUBJECT in await page.inner_text("h1")
    assert await page.locator("main img, main svg").count() == 0
    await page.screenshot(path=str(SHOTS / "tickets_hostile.png"), full_page=True)

    # A refused filter is a clear page, not a crash (Chromium logs the 400 itself: the only console line).
    assert problems == []
    response = await page.goto(server.url + "/tickets?sort=id;drop")
    assert response is not None and response.status == 400
    assert "These filters cannot be used" in await page.inner_text("[role=alert]")
    assert all("status of 400" in problem for problem in problems)
    problems.clear()

    # French.
    await page.goto(server.url + "/tickets?lang=fr&status=all")
    assert await page.get_attribute("html", "lang") == "fr"
    assert "Exporter en CSV" in await page.inner_text("main")
    await page.screenshot(path=str(SHOTS / "tickets_list_fr.png"), full_page=True)
    await page.goto(server.url + f"/tickets/{parcel['id']}")
    assert "Envoyer la réponse" in await page.inner_text("main")
    await page.screenshot(path=str(SHOTS / "tickets_view_fr.png"), full_page=True)

    # Narrow screens.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(server.url + f"/tickets/{parcel['id']}?lang=en")
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, scroll_width
    await page.screenshot(path=str(SHOTS / "tickets_view_mobile.png"), full_page=True)

    assert dialogs == []
    assert problems == []
    await context.close()
