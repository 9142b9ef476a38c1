"""End to end: the widget's message becomes a ticket, the visitor gets the signed link by mail from a real SMTP
server (aiosmtpd on a free port), opens it, reads the staff's replies (never their notes) and answers from the
page; and every link that is not exactly the one we mailed opens nothing."""

from __future__ import annotations

import asyncio
import email.message
import email.parser
import email.policy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from chatsvc.domain.ids import new_secret
from chatsvc.domain.links import TicketLinks
from chatsvc.web.visitor_tickets import GUESS_LIMIT
from tests.support.servers import Backend, InProcessServer, free_port
from tests.visitor_tickets import ORIGIN, leave, staff_http, visible_text

LINK = re.compile(r"https?://[^\s<>\"]+/ticket-status/[A-Za-z0-9_.\-]+")


@dataclass
class Inbox:
    """What the real SMTP server received."""

    port: int = 0
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK: queued"

    def messages(self) -> list[email.message.EmailMessage]:
        parser = email.parser.BytesParser(policy=email.policy.default)
        return [parser.parsebytes(e.original_content) for e in self.envelopes]  # type: ignore[misc]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[email.message.EmailMessage]:
        async with asyncio.timeout(timeout):
            while len(self.envelopes) < count:
                await asyncio.sleep(0.02)
        return self.messages()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _link(message: email.message.EmailMessage) -> str:
    [link] = set(LINK.findall(_text(message)))
    return link


def _served(server: InProcessServer) -> InProcessServer:
    """Links in mails name the server's public URL: this one, on its free port."""
    server.settings = server.settings.replace(public_urls=(server.url,))
    return server


async def test_the_visitor_follows_the_mailed_link_and_answers(
    backend: Backend, start_server, inbox: Inbox  # type: ignore[no-untyped-def]
) -> None:
    server = _served(start_server(backend, smtp_url=f"smtp://127.0.0.1:{inbox.port}", worker_interval=0.05,
                                  mail_from="Shop Support <support@shop.example>"))
    async with server, httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        made = await leave(http, message="My parcel never came\nOrder 991, sent to Lyon.")
        assert made.status_code == 201, made.text
        ticket_id = made.json()["ticket"]["id"]
        assert "ticket-status" not in made.text  # the link goes by mail only

        [created] = await inbox.wait_for(1)
        assert inbox.envelopes[0].rcpt_tos == ["vera@example.com"]
        assert created["To"].addresses[0].addr_spec == "vera@example.com"
        assert "My parcel never came" in created["Subject"]
        link = _link(created)
        assert link.startswith(server.url + "/ticket-status/")
        assert link in str(created.get_body(("html",)).get_content())  # type: ignore[union-attr]

        page = await http.get(link)
        assert page.status_code == 200
        text = visible_text(page.text)
        assert "My parcel never came" in text and "Order 991, sent to Lyon." in text and "Received" in text

        reply = await staff.post(f"/api/tickets/{ticket_id}/reply",
                                 json={"text": "Which street in Lyon?", "status": "pending"})
        assert reply.status_code == 200, reply.text
        note = await staff.post(f"/api/tickets/{ticket_id}/notes", json={"text": "Courier lost it, do not say"})
        assert note.status_code == 200, note.text
        _, replied = await inbox.wait_for(2)
        assert "Which street in Lyon?" in _text(replied) and _link(replied) == link
        assert "Courier lost it" not in _text(replied)

        page = await http.get(link)
        text = visible_text(page.text)
        assert "Which street in Lyon?" in text and "Waiting for your reply" in text
        assert "Courier lost it" not in page.text

        # The visitor answers from the page, as a browser posts its form (with our own Origin).
        client_id = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        sent = await http.post(link, data={"text": "12 Rose Street", "client_id": client_id},
                               headers={"Origin": server.url})
        assert sent.status_code == 303
        full = (await staff.get(f"/api/tickets/{ticket_id}")).json()
        assert full["ticket"]["status"] == "open"
        assert any(e["body"] == "12 Rose Street" and e["author"]["role"] == "visitor" for e in full["entries"])
        shown = visible_text((await http.get(sent.headers["location"])).text)
        assert "12 Rose Street" in shown and "Your message is sent." in shown and "Opened again" in shown

        # Resolved, the visitor gets a mail; answering again reopens the request.
        resolved = await staff.post(f"/api/tickets/{ticket_id}/reply",
                                    json={"text": "Redelivered today.", "status": "resolved"})
        assert resolved.status_code == 200, resolved.text
        *_, resolved_mail = await inbox.wait_for(3)
        assert _link(resolved_mail) == link
        assert "Marked resolved" in visible_text((await http.get(link)).text)
        again = await http.post(link, data={"text": "Not here yet", "client_id": "second"},
                                headers={"Origin": server.url})
        assert again.status_code == 303
        full = (await staff.get(f"/api/tickets/{ticket_id}")).json()
        assert full["ticket"]["status"] == "open"
        assert [e["body"] for e in full["entries"] if e["kind"] == "message" and e["author"]["role"] == "visitor"][
            -2:] == ["12 Rose Street", "Not here yet"]
        assert len(inbox.envelopes) == 3  # the visitor's own answers are not mailed back to them


async def test_any_other_link_opens_nothing(
    backend: Backend, start_server, inbox: Inbox  # type: ignore[no-untyped-def]
) -> None:
    server = _served(start_server(backend, smtp_url=f"smtp://127.0.0.1:{inbox.port}", worker_interval=0.05))
    async with server, httpx.AsyncClient(base_url=server.url) as http, await staff_http(server) as staff:
        first = await leave(http, message="Alpha question about my invoice", email="alpha@example.com")
        second = await leave(http, message="Bravo question about my parcel", email="bravo@example.com")
        a_id, b_id = first.json()["ticket"]["id"], second.json()["ticket"]["id"]
        mails = await inbox.wait_for(2)
        links = {m["To"].addresses[0].addr_spec: _link(m) for m in mails}
        link_a, link_b = links["alpha@example.com"], links["bravo@example.com"]

        # Each link opens its own ticket and never the other.
        page_a, page_b = (await http.get(link_a)).text, (await http.get(link_b)).text
        assert "Alpha question" in page_a and "Bravo" not in page_a and "bravo@" not in page_a
        assert "Bravo question" in page_b and "Alpha" not in page_b

        token = link_a.rsplit("/", 1)[1]
        session = (await http.post("/api/visitor/session", json={"site": "default"},
                                   headers={"Origin": ORIGIN})).json()["token"]
        flipped = [token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:] for i in (0, len(token) // 2, -1)]
        flipped[-1] = token[:-1] + ("A" if token[-1] != "A" else "B")
        candidates = [
            *flipped,  # one character changed
            token[:-1], token[: len(token) // 2], token.split(".")[0],  # truncated
            token + "A", token + ".",
            TicketLinks(new_secret()).token(a_id),  # the real id, signed by another server's key
            a_id, b_id,  # the bare ticket ids
            "1", "2", "0", "-1", "00000000", "...", "null",  # sequential and guessed
            session,  # a visitor token is not a ticket link (its own salt)
            "x" * 400,  # absurdly long
        ]
        assert len(candidates) < GUESS_LIMIT
        bodies = set()
        for candidate in candidates:
            page = await http.get(f"/ticket-status/{candidate}")
            assert page.status_code == 404, candidate
            assert page.headers["referrer-policy"] == "no-referrer"
            assert "Alpha" not in page.text and "alpha@" not in page.text and "invoice" not in page.text
            bodies.add(page.text)
        assert len(bodies) == 1  # one page for every failure: nothing tells a tampered link from a made-up one

        before = (await staff.get(f"/api/tickets/{a_id}")).json()["entries"]
        for candidate in flipped[:1] + [TicketLinks(new_secret()).token(a_id)]:
            posted = await http.post(f"/ticket-status/{candidate}", data={"text": "hijack", "client_id": "z"},
                                     headers={"Origin": server.url})
            assert posted.status_code == 404
        assert (await staff.get(f"/api/tickets/{a_id}")).json()["entries"] == before


async def test_walking_links_gets_an_address_slowed_down(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        made = await leave(http)
        real = "/ticket-status/" + server.services.tickets.links.token(made.json()["ticket"]["id"])
        for n in range(GUESS_LIMIT):
            assert (await http.get(f"/ticket-status/guess{n}")).status_code == 404
        walled = await http.get("/ticket-status/guess-more")
        assert walled.status_code == 429 and int(walled.headers["retry-after"]) > 0
        # From that address even a real link waits (nothing tells the scanner it found one).
        assert (await http.get(real)).status_code == 429


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything our loggers and uvicorn's write (attached to them: the server's log set-up stops them
    propagating to the root logger)."""
    names = ("chatsvc", "uvicorn", "uvicorn.error")
    for name in names:
        logging.getLogger(name).addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield caplog
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(caplog.handler)


async def test_without_smtp_the_mail_is_a_file_and_the_log_keeps_no_secret(
    backend: Backend, start_server, tmp_path: Path, server_log: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    outbox = tmp_path / "outbox"
    server = _served(start_server(backend, mail_outbox=outbox, worker_interval=0.05, log_level="debug"))
    async with server:
        # The log set-up ran at start: attach again in case it replaced the handlers.
        for name in ("chatsvc", "uvicorn", "uvicorn.error"):
            logging.getLogger(name).addHandler(server_log.handler)
            logging.getLogger(name).setLevel(logging.DEBUG)
        async with httpx.AsyncClient(base_url=server.url) as http:
            made = await leave(http, email="vera.private@example.com", name="Vera Private")
            assert made.status_code == 201, made.text
            async with asyncio.timeout(5):
                while not list(outbox.glob("*.eml")):
                    await asyncio.sleep(0.02)
            [path] = list(outbox.glob("*.eml"))
            message = email.parser.BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
            assert message["To"].addresses[0].addr_spec == "vera.private@example.com"
            link = _link(message)
            token = link.rsplit("/", 1)[1]
            assert (await http.get(link)).status_code == 200
            sent = await http.post(link, data={"text": "More details", "client_id": "c1"},
                                   headers={"Origin": server.url})
            assert sent.status_code == 303
            assert (await http.get(link[:-1])).status_code == 404
    logged = server_log.text
    assert "mail" in logged and "example.com" in logged  # the mail worker did log, by domain only
    assert token not in logged and token[:20] not in logged
    assert "vera.private" not in logged and "Vera Private" not in logged


async def test_the_access_log_never_carries_a_status_link(
    backend: Backend, start_server, tmp_path: Path, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    """Case 3 for links in the path: at the default "info" level uvicorn's access log writes each request's
    path, and the path of a status page is its credential."""
    server = _served(start_server(backend, mail_outbox=tmp_path / "outbox", log_level="info"))
    async with server:
        access = logging.getLogger("uvicorn.access")
        access.addHandler(caplog.handler)
        try:
            async with httpx.AsyncClient(base_url=server.url) as http:
                made = await leave(http)
                token = server.services.tickets.links.token(made.json()["ticket"]["id"])
                assert (await http.get(f"/ticket-status/{token}")).status_code == 200
        finally:
            access.removeHandler(caplog.handler)
    assert "/ticket-status/" in caplog.text  # the request was logged...
    assert token not in caplog.text  # ...without its credential


def test_mailed_links_use_the_served_address_unless_public_urls_say_otherwise() -> None:
    from chatsvc.server import served_url

    assert served_url("127.0.0.1", 8931) == "http://127.0.0.1:8931"
    assert served_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert served_url("::1", 8080) == "http://[::1]:8080"
