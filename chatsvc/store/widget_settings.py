"""Each site's widget settings: one row per site, absent until an admin saves them."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from chatsvc.domain.widget import DEFAULT_WIDGET, SETTING_NAMES, WidgetSettings
from chatsvc.errors import NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import widget_settings


def _settings(row: Any) -> WidgetSettings:
    return WidgetSettings(**{name: row._mapping[name] for name in SETTING_NAMES})


class WidgetSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, site_id: str) -> WidgetSettings | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(widget_settings).where(widget_settings.c.site_id == site_id))
            ).first()
        return _settings(row) if row else None

    async def of_sites(self, site_ids: list[str]) -> dict[str, WidgetSettings]:
        """The stored settings of these sites (sites without a row are not in the answer)."""
        if not site_ids:
            return {}
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(widget_settings).where(widget_settings.c.site_id.in_(site_ids)))
            return {row._mapping["site_id"]: _settings(row) for row in result}

    async def put(self, site_id: str, changes: Mapping[str, object], now: datetime.datetime) -> None:
        """Write these settings of the site (setting name to value) and nothing else, so two admins changing
        different settings at the same moment both keep their change; a site without a row gets one, with the
        defaults for the settings not given. NotFound when the site is gone."""
        unknown = set(changes) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"not widget settings: {sorted(unknown)}")
        defaults = dataclasses.asdict(DEFAULT_WIDGET)
        try:
            await self.db.upsert(
                widget_settings, widget_settings.c.site_id, site_id, {**changes, "updated_at": now}, defaults=defaults
            )
        except sa.exc.IntegrityError:
            raise NotFound("No such site.") from None
