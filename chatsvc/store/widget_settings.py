"""Each site's widget settings: one row per site, absent until an admin saves them."""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from chatsvc.domain.widget import WidgetSettings
from chatsvc.errors import NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import widget_settings

_FIELDS = ("color", "position", "greeting_en", "greeting_fr", "prechat", "survey_csat", "survey_nps", "survey_ces")


class WidgetSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, site_id: str) -> WidgetSettings | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(widget_settings).where(widget_settings.c.site_id == site_id))
            ).first()
        return WidgetSettings(**{name: row._mapping[name] for name in _FIELDS}) if row else None

    async def of_sites(self, site_ids: list[str]) -> dict[str, WidgetSettings]:
        """The stored settings of these sites (sites without a row are not in the answer)."""
        if not site_ids:
            return {}
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(widget_settings).where(widget_settings.c.site_id.in_(site_ids)))
            return {
                row._mapping["site_id"]: WidgetSettings(**{name: row._mapping[name] for name in _FIELDS})
                for row in result
            }

    async def put(self, site_id: str, settings: WidgetSettings, now: datetime.datetime) -> None:
        """Store the whole settings of the site (update, else insert; two first saves at once end as one row)."""
        values: dict[str, object] = {name: getattr(settings, name) for name in _FIELDS}
        values["updated_at"] = now
        for _attempt in range(2):
            async with self.db.begin() as conn:
                updated = await conn.execute(
                    widget_settings.update().where(widget_settings.c.site_id == site_id).values(**values)
                )
                if updated.rowcount:
                    return
                try:
                    async with conn.begin_nested():
                        await conn.execute(widget_settings.insert().values(site_id=site_id, **values))
                    return
                except sa.exc.IntegrityError:
                    continue  # inserted by another save meanwhile (update it), or the site is gone (below)
        raise NotFound("No such site.")
