"""The knowledge-base pages over real HTTP with a signed-in browser: who may see them, forms with CSRF, publish
and delete, French, and escaping of everything an article holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.accounts.helpers import browser, form_token, sign_in_form, signed_in_browser
from tests.support.people import People
from tests.support.servers import InProcessServer

EVIL = '<script>alert("t")</script>{{7*7}}'


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]


def assert_no_injected_code(html: str) -> None:
    parser = _Scripts()
    parser.feed(html)
    assert all(script.get("src", "").startswith("/static/") for script in parser.scripts), parser.scripts  # type: ignore[union-attr]
    assert parser.handlers == []
    assert "<script>alert" not in html


async def test_pages_are_for_admins_and_managers(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    async with browser(sqlite_server) as anonymous:
        response = await anonymous.get("/kb")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/kb"
    async with signed_in_browser(sqlite_server, sqlite_people.agent.email) as agent:
        for path in ("/kb", "/kb/new"):
            refused = await agent.get(path)
            assert refused.status_code == 403 and "administrators and managers" in refused.text
        landing = await agent.get("/staff")
        assert 'href="/kb"' not in landing.text
    async with signed_in_browser(sqlite_server, sqlite_people.manager.email) as manager:
        landing = await manager.get("/staff")
        assert 'href="/kb"' in landing.text and "Knowledge base" in landing.text
        assert (await manager.get("/kb")).status_code == 200


async def test_create_edit_publish_delete_through_the_forms(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    kb = sqlite_server.services.kb
    async with signed_in_browser(sqlite_server, sqlite_people.admin.email) as client:
        new = await client.get("/kb/new")
        assert new.status_code == 200 and 'src="/static/kb.js' in new.text
        token = form_token(new.text)
        fields = {"title": "How do I return a parcel?", "body": "Print the **label**.\r\n\r\nThen post it.",
                  "alt": "send it back\r\nreturn an item, please", "tags": "Orders, returns", "lang": "en",
                  "published": "1"}

        refused = await client.post("/kb/new", data=fields)  # no CSRF token
        assert refused.status_code == 403 and (await kb.search()).total == 0
        created = await client.post("/kb/new", data={**fields, "csrf": token})
        assert created.status_code == 303
        location = created.headers["location"]
        assert re.fullmatch(r"/kb/articles/[\w-]+\?done=kb_created", location)
        article_id = location.split("/")[3].split("?")[0]
        article = await kb.get(article_id)
        assert (article.body, article.alt, article.tags, article.published) == (
            "Print the **label**.\n\nThen post it.", ("send it back", "return an item, please"), ("orders", "returns"),
            True,
        )
        assert kb.decide("how can I return my parcel").offered[0].article_id == article_id

        edit = await client.get(location)
        assert "The article is created." in edit.text and "<strong>label</strong>" in edit.text

        too_long = await client.post(f"/kb/articles/{article_id}", data={**fields, "title": "x" * 301, "csrf": token})
        assert too_long.status_code == 400 and "The title must be 1 to 300 characters" in too_long.text
        assert 'value="' + "x" * 301 + '"' in too_long.text  # what was typed is kept
        assert (await kb.get(article_id)).title == fields["title"]

        saved = await client.post(f"/kb/articles/{article_id}", data={**fields, "title": "Opening hours",
                                                                      "alt": "", "csrf": token})
        assert saved.status_code == 303 and saved.headers["location"].endswith("?done=kb_saved")
        assert kb.decide("how can I return my parcel").offered == ()

        listing = await client.get("/kb?q=opening")
        back = re.search(r'name="back" value="([^"]*)"', listing.text)
        assert back and back.group(1).replace("&amp;", "&") == "/kb?q=opening&page=1"
        unpublished = await client.post(f"/kb/articles/{article_id}/publish",
                                        data={"csrf": token, "published": "0", "back": "/kb?q=opening&page=1"})
        assert unpublished.headers["location"] == "/kb?q=opening&page=1&done=kb_unpublished"
        assert article_id not in kb.index
        elsewhere = await client.post(f"/kb/articles/{article_id}/publish",
                                      data={"csrf": token, "published": "1", "back": "https://evil.example/"})
        assert elsewhere.headers["location"] == "/kb?done=kb_published"
        assert article_id in kb.index

        assert (await client.post(f"/kb/articles/{article_id}/delete", data={})).status_code == 403
        deleted = await client.post(f"/kb/articles/{article_id}/delete", data={"csrf": token})
        assert deleted.headers["location"] == "/kb?done=kb_deleted"
        assert (await kb.search()).total == 0 and len(kb.index) == 0
        gone = await client.get(f"/kb/articles/{article_id}")
        assert gone.status_code == 404


async def test_everything_an_article_holds_is_escaped(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    kb = sqlite_server.services.kb
    article = await kb.create(
        title=EVIL, body=f"{EVIL}\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>", alt=[EVIL],
        tags=['"><svg onload=alert(1)>'], lang="en",
    )
    async with signed_in_browser(sqlite_server, sqlite_people.manager.email) as client:
        listing = await client.get("/kb")
        edit = await client.get(f"/kb/articles/{article.id}")
        search = await client.get("/kb", params={"q": EVIL})
    for page in (listing, edit, search):
        assert page.status_code == 200
        assert_no_injected_code(page.text)
        assert "&lt;script&gt;" in page.text
        assert "<svg" not in page.text
    assert "{{7*7}}" in edit.text and "49" not in edit.text  # template syntax in data is never evaluated
    assert 'href="javascript' not in edit.text


async def test_list_pages_and_search(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    from chatsvc.services.kb import check_article

    await sqlite_server.services.kb.upsert(
        [check_article(id=f"q-{n:03d}", title=f"Question {n}") for n in range(60)]
        + [check_article(id="other", title="Shipping costs", published=False)]
    )
    async with signed_in_browser(sqlite_server, sqlite_people.admin.email) as client:
        first = await client.get("/kb")
        assert "1–50 of 61" in first.text and 'href="/kb?page=2"' in first.text and 'rel="prev"' not in first.text
        second = await client.get("/kb?page=2")
        assert "51–61 of 61" in second.text and 'href="/kb?page=1"' in second.text and 'rel="next"' not in second.text
        assert (await client.get("/kb?page=abc")).status_code == 200
        past_the_end = await client.get("/kb?page=9")
        assert "51–61 of 61" in past_the_end.text
        found = await client.get("/kb?q=shipping")
        assert "Shipping costs" in found.text and "Draft" in found.text and "Question 1" not in found.text
        none = await client.get("/kb?q=nothing-like-this")
        assert "No article title contains" in none.text


async def test_french_pages(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    async with browser(sqlite_server) as client:
        await client.get("/login?lang=fr")
        assert (await sign_in_form(client, sqlite_people.manager.email)).status_code == 303
        empty = await client.get("/kb")
        assert '<html lang="fr">' in empty.text and "Aucun article pour l&#39;instant" in empty.text
        new = await client.get("/kb/new")
        assert "Nouvel article" in new.text and "Autres formulations" in new.text
        assert '<option value="fr" selected>' in new.text  # a new article is in the page's language
        refused = await client.post("/kb/new", data={"csrf": form_token(new.text), "title": " ", "lang": "fr"})
        assert refused.status_code == 400 and "Le titre doit faire de 1 à 300 caractères" in refused.text
