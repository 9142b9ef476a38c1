"""GET /metrics: Prometheus text that prometheus-client's own parser reads, with the values of a scripted scenario;
the bearer token (constant-time, header only, never logged); 404 when no token is configured."""

from __future__ import annotations

import datetime
import logging
import math
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from chatsvc.client import VisitorClient
from chatsvc.store.schema import events, tickets
from tests.console_server import ORIGIN, staff_http
from tests.manager_live import manager_wire

TOKEN = "m3trics-t0ken-7f3a9c2e5b"  # distinctive: a log line holding it is found by a plain search


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels), as the official parser reads the page."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(server: Any, headers: dict[str, Any] | None = None, path: str = "/metrics") -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.get(path, headers=headers or {})


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_metrics_after_a_scripted_scenario(backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(backend, metrics_token=TOKEN) as server:
        manager = await server.add_staff("Maya", role="manager")
        sam_user = await server.add_staff("Sam", max_chats=1)
        await server.add_staff("Tess")  # never connects: offline
        sam = await server.agent(sam_user)
        first = VisitorClient(server.url, origin=ORIGIN)
        second = VisitorClient(server.url, origin=ORIGIN)
        third = VisitorClient(server.url, origin=ORIGIN)
        try:
            # One chat with Sam (who is then full), one waiting behind it, one the bot resolved and closed.
            await first.connect()
            await first.send("Where is my order 991?")
            await first.handoff()
            chat = await sam.wait_chat()
            await sam.send(chat.id, "Looking into it now.")
            await first.send("Thanks")
            await first.wait_event(kind="message", role="visitor", text="Thanks")
            await second.connect()
            await second.send("Hello, anyone there?")
            await second.handoff()
            await second.wait_event(kind="queued")
            await server.services.kb.create(
                article_id="reset-password", title="Reset your password", lang="en",
                body="Open **Account > Security** and choose *Reset password*.", alt=["I forgot my password"],
            )
            await third.connect()
            await third.send("I forgot my password, how do I reset it?")
            assert (await third.wait_event(kind="bot")).data["move"] == "answer"  # type: ignore[index]
            await third.send_frame({"type": "feedback", "helpful": True})
            await third.wait_event(kind="closed")
            await third.close()
            db = server.services.db
            # Three tickets: one past its first-response target, one within it, one resolved.
            http = await staff_http(server, manager)
            made = []
            async with http:
                for n in range(3):
                    response = await http.post("/api/tickets", json={
                        "site": "default", "subject": f"Question {n}", "message": "Please help",
                        "requester": {"email": f"v{n}@example.com"},
                    })
                    assert response.status_code == 201, response.text
                    made.append(response.json()["ticket"]["id"] if "ticket" in response.json()
                                else response.json()["id"])
            now = datetime.datetime.now(datetime.timezone.utc)
            hour = datetime.timedelta(hours=1)
            async with db.begin() as conn:
                await conn.execute(tickets.update().values(first_response_due=None, resolution_due=None))
                await conn.execute(
                    tickets.update().where(tickets.c.id == made[0]).values(first_response_due=now - hour)
                )
                await conn.execute(
                    tickets.update().where(tickets.c.id == made[1]).values(first_response_due=now + hour)
                )
                await conn.execute(
                    tickets.update().where(tickets.c.id == made[2]).values(status="resolved", resolved_at=now)
                )
                by_author = {
                    (kind, role): count
                    for kind, role, count in await conn.execute(
                        sa.select(events.c.kind, events.c.author_role, sa.func.count())
                        .group_by(events.c.kind, events.c.author_role)
                    )
                }

            async with manager_wire(server, await server.staff_token(manager)) as panel:
                await panel.wait_for(lambda f: f["type"] == "stats")
                response = await scrape(server, _bearer())
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert response.headers["cache-control"] == "no-store"
            got = samples(response.text)

            assert got[("chatsvc_queue_waiting", ())] == 1
            assert 0 < got[("chatsvc_queue_oldest_wait_seconds", ())] < 120
            # A new visitor would be second in line behind the waiting one; Sam's only slot is taken; no chat has
            # been handled yet, so five minutes each: 2 × 300 s ÷ 1 slot.
            assert got[("chatsvc_queue_estimated_wait_seconds", ())] == 600
            assert got[("chatsvc_conversations_in_progress", (("state", "assigned"),))] == 1
            assert got[("chatsvc_conversations_in_progress", (("state", "bot"),))] == 0
            assert got[("chatsvc_agents", (("status", "online"),))] == 1
            assert got[("chatsvc_agents", (("status", "away"),))] == 0
            assert got[("chatsvc_agents", (("status", "offline"),))] == 1
            assert got[("chatsvc_connections", (("role", "visitor"),))] == 2
            assert got[("chatsvc_connections", (("role", "agent"),))] == 1
            assert got[("chatsvc_connections", (("role", "manager"),))] == 1
            assert by_author[("message", "visitor")] == 4
            assert got[("chatsvc_messages_total", (("author", "visitor"),))] == 4
            assert got[("chatsvc_messages_total", (("author", "agent"),))] == 1
            assert got[("chatsvc_messages_total", (("author", "bot"),))] == by_author[("bot", "bot")] > 0
            assert got[("chatsvc_deflections_total", ())] == 1
            assert got[("chatsvc_tickets_open", ())] == 2
            assert got[("chatsvc_tickets_sla_breached", ())] == 1
            families = {family.name: family.type for family in text_string_to_metric_families(response.text)}
            assert families["chatsvc_messages"] == "counter" and families["chatsvc_deflections"] == "counter"
            assert families["chatsvc_queue_waiting"] == "gauge"
        finally:
            for client in (first, second, third, sam):
                await client.close()


async def test_without_agents_the_estimate_is_nan(sqlite_backend, start_server) -> None:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend, metrics_token=TOKEN) as server:
        got = samples((await scrape(server, _bearer())).text)
        estimate = got[("chatsvc_queue_estimated_wait_seconds", ())]
        assert math.isnan(estimate)  # nobody could answer
        assert got[("chatsvc_queue_oldest_wait_seconds", ())] == 0


async def test_the_token_is_required_in_the_header_and_never_logged(  # type: ignore[no-untyped-def]
    backend, start_server, caplog
) -> None:
    async with start_server(backend, metrics_token=TOKEN, log_level="info") as server:
        loggers = [logging.getLogger(name) for name in ("chatsvc", "uvicorn", "uvicorn.access", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(caplog.handler)
        try:
            refused = [
                {},
                _bearer("wrong"),
                _bearer(TOKEN + "x"),
                _bearer(TOKEN[:-1]),
                {"Authorization": TOKEN},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": "Bearer"},
                {"Authorization": "Bearer tökén".encode()},  # type: ignore[dict-item]
                {"X-Metrics-Token": TOKEN},
            ]
            for headers in refused:
                response = await scrape(server, headers)
                assert response.status_code == 401, headers
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert TOKEN not in response.text
            for path in (f"/metrics?token={TOKEN}", f"/metrics?access_token={TOKEN}", f"/metrics?bearer={TOKEN}"):
                assert (await scrape(server, path=path)).status_code == 401, path
            assert (await scrape(server, {"Authorization": f"bearer {TOKEN}"})).status_code == 200
            assert (await scrape(server, _bearer())).status_code == 200
        finally:
            for logger in loggers:
                logger.removeHandler(caplog.handler)
        assert any("/metrics" in record.getMessage() for record in caplog.records)  # the access log was heard
        for record in caplog.records:
            assert TOKEN not in record.getMessage(), record.getMessage()
        assert TOKEN not in caplog.text
        assert TOKEN not in repr(server.settings)


@pytest.mark.parametrize("headers", [{}, _bearer(), {"Authorization": "Bearer"}])
async def test_metrics_are_off_without_a_token(sqlite_server, headers) -> None:  # type: ignore[no-untyped-def]
    assert sqlite_server.settings.metrics_token == ""
    response = await scrape(sqlite_server, headers)
    assert response.status_code == 404
    assert "chatsvc_" not in response.text


def test_a_registered_secret_is_redacted_whatever_carries_it() -> None:
    from chatsvc.logs import never_log, redact

    secret = "only-in-this-test-5d0c81"
    never_log(secret)
    never_log("short")  # too short to replace literally: it would blank ordinary words
    line = f'"GET /metrics?x_auth={secret}&q=short HTTP/1.1" 401 Bearer {secret}'
    assert redact(line) == '"GET /metrics?x_auth=[redacted]&q=short HTTP/1.1" 401 Bearer [redacted]'
