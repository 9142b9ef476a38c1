"""/api/kb over real HTTP: CRUD on both backends, who may read and write, CSRF, strict bodies, preview, and an
edit that changes what the bot decides without a restart."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts.helpers import api_login, bearer
from tests.support.people import People
from tests.support.servers import InProcessServer

RETURNS = {"title": "How do I return a parcel?", "body": "Print the label in **My orders**.", "alt": ["send it back"],
           "tags": ["Orders"], "lang": "en"}


async def token_of(server: InProcessServer, email: str) -> str:
    response = await api_login(server, email)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def as_user(server: InProcessServer, email: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers=bearer(await token_of(server, email)), timeout=10)


async def test_crud(server: InProcessServer, people: People) -> None:
    async with await as_user(server, people.manager.email) as http:
        created = await http.post("/api/kb/articles", json=RETURNS)
        assert created.status_code == 201, created.text
        article = created.json()["article"]
        assert {k: article[k] for k in ("title", "body", "alt", "tags", "lang", "published")} == {
            **RETURNS, "tags": ["orders"], "published": True,
        }
        article_id = article["id"]

        one = (await http.get(f"/api/kb/articles/{article_id}")).json()["article"]
        assert one["html"] == "<p>Print the label in <strong>My orders</strong>.</p>\n"

        patched = await http.patch(f"/api/kb/articles/{article_id}", json={"title": "Send a parcel back", "published": False})
        assert patched.status_code == 200
        assert (patched.json()["article"]["title"], patched.json()["article"]["published"]) == ("Send a parcel back", False)
        assert patched.json()["article"]["created_at"] == article["created_at"]

        with_id = await http.post("/api/kb/articles", json={"id": "faq-42", "title": "Opening hours"})
        assert with_id.status_code == 201 and with_id.json()["article"]["id"] == "faq-42"
        taken = await http.post("/api/kb/articles", json={"id": "faq-42", "title": "Again"})
        assert taken.status_code == 409 and taken.json()["error"] == "conflict"

        listed = (await http.get("/api/kb/articles", params={"q": "PARCEL"})).json()
        assert [a["id"] for a in listed["articles"]] == [article_id] and listed["total"] == 1
        page = (await http.get("/api/kb/articles", params={"limit": 1, "offset": 1})).json()
        assert (page["total"], len(page["articles"]), page["limit"], page["offset"]) == (2, 1, 1, 1)
        published = (await http.get("/api/kb/articles", params={"published": "1"})).json()
        assert [a["id"] for a in published["articles"]] == ["faq-42"]

        assert (await http.delete(f"/api/kb/articles/{article_id}")).status_code == 204
        assert (await http.get(f"/api/kb/articles/{article_id}")).status_code == 404
        assert (await http.delete(f"/api/kb/articles/{article_id}")).status_code == 404
        assert (await http.patch("/api/kb/articles/nope", json={"title": "x"})).status_code == 404


async def test_agents_read_published_articles_and_cannot_write(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    kb = sqlite_server.services.kb
    public = await kb.create(title="Opening hours", body="9 to 5")
    draft = await kb.create(title="Unreleased plan", published=False)
    async with await as_user(sqlite_server, sqlite_people.agent.email) as http:
        listed = (await http.get("/api/kb/articles")).json()
        assert [a["id"] for a in listed["articles"]] == [public.id] and listed["total"] == 1
        assert (await http.get(f"/api/kb/articles/{public.id}")).json()["article"]["html"] == "<p>9 to 5</p>\n"
        assert (await http.get(f"/api/kb/articles/{draft.id}")).status_code == 404
        for method, path, body in [
            ("POST", "/api/kb/articles", RETURNS),
            ("PATCH", f"/api/kb/articles/{public.id}", {"title": "Changed"}),
            ("DELETE", f"/api/kb/articles/{public.id}", None),
            ("POST", "/api/kb/preview", {"body": "x"}),
        ]:
            refused = await http.request(method, path, json=body)
            assert refused.status_code == 403 and refused.json()["error"] == "forbidden", (method, path)
    assert (await kb.get(public.id)).title == "Opening hours"


async def test_admins_write_too(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    async with await as_user(sqlite_server, sqlite_people.admin.email) as http:
        assert (await http.post("/api/kb/articles", json=RETURNS)).status_code == 201


async def test_anonymous_callers_are_refused(sqlite_server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        for method, path in [("GET", "/api/kb/articles"), ("POST", "/api/kb/articles"), ("GET", "/api/kb/articles/x"),
                             ("PATCH", "/api/kb/articles/x"), ("DELETE", "/api/kb/articles/x"), ("POST", "/api/kb/preview")]:
            response = await http.request(method, path, json={"title": "x"})
            assert response.status_code == 401 and response.json()["error"] == "unauthorized", (method, path)
        forged = await http.get("/api/kb/articles", headers=bearer("not-a-session"))
        assert forged.status_code == 401


async def test_cookie_writes_need_the_csrf_header(server: InProcessServer, people: People) -> None:
    login = (await api_login(server, people.manager.email)).json()
    async with httpx.AsyncClient(base_url=server.url, cookies={"chatsvc_session": login["token"]}) as http:
        assert (await http.get("/api/kb/articles")).status_code == 200  # reading needs no token
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
            refused = await http.post("/api/kb/articles", json=RETURNS, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
            preview = await http.post("/api/kb/preview", json={"body": "x"}, headers=headers)
            assert preview.status_code == 403
        assert (await server.services.kb.search()).total == 0
        done = await http.post("/api/kb/articles", json=RETURNS, headers={"X-CSRF-Token": login["csrf_token"]})
        assert done.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {**RETURNS, "created_at": "2020-01-01T00:00:00+00:00"},
        {**RETURNS, "updated_at": "2020-01-01T00:00:00+00:00"},
        {**RETURNS, "html": "<script>alert(1)</script>"},
        {**RETURNS, "title": ""},
        {**RETURNS, "alt": "not a list"},
        {**RETURNS, "tags": [1, 2]},
        {**RETURNS, "published": "yes"},
        {**RETURNS, "lang": "x"},
        {**RETURNS, "body": "x" * 50_001},
        {"body": "no title"},
    ],
)
async def test_create_refuses_bad_bodies(sqlite_server: InProcessServer, sqlite_people: People, body: dict[str, object]) -> None:
    async with await as_user(sqlite_server, sqlite_people.admin.email) as http:
        refused = await http.post("/api/kb/articles", json=body)
    assert refused.status_code == 400 and refused.json()["error"] == "bad_request", refused.text
    assert (await sqlite_server.services.kb.search()).total == 0


@pytest.mark.parametrize(
    "patch",
    [{"id": "other"}, {"created_at": "2020-01-01T00:00:00+00:00"}, {"title": "x", "owner": "me"}, {"title": "a\nb"}],
)
async def test_patch_refuses_fields_it_may_not_set(
    sqlite_server: InProcessServer, sqlite_people: People, patch: dict[str, object]
) -> None:
    created = await sqlite_server.services.kb.create(title="Opening hours")
    async with await as_user(sqlite_server, sqlite_people.admin.email) as http:
        refused = await http.patch(f"/api/kb/articles/{created.id}", json=patch)
    assert refused.status_code == 400, refused.text
    assert await sqlite_server.services.kb.get(created.id) == created


async def test_bad_paging_and_content_type(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    async with await as_user(sqlite_server, sqlite_people.admin.email) as http:
        for params in ({"limit": "0"}, {"limit": "abc"}, {"offset": "-1"}, {"q": "x" * 301}):
            assert (await http.get("/api/kb/articles", params=params)).status_code == 400, params
        assert (await http.get("/api/kb/articles", params={"limit": "100000"})).json()["limit"] == 200
        form = await http.post("/api/kb/articles", data={"title": "x"})
        assert form.status_code == 400
        assert (await http.get("/api/kb/articles/" + "x" * 65)).status_code == 404


async def test_preview_renders_sanitized_html(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    async with await as_user(sqlite_server, sqlite_people.manager.email) as http:
        response = await http.post(
            "/api/kb/preview",
            json={"body": "**Hi** [x](javascript:alert(1)) <img src=x onerror=alert(1)> [ok](https://ok.example)"},
        )
        assert response.status_code == 200
        html = response.json()["html"]
        assert "<strong>Hi</strong>" in html and "&lt;img" in html and "<img" not in html
        assert 'href="https://ok.example"' in html and 'href="javascript' not in html
        too_long = await http.post("/api/kb/preview", json={"body": "x" * 50_001})
        assert too_long.status_code == 400
        with_extra = await http.post("/api/kb/preview", json={"body": "x", "lang": "en"})
        assert with_extra.status_code == 400


async def test_a_long_accented_article_fits(sqlite_server: InProcessServer, sqlite_people: People) -> None:
    body = "é" * 50_000  # the longest body allowed, two bytes a character
    async with await as_user(sqlite_server, sqlite_people.admin.email) as http:
        created = await http.post("/api/kb/articles", json={"title": "Long", "body": body, "alt": ["à" * 1000] * 1})
    assert created.status_code == 201, created.text[:300]
    assert created.json()["article"]["body"] == body


async def test_an_edit_changes_what_the_bot_decides_without_a_restart(server: InProcessServer, people: People) -> None:
    kb = server.services.kb
    assert kb.decide("how can I return my parcel").action == "no_answer"
    async with await as_user(server, people.manager.email) as http:
        article_id = (await http.post("/api/kb/articles", json=RETURNS)).json()["article"]["id"]
        decision = kb.decide("how can I return my parcel")
        assert decision.action == "answer" and decision.offered[0].article_id == article_id

        await http.patch(f"/api/kb/articles/{article_id}", json={"title": "Opening hours of the shop", "alt": [],
                                                                  "body": "We open at nine."})
        assert kb.decide("how can I return my parcel").offered == ()
        assert kb.decide("what are the opening hours of the shop").offered[0].article_id == article_id

        await http.patch(f"/api/kb/articles/{article_id}", json={"published": False})
        assert kb.decide("what are the opening hours of the shop").offered == ()
        await http.patch(f"/api/kb/articles/{article_id}", json={"published": True})
        assert kb.decide("what are the opening hours of the shop").offered[0].article_id == article_id

        await http.delete(f"/api/kb/articles/{article_id}")
        assert kb.decide("what are the opening hours of the shop").offered == ()
