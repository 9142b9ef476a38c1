"""The staff ticket pages over real HTTP with a signed-in browser-like client (SQLite, then PostgreSQL + Redis):
filters, who sees what, forms with CSRF, refused changes, escaping, hostile filter values, French."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from chatsvc.services.admin import AdminService
from tests.accounts.helpers import bearer, form_token, signed_in_browser
from tests.support.people import People, people_on
from tests.support.servers import InProcessServer

HOSTILE = ("<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "{{constructor.constructor('alert(1)')()}}")


@pytest.fixture
async def people(server: InProcessServer) -> People:
    return await people_on(server)


async def new_ticket(
    server: InProcessServer, token: str, subject: str, *, message: str = "Hello, I need help.",
    name: str = "Vera Visitor", email: str = "vera@example.com", priority: str = "normal",
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        response = await http.post("/api/tickets", headers=bearer(token), json={
            "site": "default", "subject": subject, "message": message,
            "requester": {"email": email, "name": name}, "priority": priority,
        })
    assert response.status_code == 201, response.text
    return dict(response.json()["ticket"])


async def api(server: InProcessServer, token: str, method: str, path: str, body: Any = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        return await http.request(method, path, headers=bearer(token), json=body)


def subjects(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'class="tk-subject" href="/tickets/[^"]+">([^<]*)</a>', page)]


class _Code(HTMLParser):
    """Every script and event-handler attribute a page really has (not text that merely looks like one)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append(dict(attrs).get("src") or "")
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]


def assert_inert(page: str) -> None:
    parser = _Code()
    parser.feed(page)
    assert all(src.startswith("/static/") for src in parser.scripts), parser.scripts
    assert parser.handlers == [] and "svg" not in parser.tags and "img" not in parser.tags
    for text in HOSTILE[:2]:
        assert text not in page


async def test_list_filters_narrow_the_results(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.manager)
    down = await new_ticket(server, token, "Checkout is down", priority="urgent", email="ops@shop.example")
    invoice = await new_ticket(server, token, "Invoice question", message="Where is my invoice for March?")
    await new_ticket(server, token, "Feature idea", priority="low")
    async with signed_in_browser(server, people.agent.email) as agent:
        everything = await agent.get("/tickets")
        assert everything.status_code == 200
        assert sorted(subjects(everything.text)) == ["Checkout is down", "Feature idea", "Invoice question"]
        assert "1–3 of 3" in everything.text and 'href="/tickets/' + down["id"] + '"' in everything.text
        # Filters are GET parameters: the URL is the view, and the export link carries them.
        urgent = await agent.get("/tickets", params={"priority": "urgent"})
        assert subjects(urgent.text) == ["Checkout is down"]
        assert "/api/tickets.csv?status=active&amp;priority=urgent" in urgent.text
        searched = await agent.get("/tickets", params={"q": "march"})  # the message text is searched too
        assert subjects(searched.text) == ["Invoice question"]
        by_email = await agent.get("/tickets", params={"q": "OPS@shop"})
        assert subjects(by_email.text) == ["Checkout is down"]
        closed = await agent.get("/tickets", params={"status": "closed"})
        assert subjects(closed.text) == [] and "No ticket matches these filters." in closed.text

        take = await agent.get(f"/tickets/{invoice['id']}")
        taken = await agent.post(f"/tickets/{invoice['id']}/assign", data={"csrf": form_token(take.text),
                                                                           "assignee": "me"})
        assert taken.status_code == 303 and taken.headers["location"].endswith("?done=ticket_assigned")
        mine = await agent.get("/tickets", params={"assignee": "me"})
        assert subjects(mine.text) == ["Invoice question"]
        unassigned = await agent.get("/tickets", params={"assignee": "none", "sort": "priority"})
        assert subjects(unassigned.text) == ["Checkout is down", "Feature idea"]
        oldest = await agent.get("/tickets", params={"sort": "oldest", "status": "all"})
        assert subjects(oldest.text) == ["Checkout is down", "Invoice question", "Feature idea"]
        # The export link works with the page's session, with the same filters.
        export = await agent.get("/api/tickets.csv", params={"status": "active", "priority": "urgent"})
        assert export.status_code == 200 and "Checkout is down" in export.text and "Invoice" not in export.text

    async with signed_in_browser(server, people.manager.email) as manager:
        # Managers filter by any staff member's name (the select offers them) and see the SLA column.
        listing = await manager.get("/tickets", params={"assignee": people.agent.id})
        assert subjects(listing.text) == ["Invoice question"]
        assert f'<option value="{people.agent.id}" selected>Alex Agent</option>' in listing.text
        assert re.search(r'tk-sla tk-sla-(running|soon)">\d+ (h|min|d)', listing.text)


async def test_paging(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.admin)
    for n in range(27):
        await new_ticket(server, token, f"Question {n:02d}")
    async with signed_in_browser(server, people.admin.email) as admin:
        first = await admin.get("/tickets", params={"sort": "oldest"})
        assert len(subjects(first.text)) == 25 and "1–25 of 27" in first.text
        assert 'href="/tickets?sort=oldest&amp;page=2" rel="next"' in first.text
        second = await admin.get("/tickets", params={"sort": "oldest", "page": "2"})
        assert subjects(second.text) == ["Question 25", "Question 26"] and "26–27 of 27" in second.text
        past_the_end = await admin.get("/tickets", params={"sort": "oldest", "page": "9"})
        assert subjects(past_the_end.text) == ["Question 25", "Question 26"]


async def test_an_agent_sees_nothing_of_another_teams_ticket(server: InProcessServer, people: People) -> None:
    billing = await AdminService.of(server.services).create_team(name="Billing", topics=["billing"])
    token = await server.staff_token(people.manager)
    theirs = await new_ticket(server, token, "Refund for order 1042")
    moved = await api(server, token, "POST", f"/api/tickets/{theirs['id']}/assign", {"team_id": billing.id})
    assert moved.status_code == 200, moved.text
    async with signed_in_browser(server, people.agent.email) as agent:
        listing = await agent.get("/tickets", params={"status": "all"})
        assert "Refund for order 1042" not in listing.text and "No ticket matches these filters." in listing.text
        foreign = await agent.get(f"/tickets/{theirs['id']}")
        unknown = await agent.get("/tickets/" + "x" * 22)
        assert foreign.status_code == unknown.status_code == 404
        assert "Refund" not in foreign.text and "Ticket not found" in foreign.text
        assert foreign.text.replace(theirs["id"], "x" * 22) == unknown.text.replace("x" * 22, "x" * 22)
        token_page = await agent.get("/staff")
        refused = await agent.post(f"/tickets/{theirs['id']}/note", data={"csrf": form_token(token_page.text),
                                                                          "text": "hello"})
        assert refused.status_code == 404
    async with signed_in_browser(server, people.manager.email) as manager:
        page = await manager.get(f"/tickets/{theirs['id']}")
        assert page.status_code == 200 and "Refund for order 1042" in page.text
        assert "Max Manager moved the ticket to Billing" in page.text


async def test_forms_without_the_csrf_token_change_nothing(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.manager)
    ticket = await new_ticket(server, token, "Password reset mail never arrives")
    before = (await api(server, token, "GET", f"/api/tickets/{ticket['id']}")).json()
    async with signed_in_browser(server, people.manager.email) as manager:
        forms = {
            "reply": {"text": "Hello", "status": "resolved"}, "note": {"text": "call them"},
            "status": {"status": "open"}, "assign": {"assignee": people.manager.id}, "priority": {"priority": "urgent"},
        }
        for action, fields in forms.items():
            for extra in ({}, {"csrf": ""}, {"csrf": "forged"}):
                refused = await manager.post(f"/tickets/{ticket['id']}/{action}", data={**fields, **extra})
                assert refused.status_code == 403, (action, extra)
                assert "anti-forgery" in refused.text or "expired" in refused.text or "another site" in refused.text
        # A cross-site origin is refused even with the right token.
        page = await manager.get(f"/tickets/{ticket['id']}")
        cross = await manager.post(f"/tickets/{ticket['id']}/note", data={"csrf": form_token(page.text), "text": "x"},
                                   headers={"Origin": "https://evil.test"})
        assert cross.status_code == 403
    after = (await api(server, token, "GET", f"/api/tickets/{ticket['id']}")).json()
    assert after["entries"] == before["entries"]
    assert {k: v for k, v in after["ticket"].items() if k != "sla"} == {
        k: v for k, v in before["ticket"].items() if k != "sla"}


async def test_reply_note_and_status_through_the_forms(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.manager)
    ticket = await new_ticket(server, token, "Parcel arrived damaged", message="The box was crushed.")
    path = f"/tickets/{ticket['id']}"
    async with signed_in_browser(server, people.agent.email) as agent:
        page = await agent.get(path)
        assert page.status_code == 200
        csrf = form_token(page.text)
        # Only the statuses the state machine allows next are offered.
        status_form = page.text.split(f'action="{path}/status"')[1].split("</form>")[0]
        assert re.findall(r'<option value="(\w+)"', status_form) == ["open", "pending", "resolved"]

        noted = await agent.post(f"{path}/note", data={"csrf": csrf, "text": "Customer is a VIP, be quick."})
        assert noted.status_code == 303 and noted.headers["location"] == f"{path}?done=ticket_noted"
        replied = await agent.post(f"{path}/reply", data={"csrf": csrf, "text": "Sorry! A new one is on its way.",
                                                          "status": "resolved", "client_id": "r-once"})
        assert replied.status_code == 303 and replied.headers["location"] == f"{path}?done=ticket_replied"
        again = await agent.post(f"{path}/reply", data={"csrf": csrf, "text": "Sorry! A new one is on its way.",
                                                        "status": "", "client_id": "r-once"})
        assert again.status_code == 303  # a double submit is stored once

        shown = await agent.get(replied.headers["location"])
        text = shown.text
        assert "Your reply is sent." in text
        assert 'id="tk-status">Resolved<' in text
        assert text.count("Sorry! A new one is on its way.") == 1
        assert "The box was crushed." in text and "Internal note" in text and "Customer is a VIP" in text
        assert "Alex Agent changed the status from new to open" in text
        assert "Alex Agent changed the status from open to resolved" in text
        assert "Alex Agent took the ticket" in text
        # The thread is in time order: the visitor's message, the note, the reply.
        assert text.index("The box was crushed.") < text.index("Customer is a VIP") < text.index("Sorry! A new")

        # A refused change shows why and keeps what was typed.
        pending = await agent.post(f"{path}/reply", data={"csrf": csrf, "text": "One more thing <b>x</b>",
                                                          "status": "pending"})
        assert pending.status_code == 409
        assert 'role="alert"' in pending.text and "cannot become pending" in pending.text
        assert "One more thing &lt;b&gt;x&lt;/b&gt;</textarea>" in pending.text
        empty = await agent.post(f"{path}/note", data={"csrf": csrf, "text": "   "})
        assert empty.status_code == 400 and "The text is empty." in empty.text

        other = await new_ticket(server, token, "Second question")
        illegal = await agent.post(f"/tickets/{other['id']}/status", data={"csrf": csrf, "status": "closed"})
        assert illegal.status_code == 409
        assert "A ticket that is new cannot become closed. Nothing was changed." in illegal.text
        unknown = await agent.post(f"/tickets/{other['id']}/status", data={"csrf": csrf, "status": "' OR 1=1--"})
        assert unknown.status_code == 400 and "Unknown status." in unknown.text
        # Agents take or release; giving a ticket to someone else is for managers.
        given = await agent.post(f"/tickets/{other['id']}/assign", data={"csrf": csrf, "assignee": people.admin.id})
        assert given.status_code == 403 and "not give it to someone else" in given.text
        assert (await api(server, token, "GET", f"/api/tickets/{other['id']}")).json()["ticket"]["status"] == "new"

    async with signed_in_browser(server, people.manager.email) as manager:
        page = await manager.get(f"/tickets/{other['id']}")
        csrf = form_token(page.text)
        assert f'<option value="{people.agent.id}">Alex Agent</option>' in page.text
        assigned = await manager.post(f"/tickets/{other['id']}/assign",
                                      data={"csrf": csrf, "assignee": people.agent.id, "team": ""})
        assert assigned.status_code == 303
        raised = await manager.post(f"/tickets/{other['id']}/priority", data={"csrf": csrf, "priority": "high"})
        assert raised.status_code == 303
        shown = (await manager.get(f"/tickets/{other['id']}")).text
        assert "Max Manager assigned the ticket to Alex Agent" in shown
        assert "Max Manager changed the priority from normal to high" in shown
        # The requester's history links their other ticket.
        assert f'href="/tickets/{ticket["id"]}">Parcel arrived damaged</a>' in shown


async def test_hostile_text_is_shown_as_text(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.manager)
    subject = " ".join(HOSTILE)
    ticket = await new_ticket(server, token, subject, message="\n".join(HOSTILE), name=HOSTILE[1][:120])
    async with signed_in_browser(server, people.manager.email) as manager:
        page = await manager.get(f"/tickets/{ticket['id']}")
        csrf = form_token(page.text)
        await manager.post(f"/tickets/{ticket['id']}/note", data={"csrf": csrf, "text": HOSTILE[0]})
        pages = [await manager.get(f"/tickets/{ticket['id']}"), await manager.get("/tickets"),
                 await manager.get("/tickets", params={"q": HOSTILE[0]}),
                 await manager.get("/tickets", params={"q": HOSTILE[1], "status": "all"})]
        for shown in pages:
            assert shown.status_code == 200
            assert_inert(shown.text)
        assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0].text
        assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in pages[0].text
        assert "{{constructor.constructor(&#39;alert(1)&#39;)()}}" in pages[0].text
        assert subjects(pages[1].text) == [html.unescape(html.escape(subject))]
        assert subjects(pages[2].text) == [subject]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "' OR 1=1--"},
        {"status": "pg_sleep(5)"},
        {"priority": "urgent' OR '1'='1"},
        {"sort": "id;drop table tickets"},
        {"sort": "created_at"},
        {"assignee": "x" * 40},
        {"breached": "1 OR 1=1"},
        {"page": "-1"},
        {"page": "1;select pg_sleep(5)"},
        {"per_page": "1000000"},
        {"order_by": "id"},
    ],
)
async def test_hostile_filter_values_are_a_clear_400(
    server: InProcessServer, people: People, params: dict[str, str]
) -> None:
    token = await server.staff_token(people.manager)
    await new_ticket(server, token, "Anything")
    async with signed_in_browser(server, people.agent.email) as agent:
        started = time.monotonic()
        refused = await agent.get("/tickets", params=params)
        elapsed = time.monotonic() - started
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text and "These filters cannot be used" in refused.text
        assert "Anything" not in refused.text and 'class="card tk-filters"' in refused.text  # the form is there
        assert elapsed < 2.5
        # Search text is a value, never SQL: it simply finds nothing.
        searched = await agent.get("/tickets", params={"q": "' OR 1=1--"})
        assert searched.status_code == 200 and subjects(searched.text) == []


async def test_french(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.manager)
    ticket = await new_ticket(server, token, "Commande en retard", priority="urgent")
    async with signed_in_browser(server, people.agent.email) as agent:
        listing = await agent.get("/tickets?lang=fr")
        assert '<html lang="fr">' in listing.text
        assert "Urgente" in listing.text and "Nouveau" in listing.text and "Exporter en CSV" in listing.text
        assert re.search(r"encore \d+ (h|min)", listing.text)
        page = await agent.get(f"/tickets/{ticket['id']}")  # the cookie remembers the language
        assert "Envoyer la réponse" in page.text and "Note interne" in page.text
        bad = await agent.get("/tickets", params={"sort": "nope"})
        assert bad.status_code == 400 and "Tri inconnu." in bad.text
        landing = await agent.get("/staff")
        assert 'href="/tickets"' in landing.text
