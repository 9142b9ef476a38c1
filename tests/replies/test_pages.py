"""The menu editor and the canned-responses page over real HTTP, as a browser without scripts uses them:
forms with the session's CSRF token, refusals shown with what was typed, French and English."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx

from chatsvc.domain.menu import Action, MenuItem
from tests.accounts.helpers import form_token, signed_in_browser
from tests.accounts.test_pages import inline_code
from tests.replies.conftest import Staff
from tests.support.servers import InProcessServer

FIELDS = ("id", "parent", "label", "label_fr", "action", "answer", "article", "topic")


def menu_form(
    token: str, items: list[dict[str, str]], op: str | None = None, *, origin: str | None = None
) -> dict[str, Any]:
    """What the editor posts: each item's fields, in the order shown (parents before their children)."""
    pairs = [("csrf", token)]
    for item in items:
        pairs += [(name, item.get(name, "")) for name in FIELDS]
    if op is not None:
        pairs.append(("op", op))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin:
        headers["Origin"] = origin
    return {"content": urlencode(pairs), "headers": headers}


TREE = [
    {"id": "billing", "label": "Billing", "label_fr": "Facturation", "action": "menu"},
    {"id": "invoice", "parent": "billing", "label": "Invoices", "action": "answer", "answer": "See Account > Invoices.",
     "topic": "ignored: not the chosen action"},
    {"id": "refund", "parent": "billing", "label": "Refunds", "action": "topic", "topic": "billing"},
    {"id": "person", "label": "Talk to a person", "action": "human", "answer": "ignored too"},
]


def ids_in(html: str) -> list[str]:
    """The items of an editor page, in order (the template for new items aside)."""
    shown = html.split('<template id="menu-item-template">')[0]
    return re.findall(r'<input type="hidden" name="id" value="([^"]*)">', shown)


async def test_the_editor_saves_the_whole_tree(sqlite_server: InProcessServer, site_staff: Staff) -> None:
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as client:
        page = await client.get("/admin/menu?lang=en")
        assert page.status_code == 200 and 'id="menu-editor"' in page.text
        assert "No quick replies yet" in page.text and inline_code(page.text) == []
        saved = await client.post("/admin/menu", **menu_form(form_token(page.text), TREE))
        assert saved.status_code == 303 and saved.headers["location"] == "/admin/menu?done=menu_saved"
        shown = await client.get(saved.headers["location"])
        assert "The menu is saved." in shown.text
        assert ids_in(shown.text) == ["billing", "invoice", "refund", "person"]
        assert 'value="See Account &gt; Invoices."' not in shown.text and "See Account &gt; Invoices." in shown.text
    menu = sqlite_server.services.replies.current_menu()
    assert [(i.id, i.parent_id, i.position, i.action, i.payload) for i in menu.items] == [
        ("billing", None, 0, Action.MENU, None),
        ("invoice", "billing", 0, Action.ANSWER, "See Account > Invoices."),
        ("refund", "billing", 1, Action.TOPIC, "billing"),
        ("person", None, 1, Action.HUMAN, None),
    ]
    assert menu.get("billing") == MenuItem("billing", None, 0, "Billing", "Facturation", Action.MENU)


async def test_editor_buttons_work_without_the_script_and_save_nothing(
    sqlite_server: InProcessServer, site_staff: Staff
) -> None:
    replies = sqlite_server.services.replies
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as client:
        token = form_token((await client.get("/admin/menu")).text)
        moved = await client.post("/admin/menu", **menu_form(token, TREE, op="up:refund"))
        assert moved.status_code == 200 and "Not saved yet" in moved.text
        assert ids_in(moved.text) == ["billing", "refund", "invoice", "person"]
        down = await client.post("/admin/menu", **menu_form(token, TREE, op="down:billing"))
        assert ids_in(down.text) == ["person", "billing", "invoice", "refund"]
        deleted = await client.post("/admin/menu", **menu_form(token, TREE, op="delete:billing"))
        assert ids_in(deleted.text) == ["person"]
        added = await client.post("/admin/menu", **menu_form(token, TREE, op="add:billing"))
        new_ids = ids_in(added.text)
        assert len(new_ids) == 5 and new_ids[:3] == ["billing", "invoice", "refund"] and new_ids[4] == "person"
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", new_ids[3])
        root_added = await client.post("/admin/menu", **menu_form(token, TREE, op="add:"))
        assert ids_in(root_added.text)[:4] == ["billing", "invoice", "refund", "person"]
        assert len(ids_in(root_added.text)) == 5
        unknown = await client.post("/admin/menu", **menu_form(token, TREE, op="explode:billing"))
        assert unknown.status_code == 400
    assert not replies.has_menu()  # none of these saved anything


async def test_a_refused_save_shows_why_keeps_what_was_typed_and_changes_nothing(
    sqlite_server: InProcessServer, site_staff: Staff
) -> None:
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as client:
        token = form_token((await client.get("/admin/menu")).text)
        assert (await client.post("/admin/menu", **menu_form(token, TREE))).status_code == 303
        bad = [dict(item) for item in TREE]
        bad[2]["topic"] = "Billing Team"
        bad[3]["label"] = "Talk to <b>someone</b>"
        refused = await client.post("/admin/menu?lang=en", **menu_form(token, bad))
        assert refused.status_code == 400
        assert "The topic of &#39;Refunds&#39; must be 1 to 40 lower-case letters" in refused.text
        assert 'class="menu-item has-error" id="item-refund"' in refused.text
        assert 'href="#item-refund"' in refused.text
        assert 'value="Billing Team"' in refused.text and "Talk to &lt;b&gt;someone&lt;/b&gt;" in refused.text
        # The same refusal in French, whole.
        french = await client.post("/admin/menu?lang=fr", **menu_form(token, bad))
        # French typography: non-breaking spaces inside « » (and before : ; ? !), so nothing wraps alone.
        assert "Le sujet de «\u00a0Refunds\u00a0» fait de 1 à 40 caractères" in french.text
        cycle = [{"id": "a", "parent": "b", "label": "A", "action": "menu"},
                 {"id": "b", "parent": "a", "label": "B", "action": "menu"}]
        refused_cycle = await client.post("/admin/menu?lang=en", **menu_form(token, cycle))
        assert refused_cycle.status_code == 400 and "cycle" in refused_cycle.text
        torn = {"csrf": token, "id": "a", "label": "A"}  # a hand-made form with missing columns
        assert (await client.post("/admin/menu", data=torn)).status_code == 400
    assert [i.id for i in sqlite_server.services.replies.current_menu().items] == [
        "billing", "invoice", "refund", "person",
    ]


async def test_the_editor_is_for_admins_and_needs_its_token(sqlite_server: InProcessServer, site_staff: Staff) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as anonymous:
        away = await anonymous.get("/admin/menu")
        assert away.status_code == 303 and away.headers["location"].startswith("/login")
    for person in (site_staff.agent, site_staff.manager):
        async with signed_in_browser(sqlite_server, person.email) as client:
            token = form_token((await client.get("/canned")).text)
            assert (await client.get("/admin/menu")).status_code == 403
            assert (await client.post("/admin/menu", **menu_form(token, TREE))).status_code == 403
            staff_page = (await client.get("/staff")).text
            assert 'href="/canned"' in staff_page and 'href="/admin/menu"' not in staff_page
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as client:
        for token in ("", "wrong"):
            forged = await client.post("/admin/menu", **menu_form(token, TREE))
            assert forged.status_code == 403
        token = form_token((await client.get("/staff")).text)
        foreign = await client.post("/admin/menu", **menu_form(token, TREE, origin="https://evil.example"))
        assert foreign.status_code == 403
        staff_page = (await client.get("/staff")).text
        assert 'href="/admin/menu"' in staff_page and 'href="/canned"' in staff_page
    assert not sqlite_server.services.replies.has_menu()


async def test_the_editor_offers_articles_and_topics(sqlite_server: InProcessServer, site_staff: Staff) -> None:
    import datetime

    from chatsvc.store.schema import kb_articles

    now = datetime.datetime.now(datetime.UTC)
    async with sqlite_server.services.db.begin() as conn:
        await conn.execute(kb_articles.insert().values(
            id="frA-001", title="Délais de <remboursement>", body="...", alt=[], tags=[], lang="fr", published=False,
            created_at=now, updated_at=now,
        ))
    await sqlite_server.services.account_store.create_team(name="Billing", topics=["billing"], now=now)
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as client:
        page = await client.get("/admin/menu?lang=fr")
        assert '<option value="frA-001">Délais de &lt;remboursement&gt; · FR · brouillon</option>' in page.text
        assert '<option value="billing">' in page.text
        items = [{"id": "a", "label": "Remboursements", "action": "article", "article": "frA-001"}]
        assert (await client.post("/admin/menu", **menu_form(form_token(page.text), items))).status_code == 303
        item = sqlite_server.services.replies.item("a")
        assert item is not None and item.payload == "frA-001"


# --- canned responses --------------------------------------------------------------------------------------


async def _post(client: httpx.AsyncClient, path: str, **fields: Any) -> httpx.Response:
    token = form_token((await client.get("/canned")).text)
    return await client.post(path, data={"csrf": token, **fields})


async def test_canned_page_personal_and_shared(sqlite_server: InProcessServer, site_staff: Staff) -> None:
    replies = sqlite_server.services.replies
    async with signed_in_browser(sqlite_server, site_staff.admin.email) as admin:
        created = await _post(admin, "/canned", shortcut="/Hello", title="Greeting", body="Hi {visitor_name}!",
                              scope="shared")
        assert created.status_code == 303 and created.headers["location"] == "/canned?done=canned_created"
    async with signed_in_browser(sqlite_server, site_staff.agent.email) as agent:
        page = await agent.get("/canned?lang=en")
        assert page.status_code == 200 and inline_code(page.text) == []
        assert "/hello" in page.text and "Administrators manage the shared responses." in page.text
        assert 'name="scope"' not in page.text  # agents are not offered shared ones
        shared_id = (await replies.canned_for(site_staff.agent))[0].id
        assert f'action="/canned/{shared_id}"' not in page.text  # nor a form to change them
        # A forged "shared" choice is refused with the reason, and the typed text is kept.
        forged = await _post(agent, "/canned", shortcut="bye", title="Bye", body="Bye <b>now</b>", scope="shared")
        assert forged.status_code == 403 and "Only administrators can change shared canned responses." in forged.text
        assert "Bye &lt;b&gt;now&lt;/b&gt;" in forged.text
        assert (await _post(agent, "/canned", shortcut="bye", title="Bye", body="Bye {visitor_name}")).status_code == 303
        mine = next(r for r in await replies.canned_for(site_staff.agent) if not r.shared)
        assert mine.owner_id == site_staff.agent.id
        # Taken shortcut: the reason, in French too.
        taken = await _post(agent, "/canned?lang=fr", shortcut="bye", title="Again", body="x")
        assert taken.status_code == 409 and "Ce raccourci est déjà utilisé." in taken.text
        updated = await _post(agent, f"/canned/{mine.id}", shortcut="ciao", title="Ciao", body="Ciao!")
        assert updated.status_code == 303 and updated.headers["location"] == "/canned?done=canned_updated"
        assert (await replies.get_canned(site_staff.agent, mine.id)).shortcut == "ciao"
        assert (await _post(agent, f"/canned/{shared_id}", shortcut="x", title="x", body="x")).status_code == 403
        assert (await _post(agent, f"/canned/{shared_id}/delete")).status_code == 403
        searched = await agent.get("/canned", params={"q": "ciao"})
        assert "/ciao" in searched.text and "/hello" not in searched.text
    async with signed_in_browser(sqlite_server, site_staff.other.email) as other:
        # Someone else's personal response is not found, and not shown.
        assert "/ciao" not in (await other.get("/canned")).text
        assert (await _post(other, f"/canned/{mine.id}", shortcut="x", title="x", body="x")).status_code == 404
        assert (await _post(other, f"/canned/{mine.id}/delete")).status_code == 404
    async with signed_in_browser(sqlite_server, site_staff.agent.email) as agent:
        gone = await _post(agent, f"/canned/{mine.id}/delete")
        assert gone.status_code == 303 and gone.headers["location"] == "/canned?done=canned_deleted"
        forged = await agent.post("/canned", data={"csrf": "wrong", "shortcut": "x", "title": "x", "body": "x"})
        assert forged.status_code == 403
    assert [r.shortcut for r in await replies.canned_for(site_staff.agent)] == ["hello"]


async def test_canned_page_shows_text_as_text(sqlite_server: InProcessServer, site_staff: Staff) -> None:
    await sqlite_server.services.replies.create_canned(
        site_staff.agent, shortcut="xss", title="<img src=x onerror=alert(1)>", body="<script>alert(1)</script>",
    )
    async with signed_in_browser(sqlite_server, site_staff.agent.email) as agent:
        page = await agent.get("/canned")
    assert "<img src=x" not in page.text and "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert inline_code(page.text) == []


def test_every_menu_refusal_is_translated_with_the_same_values() -> None:
    from string import Formatter

    from chatsvc.domain.menu import MESSAGES
    from chatsvc.web.i18n import MENU_ERRORS

    def names(template: str) -> set[str]:
        return {name for _text, name, _spec, _conversion in Formatter().parse(template) if name}

    for lang, table in MENU_ERRORS.items():
        assert set(table) == set(MESSAGES), lang
        for reason, english in MESSAGES.items():
            assert names(table[reason]) == names(english), (lang, reason)
