"""Webhooks and their delivery queue (which is also the delivery log).

A delivery is written in the same transaction as the ticket change that causes it (``enqueue_deliveries`` runs
on the caller's connection), so a committed change always has its deliveries queued and a rolled-back one
never does. Workers take due deliveries with a conditional UPDATE (``claim_due``): of two processes racing for
one row, exactly one sees its UPDATE match, and the claim pushes ``next_attempt_at`` forward by a lease so a
worker that dies mid-delivery leaves the row to be retried once the lease ends. Each claim counts an attempt
and results are written only by the claim that made them (``attempts`` must still match).
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.domain.ids import new_id, new_secret
from chatsvc.domain.tickets import WebhookEvent
from chatsvc.errors import Conflict, NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import webhook_deliveries, webhooks

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
MAX_ERROR = 300  # the column's size
MAX_LOG_PAGE = 200


@dataclasses.dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    secret: str = dataclasses.field(repr=False)  # never in a repr, a log line or an API answer
    events: tuple[str, ...] = ()
    enabled: bool = True
    allow_private: bool = False
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None

    def public(self) -> dict[str, Any]:
        """What the admin API shows: everything but the secret (shown once, at creation or rotation)."""
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "enabled": self.enabled,
            "allow_private": self.allow_private,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    def wants(self, event: str) -> bool:
        return self.enabled and event in self.events


@dataclasses.dataclass(frozen=True)
class Delivery:
    id: str
    webhook_id: str
    event: str
    ticket_id: str | None
    payload: str  # the exact JSON text that is signed and sent, the same on every attempt
    status: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None

    def public(self) -> dict[str, Any]:
        def iso(value: datetime.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "event": self.event,
            "ticket_id": self.ticket_id,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": iso(self.next_attempt_at) if self.status == PENDING else None,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": iso(self.created_at),
            "delivered_at": iso(self.delivered_at),
            "payload": json.loads(self.payload),
        }


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        url=row.url,
        secret=row.secret,
        events=tuple(row.events or ()),
        enabled=bool(row.enabled),
        allow_private=bool(row.allow_private),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event=row.event,
        ticket_id=row.ticket_id,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def _delivery_row(delivery_id: str) -> sa.Select[Any]:
    return sa.select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)


def _events(events: Iterable[str | WebhookEvent]) -> list[str]:
    """Known event names, each once, in the given order (the API validates; this keeps bad data out)."""
    known = {e.value for e in WebhookEvent}
    names: list[str] = []
    for event in events:
        name = event.value if isinstance(event, WebhookEvent) else str(event)
        if name not in known:
            raise ValueError(f"unknown webhook event {name!r}")
        if name not in names:
            names.append(name)
    return names


def _short(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR]


def encode_body(delivery_id: str, event: str, ticket_id: str | None, payload: Mapping[str, Any],
                now: datetime.datetime) -> str:
    """The JSON a receiver gets: an envelope naming the delivery (its id lets receivers drop duplicates)."""
    envelope = {
        "id": delivery_id,
        "event": event,
        "ticket_id": ticket_id,
        "created_at": now.isoformat(),
        "data": dict(payload),
    }
    return json.dumps(envelope, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


async def enqueue_deliveries(
    conn: AsyncConnection,
    *,
    event: str | WebhookEvent,
    ticket_id: str | None,
    payload: Mapping[str, Any],
    now: datetime.datetime,
) -> list[str]:
    """Queue one pending delivery of ``event`` per enabled webhook subscribed to it, on the caller's
    connection, inside the caller's transaction. ``payload`` must be JSON-safe. Returns the delivery ids."""
    name = _events([event])[0]
    rows = await conn.execute(sa.select(webhooks).where(webhooks.c.enabled.is_(True)).order_by(webhooks.c.id))
    # The events column is a JSON list: filtered here, the same way on SQLite and PostgreSQL.
    targets = [hook for hook in (_webhook(row) for row in rows) if hook.wants(name)]
    ids: list[str] = []
    values: list[dict[str, Any]] = []
    for hook in targets:
        delivery_id = new_id()
        ids.append(delivery_id)
        values.append({
            "id": delivery_id,
            "webhook_id": hook.id,
            "event": name,
            "ticket_id": ticket_id,
            "payload": encode_body(delivery_id, name, ticket_id, payload, now),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        })
    if values:
        await conn.execute(webhook_deliveries.insert(), values)
    return ids


class WebhookStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- configuration ---------------------------------------------------------------------------------

    async def create(
        self, url: str, events: Iterable[str | WebhookEvent], allow_private: bool, now: datetime.datetime,
        *, enabled: bool = True,
    ) -> tuple[Webhook, str]:
        """A new webhook and its signing secret (returned this once; only ``rotate_secret`` shows another)."""
        secret = new_secret()
        hook = Webhook(
            id=new_id(), url=url, secret=secret, events=tuple(_events(events)), enabled=enabled,
            allow_private=allow_private, created_at=now, updated_at=now,
        )
        async with self.db.begin() as conn:
            await conn.execute(webhooks.insert().values(
                id=hook.id, url=hook.url, secret=secret, events=list(hook.events), enabled=hook.enabled,
                allow_private=hook.allow_private, created_at=now, updated_at=now,
            ))
        return hook, secret

    async def list(self) -> list[Webhook]:
        async with self.db.connect() as conn:
            rows = await conn.execute(sa.select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id))
            return [_webhook(row) for row in rows]

    async def count(self) -> int:
        async with self.db.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(webhooks))).scalar_one())

    async def find(self, webhook_id: str) -> Webhook | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id))).first()
        return _webhook(row) if row is not None else None

    async def get(self, webhook_id: str) -> Webhook:
        hook = await self.find(webhook_id)
        if hook is None:
            raise NotFound("No such webhook.")
        return hook

    async def update(
        self,
        webhook_id: str,
        *,
        now: datetime.datetime,
        url: str | None = None,
        events: Sequence[str | WebhookEvent] | None = None,
        enabled: bool | None = None,
        allow_private: bool | None = None,
    ) -> Webhook:
        """Change the given fields (None: unchanged)."""
        values: dict[str, Any] = {"updated_at": now}
        if url is not None:
            values["url"] = url
        if events is not None:
            values["events"] = _events(events)
        if enabled is not None:
            values["enabled"] = enabled
        if allow_private is not None:
            values["allow_private"] = allow_private
        async with self.db.begin() as conn:
            result = await conn.execute(webhooks.update().where(webhooks.c.id == webhook_id).values(**values))
            if result.rowcount != 1:
                raise NotFound("No such webhook.")
            row = (await conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id))).one()
        return _webhook(row)

    async def rotate_secret(self, webhook_id: str, now: datetime.datetime | None = None) -> str:
        """A new secret; deliveries still queued are signed with it (signing happens at send time)."""
        secret = new_secret()
        values: dict[str, Any] = {"secret": secret}
        if now is not None:
            values["updated_at"] = now
        async with self.db.begin() as conn:
            result = await conn.execute(webhooks.update().where(webhooks.c.id == webhook_id).values(**values))
            if result.rowcount != 1:
                raise NotFound("No such webhook.")
        return secret

    async def delete(self, webhook_id: str) -> None:
        """The webhook and, by the foreign key's cascade, its deliveries."""
        async with self.db.begin() as conn:
            # Explicit as well as by cascade: the log goes with the webhook even where foreign keys are off.
            await conn.execute(
                webhook_deliveries.delete().where(webhook_deliveries.c.webhook_id == webhook_id)
            )
            result = await conn.execute(webhooks.delete().where(webhooks.c.id == webhook_id))
            if result.rowcount != 1:
                raise NotFound("No such webhook.")

    # --- the queue -------------------------------------------------------------------------------------

    async def enqueue(
        self, *, event: str | WebhookEvent, ticket_id: str | None, payload: Mapping[str, Any],
        now: datetime.datetime,
    ) -> builtins.list[str]:
        """``enqueue_deliveries`` in a transaction of its own (for callers with nothing else to commit)."""
        async with self.db.begin() as conn:
            return await enqueue_deliveries(conn, event=event, ticket_id=ticket_id, payload=payload, now=now)

    async def claim_due(
        self, now: datetime.datetime, lease_seconds: float, limit: int
    ) -> builtins.list[Delivery]:
        """Up to ``limit`` due deliveries, each now this caller's alone for ``lease_seconds``."""
        due = (
            sa.select(webhook_deliveries.c.id)
            .where(webhook_deliveries.c.status == PENDING, webhook_deliveries.c.next_attempt_at <= now)
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
            .limit(limit)
        )
        # Candidates are read outside the write transaction: on SQLite a transaction that reads and then
        # writes can fail at once if another process wrote in between; one that starts by writing waits.
        async with self.db.connect() as conn:
            candidates = sorted(row.id for row in await conn.execute(due))
        if not candidates:
            return []
        lease_end = now + datetime.timedelta(seconds=lease_seconds)
        claimed: builtins.list[Delivery] = []
        async with self.db.begin() as conn:
            # One id order for every process, so two claimers on PostgreSQL lock rows in the same order.
            for delivery_id in candidates:
                result = await conn.execute(
                    webhook_deliveries.update()
                    .where(
                        webhook_deliveries.c.id == delivery_id,
                        webhook_deliveries.c.status == PENDING,
                        webhook_deliveries.c.next_attempt_at <= now,
                    )
                    .values(attempts=webhook_deliveries.c.attempts + 1, next_attempt_at=lease_end)
                )
                if result.rowcount != 1:
                    continue  # another process took it first
                row = (await conn.execute(_delivery_row(delivery_id))).one()
                claimed.append(_delivery(row))
        claimed.sort(key=lambda d: (d.created_at, d.id))
        return claimed

    async def _finish(self, delivery: Delivery, values: dict[str, Any]) -> bool:
        """Write one attempt's result, only if the row is still the claim that made it."""
        async with self.db.begin() as conn:
            result = await conn.execute(
                webhook_deliveries.update()
                .where(
                    webhook_deliveries.c.id == delivery.id,
                    webhook_deliveries.c.status == PENDING,
                    webhook_deliveries.c.attempts == delivery.attempts,
                )
                .values(**values)
            )
            return bool(result.rowcount == 1)

    async def mark_delivered(self, delivery: Delivery, *, now: datetime.datetime, last_status: int) -> bool:
        return await self._finish(delivery, {
            "status": DELIVERED, "delivered_at": now, "next_attempt_at": None, "last_status": last_status,
            "last_error": None,
        })

    async def mark_retry(
        self,
        delivery: Delivery,
        *,
        next_attempt_at: datetime.datetime,
        last_status: int | None,
        last_error: str,
    ) -> bool:
        return await self._finish(delivery, {
            "next_attempt_at": next_attempt_at, "last_status": last_status, "last_error": _short(last_error),
        })

    async def mark_failed(self, delivery: Delivery, *, last_status: int | None, last_error: str) -> bool:
        return await self._finish(delivery, {
            "status": FAILED, "next_attempt_at": None, "last_status": last_status,
            "last_error": _short(last_error),
        })

    # --- the log ---------------------------------------------------------------------------------------

    async def deliveries(self, webhook_id: str, limit: int = 50) -> builtins.list[Delivery]:
        """The webhook's most recent deliveries, newest first."""
        limit = max(1, min(limit, MAX_LOG_PAGE))
        query = (
            sa.select(webhook_deliveries)
            .where(webhook_deliveries.c.webhook_id == webhook_id)
            .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id.desc())
            .limit(limit)
        )
        async with self.db.connect() as conn:
            return [_delivery(row) for row in await conn.execute(query)]

    async def get_delivery(self, delivery_id: str) -> Delivery:
        async with self.db.connect() as conn:
            row = (await conn.execute(_delivery_row(delivery_id))).first()
        if row is None:
            raise NotFound("No such webhook delivery.")
        return _delivery(row)

    async def redeliver(self, delivery_id: str, now: datetime.datetime) -> Delivery:
        """Queue a failed delivery again, as new (same id and body: receivers may drop it if they had it)."""
        async with self.db.begin() as conn:
            result = await conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.status == FAILED)
                .values(status=PENDING, attempts=0, next_attempt_at=now, delivered_at=None)
            )
            row = (await conn.execute(_delivery_row(delivery_id))).first()
        if row is None:
            raise NotFound("No such webhook delivery.")
        if result.rowcount != 1:
            raise Conflict(f"Only a failed delivery can be sent again; this one is {row.status}.")
        return _delivery(row)
