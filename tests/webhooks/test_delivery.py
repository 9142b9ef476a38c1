"""Delivery end to end against a real HTTP receiver on 127.0.0.1, on SQLite and PostgreSQL.

The receiver is local, so the webhooks that reach it are created with ``allow_private=True`` (the admin's
explicit choice); the ones without it prove that nothing connects."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import pathlib
import shutil
import ssl
import subprocess
from collections.abc import Iterator

import pytest

from chatsvc.domain import webhooks as rules
from chatsvc.domain.tickets import WebhookEvent
from chatsvc.errors import Conflict
from chatsvc.services.webhooks import WebhookSender
from chatsvc.settings import Settings
from chatsvc.store.database import Database
from chatsvc.store.webhooks import Webhook, WebhookStore, enqueue_deliveries
from tests.support.servers import Backend
from tests.webhooks.receiver import Answer, Receiver

START = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.timezone.utc)
PAYLOAD = {"ticket": {"id": "T1", "subject": "Où est ma commande ?", "status": "new"}}
SETTINGS = Settings(retry_base_seconds=30.0, max_attempts=3, webhook_timeout=2.0, worker_interval=3600.0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """The sender's log lines (attached directly: the app's log set-up stops propagation to the root)."""
    logger = logging.getLogger("chatsvc.webhooks")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database) -> WebhookStore:
    return WebhookStore(db)


@pytest.fixture
def sender(store: WebhookStore, clock: Clock) -> WebhookSender:
    return WebhookSender(SETTINGS, store, clock)


async def _hook(store: WebhookStore, url: str, *, allow_private: bool = True,
                events: tuple[str, ...] = ("ticket.created",)) -> tuple[Webhook, str]:
    return await store.create(url, events, allow_private, START)


async def _enqueue(store: WebhookStore, event: str = "ticket.created", ticket_id: str = "T1") -> list[str]:
    async with store.db.begin() as conn:
        return await enqueue_deliveries(conn, event=event, ticket_id=ticket_id, payload=PAYLOAD, now=START)


async def test_a_delivery_is_signed_and_sent_once(
    store: WebhookStore, sender: WebhookSender, clock: Clock, log_lines: list[str]
) -> None:
    async with Receiver().running() as receiver:
        hook, secret = await _hook(store, receiver.url + "/in?source=chatsvc")
        [delivery_id] = await _enqueue(store)
        assert await sender.run_once() == 1
        assert await sender.run_once() == 0  # nothing left: delivered once
    [got] = receiver.requests
    assert got.method == "POST" and got.path == "/in?source=chatsvc"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "chatsvc-webhooks/1"
    assert got.headers["x-chatsvc-event"] == "ticket.created"
    assert got.headers["x-chatsvc-delivery"] == delivery_id
    timestamp = got.headers["x-chatsvc-timestamp"]
    assert int(timestamp) == int(clock().timestamp())
    assert rules.verify(secret, timestamp, got.body, got.headers["x-chatsvc-signature"], now=clock())
    signature = got.headers["x-chatsvc-signature"]
    assert not rules.verify("another secret", timestamp, got.body, signature, now=clock())
    body = json.loads(got.body)
    assert body == {"id": delivery_id, "event": "ticket.created", "ticket_id": "T1",
                    "created_at": START.isoformat(), "data": PAYLOAD}
    [logged] = await store.deliveries(hook.id)
    assert (logged.status, logged.attempts, logged.last_status) == ("delivered", 1, 200)
    assert logged.last_error is None
    assert logged.delivered_at == START
    assert len(log_lines) == 1 and delivery_id in log_lines[0] and "127.0.0.1" in log_lines[0]
    assert "ticket.created" in log_lines[0] and "delivered" in log_lines[0]
    assert secret not in log_lines[0] and "commande" not in log_lines[0]


async def test_the_host_name_is_kept_while_connecting_to_the_checked_address(
    store: WebhookStore, sender: WebhookSender
) -> None:
    """``localhost`` is resolved and checked once; the connection goes to that address (trying the next
    one when one refuses, e.g. ::1 when the receiver listens on IPv4 only) with the Host header unchanged."""
    async with Receiver().running() as receiver:
        await _hook(store, f"http://localhost:{receiver.port}/hook")
        await _enqueue(store)
        assert await sender.run_once() == 1
    [got] = receiver.requests
    assert got.headers["host"] == f"localhost:{receiver.port}" and got.path == "/hook"


async def test_a_failure_is_retried_with_backoff_then_delivered(
    store: WebhookStore, sender: WebhookSender, clock: Clock, log_lines: list[str]
) -> None:
    async with Receiver([Answer(500), Answer(204)]).running() as receiver:
        hook, secret = await _hook(store, receiver.url)
        [delivery_id] = await _enqueue(store)
        assert await sender.run_once() == 1
        [first] = await store.deliveries(hook.id)
        assert (first.status, first.attempts, first.last_status) == ("pending", 1, 500)
        assert first.last_error == "HTTP 500"
        assert first.next_attempt_at is not None
        wait = (first.next_attempt_at - START).total_seconds()
        assert 27 <= wait <= 33  # the base, +-10% jitter
        clock.advance(wait - 1)
        assert await sender.run_once() == 0  # not due yet
        clock.advance(2)
        assert await sender.run_once() == 1
    [second] = await store.deliveries(hook.id)
    assert (second.status, second.attempts, second.last_status) == ("delivered", 2, 204)
    assert second.last_error is None
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body  # the same body, signed afresh
    for got in receiver.requests:
        assert rules.verify(secret, got.headers["x-chatsvc-timestamp"], got.body,
                            got.headers["x-chatsvc-signature"], now=clock())
    attempts = [line for line in log_lines if delivery_id in line]
    assert len(attempts) == 2
    assert "attempt=1" in attempts[0] and "status=500" in attempts[0] and "retry" in attempts[0]
    assert "attempt=2" in attempts[1] and "status=204" in attempts[1] and "delivered" in attempts[1]


async def test_after_max_attempts_the_delivery_fails(
    store: WebhookStore, sender: WebhookSender, clock: Clock
) -> None:
    async with Receiver([Answer(503)]).running() as receiver:
        hook, _secret = await _hook(store, receiver.url)
        await _enqueue(store)
        waits = []
        for _ in range(SETTINGS.max_attempts):
            assert await sender.run_once() == 1
            [delivery] = await store.deliveries(hook.id)
            if delivery.next_attempt_at is not None:
                waits.append((delivery.next_attempt_at - clock()).total_seconds())
                clock.now = delivery.next_attempt_at
        clock.advance(24 * 3600)
        assert await sender.run_once() == 0
    [delivery] = await store.deliveries(hook.id)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 3, 503)
    assert len(receiver.requests) == 3
    assert 27 <= waits[0] <= 33 and 108 <= waits[1] <= 132  # 30 s then 2 min, +-10%


async def test_a_redirect_is_a_failure_and_is_never_followed(
    store: WebhookStore, sender: WebhookSender
) -> None:
    async with Receiver().running() as target:
        redirect = Answer(302, (("Location", target.url + "/internal-admin"),))
        async with Receiver([redirect]).running() as receiver:
            hook, _secret = await _hook(store, receiver.url)
            await _enqueue(store)
            assert await sender.run_once() == 1
    assert len(receiver.requests) == 1
    assert target.connections == 0 and target.requests == []
    [delivery] = await store.deliveries(hook.id)
    assert delivery.status == "pending" and delivery.last_status == 302
    assert delivery.last_error is not None and "redirect refused" in delivery.last_error


async def test_a_private_target_without_allow_private_fails_at_once_without_connecting(
    store: WebhookStore, sender: WebhookSender, clock: Clock, log_lines: list[str]
) -> None:
    async with Receiver().running() as receiver:
        # Written past the admin API's own check: the worker must refuse on its own.
        hook, _secret = await _hook(store, receiver.url, allow_private=False)
        await _enqueue(store)
        assert await sender.run_once() == 1
        clock.advance(24 * 3600)
        assert await sender.run_once() == 0  # not retried
    assert receiver.connections == 0
    [delivery] = await store.deliveries(hook.id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "blocked address")
    assert "blocked address" in log_lines[0]


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "169.254.169.254"]
)
async def test_numeric_spellings_of_private_addresses_are_blocked(
    store: WebhookStore, sender: WebhookSender, host: str
) -> None:
    hook, _secret = await _hook(store, f"http://{host}:9/", allow_private=False)
    await _enqueue(store)
    assert await sender.run_once() == 1
    [delivery] = await store.deliveries(hook.id)
    assert (delivery.status, delivery.last_error) == ("failed", "blocked address")


async def test_a_receiver_that_does_not_answer_in_time_is_retried(
    store: WebhookStore, clock: Clock
) -> None:
    sender = WebhookSender(SETTINGS.replace(webhook_timeout=0.3), store, clock)
    async with Receiver([Answer(200, delay=5)]).running() as receiver:
        hook, _secret = await _hook(store, receiver.url)
        await _enqueue(store)
        assert await sender.run_once() == 1
    [delivery] = await store.deliveries(hook.id)
    assert delivery.status == "pending" and delivery.last_status is None
    assert delivery.last_error is not None and "timed out" in delivery.last_error.lower()


async def test_a_refused_connection_is_retried(store: WebhookStore, sender: WebhookSender) -> None:
    receiver = Receiver()  # never started: nothing listens on its port
    hook, _secret = await _hook(store, receiver.url)
    await _enqueue(store)
    assert await sender.run_once() == 1
    [delivery] = await store.deliveries(hook.id)
    assert delivery.status == "pending" and delivery.last_error and "ConnectError" in delivery.last_error


async def test_only_enabled_subscribed_webhooks_get_deliveries(
    store: WebhookStore, sender: WebhookSender
) -> None:
    async with Receiver().running() as receiver:
        wanted, _ = await _hook(store, receiver.url + "/wanted", events=("ticket.created", "ticket.resolved"))
        disabled, _ = await _hook(store, receiver.url + "/disabled")
        await store.update(disabled.id, now=START, enabled=False)
        other_event, _ = await _hook(store, receiver.url + "/other", events=("ticket.updated",))
        [created] = await _enqueue(store, WebhookEvent.CREATED.value)
        [updated] = await _enqueue(store, WebhookEvent.UPDATED.value)
        # Disabled after queueing: its queued delivery is given up, not sent.
        await store.update(wanted.id, now=START, enabled=False)
        assert await sender.run_once() == 2
    assert [r.path for r in receiver.requests] == ["/other"]
    assert await store.deliveries(disabled.id) == []
    [given_up] = await store.deliveries(wanted.id)
    assert (given_up.id, given_up.status, given_up.last_error) == (created, "failed", "webhook disabled")
    [sent] = await store.deliveries(other_event.id)
    assert (sent.id, sent.status) == (updated, "delivered")


async def test_queueing_is_part_of_the_callers_transaction(store: WebhookStore) -> None:
    await _hook(store, "http://127.0.0.1:9/")
    with pytest.raises(RuntimeError):
        async with store.db.begin() as conn:
            await enqueue_deliveries(conn, event="ticket.created", ticket_id="T1", payload=PAYLOAD, now=START)
            raise RuntimeError("the ticket change failed")
    assert await store.claim_due(START, 60, 10) == []
    assert len(await store.enqueue(event="ticket.created", ticket_id="T1", payload=PAYLOAD, now=START)) == 1
    with pytest.raises(ValueError):
        await store.enqueue(event="ticket.deleted", ticket_id="T1", payload=PAYLOAD, now=START)


async def test_two_senders_never_deliver_one_item_twice(
    store: WebhookStore, backend: Backend, clock: Clock
) -> None:
    """Two processes on one database: each delivery is claimed by one of them only."""
    other_db = Database(backend.database_url)
    try:
        other = WebhookSender(SETTINGS, WebhookStore(other_db), clock)
        mine = WebhookSender(SETTINGS, store, clock)
        async with Receiver().running() as receiver:
            await _hook(store, receiver.url)
            ids = [i for _ in range(12) for i in await _enqueue(store)]
            counts = await asyncio.gather(
                mine.run_once(), other.run_once(), mine.run_once(), other.run_once()
            )
            assert sum(counts) == 12
        delivered = [r.headers["x-chatsvc-delivery"] for r in receiver.requests]
        assert sorted(delivered) == sorted(ids)
        # The claim itself, raced directly: disjoint.
        await store.enqueue(event="ticket.created", ticket_id="T2", payload=PAYLOAD, now=START)
        await store.enqueue(event="ticket.created", ticket_id="T3", payload=PAYLOAD, now=START)
        a, b = await asyncio.gather(store.claim_due(clock(), 60, 10), other.store.claim_due(clock(), 60, 10))
        assert len(a) + len(b) == 2 and not {d.id for d in a} & {d.id for d in b}
    finally:
        await other_db.close()


async def test_a_stale_claim_cannot_overwrite_a_newer_one(store: WebhookStore, clock: Clock) -> None:
    await _hook(store, "http://127.0.0.1:9/")
    await _enqueue(store)
    [first] = await store.claim_due(clock(), 60, 10)
    clock.advance(61)  # the first worker stalled past its lease
    [second] = await store.claim_due(clock(), 60, 10)
    assert second.attempts == first.attempts + 1
    assert not await store.mark_delivered(first, now=clock(), last_status=200)
    assert await store.mark_failed(second, last_status=None, last_error="x")


async def test_redeliver_requeues_a_failed_delivery(
    store: WebhookStore, sender: WebhookSender, clock: Clock
) -> None:
    async with Receiver().running() as receiver:
        hook, _ = await _hook(store, receiver.url, allow_private=False)
        [delivery_id] = await _enqueue(store)
        await sender.run_once()
        assert (await store.get_delivery(delivery_id)).status == "failed"
        await store.update(hook.id, now=START, allow_private=True)
        again = await store.redeliver(delivery_id, clock())
        assert (again.status, again.attempts) == ("pending", 0)
        with pytest.raises(Conflict):
            await store.redeliver(delivery_id, clock())
        assert await sender.run_once() == 1
    assert (await store.get_delivery(delivery_id)).status == "delivered"
    assert len(receiver.requests) == 1


async def test_the_worker_runs_by_itself_and_wakes_when_poked(store: WebhookStore, clock: Clock) -> None:
    # A one-hour interval: only the poke can explain a prompt delivery.
    sender = WebhookSender(SETTINGS, store, clock)
    async with Receiver().running() as receiver:
        await _hook(store, receiver.url)
        await sender.start()
        try:
            await asyncio.sleep(0.1)
            [delivery_id] = await _enqueue(store)
            sender.poke()
            async with asyncio.timeout(10):
                while (await store.get_delivery(delivery_id)).status != "delivered":
                    await asyncio.sleep(0.02)
        finally:
            await sender.stop()
    assert len(receiver.requests) == 1


def test_records_never_show_the_secret() -> None:
    hook = Webhook(id="w", url="https://x.example/", secret="very-secret", events=("ticket.created",))
    assert "very-secret" not in repr(hook) and "very-secret" not in json.dumps(hook.public())
    assert "secret" not in hook.public()


@pytest.fixture
def localhost_tls(tmp_path: pathlib.Path) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str | None]]:
    """A self-signed certificate for the name ``localhost`` only: (server context, client context trusting
    it, the SNI names the server was sent)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: the HTTPS delivery test needs it to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )
    names: list[str | None] = []
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    server.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    client = ssl.create_default_context(cafile=str(cert))
    return server, client, names


async def test_https_names_the_host_in_tls_while_connecting_to_the_checked_address(
    store: WebhookStore, sender: WebhookSender,
    localhost_tls: tuple[ssl.SSLContext, ssl.SSLContext, list[str | None]],
) -> None:
    server_tls, client_tls, sni_names = localhost_tls
    sender._ssl = client_tls  # trust the test certificate (the real sender uses the system's roots)
    async with Receiver(tls=server_tls).running() as receiver:
        by_name, _ = await _hook(store, f"https://localhost:{receiver.port}/hook")
        await _enqueue(store)
        assert await sender.run_once() == 1
        # The same receiver by IP literal: the certificate names only "localhost", so verification refuses.
        await store.update(by_name.id, now=START, enabled=False)
        by_ip, _ = await _hook(store, f"https://127.0.0.1:{receiver.port}/hook")
        await _enqueue(store)
        assert await sender.run_once() == 1
    assert [d.status for d in await store.deliveries(by_name.id)] == ["delivered"]
    [ok] = [r for r in receiver.requests if r.path == "/hook"]
    assert ok.headers["host"] == f"localhost:{receiver.port}"
    assert "localhost" in sni_names
    [refused] = await store.deliveries(by_ip.id)
    assert refused.status == "pending" and refused.last_error and "certificate" in refused.last_error.lower()
