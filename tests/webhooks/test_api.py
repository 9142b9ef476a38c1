"""The webhooks admin API against a real server: admins only, CSRF, strict bodies, the secret shown once,
private targets refused unless allowed in the same body, the delivery log and re-sending."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from chatsvc.store.webhooks import enqueue_deliveries
from tests.accounts.helpers import api_login, bearer
from tests.support.people import People, people_on
from tests.support.servers import Backend, InProcessServer
from tests.webhooks.receiver import Receiver

PUBLIC_URL = "https://93.184.216.34/chatsvc-hook"  # a public literal: passes the check, no DNS needed


@pytest.fixture
async def server(
    backend: Backend, start_server: Callable[..., InProcessServer]
) -> AsyncIterator[InProcessServer]:
    # A one-hour worker interval: queued deliveries wait unless a test pokes the worker, so nothing here
    # tries to reach the public test address.
    async with start_server(backend, worker_interval=3600.0) as running:
        yield running


@pytest.fixture
async def people(server: InProcessServer) -> People:
    return await people_on(server)


async def _http(server: InProcessServer, email: str) -> httpx.AsyncClient:
    token = (await api_login(server, email)).json()["token"]
    return httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10)


async def test_crud_and_the_secret_is_shown_once(server: InProcessServer, people: People) -> None:
    async with await _http(server, people.admin.email) as http:
        created = await http.post(
            "/api/admin/webhooks", json={"url": PUBLIC_URL, "events": ["ticket.created"]}
        )
        assert created.status_code == 201, created.text
        hook, secret = created.json()["webhook"], created.json()["secret"]
        assert len(secret) >= 40
        assert hook["url"] == PUBLIC_URL and hook["events"] == ["ticket.created"]
        assert hook["enabled"] is True and hook["allow_private"] is False and "secret" not in hook
        default = await http.post("/api/admin/webhooks", json={"url": PUBLIC_URL + "/2"})
        assert default.json()["webhook"]["events"] == ["ticket.created", "ticket.updated", "ticket.resolved"]

        listed = await http.get("/api/admin/webhooks")
        got = await http.get(f"/api/admin/webhooks/{hook['id']}")
        patched = await http.patch(f"/api/admin/webhooks/{hook['id']}", json={
            "events": ["ticket.resolved", "ticket.updated", "ticket.resolved"], "enabled": False,
        })
        assert patched.status_code == 200
        assert patched.json()["webhook"]["events"] == ["ticket.resolved", "ticket.updated"]
        assert patched.json()["webhook"]["enabled"] is False
        for response in (listed, got, patched):
            assert secret not in response.text and '"secret"' not in response.text
        assert [h["id"] for h in listed.json()["webhooks"]] == [hook["id"], default.json()["webhook"]["id"]]
        assert got.json()["webhook"] == hook

        rotated = await http.post(f"/api/admin/webhooks/{hook['id']}/secret")
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != secret and new_secret not in (await http.get("/api/admin/webhooks")).text
        assert (await server.services.webhook_store.get(hook["id"])).secret == new_secret

        assert (await http.delete(f"/api/admin/webhooks/{hook['id']}")).status_code == 204
        assert (await http.get(f"/api/admin/webhooks/{hook['id']}")).status_code == 404
        assert (await http.delete(f"/api/admin/webhooks/{hook['id']}")).status_code == 404
        assert (await http.patch("/api/admin/webhooks/nope", json={"enabled": True})).status_code == 404
        assert (await http.post("/api/admin/webhooks/nope/secret")).status_code == 404
        assert len((await http.get("/api/admin/webhooks")).json()["webhooks"]) == 1


@pytest.mark.parametrize("role", ["agent", "manager"])
async def test_only_admins(server: InProcessServer, people: People, role: str) -> None:
    existing, _ = await server.services.webhook_store.create(PUBLIC_URL, ["ticket.created"], False,
                                                             server.services.clock())
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/admin/webhooks", None),
        ("POST", "/api/admin/webhooks", {"url": PUBLIC_URL}),
        ("GET", f"/api/admin/webhooks/{existing.id}", None),
        ("PATCH", f"/api/admin/webhooks/{existing.id}", {"url": "http://127.0.0.1/", "allow_private": True}),
        ("DELETE", f"/api/admin/webhooks/{existing.id}", None),
        ("POST", f"/api/admin/webhooks/{existing.id}/secret", None),
        ("GET", f"/api/admin/webhooks/{existing.id}/deliveries", None),
        ("POST", "/api/admin/webhook-deliveries/any/retry", None),
    ]
    email = people.agent.email if role == "agent" else people.manager.email
    async with await _http(server, email) as http:
        for method, path, body in calls:
            response = await http.request(method, path, json=body)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"
            assert existing.secret not in response.text
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get("/api/admin/webhooks")).status_code == 401
    assert await server.services.webhook_store.list() == [existing]


async def test_cookie_calls_need_the_csrf_header(server: InProcessServer, people: People) -> None:
    login = (await api_login(server, people.admin.email)).json()
    async with httpx.AsyncClient(base_url=server.url, cookies={"chatsvc_session": login["token"]}) as http:
        assert (await http.get("/api/admin/webhooks")).status_code == 200
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
            refused = await http.post("/api/admin/webhooks", json={"url": PUBLIC_URL}, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        assert await server.services.webhook_store.list() == []
        done = await http.post("/api/admin/webhooks", json={"url": PUBLIC_URL},
                               headers={"X-CSRF-Token": login["csrf_token"]})
        assert done.status_code == 201
        hook_id = done.json()["webhook"]["id"]
        for method, path in (("POST", f"/api/admin/webhooks/{hook_id}/secret"),
                             ("DELETE", f"/api/admin/webhooks/{hook_id}")):
            assert (await http.request(method, path)).json()["error"] == "csrf_failed"
    assert len(await server.services.webhook_store.list()) == 1


BAD_FIELDS: list[dict[str, Any]] = [
    {"id": "chosen"}, {"secret": "mine"}, {"created_at": "2020-01-01T00:00:00Z"}, {"updated_at": "x"},
    {"events": ["ticket.deleted"]}, {"events": []}, {"allow_private": "yes"}, {"url": ["http://x"]},
    {"url": {"$ne": None}}, {"enabled": 1},
]


async def test_unknown_or_invalid_fields_are_refused(server: InProcessServer, people: People) -> None:
    existing, _ = await server.services.webhook_store.create(PUBLIC_URL, ["ticket.created"], False,
                                                             server.services.clock())
    async with await _http(server, people.admin.email) as http:
        for extra in BAD_FIELDS:
            created = await http.post("/api/admin/webhooks", json={"url": PUBLIC_URL, **extra})
            assert created.status_code == 400, (extra, created.text)
            assert created.json()["error"] == "bad_request"
            patched = await http.patch(f"/api/admin/webhooks/{existing.id}", json=extra)
            assert patched.status_code == 400, (extra, patched.text)
            assert patched.json()["error"] == "bad_request"
    assert await server.services.webhook_store.list() == [existing]


PRIVATE_URLS = [
    "http://127.0.0.1:8000/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/",
    "http://10.0.0.5/", "http://192.168.1.1/", "http://100.64.0.1/", "http://localhost:6379/",
]


async def test_private_targets_are_refused_unless_allowed_in_the_same_body(
    server: InProcessServer, people: People
) -> None:
    existing, _ = await server.services.webhook_store.create(PUBLIC_URL, ["ticket.created"], True,
                                                             server.services.clock())
    async with await _http(server, people.admin.email) as http:
        for url in PRIVATE_URLS:
            for body in ({"url": url}, {"url": url, "allow_private": False}):
                refused = await http.post("/api/admin/webhooks", json=body)
                assert refused.status_code == 400, (url, refused.text)
                assert refused.json()["error"] == "blocked_address"
                assert "allow_private" in refused.json()["message"]
            # The stored webhook allows private targets, but a new URL must say so again.
            patched = await http.patch(f"/api/admin/webhooks/{existing.id}", json={"url": url})
            assert patched.status_code == 400 and patched.json()["error"] == "blocked_address", url
        assert await server.services.webhook_store.list() == [existing]
        for url in PRIVATE_URLS:
            allowed = await http.post("/api/admin/webhooks", json={"url": url, "allow_private": True})
            assert allowed.status_code == 201 and allowed.json()["webhook"]["allow_private"] is True, url
            # Withdrawing the permission while the URL is private is refused too.
            hook_id = allowed.json()["webhook"]["id"]
            withdrawn = await http.patch(f"/api/admin/webhooks/{hook_id}", json={"allow_private": False})
            assert withdrawn.status_code == 400 and withdrawn.json()["error"] == "blocked_address", url


async def test_invalid_urls_are_refused_with_a_reason(server: InProcessServer, people: People) -> None:
    async with await _http(server, people.admin.email) as http:
        for url, code in [
            ("ftp://93.184.216.34/", "bad_request"), ("https://user:pw@93.184.216.34/", "bad_request"),
            ("https://93.184.216.34/#x", "bad_request"), ("not a url", "bad_request"),
            ("https://no-such-host.invalid/", "unresolvable_host"),
        ]:
            refused = await http.post("/api/admin/webhooks", json={"url": url})
            assert refused.status_code == 400 and refused.json()["error"] == code, (url, refused.text)
            assert refused.json()["message"]
    assert await server.services.webhook_store.list() == []


async def test_the_delivery_log_and_sending_again(server: InProcessServer, people: People) -> None:
    services = server.services
    async with Receiver().running() as receiver:
        # Stored past the API's check: the worker blocks it on its own, and the admin sees why in the log.
        hook, _secret = await services.webhook_store.create(receiver.url + "/in", ["ticket.created"], False,
                                                            services.clock())
        async with services.db.begin() as conn:
            [delivery_id] = await enqueue_deliveries(conn, event="ticket.created", ticket_id="T9",
                                                     payload={"subject": "Hello"}, now=services.clock())
        services.webhooks.poke()
        async with await _http(server, people.admin.email) as http:
            log = await _wait_for(http, hook.id, "failed")
            assert (log["id"], log["last_error"], log["attempts"]) == (delivery_id, "blocked address", 1)
            assert log["payload"]["data"] == {"subject": "Hello"} and log["ticket_id"] == "T9"
            assert receiver.connections == 0

            allowed = await http.patch(f"/api/admin/webhooks/{hook.id}",
                                       json={"url": receiver.url + "/in", "allow_private": True})
            assert allowed.status_code == 200
            retried = await http.post(f"/api/admin/webhook-deliveries/{delivery_id}/retry")
            assert retried.status_code == 202 and retried.json()["delivery"]["status"] == "pending"
            log = await _wait_for(http, hook.id, "delivered")
            assert log["last_status"] == 200 and log["attempts"] == 1
            again = await http.post(f"/api/admin/webhook-deliveries/{delivery_id}/retry")
            assert again.status_code == 409
            assert (await http.post("/api/admin/webhook-deliveries/nope/retry")).status_code == 404
            assert (await http.get("/api/admin/webhooks/nope/deliveries")).status_code == 404
            assert (await http.get(f"/api/admin/webhooks/{hook.id}/deliveries?limit=0")).status_code == 400
            assert (await http.get(f"/api/admin/webhooks/{hook.id}/deliveries?limit=x")).status_code == 400
    assert [r.path for r in receiver.requests] == ["/in"]


async def _wait_for(http: httpx.AsyncClient, hook_id: str, status: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            response = await http.get(f"/api/admin/webhooks/{hook_id}/deliveries", params={"limit": 10})
            assert response.status_code == 200
            [delivery] = response.json()["deliveries"]
            if delivery["status"] == status:
                return dict(delivery)
            await asyncio.sleep(0.05)
