"""The admin JSON API: admins only, strict bodies (no mass assignment), exact origins, no secrets out.

On every backend: conflicts and JSON columns behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.accounts.helpers import STAFF_PASSWORD, api_login, bearer, no_secrets
from tests.support.people import People
from tests.support.servers import InProcessServer


async def _admin_http(server: InProcessServer, people: People) -> httpx.AsyncClient:
    token = (await api_login(server, people.admin.email)).json()["token"]
    return httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10)


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_only_admins(server: InProcessServer, people_everywhere: People, role: str) -> None:
    email = people_everywhere.agent.email if role == "agent" else people_everywhere.manager.email
    token = (await api_login(server, email)).json()["token"]
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/admin/users", None),
        ("POST", "/api/admin/users", {"email": "e@x.example", "name": "E", "role": "admin", "password": "long password"}),
        ("PATCH", f"/api/admin/users/{people_everywhere.agent.id}", {"role": "admin"}),
        ("GET", "/api/admin/sites", None),
        ("POST", "/api/admin/sites", {"key": "evil", "name": "Evil", "allowed_origins": ["https://evil.test"]}),
        ("GET", "/api/admin/teams", None),
        ("POST", "/api/admin/teams", {"name": "Mine"}),
    ]
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(token)) as http:
        for method, path, body in calls:
            response = await http.request(method, path, json=body)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/admin/users")).status_code == 401
    assert (await server.services.account_store.get_user(people_everywhere.agent.id)).role == "agent"
    assert await server.services.account_store.find_site_by_key("evil") is None


@pytest.mark.parametrize(
    "extra",
    [
        {"id": "chosen-id"},
        {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$forged"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"last_login_at": "2020-01-01T00:00:00Z"},
        {"status": "online"},
    ],
)
async def test_create_user_refuses_fields_the_caller_may_not_set(
    server: InProcessServer, people_everywhere: People, extra: dict[str, Any]
) -> None:
    body = {"email": "mass@support.example", "name": "Mass", "role": "agent", "password": "long password", **extra}
    async with await _admin_http(server, people_everywhere) as http:
        response = await http.post("/api/admin/users", json=body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"
    assert await server.services.account_store.find_user_by_email("mass@support.example") is None


@pytest.mark.parametrize(
    "patch",
    [{"email": "taken@x.example"}, {"password_hash": "x"}, {"id": "x"}, {"must_change_password": False},
     {"role": "owner"}, {"disabled": "yes"}, {"max_chats": 0}, {"name": {"$ne": None}}, {"name": ["a"]}],
)
async def test_update_user_refuses_what_it_does_not_allow(
    server: InProcessServer, people_everywhere: People, patch: dict[str, Any]
) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        response = await http.patch(f"/api/admin/users/{people_everywhere.agent.id}", json=patch)
    assert response.status_code == 400
    assert await server.services.account_store.get_user(people_everywhere.agent.id) == people_everywhere.agent


async def test_users_crud_and_no_hash_anywhere(server: InProcessServer, people_everywhere: People) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        created = await http.post("/api/admin/users", json={
            "email": "Carla@Support.Example", "name": "Carla", "role": "agent", "password": "initial password",
            "max_chats": 5,
        })
        assert created.status_code == 201
        user = created.json()["user"]
        assert user["email"] == "carla@support.example" and user["max_chats"] == 5
        duplicate = await http.post("/api/admin/users", json={
            "email": "carla@support.example", "name": "Carla 2", "role": "agent", "password": "initial password",
        })
        assert duplicate.status_code == 409
        short = await http.post("/api/admin/users", json={
            "email": "d@support.example", "name": "D", "role": "agent", "password": "short",
        })
        assert short.status_code == 400
        patched = await http.patch(f"/api/admin/users/{user['id']}", json={
            "name": "Carla B.", "role": "manager", "max_chats": None,
        })
        assert patched.status_code == 200
        assert patched.json()["user"] | {"last_login_at": None} == user | {
            "name": "Carla B.", "role": "manager", "max_chats": None,
        }
        missing = await http.patch("/api/admin/users/" + "x" * 22, json={"name": "Nobody"})
        assert missing.status_code == 404
        listed = await http.get("/api/admin/users")
        for response in (created, duplicate, patched, listed):
            no_secrets(response.text)
        assert {u["email"] for u in listed.json()["users"]} >= {"carla@support.example", people_everywhere.admin.email}


async def test_the_last_admin_cannot_be_removed(server: InProcessServer, people_everywhere: People) -> None:
    first_admin = await server.services.account_store.find_user_by_email("admin@localhost")
    assert first_admin is not None
    async with await _admin_http(server, people_everywhere) as http:
        assert (await http.patch(f"/api/admin/users/{first_admin.id}", json={"disabled": True})).status_code == 200
        # Ada is now the only enabled admin: she may not disable herself, nor demote herself.
        itself = await http.patch(f"/api/admin/users/{people_everywhere.admin.id}", json={"disabled": True})
        assert itself.status_code == 409
        demote = await http.patch(f"/api/admin/users/{people_everywhere.admin.id}", json={"role": "agent"})
        assert demote.status_code == 409
    assert (await server.services.account_store.get_user(people_everywhere.admin.id)).role == "admin"


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*.example.com", "null", "https://shop.example/path", "shop.example", "ftp://shop.example",
     "https://user:pw@shop.example", "https://shop.example?x=1", "https://shop_example.com", "", "javascript:alert(1)"],
)
async def test_origins_must_be_exact(server: InProcessServer, people_everywhere: People, origin: str) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        created = await http.post("/api/admin/sites", json={
            "key": "shop", "name": "Shop", "allowed_origins": ["https://shop.example", origin],
        })
        assert created.status_code == 400 or origin == "", created.text
        if origin == "":
            # A blank line is skipped, not an origin.
            assert created.json()["site"]["allowed_origins"] == ["https://shop.example"]
            return
        default = await server.services.account_store.find_site_by_key("default")
        assert default is not None
        patched = await http.patch(f"/api/admin/sites/{default.id}", json={"allowed_origins": [origin]})
        assert patched.status_code == 400
    assert await server.services.account_store.find_site_by_key("shop") is None
    after = await server.services.account_store.find_site_by_key("default")
    assert after == default


async def test_sites_crud(server: InProcessServer, people_everywhere: People) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        created = await http.post("/api/admin/sites", json={
            "key": "shop", "name": "Shop", "allowed_origins": ["HTTPS://Shop.Example:443/", "http://localhost:8080"],
        })
        assert created.status_code == 201
        site = created.json()["site"]
        assert site["allowed_origins"] == ["https://shop.example", "http://localhost:8080"]
        assert (await http.post("/api/admin/sites", json={"key": "shop", "name": "Again"})).status_code == 409
        assert (await http.post("/api/admin/sites", json={"key": "Bad Key", "name": "X"})).status_code == 400
        moved = await http.patch(f"/api/admin/sites/{site['id']}", json={"key": "other"})
        assert moved.status_code == 400  # the key is not editable: it is in every embed tag
        patched = await http.patch(f"/api/admin/sites/{site['id']}", json={
            "name": "The Shop", "allowed_origins": ["https://www.shop.example"],
        })
        assert patched.json()["site"]["allowed_origins"] == ["https://www.shop.example"]
        # The handshake follows the new list at once.
        visitor = await http.post("/api/visitor/session", json={"site": "shop"},
                                  headers={"origin": "https://shop.example"})
        assert visitor.status_code == 403
        visitor = await http.post("/api/visitor/session", json={"site": "shop"},
                                  headers={"origin": "https://www.shop.example"})
        assert visitor.status_code == 200
        listed = await http.get("/api/admin/sites")
        assert [s["key"] for s in listed.json()["sites"]] == ["default", "shop"]
        assert (await http.delete(f"/api/admin/sites/{site['id']}")).status_code == 204
        assert (await http.delete(f"/api/admin/sites/{site['id']}")).status_code == 404


async def test_teams_crud(server: InProcessServer, people_everywhere: People) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        created = await http.post("/api/admin/teams", json={
            "name": "Billing", "topics": ["billing", "invoices"], "members": [people_everywhere.agent.id],
        })
        assert created.status_code == 201
        team = created.json()["team"]
        assert team["topics"] == ["billing", "invoices"] and team["members"] == [people_everywhere.agent.id]
        taken = await http.post("/api/admin/teams", json={"name": "Other", "topics": ["billing"]})
        assert taken.status_code == 409
        assert await server.services.account_store.find_team_by_name("Other") is None  # nothing half-made
        ghost = await http.post("/api/admin/teams", json={"name": "Ghosts", "members": ["no-such-user"]})
        assert ghost.status_code == 400
        bad_topic = await http.post("/api/admin/teams", json={"name": "Bad", "topics": ["Not A Topic"]})
        assert bad_topic.status_code == 400
        smuggled = await http.post("/api/admin/teams", json={"name": "Sneaky", "id": "chosen"})
        assert smuggled.status_code == 400
        patched = await http.patch(f"/api/admin/teams/{team['id']}", json={
            "name": "Billing & invoices", "topics": ["invoices"], "members": [people_everywhere.agent.id, people_everywhere.manager.id],
        })
        assert patched.status_code == 200
        assert patched.json()["team"]["topics"] == ["invoices"]
        assert sorted(patched.json()["team"]["members"]) == sorted([people_everywhere.agent.id, people_everywhere.manager.id])
        assert await server.services.account_store.team_for_topic("billing") is None
        listed = await http.get("/api/admin/teams")
        assert [t["name"] for t in listed.json()["teams"]] == ["Billing & invoices"]
        assert (await http.delete(f"/api/admin/teams/{team['id']}")).status_code == 204
        assert (await http.get("/api/admin/teams")).json()["teams"] == []


async def test_cookie_calls_need_the_csrf_header(server: InProcessServer, people_everywhere: People) -> None:
    login = (await api_login(server, people_everywhere.admin.email)).json()
    cookies = {"chatsvc_session": login["token"]}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as http:
        assert (await http.get("/api/admin/users")).status_code == 200  # reading needs no token
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
            refused = await http.patch(f"/api/admin/users/{people_everywhere.agent.id}", json={"disabled": True}, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        assert not (await server.services.account_store.get_user(people_everywhere.agent.id)).disabled
        done = await http.patch(
            f"/api/admin/users/{people_everywhere.agent.id}", json={"disabled": True},
            headers={"X-CSRF-Token": login["csrf_token"]},
        )
        assert done.status_code == 200
    assert (await server.services.account_store.get_user(people_everywhere.agent.id)).disabled


async def test_a_password_reset_makes_the_user_choose_a_new_one(server: InProcessServer, people_everywhere: People) -> None:
    async with await _admin_http(server, people_everywhere) as http:
        reset = await http.patch(f"/api/admin/users/{people_everywhere.agent.id}", json={"password": "temporary password"})
        assert reset.status_code == 200 and reset.json()["user"]["must_change_password"] is True
        no_secrets(reset.text)
    assert (await api_login(server, people_everywhere.agent.email, STAFF_PASSWORD)).status_code == 401
    login = await api_login(server, people_everywhere.agent.email, "temporary password")
    assert login.json()["must_change_password"] is True
