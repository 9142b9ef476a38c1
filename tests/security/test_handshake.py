"""SECURITY.md 1-3: who may open a socket, with what credential, and that credentials stay out of logs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from chatsvc.client import VisitorClient
from tests.support.raw import close_code, visitor_socket
from tests.support.servers import STAFF_PASSWORD, ServerProcess

HOSTILE_ORIGINS = [
    "https://evil.test",
    "null",
    "https://shop.example.evil.test",
    "https://evilshop.example",
    "http://shop.example",  # another scheme is another origin
    "https://shop.example:8443",
]


@pytest.mark.parametrize("origin", HOSTILE_ORIGINS)
async def test_visitor_handshake_from_a_foreign_origin_is_refused(sqlite_server, origin: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            f"{sqlite_server.ws_url}/ws/visitor?site=default", additional_headers={"Origin": origin}
        ):
            pass
    assert refused.value.response.status_code == 403
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.post("/api/visitor/session", json={"site": "default"}, headers={"Origin": origin})
        assert response.status_code == 403 and response.json()["error"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers
        preflight = await http.options("/api/visitor/session?site=default", headers={"Origin": origin})
        assert "access-control-allow-origin" not in preflight.headers


async def test_allowed_origin_gets_cors_and_a_socket(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        origin = {"Origin": "https://shop.example"}
        preflight = await http.options("/api/visitor/session?site=default", headers=origin)
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
        response = await http.post("/api/visitor/session", json={"site": "default"}, headers=origin)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        token = response.json()["token"]
    async with visitor_socket(sqlite_server.ws_url, token, additional_headers=origin):
        pass


async def test_agent_handshake_from_a_foreign_origin_is_refused(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    user = await sqlite_server.add_staff("Quinn")
    token = await sqlite_server.staff_token(user)
    headers = {"Authorization": f"Bearer {token}", "Origin": "https://evil.test"}
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"{sqlite_server.ws_url}/ws/agent", additional_headers=headers):
            pass
    assert refused.value.response.status_code == 403
    # The server's own origin (its console page) is accepted.
    headers["Origin"] = sqlite_server.url
    async with websockets.connect(f"{sqlite_server.ws_url}/ws/agent", additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        assert json.loads(await ws.recv())["type"] == "welcome"


async def test_unknown_site_is_refused(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidStatus):
        async with websockets.connect(f"{sqlite_server.ws_url}/ws/visitor?site=nope"):
            pass
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        response = await http.post("/api/visitor/session", json={"site": "nope"})
        assert response.status_code == 404


async def _token_for_other_site(server) -> str:  # type: ignore[no-untyped-def]
    await server.services.account_store.create_site(
        key="other", name="Other", allowed_origins=["https://other.example"], now=server.services.clock()
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/visitor/session", json={"site": "other"})
        return str(response.json()["token"])


async def test_bad_visitor_tokens_close_with_1008_and_say_nothing_more(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    good = VisitorClient(sqlite_server.url)
    await good.connect()
    token = good.token
    assert token is not None
    await good.close()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_site = await _token_for_other_site(sqlite_server)
    cases = {
        "missing": {"type": "hello"},
        "empty": {"type": "hello", "token": ""},
        "tampered": {"type": "hello", "token": tampered},
        "garbage": {"type": "hello", "token": "x" * 40},
        "other site": {"type": "hello", "token": other_site},
        "wrong type": {"type": "hello", "token": {"$ne": None}},
        "not hello first": {"type": "message", "client_id": "a", "text": "hi"},
    }
    reasons = set()
    for name, hello in cases.items():
        async with visitor_socket(sqlite_server.ws_url) as ws:
            await ws.send(json.dumps(hello))
            code, reason = await close_code(ws)
            assert code == 1008, name
            reasons.add(reason)
    assert reasons == {"unauthorized"}  # the same answer whatever was wrong


async def test_expired_visitor_token_is_refused(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, visitor_token_ttl=1) as server:
        visitor = VisitorClient(server.url)
        await visitor.connect()
        await visitor.close()
        await asyncio.sleep(2.1)
        async with visitor_socket(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "hello", "token": visitor.token}))
            assert await close_code(ws) == (1008, "unauthorized")


async def test_silent_socket_is_closed_after_the_hello_timeout(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, hello_timeout=0.5) as server:
        async with visitor_socket(server.ws_url) as ws:
            assert await close_code(ws) == (1008, "hello_timeout")


async def test_credentials_never_reach_the_log(sqlite_backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "CHATSVC_DATABASE_URL": sqlite_backend.database_url,
        "CHATSVC_DATA_DIR": str(tmp_path),
        "CHATSVC_LOG_LEVEL": "debug",
    }
    process = ServerProcess(env, cwd=tmp_path)
    await process.start()
    try:
        visitor = VisitorClient(process.url)
        await visitor.connect()
        await visitor.send("hello")
        await visitor.close()
        assert visitor.token
        # A misconfigured integration puts the token in the URL: it must still not be logged.
        async with websockets.connect(
            f"ws://127.0.0.1:{process.port}/ws/visitor?site=default&token={visitor.token}"
        ) as ws:
            await ws.send(json.dumps({"type": "hello", "token": visitor.token}))
            await ws.recv()
        async with httpx.AsyncClient(base_url=process.url) as http:
            await http.get(f"/healthz?token={visitor.token}&password={STAFF_PASSWORD}")
        password_file = (tmp_path / "initial-admin-password.txt").read_text().split()[1]
    finally:
        await process.stop()
    log = process.log()
    assert "/ws/visitor" in log or "healthz" in log  # the log did record the requests
    assert visitor.token not in log
    assert STAFF_PASSWORD not in log
    assert password_file not in log
    assert "initial-admin-password.txt" in log  # where to find it, not what it is


async def test_cli_disabling_an_agent_closes_their_socket_on_the_embedded_broker(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, session_recheck_seconds=0.3) as server:
        user = await server.add_staff("Remy")
        agent = await server.agent(user, reconnect=False)
        # What `chatsvc user disable` does from another process: the database changes, no broker message.
        await server.services.account_store.update_user(user.id, disabled=True)
        await server.services.account_store.delete_sessions_of(user.id)
        for _ in range(50):
            if agent.closed_code is not None:
                break
            await asyncio.sleep(0.05)
        assert agent.closed_code == 1008
        await agent.close()
