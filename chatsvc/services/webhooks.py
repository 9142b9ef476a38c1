"""Outbound webhooks: the admin's use cases (``WebhookAdmin``) and the delivery worker (``WebhookSender``).

The worker takes due deliveries from the database queue, checks where the URL's host resolves right before
connecting, connects to exactly the address it checked (Host header and TLS SNI keep the name), POSTs the
signed JSON, never follows a redirect, and records the result: 2xx delivered, anything else retried with
exponential backoff until ``max_attempts``, a blocked address failed at once. Every process runs one; the
queue's claims keep two of them from sending one delivery at the same time.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime
import ipaddress
import logging
import random
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING

import httpx

from chatsvc.domain import webhooks as rules
from chatsvc.domain.tickets import WebhookEvent
from chatsvc.errors import BadRequest, Conflict
from chatsvc.services.clock import Clock
from chatsvc.services.ssrf import Address, BlockedAddress, UnresolvableHost, resolve_public
from chatsvc.services.tasks import stop_task, wait_for_poke
from chatsvc.settings import Settings
from chatsvc.store.webhooks import Delivery, Webhook, WebhookStore

if TYPE_CHECKING:
    from chatsvc.services.container import Services

log = logging.getLogger("chatsvc.webhooks")

MAX_WEBHOOKS = 50  # each one multiplies every ticket event's outbound traffic
BATCH = 20  # deliveries one pass claims; they are sent concurrently, so a pass lasts about one timeout
JITTER = 0.10  # +-10% on each retry delay, so a receiver that was down is not hit by every retry at once
MAX_ERROR = 300


# --- configuration (the admin API's use cases) ---------------------------------------------------------


class WebhookAdmin:
    def __init__(self, store: WebhookStore, clock: Clock, sender: WebhookSender | None = None) -> None:
        self.store = store
        self.clock = clock
        self.sender = sender

    @classmethod
    def of(cls, services: Services) -> WebhookAdmin:
        return cls(services.webhook_store, services.clock, services.webhooks)

    async def check_target(self, url: str, allow_private: bool) -> str:
        """The URL, if it is valid and (unless ``allow_private``) resolves only to public addresses now.
        Delivery checks again before every connection: this check is for a clear answer to the admin."""
        target = rules.parse_target(url)
        if not allow_private:
            await resolve_public(target.host, target.port, allow_private=False)
        return rules.validate_url(url)

    async def list(self) -> list[Webhook]:
        return await self.store.list()

    async def get(self, webhook_id: str) -> Webhook:
        return await self.store.get(webhook_id)

    async def create(
        self, *, url: str, events: Sequence[WebhookEvent | str], allow_private: bool, enabled: bool = True
    ) -> tuple[Webhook, str]:
        url = await self.check_target(url, allow_private)
        if await self.store.count() >= MAX_WEBHOOKS:
            raise Conflict(f"There are already {MAX_WEBHOOKS} webhooks; delete one first.")
        return await self.store.create(url, _events(events), allow_private, self.clock(), enabled=enabled)

    async def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Sequence[WebhookEvent | str] | None = None,
        enabled: bool | None = None,
        allow_private: bool | None = None,
    ) -> Webhook:
        """A new URL is checked as if private targets were refused unless the same change says
        ``allow_private: true``: an earlier permission does not carry over to an address nobody reviewed."""
        current = await self.store.get(webhook_id)
        if url is not None:
            url = await self.check_target(url, allow_private is True)
        elif allow_private is False and current.allow_private:
            await self.check_target(current.url, False)
        return await self.store.update(
            webhook_id, now=self.clock(), url=url, events=_events(events) if events is not None else None,
            enabled=enabled, allow_private=allow_private,
        )

    async def rotate_secret(self, webhook_id: str) -> tuple[Webhook, str]:
        secret = await self.store.rotate_secret(webhook_id, self.clock())
        return await self.store.get(webhook_id), secret

    async def delete(self, webhook_id: str) -> None:
        await self.store.delete(webhook_id)

    async def deliveries(self, webhook_id: str, limit: int) -> builtins.list[Delivery]:
        await self.store.get(webhook_id)  # 404 for an unknown webhook rather than an empty log
        return await self.store.deliveries(webhook_id, limit)

    async def redeliver(self, delivery_id: str) -> Delivery:
        delivery = await self.store.redeliver(delivery_id, self.clock())
        if self.sender is not None:
            self.sender.poke()
        return delivery


def _events(events: Sequence[WebhookEvent | str]) -> list[str]:
    names: list[str] = []
    for event in events:
        try:
            name = WebhookEvent(event).value
        except ValueError:
            known = ", ".join(e.value for e in WebhookEvent)
            raise BadRequest(f"Unknown webhook event {str(event)[:40]!r}; known: {known}.") from None
        if name not in names:
            names.append(name)
    if not names:
        raise BadRequest("A webhook needs at least one event.")
    return names


# --- delivery ------------------------------------------------------------------------------------------


class _Outcome:
    """One attempt's result: delivered, worth retrying, or final."""

    def __init__(self, kind: str, status: int | None, error: str | None) -> None:
        self.kind = kind  # delivered | retry | failed
        self.status = status
        self.error = error


class WebhookSender:
    def __init__(self, settings: Settings, store: WebhookStore, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        # Longer than one attempt can take (timeout-bounded), so a live worker's claim never lapses mid-send.
        self.lease_seconds = max(60.0, 3 * settings.webhook_timeout)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ssl: ssl.SSLContext | None = None

    # --- lifecycle ---

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="webhook-sender")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    def poke(self) -> None:
        """Look at the queue now rather than at the next interval (after queueing, or an admin's retry)."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("webhook worker pass failed")
                handled = 0
            if handled >= BATCH:
                continue  # more may be due: no pause while there is a backlog
            await wait_for_poke(self._wake, self.settings.worker_interval)
            self._wake.clear()

    # --- one pass ---

    async def run_once(self) -> int:
        """Attempt every delivery due now (up to one batch); returns how many were attempted."""
        due = await self.store.claim_due(self.clock(), self.lease_seconds, BATCH)
        results = await asyncio.gather(*(self._attempt(delivery) for delivery in due), return_exceptions=True)
        for delivery, result in zip(due, results, strict=True):
            if isinstance(result, Exception):
                # Left claimed: it is attempted again when its lease ends.
                log.error("webhook delivery %s: attempt not recorded", delivery.id, exc_info=result)
        return len(due)

    async def _attempt(self, delivery: Delivery) -> None:
        hook = await self.store.find(delivery.webhook_id)
        host = "-"
        if hook is None:
            outcome = _Outcome("failed", None, "webhook deleted")
        elif not hook.enabled:
            outcome = _Outcome("failed", None, "webhook disabled")
        else:
            try:
                target = rules.parse_target(hook.url)
                host = target.host
            except BadRequest:
                outcome = _Outcome("failed", None, "invalid webhook URL")
            else:
                outcome = await self._send(hook, target, delivery)
            outcome.error = _scrub(outcome.error, hook.secret)
        await self._record(delivery, outcome, host)

    async def _send(self, hook: Webhook, target: rules.Target, delivery: Delivery) -> _Outcome:
        try:
            async with asyncio.timeout(self.settings.webhook_timeout):
                addresses = await resolve_public(target.host, target.port, hook.allow_private)
                return await self._post(hook, target, delivery, addresses)
        except BlockedAddress:
            return _Outcome("failed", None, "blocked address")
        except UnresolvableHost:
            return _Outcome("retry", None, "could not resolve host")
        except TimeoutError:
            return _Outcome("retry", None, f"timed out after {self.settings.webhook_timeout:g} s")
        except httpx.HTTPError as exc:
            return _Outcome("retry", None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except OSError as exc:
            return _Outcome("retry", None, f"{type(exc).__name__}: {exc.strerror or exc}")

    async def _post(
        self, hook: Webhook, target: rules.Target, delivery: Delivery, addresses: Sequence[Address]
    ) -> _Outcome:
        body = delivery.payload.encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": rules.USER_AGENT,
            rules.SIGNATURE_HEADER: rules.sign(hook.secret, timestamp, body),
            rules.TIMESTAMP_HEADER: str(timestamp),
            rules.EVENT_HEADER: delivery.event,
            rules.DELIVERY_HEADER: delivery.id,
        }
        # TLS names the host (SNI and certificate check) although the connection goes to an IP literal.
        tls_name = target.scheme == "https" and not target.is_ip_literal
        extensions = {"sni_hostname": target.host} if tls_name else {}
        # A fresh client per attempt: no pooled connection made for one host name is reused for another one
        # on the same address. trust_env=False: no proxy from the environment gets to choose the address.
        async with httpx.AsyncClient(
            verify=self._ssl_context(), trust_env=False, follow_redirects=False,
            timeout=self.settings.webhook_timeout,
        ) as client:
            last_error: Exception | None = None
            for address in addresses:
                request = client.build_request(
                    "POST", _ip_url(target, address), content=body, headers=headers, extensions=extensions
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.ConnectError as exc:
                    last_error = exc  # this address refused: try the next one the check allowed
                    continue
                # The body is never read: a receiver cannot make us hold a large answer in memory.
                await response.aclose()
                return _judge(response.status_code)
            assert last_error is not None
            raise last_error

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    async def _record(self, delivery: Delivery, outcome: _Outcome, host: str) -> None:
        now = self.clock()
        status = outcome.status if outcome.status is not None else "-"
        if outcome.kind == "delivered":
            written = await self.store.mark_delivered(delivery, now=now, last_status=outcome.status or 0)
            result = "delivered"
        elif outcome.kind == "retry" and delivery.attempts < self.settings.max_attempts:
            delay = rules.backoff_seconds(delivery.attempts, self.settings.retry_base_seconds)
            delay *= random.uniform(1 - JITTER, 1 + JITTER)
            written = await self.store.mark_retry(
                delivery, next_attempt_at=now + datetime.timedelta(seconds=delay), last_status=outcome.status,
                last_error=outcome.error or "failed",
            )
            result = f"retry in {delay:.0f} s"
        else:
            written = await self.store.mark_failed(
                delivery, last_status=outcome.status, last_error=outcome.error or "failed"
            )
            result = "failed"
        level = logging.INFO if outcome.kind == "delivered" else logging.WARNING
        log.log(
            level, "webhook delivery %s event=%s host=%s attempt=%d status=%s result=%s%s%s",
            delivery.id, delivery.event, host, delivery.attempts, status, result,
            f" error={outcome.error!r}" if outcome.error and outcome.kind != "delivered" else "",
            "" if written else " (not recorded: claimed again elsewhere)",
        )


def _judge(status: int) -> _Outcome:
    if 200 <= status < 300:
        return _Outcome("delivered", status, None)
    if 300 <= status < 400:
        # Never followed: the Location could be 127.0.0.1 or the metadata service, past every check.
        return _Outcome("retry", status, f"redirect refused (HTTP {status})")
    return _Outcome("retry", status, f"HTTP {status}")


def _ip_url(target: rules.Target, address: Address) -> str:
    literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    return f"{target.scheme}://{literal}:{target.port}{target.path}"


def _scrub(error: str | None, secret: str) -> str | None:
    """Short, one line, and never the secret (an exception message could in theory echo a header)."""
    if error is None:
        return None
    error = " ".join(error.split())
    if secret:
        error = error.replace(secret, "[secret]")
    return error[:MAX_ERROR]
