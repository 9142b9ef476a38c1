"""The mail queue and its worker, against a real SMTP server (aiosmtpd on a free port) and a real database
(SQLite and PostgreSQL through the ``db`` fixture)."""

from __future__ import annotations

import asyncio
import datetime
import email.message
import email.parser
import email.policy
import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from chatsvc.domain.mail import compose_ticket_mail
from chatsvc.services.mailer import Mailer, SmtpTarget, parse_smtp_url, retry_delay
from chatsvc.settings import Settings
from chatsvc.store.database import Database
from chatsvc.store.outbox import OutboxStore, enqueue_mail
from tests.support.servers import free_port

T0 = datetime.datetime(2026, 3, 2, 9, 30, 0, tzinfo=datetime.UTC)
TOKEN = "eyJ0IjoidGt0LTEifQ.c2lnbmF0dXJlLWZvci10ZXN0cw"
LINK = f"https://help.shop.example/ticket-status/{TOKEN}"
SUBJECT = "Parcel never arrived"
MAIL_FROM = "Shop Support <support@shop.example>"


class MovingClock:
    """The mailer's clock, moved by hand."""

    def __init__(self, now: datetime.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@dataclass
class SmtpSink:
    """What a real SMTP server received; ``refuse_rcpt`` turns it into one that refuses every recipient."""

    port: int = 0
    envelopes: list[Any] = field(default_factory=list)
    refuse_rcpt: bool = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_rcpt:
            return "550 5.1.1 <" + address + ">: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK: queued"

    def messages(self) -> list[email.message.EmailMessage]:
        parser = email.parser.BytesParser(policy=email.policy.default)
        parsed = [parser.parsebytes(envelope.original_content) for envelope in self.envelopes]
        assert all(isinstance(message, email.message.EmailMessage) for message in parsed)
        return parsed  # type: ignore[return-value]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """aiosmtpd in its own thread on a free port of 127.0.0.1, stopped whatever the test did."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def mail_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # Attached to our logger itself: a test that ran a server before may have set "chatsvc" not to propagate.
    logger = logging.getLogger("chatsvc.mail")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="chatsvc.mail")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    base = Settings(
        mail_from=MAIL_FROM,
        mail_outbox=tmp_path / "var" / "outbox",
        retry_base_seconds=30.0,
        max_attempts=3,
        worker_interval=60.0,  # long: a test that sees a mail sent by the worker saw poke() work
    )
    return base.replace(**overrides)


async def enqueue(
    db: Database, now: datetime.datetime, *, to: str = "ana@example.com", ticket_id: str | None = "tkt-1"
) -> str:
    mail = compose_ticket_mail(
        "ticket_created",
        lang="en",
        site_name="Shop",
        requester_name="Ana",
        requester_email=to,
        subject=SUBJECT,
        link=LINK,
    )
    async with db.begin() as conn:
        return await enqueue_mail(conn, mail, kind="ticket_created", ticket_id=ticket_id, now=now)


def body_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


# --- SMTP ---------------------------------------------------------------------------------------------------


async def test_mail_is_delivered_by_smtp(db: Database, smtp: SmtpSink, tmp_path: Path) -> None:
    clock = MovingClock()
    mail_id = await enqueue(db, clock())
    mailer = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}"), db, clock)

    assert await mailer.run_once() == 1

    [envelope] = smtp.envelopes
    assert envelope.mail_from == "support@shop.example"
    assert envelope.rcpt_tos == ["ana@example.com"]
    [message] = smtp.messages()
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == f"[Shop] {SUBJECT}"
    assert message["From"] == MAIL_FROM
    assert LINK in body_text(message)
    html = message.get_body(("html",))
    assert html is not None and f'href="{LINK}"' in str(html.get_content())

    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.sent_at, stored.last_error) == ("sent", 1, T0, None)
    assert await mailer.run_once() == 0  # sent once, never again
    assert len(smtp.envelopes) == 1


async def test_unreachable_server_is_retried_later_then_delivered(
    db: Database, smtp: SmtpSink, tmp_path: Path, mail_log: pytest.LogCaptureFixture
) -> None:
    clock = MovingClock()
    mail_id = await enqueue(db, clock())
    closed = free_port()  # nothing listens there
    broken = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{closed}"), db, clock)

    assert await broken.run_once() == 1

    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None and stored.status == "pending" and stored.attempts == 1
    assert stored.next_attempt_at is not None
    assert (
        T0 + datetime.timedelta(seconds=27) <= stored.next_attempt_at <= T0 + datetime.timedelta(seconds=33)
    )
    assert stored.last_error
    assert "attempt 1 of 3" in mail_log.text
    assert await broken.run_once() == 0  # not due yet

    fixed = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}"), db, clock)
    assert await fixed.run_once() == 0
    assert smtp.envelopes == []
    clock.advance(40)
    assert await fixed.run_once() == 1
    assert await fixed.run_once() == 0

    assert len(smtp.envelopes) == 1
    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None and (stored.status, stored.attempts) == ("sent", 2)


async def test_mail_fails_after_max_attempts(
    db: Database, tmp_path: Path, mail_log: pytest.LogCaptureFixture
) -> None:
    clock = MovingClock()
    mail_id = await enqueue(db, clock())
    mailer = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}", max_attempts=3), db, clock)
    store = OutboxStore(db)

    delays = []
    for _ in range(3):
        assert await mailer.run_once() == 1
        stored = await store.get(mail_id)
        assert stored is not None
        if stored.next_attempt_at is not None:
            delays.append((stored.next_attempt_at - clock()).total_seconds())
        clock.advance(7 * 3600)  # past the longest backoff

    assert 27 <= delays[0] <= 33 and 108 <= delays[1] <= 132  # 30 s, then x4
    stored = await store.get(mail_id)
    assert stored is not None and (stored.status, stored.attempts) == ("failed", 3)
    assert stored.next_attempt_at is None and stored.last_error
    assert await mailer.run_once() == 0
    assert "given up" in mail_log.text
    assert await store.count_by_status() == {"pending": 0, "sent": 0, "failed": 1}


async def test_a_refused_recipient_fails_at_once(db: Database, smtp: SmtpSink, tmp_path: Path) -> None:
    smtp.refuse_rcpt = True
    clock = MovingClock()
    mail_id = await enqueue(db, clock(), to="nobody@example.com")
    mailer = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}"), db, clock)

    assert await mailer.run_once() == 1

    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None and (stored.status, stored.attempts) == ("failed", 1)  # 5xx: no retry
    assert stored.last_error and "nobody@" not in stored.last_error  # addresses reduced to their domain


async def test_two_mailers_send_each_mail_once(db: Database, smtp: SmtpSink, tmp_path: Path) -> None:
    clock = MovingClock()
    addresses = [f"visitor{i}@example.com" for i in range(30)]
    for address in addresses:
        await enqueue(db, clock(), to=address)
    # Two processes: two engines on the same database.
    other_db = Database(db.url.render_as_string(hide_password=False))
    try:
        config = settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}")
        first, second = Mailer(config, db, clock), Mailer(config, other_db, clock)
        tried = 0
        while handled := sum(await asyncio.gather(first.run_once(), second.run_once())):
            tried += handled
    finally:
        await other_db.close()

    assert tried == 30
    received = sorted(rcpt for envelope in smtp.envelopes for rcpt in envelope.rcpt_tos)
    assert received == sorted(addresses)
    assert await OutboxStore(db).count_by_status() == {"pending": 0, "sent": 30, "failed": 0}


async def test_concurrent_claims_never_overlap(db: Database) -> None:
    for i in range(40):
        await enqueue(db, T0, to=f"v{i}@example.com")
    other_db = Database(db.url.render_as_string(hide_password=False))
    try:
        stores = [OutboxStore(db), OutboxStore(other_db), OutboxStore(db), OutboxStore(other_db)]
        batches = await asyncio.gather(*(store.claim_due(T0, 600, 40) for store in stores))
        later = await OutboxStore(db).claim_due(T0 + datetime.timedelta(seconds=599), 600, 40)
    finally:
        await other_db.close()

    ids = [mail.id for batch in batches for mail in batch]
    assert len(ids) == len(set(ids)) == 40
    assert later == []  # still leased
    assert all(mail.next_attempt_at == T0 + datetime.timedelta(seconds=600) for b in batches for mail in b)


async def test_worker_sends_when_poked_and_stops_cleanly(
    db: Database, smtp: SmtpSink, tmp_path: Path
) -> None:
    clock = MovingClock()
    mailer = Mailer(settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}"), db, clock)
    mailer.start()
    try:
        await asyncio.sleep(0.05)  # the first round finds nothing and waits worker_interval (60 s)
        await enqueue(db, clock())
        mailer.poke()
        async with asyncio.timeout(10):
            while not smtp.envelopes:
                await asyncio.sleep(0.02)
    finally:
        await mailer.stop()
    await mailer.stop()  # twice is harmless
    assert len(smtp.envelopes) == 1


# --- outbox files -------------------------------------------------------------------------------------------


async def test_outbox_mode_writes_one_private_file_and_logs_no_secret(
    db: Database, tmp_path: Path, mail_log: pytest.LogCaptureFixture
) -> None:
    clock = MovingClock()
    config = settings(tmp_path, smtp_url="")
    mail_id = await enqueue(db, clock())
    mailer = Mailer(config, db, clock)

    assert await mailer.run_once() == 1
    assert await mailer.run_once() == 0

    outbox = config.mail_outbox
    files = list(outbox.iterdir())
    assert [path.name for path in files] == [f"20260302T093000000000Z-{mail_id}.eml"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(files[0].read_bytes())
    assert message["To"] == "ana@example.com" and LINK in body_text(message)

    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None and stored.status == "sent"
    assert mail_id in mail_log.text and "example.com" in mail_log.text
    for secret in ("ana@example.com", "ana@", LINK, TOKEN, SUBJECT):
        assert secret not in mail_log.text


async def test_an_unwritable_outbox_is_retried(db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    clock = MovingClock()
    mail_id = await enqueue(db, clock())
    mailer = Mailer(settings(tmp_path, smtp_url="", mail_outbox=blocker / "outbox"), db, clock)

    assert await mailer.run_once() == 1

    stored = await OutboxStore(db).get(mail_id)
    assert stored is not None and (stored.status, stored.attempts) == ("pending", 1)


# --- the queue ----------------------------------------------------------------------------------------------


async def test_enqueue_belongs_to_the_callers_transaction(db: Database) -> None:
    mail = compose_ticket_mail(
        "ticket_reply",
        lang="en",
        site_name="Shop",
        requester_name=None,
        requester_email="ana@example.com",
        subject=SUBJECT,
        link=LINK,
        reply_text="On its way.",
        agent_name="Sam",
    )
    with pytest.raises(RuntimeError):
        async with db.begin() as conn:
            await enqueue_mail(conn, mail, kind="ticket_reply", ticket_id="tkt-1", now=T0)
            raise RuntimeError("the ticket change failed")
    assert await OutboxStore(db).count_by_status() == {"pending": 0, "sent": 0, "failed": 0}


async def test_list_recent_newest_first_and_per_ticket(db: Database) -> None:
    first = await enqueue(db, T0, ticket_id="tkt-1")
    second = await enqueue(db, T0 + datetime.timedelta(minutes=1), ticket_id="tkt-2")
    third = await enqueue(db, T0 + datetime.timedelta(minutes=2), ticket_id="tkt-1")
    store = OutboxStore(db)

    assert [mail.id for mail in await store.list_recent(10)] == [third, second, first]
    assert [mail.id for mail in await store.list_recent(2)] == [third, second]
    assert [mail.id for mail in await store.list_recent(10, ticket_id="tkt-1")] == [third, first]
    [latest] = await store.list_recent(1)
    assert (latest.kind, latest.status, latest.attempts, latest.to_address) == (
        "ticket_created",
        "pending",
        0,
        "ana@example.com",
    )
    assert await store.count_by_status() == {"pending": 3, "sent": 0, "failed": 0}


# --- configuration ------------------------------------------------------------------------------------------


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525, None, None, False, False)
    assert parse_smtp_url("smtp://relay.internal") == SmtpTarget(
        "relay.internal", 25, None, None, False, False
    )
    assert parse_smtp_url("smtp+starttls://me%40shop.example:p%3Ass%2Fw@mail.example") == SmtpTarget(
        "mail.example", 587, "me@shop.example", "p:ss/w", False, True
    )
    assert parse_smtp_url("smtps://u:p@mail.example") == SmtpTarget(
        "mail.example", 465, "u", "p", True, False
    )
    assert parse_smtp_url("smtp://u:p@localhost:25").username == "u"  # loopback relay: no network to cross
    for bad in ("smtp://u:p@mail.example:587", "http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def test_a_bad_smtp_url_or_sender_stops_the_mailer_at_construction(tmp_path: Path) -> None:
    db: Any = None  # not reached: the settings are checked first
    with pytest.raises(ValueError):
        Mailer(settings(tmp_path, smtp_url="smtp://user:secret@mail.example"), db)
    with pytest.raises(ValueError):
        Mailer(settings(tmp_path, mail_from="not an address"), db)


def test_retry_delay_grows_by_four_with_jitter_and_a_cap() -> None:
    for attempts, expected in ((1, 30), (2, 120), (3, 480), (4, 1920)):
        for _ in range(20):
            assert expected * 0.9 <= retry_delay(attempts, 30) <= expected * 1.1
    assert retry_delay(20, 30) <= 6 * 3600 * 1.1
