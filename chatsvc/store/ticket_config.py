"""What admins configure for tickets: assignment rules (in order), SLA targets, escalation words, and each
site's business hours. Read often, written rarely."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa

from chatsvc.errors import NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import business_hours, ticket_rules, ticket_settings


@dataclasses.dataclass(frozen=True)
class StoredRule:
    id: str
    position: int
    name: str
    enabled: bool
    keywords: tuple[str, ...]
    topic: str | None
    site_id: str | None
    team_id: str | None
    agent_id: str | None
    priority: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "name": self.name,
            "enabled": self.enabled,
            "keywords": list(self.keywords),
            "topic": self.topic,
            "site_id": self.site_id,
            "team_id": self.team_id,
            "agent_id": self.agent_id,
            "priority": self.priority,
        }


@dataclasses.dataclass(frozen=True)
class StoredHours:
    site_id: str
    timezone: str
    weekly: dict[str, Any]
    holidays: list[str]


def _rule(row: Any) -> StoredRule:
    mapping = dict(row._mapping)
    mapping["keywords"] = tuple(mapping["keywords"] or ())
    return StoredRule(**mapping)


class TicketConfigStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- rules ----------------------------------------------------------------------------------------

    async def rules(self) -> list[StoredRule]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(ticket_rules).order_by(ticket_rules.c.position, ticket_rules.c.id)
            )
            return [_rule(row) for row in result]

    async def get_rule(self, rule_id: str) -> StoredRule:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(ticket_rules).where(ticket_rules.c.id == rule_id))).first()
        if row is None:
            raise NotFound("No such rule.")
        return _rule(row)

    async def add_rule(self, values: dict[str, Any], now: datetime.datetime) -> StoredRule:
        async with self.db.begin() as conn:
            last = await conn.scalar(sa.select(sa.func.max(ticket_rules.c.position)))
            await conn.execute(
                ticket_rules.insert().values(
                    **values, position=(last or 0) + 1, created_at=now, updated_at=now
                )
            )
        return await self.get_rule(values["id"])

    async def update_rule(self, rule_id: str, values: dict[str, Any], now: datetime.datetime) -> StoredRule:
        async with self.db.begin() as conn:
            result = await conn.execute(
                ticket_rules.update().where(ticket_rules.c.id == rule_id).values(**values, updated_at=now)
            )
            if result.rowcount == 0:
                raise NotFound("No such rule.")
        return await self.get_rule(rule_id)

    async def delete_rule(self, rule_id: str) -> None:
        async with self.db.begin() as conn:
            result = await conn.execute(ticket_rules.delete().where(ticket_rules.c.id == rule_id))
            if result.rowcount == 0:
                raise NotFound("No such rule.")

    async def move_rule(self, rule_id: str, position: int) -> list[StoredRule]:
        """Put the rule at ``position`` (1-based) and renumber the others in their order."""
        async with self.db.begin() as conn:
            ids = [
                row[0]
                for row in await conn.execute(
                    sa.select(ticket_rules.c.id)
                    .order_by(ticket_rules.c.position, ticket_rules.c.id)
                    .with_for_update()
                )
            ]
            if rule_id not in ids:
                raise NotFound("No such rule.")
            ids.remove(rule_id)
            ids.insert(max(0, min(position - 1, len(ids))), rule_id)
            for index, each in enumerate(ids, start=1):
                await conn.execute(
                    ticket_rules.update().where(ticket_rules.c.id == each).values(position=index)
                )
        return await self.rules()

    # --- settings documents ---------------------------------------------------------------------------

    async def setting(self, name: str) -> Any | None:
        async with self.db.connect() as conn:
            return await conn.scalar(sa.select(ticket_settings.c.value).where(ticket_settings.c.name == name))

    async def put_setting(self, name: str, value: Any, now: datetime.datetime) -> None:
        await self.db.upsert(ticket_settings, ticket_settings.c.name, name, {"value": value, "updated_at": now})

    # --- business hours -------------------------------------------------------------------------------

    async def hours(self, site_id: str) -> StoredHours | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(business_hours).where(business_hours.c.site_id == site_id))
            ).first()
        if row is None:
            return None
        return StoredHours(
            site_id=row.site_id, timezone=row.timezone, weekly=row.weekly, holidays=list(row.holidays)
        )

    async def put_hours(
        self, site_id: str, timezone: str, weekly: dict[str, Any], holidays: list[str], now: datetime.datetime
    ) -> None:
        values = {"timezone": timezone, "weekly": weekly, "holidays": holidays, "updated_at": now}
        await self.db.upsert(business_hours, business_hours.c.site_id, site_id, values)

    async def clear_hours(self, site_id: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(business_hours.delete().where(business_hours.c.site_id == site_id))
