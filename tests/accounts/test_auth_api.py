"""Sign-in, sign-out and password change over the JSON API, and the guessing limits shared with the form."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import STAFF_PASSWORD, api_login, bearer, browser, form_token, no_secrets
from tests.support.people import People
from tests.support.servers import InProcessServer


async def test_login_gives_a_session_and_no_secret(sqlite_server: InProcessServer, people: People) -> None:
    response = await api_login(sqlite_server, people.agent.email)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == people.agent.email and body["must_change_password"] is False
    assert len(body["token"]) >= 40 and len(body["csrf_token"]) >= 40
    no_secrets(response.text)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        me = await http.get("/api/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json()["user"]["id"] == people.agent.id


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    sqlite_server: InProcessServer, people: People
) -> None:
    wrong = await api_login(sqlite_server, people.agent.email, "not the password")
    unknown = await api_login(sqlite_server, "nobody@support.example", "not the password")
    malformed = await api_login(sqlite_server, "not-an-email", "not the password")
    assert wrong.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong.json() == unknown.json() == malformed.json()
    assert "set-cookie" not in wrong.headers


async def test_login_requires_json(sqlite_server: InProcessServer, people: People) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.post(
            "/api/auth/login",
            content=f'{{"email": "{people.agent.email}", "password": "{STAFF_PASSWORD}"}}',
            headers={"content-type": "text/plain"},  # what a cross-site form could send without a preflight
        )
    assert response.status_code == 400


async def test_login_refuses_extra_fields(sqlite_server: InProcessServer, people: People) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.post(
            "/api/auth/login", json={"email": people.agent.email, "password": STAFF_PASSWORD, "role": "admin"}
        )
    assert response.status_code == 400


async def test_many_failures_are_rate_limited_across_api_and_form(start_server, sqlite_backend) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, login_attempts=3) as server:
        user = await server.add_staff("Rita", role="agent")
        for _ in range(2):
            assert (await api_login(server, user.email, "wrong password")).status_code == 401
        async with browser(server) as client:
            page = await client.get("/login")
            form = {"csrf": form_token(page.text), "email": user.email, "password": "wrong password"}
            assert (await client.post("/login", data=form)).status_code == 401
            # The third failure (two by API, one by form) blocks both ways, even with the right password.
            blocked_form = await client.post("/login", data={**form, "password": STAFF_PASSWORD})
        blocked = await api_login(server, user.email)
        assert blocked.status_code == 429 and blocked.json()["error"] == "rate_limited"
        assert int(blocked.headers["retry-after"]) > 0
        assert blocked_form.status_code == 429 and int(blocked_form.headers["retry-after"]) > 0
        assert "set-cookie" not in blocked.headers
        # Someone else signing in from the same address is blocked too (the per-address limit).
        other = await server.add_staff("Sam", role="agent")
        assert (await api_login(server, other.email)).status_code == 429


async def test_logout_ends_the_session(sqlite_server: InProcessServer, people: People) -> None:
    login = await api_login(sqlite_server, people.agent.email)
    token, csrf_token = login.json()["token"], login.json()["csrf_token"]
    async with httpx.AsyncClient(base_url=sqlite_server.url, cookies={"chatsvc_session": token}) as http:
        # By cookie, the CSRF header is required: without it nothing happens.
        refused = await http.post("/api/auth/logout")
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        assert (await http.get("/api/auth/me")).status_code == 200
        assert (await http.post("/api/auth/logout", headers={"X-CSRF-Token": ""})).status_code == 403
        assert (await http.post("/api/auth/logout", headers={"X-CSRF-Token": "x" + csrf_token})).status_code == 403
        done = await http.post("/api/auth/logout", headers={"X-CSRF-Token": csrf_token})
        assert done.status_code == 200
        http.cookies.set("chatsvc_session", token)  # the old cookie, sent again
        assert (await http.get("/api/auth/me")).status_code == 401
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        assert (await http.get("/api/auth/me", headers=bearer(token))).status_code == 401


async def test_bearer_calls_need_no_csrf_header(sqlite_server: InProcessServer, people: People) -> None:
    token = (await api_login(sqlite_server, people.agent.email)).json()["token"]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        assert (await http.post("/api/auth/logout", headers=bearer(token))).status_code == 200
        assert (await http.get("/api/auth/me", headers=bearer(token))).status_code == 401


async def test_password_change_by_api(sqlite_server: InProcessServer, people: People) -> None:
    first = (await api_login(sqlite_server, people.agent.email)).json()["token"]
    second = (await api_login(sqlite_server, people.agent.email)).json()["token"]
    new_password = "another long password"
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        wrong = await http.post(
            "/api/auth/password", headers=bearer(first),
            json={"current_password": "not it at all", "new_password": new_password},
        )
        assert wrong.status_code == 403
        short = await http.post(
            "/api/auth/password", headers=bearer(first),
            json={"current_password": STAFF_PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 400
        changed = await http.post(
            "/api/auth/password", headers=bearer(first),
            json={"current_password": STAFF_PASSWORD, "new_password": new_password},
        )
        assert changed.status_code == 200
        no_secrets(changed.text)
        fresh = changed.json()["token"]
        # Every earlier session ended, the one that made the change included; the fresh one works.
        assert (await http.get("/api/auth/me", headers=bearer(first))).status_code == 401
        assert (await http.get("/api/auth/me", headers=bearer(second))).status_code == 401
        assert (await http.get("/api/auth/me", headers=bearer(fresh))).status_code == 200
    assert (await api_login(sqlite_server, people.agent.email)).status_code == 401
    assert (await api_login(sqlite_server, people.agent.email, new_password)).status_code == 200
