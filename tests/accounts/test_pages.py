"""The server-rendered pages over real HTTP: sign-in, CSRF on every form, the forced password change,
sign-out, the landing page, languages, escaping and the no-inline-code rule."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.accounts.helpers import (
    STAFF_PASSWORD,
    api_login,
    bearer,
    browser,
    form_token,
    no_secrets,
    sign_in_form,
    signed_in_browser,
)
from tests.support.people import People
from tests.support.servers import InProcessServer


async def test_home_page_describes_the_server(sqlite_server: InProcessServer) -> None:
    async with browser(sqlite_server) as client:
        page = await client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert page.status_code == 200
    assert "live chat" in page.text.lower() and 'href="/login"' in page.text
    assert "docs/protocol.md" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"}, "", "fr"),
        ({"accept-language": "de-DE,de;q=0.9,en;q=0.5"}, "", "en"),
        ({"accept-language": "en;q=0.3,fr;q=0.8"}, "", "fr"),
        ({"accept-language": "fr"}, "?lang=en", "en"),
        ({}, "?lang=xx", "en"),
    ],
)
async def test_language_choice(sqlite_server: InProcessServer, headers: dict[str, str], query: str, expected: str) -> None:
    async with browser(sqlite_server) as client:
        page = await client.get("/login" + query, headers=headers)
    assert f'<html lang="{expected}">' in page.text


async def test_language_override_is_remembered(sqlite_server: InProcessServer) -> None:
    async with browser(sqlite_server) as client:
        first = await client.get("/?lang=fr", headers={"accept-language": "en"})
        assert "chatsvc_lang=fr" in first.headers["set-cookie"]
        later = await client.get("/login", headers={"accept-language": "en"})
    assert '<html lang="fr">' in later.text and "Mot de passe" in later.text


async def test_sign_in_form(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as client:
        page = await client.get("/login")
        cookie = page.headers["set-cookie"].lower()
        assert "chatsvc_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        response = await sign_in_form(client, people.agent.email)
        assert response.status_code == 303 and response.headers["location"] == "/staff"
        assert "chatsvc_session=" in response.headers["set-cookie"]
        landing = await client.get("/staff")
    assert landing.status_code == 200
    assert people.agent.name in landing.text and people.agent.email in landing.text
    assert 'href="/account/password"' in landing.text
    assert 'href="/admin/users"' not in landing.text  # an agent is not shown what they may not use
    no_secrets(landing.text)


async def test_sign_in_form_wrong_password_or_unknown_email(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as client:
        wrong = await sign_in_form(client, people.agent.email, "not the password")
        unknown = await sign_in_form(client, "nobody@support.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    alert = re.compile(r'role="alert">([^<]*)<')
    assert alert.findall(wrong.text) == alert.findall(unknown.text) == ["Wrong email or password."]
    assert "chatsvc_session" not in wrong.headers.get("set-cookie", "")


@pytest.mark.parametrize("token", [None, "", "forged-token-forged-token-forged-token"])
async def test_sign_in_form_needs_its_csrf_token(
    sqlite_server: InProcessServer, people: People, token: str | None
) -> None:
    async with browser(sqlite_server) as client:
        await client.get("/login")  # the browser holds a csrf cookie; the forged request does not repeat it
        form = {"email": people.agent.email, "password": STAFF_PASSWORD}
        if token is not None:
            form["csrf"] = token
        response = await client.post("/login", data=form)
        assert response.status_code == 403
        assert "chatsvc_session" not in response.headers.get("set-cookie", "")
        assert (await client.get("/staff")).status_code == 303  # still signed out


async def test_sign_in_form_without_the_cookie_is_refused(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as client:
        token = form_token((await client.get("/login")).text)
        client.cookies.clear()  # a forged form copies a token but cannot set our cookie
        response = await client.post(
            "/login", data={"csrf": token, "email": people.agent.email, "password": STAFF_PASSWORD}
        )
    assert response.status_code == 403


async def test_sign_in_form_from_another_site_is_refused(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as client:
        token = form_token((await client.get("/login")).text)
        response = await client.post(
            "/login", data={"csrf": token, "email": people.agent.email, "password": STAFF_PASSWORD},
            headers={"origin": "https://evil.test"},
        )
    assert response.status_code == 403


async def test_pages_need_a_session(sqlite_server: InProcessServer) -> None:
    async with browser(sqlite_server) as client:
        for path in ("/staff", "/account/password", "/admin/users", "/admin/sites", "/admin/teams"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")


async def test_after_sign_in_the_next_page_is_local_only(sqlite_server: InProcessServer, people: People) -> None:
    async with browser(sqlite_server) as client:
        for target, expected in (("/admin/users", "/admin/users"), ("//evil.test/x", "/staff"),
                                 ("https://evil.test", "/staff"), ("/\\evil.test", "/staff")):
            client.cookies.clear()
            page = await client.get("/login")
            response = await client.post("/login", data={
                "csrf": form_token(page.text), "email": people.admin.email, "password": STAFF_PASSWORD,
                "next": target,
            })
            assert response.headers["location"] == expected, target


async def test_must_change_password_is_enforced_then_cleared(sqlite_server: InProcessServer, people: People) -> None:
    # An admin-created account must choose its own password first.
    admin_token = (await api_login(sqlite_server, people.admin.email)).json()["token"]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        created = await http.post("/api/admin/users", headers=bearer(admin_token), json={
            "email": "new@support.example", "name": "New Person", "role": "manager", "password": "first password 1",
        })
    assert created.status_code == 201 and created.json()["user"]["must_change_password"] is True

    api = await api_login(sqlite_server, "new@support.example", "first password 1")
    assert api.status_code == 200 and api.json()["must_change_password"] is True
    api_token = api.json()["token"]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        refused = await http.get("/api/admin/users", headers=bearer(api_token))
        assert refused.status_code == 403 and refused.json()["error"] == "password_change_required"
        assert (await http.get("/api/conversations/x", headers=bearer(api_token))).json()["error"] == (
            "password_change_required"
        )

    async with browser(sqlite_server) as client:
        signed_in = await sign_in_form(client, "new@support.example", "first password 1")
        assert signed_in.headers["location"] == "/account/password"
        for path in ("/staff", "/admin/users"):
            bounced = await client.get(path)
            assert bounced.status_code == 303 and bounced.headers["location"] == "/account/password"
        page = await client.get("/account/password")
        assert page.status_code == 200
        token = form_token(page.text)
        mismatch = await client.post("/account/password", data={
            "csrf": token, "current": "first password 1", "new": "my own password", "again": "my own passwort",
        })
        assert mismatch.status_code == 400 and "differ" in mismatch.text
        short = await client.post("/account/password", data={
            "csrf": token, "current": "first password 1", "new": "short", "again": "short",
        })
        assert short.status_code == 400
        wrong = await client.post("/account/password", data={
            "csrf": token, "current": "not the current one", "new": "my own password", "again": "my own password",
        })
        assert wrong.status_code == 403
        changed = await client.post("/account/password", data={
            "csrf": token, "current": "first password 1", "new": "my own password", "again": "my own password",
        })
        assert changed.status_code == 303 and changed.headers["location"].startswith("/staff")
        landing = await client.get("/staff")
        assert landing.status_code == 200 and "New Person" in landing.text
    # The API session opened before the change is gone; a new sign-in has nothing pending.
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        assert (await http.get("/api/auth/me", headers=bearer(api_token))).status_code == 401
    again = await api_login(sqlite_server, "new@support.example", "my own password")
    assert again.json()["must_change_password"] is False


@pytest.mark.parametrize("token", [None, "", "wrong"])
async def test_password_form_needs_the_session_csrf_token(
    sqlite_server: InProcessServer, people: People, token: str | None
) -> None:
    async with signed_in_browser(sqlite_server, people.agent.email) as client:
        form = {"current": STAFF_PASSWORD, "new": "a brand new password", "again": "a brand new password"}
        if token is not None:
            form["csrf"] = token
        response = await client.post("/account/password", data=form)
        assert response.status_code == 403 and "csrf_failed" in response.text
        assert (await client.get("/staff")).status_code == 200  # the session is untouched
    assert (await api_login(sqlite_server, people.agent.email)).status_code == 200  # the password too


async def test_logout_form(sqlite_server: InProcessServer, people: People) -> None:
    async with signed_in_browser(sqlite_server, people.agent.email) as client:
        session = client.cookies["chatsvc_session"]
        token = form_token((await client.get("/staff")).text)
        assert (await client.post("/logout", data={"csrf": ""})).status_code == 403
        assert (await client.post("/logout", data={})).status_code == 403
        assert (await client.get("/staff")).status_code == 200
        done = await client.post("/logout", data={"csrf": token})
        assert done.status_code == 303 and done.headers["location"].startswith("/login")
        client.cookies.set("chatsvc_session", session)  # the old cookie, replayed
        assert (await client.get("/staff")).status_code == 303
        assert (await client.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_admin_pages_are_for_admins(sqlite_server: InProcessServer, people: People, role: str) -> None:
    email = people.agent.email if role == "agent" else people.manager.email
    async with signed_in_browser(sqlite_server, email) as client:
        token = form_token((await client.get("/staff")).text)
        for path in ("/admin/users", "/admin/sites", "/admin/teams"):
            page = await client.get(path)
            assert page.status_code == 403, path
            assert "administrators" in page.text
        forged = await client.post("/admin/users", data={
            "csrf": token, "email": "x@support.example", "name": "X", "role": "admin", "password": "long enough pw",
        })
        assert forged.status_code == 403
    users = await sqlite_server.services.account_store.list_users()
    assert "x@support.example" not in {u.email for u in users}


async def test_pages_escape_names_and_carry_no_inline_code(sqlite_server: InProcessServer, people: People) -> None:
    await sqlite_server.add_staff('"><svg onload=alert(1)>', email="svg@support.example")
    await sqlite_server.add_staff("<img src=x onerror=alert(1)>", email="img@support.example")
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        token = form_token((await client.get("/staff")).text)
        await client.post("/admin/teams", data={"csrf": token, "name": "<b>bold</b> team", "topics": ""})
        pages = [await client.get(path) for path in ("/", "/staff", "/admin/users", "/admin/sites", "/admin/teams",
                                                     "/account/password")]
    async with browser(sqlite_server) as client:
        pages.append(await client.get("/login"))
    for page in pages:
        assert page.status_code == 200, page.url
        text = page.text
        assert "<svg onload" not in text and "<img src=x" not in text and "<b>bold" not in text
        assert inline_code(text) == [], page.url
        assert page.headers["cache-control"] == "no-store"
        no_secrets(text)
    admin_users = pages[2].text
    assert "&lt;img src=x onerror=alert(1)&gt;" in admin_users


class _InlineCode(HTMLParser):
    """Collects what the CSP would block: inline scripts, style attributes and elements, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"{tag}[{name}]" for name in names if name == "style" or name.startswith("on")]


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


async def test_static_files_are_served(sqlite_server: InProcessServer) -> None:
    async with browser(sqlite_server) as client:
        for name in ("app.css", "app.js", "favicon.svg"):
            assert (await client.get("/static/" + name)).status_code == 200, name
