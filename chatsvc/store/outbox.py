"""The durable mail queue (table ``outbound_mail``).

A mail is queued by ``enqueue_mail`` inside the caller's own transaction, so it exists exactly when the ticket
change that caused it was committed. Workers then *claim* due mails with a conditional UPDATE that moves
``next_attempt_at`` past a lease: on PostgreSQL the second of two concurrent UPDATEs re-reads the row, sees
the moved time and matches nothing; on SQLite writers take turns. So two processes never send one mail at the
same moment, and a worker that dies mid-send only delays its mails until the lease ends (at-least-once
delivery).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.domain.ids import new_id
from chatsvc.domain.mail import ComposedMail
from chatsvc.store.database import Database
from chatsvc.store.schema import outbound_mail

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
STATUSES = (PENDING, SENT, FAILED)
ERROR_LIMIT = 300  # the column's width
LIST_LIMIT = 500  # an admin log page never asks for more than this


@dataclasses.dataclass(frozen=True)
class QueuedMail:
    id: str
    kind: str
    ticket_id: str | None
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    status: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_error: str | None
    created_at: datetime.datetime
    sent_at: datetime.datetime | None

    def composed(self) -> ComposedMail:
        return ComposedMail(
            to_address=self.to_address,
            subject=self.subject,
            body_text=self.body_text,
            body_html=self.body_html or "",
        )


def _queued(row: Any) -> QueuedMail:
    return QueuedMail(**{field.name: row._mapping[field.name] for field in dataclasses.fields(QueuedMail)})


async def enqueue_mail(
    conn: AsyncConnection, mail: ComposedMail, *, kind: str, ticket_id: str | None, now: datetime.datetime
) -> str:
    """Queue ``mail`` in the caller's transaction (``async with db.begin() as conn``); due at once.
    Returns the mail's id. Call ``Mailer.poke()`` after the commit to have it sent without waiting a round."""
    mail_id = new_id()
    await conn.execute(
        outbound_mail.insert().values(
            id=mail_id,
            kind=kind,
            ticket_id=ticket_id,
            to_address=mail.to_address,
            subject=mail.subject,
            body_text=mail.body_text,
            body_html=mail.body_html,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
            sent_at=None,
        )
    )
    return mail_id


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_due(self, now: datetime.datetime, lease_seconds: float, limit: int) -> list[QueuedMail]:
        """Up to ``limit`` pending mails due at ``now``, oldest due first, each now held by this caller until
        ``now + lease_seconds``. A mail another worker claimed first is skipped, never returned twice."""
        table = outbound_mail
        due = sa.and_(table.c.status == PENDING, table.c.next_attempt_at <= now)
        async with self.db.connect() as conn:
            candidates = (
                (
                    await conn.execute(
                        sa.select(table.c.id)
                        .where(due)
                        .order_by(table.c.next_attempt_at, table.c.id)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        if not candidates:
            return []
        lease_until = now + datetime.timedelta(seconds=lease_seconds)
        claimed: list[QueuedMail] = []
        async with self.db.begin() as conn:
            for mail_id in candidates:
                # The WHERE repeats the due condition: the worker whose UPDATE still finds the mail due wins.
                result = await conn.execute(
                    table.update().where(table.c.id == mail_id, due).values(next_attempt_at=lease_until)
                )
                if result.rowcount != 1:
                    continue
                row = (await conn.execute(sa.select(table).where(table.c.id == mail_id))).one()
                claimed.append(_queued(row))
        return claimed

    async def mark_sent(self, mail_id: str, now: datetime.datetime) -> None:
        await self._finish(
            mail_id,
            status=SENT,
            attempts=outbound_mail.c.attempts + 1,
            sent_at=now,
            next_attempt_at=None,
            last_error=None,
        )

    async def mark_retry(self, mail_id: str, attempts: int, next_at: datetime.datetime, error: str) -> None:
        await self._finish(
            mail_id,
            status=PENDING,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error[:ERROR_LIMIT],
        )

    async def mark_failed(self, mail_id: str, error: str) -> None:
        """Given up: the attempt that failed last is counted, and the mail is never tried again."""
        await self._finish(
            mail_id,
            status=FAILED,
            attempts=outbound_mail.c.attempts + 1,
            next_attempt_at=None,
            last_error=error[:ERROR_LIMIT],
        )

    async def _finish(self, mail_id: str, **values: Any) -> None:
        # Only a pending mail changes: a worker whose lease ran out while another one delivered the mail
        # must not turn "sent" back into "pending".
        async with self.db.begin() as conn:
            await conn.execute(
                outbound_mail.update()
                .where(outbound_mail.c.id == mail_id, outbound_mail.c.status == PENDING)
                .values(**values)
            )

    async def get(self, mail_id: str) -> QueuedMail | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(outbound_mail).where(outbound_mail.c.id == mail_id))).first()
        return None if row is None else _queued(row)

    async def list_recent(self, limit: int, ticket_id: str | None = None) -> list[QueuedMail]:
        """Newest first, for the admin's mail log (and a ticket's own mails with ``ticket_id``)."""
        query = sa.select(outbound_mail).order_by(
            outbound_mail.c.created_at.desc(), outbound_mail.c.id.desc()
        )
        if ticket_id is not None:
            query = query.where(outbound_mail.c.ticket_id == ticket_id)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query.limit(max(1, min(limit, LIST_LIMIT))))).all()
        return [_queued(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        """Every status, zero included: ``{"pending": n, "sent": n, "failed": n}``."""
        counts = dict.fromkeys(STATUSES, 0)
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(outbound_mail.c.status, sa.func.count()).group_by(outbound_mail.c.status)
            )
            for status, count in result:
                counts[status] = int(count)
        return counts
