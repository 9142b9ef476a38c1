"""POST /api/visitor/tickets and GET /api/visitor/availability over a real server, on each backend."""

from __future__ import annotations

import asyncio
import datetime
import email.parser
import email.policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatsvc.web.ratelimit import FailureWindow
from chatsvc.web.visitor_tickets import LEAVE_LIMIT
from tests.support.servers import Backend
from tests.visitor_tickets import MESSAGE, ORIGIN, leave, staff_http, ticket_count


async def test_a_left_message_becomes_a_form_ticket(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        made = await leave(http, page_url="https://shop.example/orders/991", lang="fr", client_id="c-1")
        assert made.status_code == 201, made.text
        assert made.headers["access-control-allow-origin"] == ORIGIN
        body = made.json()
        # The id and status only: the status link goes by mail, never in this answer.
        assert body == {"ticket": {"id": body["ticket"]["id"], "status": "new"}}
        assert "ticket-status" not in made.text
        ticket_id = body["ticket"]["id"]

        full = (await staff.get(f"/api/tickets/{ticket_id}")).json()
        ticket = full["ticket"]
        assert ticket["source"] == "form" and ticket["status"] == "new" and ticket["lang"] == "fr"
        assert ticket["requester"] == {"name": "Vera", "email": "vera@example.com"}
        assert ticket["subject"] == "My parcel never came"  # the first line
        created, first = full["entries"]
        assert created["kind"] == "change" and created["data"]["source"] == "form"
        assert first["kind"] == "message" and first["author"]["role"] == "visitor"
        assert first["body"] == MESSAGE
        stored = await server.services.ticket_store.get(ticket_id)
        assert stored.details["page_url"] == "https://shop.example/orders/991"
        assert stored.details["user_agent"].startswith("python-httpx")
        assert await ticket_count(staff) == 1


async def test_preflight_answers_allowed_origins_only(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        allowed = await http.options("/api/visitor/tickets?site=default", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        })
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in allowed.headers["access-control-allow-methods"]
        for origin in ("https://evil.test", "null", "https://shop.example.evil.test"):
            refused = await http.options("/api/visitor/tickets?site=default", headers={"Origin": origin})
            assert "access-control-allow-origin" not in refused.headers, origin
        unknown_site = await http.options("/api/visitor/tickets?site=nope", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in unknown_site.headers


BAD_BODIES: list[tuple[dict[str, Any], int, str]] = [
    ({"email": "not-an-email"}, 400, "invalid_email"),
    ({"email": "vera@localhost"}, 400, "invalid_email"),
    ({"email": "vera@example.com\r\nBcc: x@evil.test"}, 400, "invalid_email"),
    ({"email": "Vera <vera@example.com>"}, 400, "invalid_email"),
    ({"email": {"$ne": None}}, 400, "bad_request"),
    ({"email": ["vera@example.com"]}, 400, "bad_request"),
    ({"message": {"$regex": "^a"}}, 400, "bad_request"),
    ({"message": 0}, 400, "bad_request"),
    ({"name": True}, 400, "bad_request"),
    ({"site": ["default"]}, 400, "bad_request"),
    ({"lang": "de"}, 400, "bad_request"),
    ({"message": "x" * 20_001}, 400, "bad_request"),
    ({"message": "   \n  "}, 400, "bad_request"),
    ({"message": ""}, 400, "bad_request"),
    ({"role": "admin"}, 400, "bad_request"),  # unknown fields are refused, never applied
    ({"status": "resolved"}, 400, "bad_request"),
    ({"visitor_id": "someone-else"}, 400, "bad_request"),
    ({"site": "nope"}, 404, "not_found"),
    ({"token": "forged.token.value"}, 401, "unauthorized"),
]


@pytest.mark.parametrize(("fields", "status", "code"), BAD_BODIES, ids=[str(b[0])[:40] for b in BAD_BODIES])
async def test_bad_bodies_are_refused_and_store_nothing(
    sqlite_server, fields: dict[str, Any], status: int, code: str  # type: ignore[no-untyped-def]
) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http, await staff_http(sqlite_server) as staff:
        refused = await leave(http, **fields)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"] == code
        assert await ticket_count(staff) == 0


async def test_missing_fields_and_non_json_are_refused(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        for missing in ("site", "email", "message"):
            body = {"site": "default", "email": "vera@example.com", "message": "Hello"}
            del body[missing]
            refused = await http.post("/api/visitor/tickets", json=body, headers={"Origin": ORIGIN})
            assert refused.status_code == 400 and refused.json()["error"] == "bad_request", missing
        for raw in (b"[1]", b"true", b"{", b"\xff\xfe", b'{"site": "default"' + b"[" * 10_000):
            refused = await http.post("/api/visitor/tickets", content=raw, headers={
                "Origin": ORIGIN, "Content-Type": "application/json",
            })
            assert refused.status_code == 400, raw[:20]
        form = await http.post("/api/visitor/tickets", data={"site": "default", "email": "vera@example.com",
                                                             "message": "hi"}, headers={"Origin": ORIGIN})
        assert form.status_code == 400
        assert await ticket_count(staff) == 0


async def test_foreign_origins_are_refused(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        for origin in ("https://evil.test", "null", "https://shop.example.evil.test", "https://evilshop.example",
                       "http://shop.example"):
            refused = await leave(http, origin=origin)
            assert refused.status_code == 403, origin
            assert refused.json()["error"] == "origin_not_allowed"
            assert "access-control-allow-origin" not in refused.headers
        assert await ticket_count(staff) == 0


async def test_refusals_from_an_allowed_origin_are_readable_by_the_widget(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        refused = await leave(http, email="nope")
        assert refused.status_code == 400
        assert refused.json() == {"error": "invalid_email", "message": "invalid email"}
        assert refused.headers["access-control-allow-origin"] == ORIGIN


async def test_line_breaks_in_the_name_never_reach_a_mail_header(
    backend: Backend, start_server, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    outbox = tmp_path / "outbox"
    async with start_server(backend, mail_outbox=outbox, worker_interval=0.05) as server:
        async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
            made = await leave(http, name="a\r\nBcc: x@evil.test", message="Hello\r\nBcc: y@evil.test\r\n\r\nbody")
            assert made.status_code == 201, made.text
            ticket = (await staff.get(f"/api/tickets/{made.json()['ticket']['id']}")).json()["ticket"]
            assert "\r" not in ticket["requester"]["name"] and "\n" not in ticket["requester"]["name"]
            assert "\n" not in ticket["subject"] and "\r" not in ticket["subject"]
            for _ in range(200):
                files = sorted(outbox.glob("*.eml")) if outbox.exists() else []
                if files:
                    break
                await asyncio.sleep(0.05)
            [path] = files
            raw = path.read_bytes()
            message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
            assert message["Bcc"] is None and message["Cc"] is None
            assert [str(a.addr_spec) for a in message["To"].addresses] == ["vera@example.com"]
            header_block = raw.split(b"\r\n\r\n", 1)[0]
            assert b"evil.test" not in header_block.replace(b"\r\n ", b" ").split(b"Subject:")[0]
            for line in header_block.split(b"\r\n"):
                assert not line.lower().startswith(b"bcc:"), line


async def test_a_visitor_token_links_the_ticket_to_the_visitor(server) -> None:  # type: ignore[no-untyped-def]
    services = server.services
    other_site = await services.account_store.create_site(
        key="other", name="Other", allowed_origins=["https://other.example"], now=services.clock()
    )
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        session = await http.post("/api/visitor/session", json={"site": "default"}, headers={"Origin": ORIGIN})
        token = session.json()["token"]
        foreign = (await http.post("/api/visitor/session", json={"site": "other"},
                                   headers={"Origin": "https://other.example"})).json()["token"]
        # A token of another site, a tampered one: the same refusal, saying nothing about why.
        for bad in (foreign, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x"):
            refused = await leave(http, token=bad)
            assert refused.status_code == 401
            assert refused.json() == {"error": "unauthorized", "message": "Authentication is required or has expired."}
        assert await ticket_count(staff) == 0

        made = await leave(http, token=token, name="Vera Lynn", email="vera.lynn@example.com")
        assert made.status_code == 201, made.text
        ticket = await services.ticket_store.get(made.json()["ticket"]["id"])
        assert ticket.visitor_id is not None
        visitor = await services.conversation_store.get_visitor(ticket.visitor_id)
        assert visitor is not None and visitor.site_id != other_site.id
        assert (visitor.name, visitor.email) == ("Vera Lynn", "vera.lynn@example.com")
        [entry] = [e for e in await services.ticket_store.entries(ticket.id) if e.kind == "message"]
        assert entry.author_id == ticket.visitor_id


async def test_leaving_messages_is_rate_limited_per_address(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        for n in range(LEAVE_LIMIT):
            made = await leave(http, message=f"Question {n}")
            assert made.status_code == 201, (n, made.text)
        limited = await leave(http, message="One more")
        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        assert int(limited.headers["retry-after"]) > 0
        assert limited.headers["access-control-allow-origin"] == ORIGIN  # the widget can read why
        assert await ticket_count(staff) == LEAVE_LIMIT
        # Another address is not affected: the window is per client address.
        window: FailureWindow = server.app.app.state.visitor_ticket_limiter
        assert window.blocked("127.0.0.1") > 0 and window.blocked("10.0.0.9") == 0


# --- availability ----------------------------------------------------------------------------------------------


async def _availability(http: httpx.AsyncClient, origin: str = ORIGIN) -> httpx.Response:
    return await http.get("/api/visitor/availability?site=default", headers={"Origin": origin})


async def _once_agents(http: httpx.AsyncClient, online: bool) -> dict[str, Any]:
    """The answer once presence says ``online`` (the agent socket's welcome comes just before its presence is
    registered, and a status change travels over the socket)."""
    for _ in range(200):
        answer: dict[str, Any] = (await _availability(http)).json()
        if answer["agents_online"] is online:
            return answer
        await asyncio.sleep(0.02)
    raise AssertionError(f"agents_online never became {online}: {answer}")


async def test_availability_without_agents_offers_the_form(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await _availability(http)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert answer.json() == {"open": True, "agents_online": False, "leave_message": True, "next_opening": None}
        for origin in ("https://evil.test", "null"):
            refused = await _availability(http, origin)
            assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
        assert (await http.get("/api/visitor/availability?site=nope")).status_code == 404
        assert (await http.get("/api/visitor/availability")).status_code == 404


async def test_availability_with_an_agent_online_offers_the_chat(server) -> None:  # type: ignore[no-untyped-def]
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            answer = await _once_agents(http, True)
            assert answer == {"open": True, "agents_online": True, "leave_message": False, "next_opening": None}
            await agent.set_status("away")
            answer = await _once_agents(http, False)
            assert answer == {"open": True, "agents_online": False, "leave_message": True, "next_opening": None}
    finally:
        await agent.close()


async def test_availability_outside_business_hours_offers_the_form(server) -> None:  # type: ignore[no-untyped-def]
    services = server.services
    site = await services.account_store.find_site_by_key("default")
    now = datetime.datetime.now(datetime.timezone.utc)
    start = (now.hour + 6) % 24  # open one hour a day, six hours from now: closed now whatever the time
    interval = [[f"{start:02d}:00", f"{start + 1:02d}:00" if start < 23 else "24:00"]]
    weekly = {day: interval for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await services.ticket_config.put_hours(site.id, "UTC", weekly, [], now)
    ana = await server.add_staff("Ana")
    agent = await server.agent(ana)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            answer = await _once_agents(http, True)
        assert answer["open"] is False and answer["leave_message"] is True
        opening = datetime.datetime.fromisoformat(answer["next_opening"])
        assert now < opening <= now + datetime.timedelta(hours=7)
        assert opening.hour == start and opening.minute == 0
    finally:
        await agent.close()
