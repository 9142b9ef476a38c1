"""SECURITY case 4: sign-out, password change, a reset or disabling by an admin close the person's open
sockets (close code 1008) and make their old sessions useless. Run on every backend: with Redis the
revocation travels through the broker."""

from __future__ import annotations

import json

import httpx
import websockets

from chatsvc.errors import CLOSE_POLICY
from tests.accounts.helpers import (
    STAFF_PASSWORD,
    agent_socket,
    api_login,
    bearer,
    close_code,
    form_token,
    signed_in_browser,
)
from tests.support.servers import InProcessServer


async def _token(server: InProcessServer, email: str, password: str = STAFF_PASSWORD) -> str:
    response = await api_login(server, email, password)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def test_password_change_closes_the_other_sockets(server: InProcessServer) -> None:
    agent = await server.add_staff("Paula", role="agent")
    token = await _token(server, agent.email)
    async with agent_socket(server, token) as ws:
        async with signed_in_browser(server, agent.email) as client:
            form = form_token((await client.get("/account/password")).text)
            changed = await client.post("/account/password", data={
                "csrf": form, "current": STAFF_PASSWORD, "new": "a new long password", "again": "a new long password",
            })
            assert changed.status_code == 303
            assert (await client.get("/staff")).status_code == 200  # this browser continues
        code, _reason = await close_code(ws)
        assert code == CLOSE_POLICY
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/auth/me", headers=bearer(token))).status_code == 401


async def test_disabling_closes_the_socket_and_refuses_sign_in(server: InProcessServer) -> None:
    admin = await server.add_staff("Ida", role="admin")
    agent = await server.add_staff("Dan", role="agent")
    admin_token = await _token(server, admin.email)
    token = await _token(server, agent.email)
    async with agent_socket(server, token) as ws:
        async with httpx.AsyncClient(base_url=server.url, headers=bearer(admin_token)) as http:
            response = await http.patch(f"/api/admin/users/{agent.id}", json={"disabled": True})
            assert response.status_code == 200 and response.json()["user"]["disabled"] is True
        code, _reason = await close_code(ws)
        assert code == CLOSE_POLICY
    refused = await api_login(server, agent.email)
    wrong = await api_login(server, agent.email, "not the password")
    assert refused.status_code == wrong.status_code == 401 and refused.json() == wrong.json()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/auth/me", headers=bearer(token))).status_code == 401
        async with httpx.AsyncClient(base_url=server.url, headers=bearer(admin_token)) as admin_http:
            assert (await admin_http.patch(f"/api/admin/users/{agent.id}", json={"disabled": False})).status_code == 200
    assert (await api_login(server, agent.email)).status_code == 200


async def test_password_reset_and_role_change_close_the_sockets(server: InProcessServer) -> None:
    admin = await server.add_staff("Ivo", role="admin")
    agent = await server.add_staff("Rae", role="agent")
    admin_token = await _token(server, admin.email)
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(admin_token)) as http:
        async with agent_socket(server, await _token(server, agent.email)) as ws:
            assert (await http.patch(f"/api/admin/users/{agent.id}", json={"role": "manager"})).status_code == 200
            assert (await close_code(ws))[0] == CLOSE_POLICY
        async with agent_socket(server, await _token(server, agent.email)) as ws:
            reset = await http.patch(f"/api/admin/users/{agent.id}", json={"password": "a temporary password"})
            assert reset.status_code == 200
            assert (await close_code(ws))[0] == CLOSE_POLICY


async def test_logout_closes_that_sessions_socket_only(server: InProcessServer) -> None:
    agent = await server.add_staff("Lou", role="agent")
    leaving = (await api_login(server, agent.email)).json()
    staying = await _token(server, agent.email)
    async with agent_socket(server, leaving["token"]) as ws_leaving, agent_socket(server, staying) as ws_staying:
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.post("/api/auth/logout", headers=bearer(leaving["token"]))).status_code == 200
        assert (await close_code(ws_leaving))[0] == CLOSE_POLICY
        await ws_staying.ping()  # still open: another session of the same person is not signed out
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/api/auth/me", headers=bearer(staying))).status_code == 200


async def test_a_pending_password_change_keeps_sockets_out(server: InProcessServer) -> None:
    admin = await server.add_staff("Ina", role="admin")
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(await _token(server, admin.email))) as http:
        created = await http.post("/api/admin/users", json={
            "email": "fresh@support.example", "name": "Fresh", "role": "agent", "password": "given password",
        })
        assert created.status_code == 201
    token = await _token(server, "fresh@support.example", "given password")
    async with websockets.connect(server.ws_url + "/ws/agent", additional_headers=bearer(token)) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        code, reason = await close_code(ws)
    assert code == CLOSE_POLICY and reason == "password_change_required"
