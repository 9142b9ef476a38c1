"""A site's widget settings: read with the defaults filled in, changed only through the domain's checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from chatsvc.domain.widget import DEFAULT_WIDGET, InvalidWidgetSetting, WidgetSettings, updated
from chatsvc.errors import BadRequest
from chatsvc.services.clock import Clock
from chatsvc.store.widget_settings import WidgetSettingsStore


class WidgetSettingRefused(BadRequest):
    """A refused widget setting, with the domain's reason so pages can word it in the admin's language."""

    def __init__(self, refusal: InvalidWidgetSetting) -> None:
        super().__init__(str(refusal))
        self.reason = refusal.reason
        self.values = refusal.values


class WidgetService:
    def __init__(self, store: WidgetSettingsStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def settings_of(self, site_id: str) -> WidgetSettings:
        return await self.store.get(site_id) or DEFAULT_WIDGET

    async def settings_of_sites(self, site_ids: list[str]) -> dict[str, WidgetSettings]:
        stored = await self.store.of_sites(site_ids)
        return {site_id: stored.get(site_id, DEFAULT_WIDGET) for site_id in site_ids}

    async def check(self, site_id: str, changes: Mapping[str, object]) -> WidgetSettings:
        """The site's settings with ``changes`` (setting name to value) applied, or BadRequest saying why not.
        Nothing is written."""
        return _apply(await self.settings_of(site_id), changes)

    async def update(self, site_id: str, **changes: object) -> WidgetSettings:
        """Apply ``changes`` to the site's settings; a refused value changes nothing. Only the settings that
        differ from the stored ones are written: another admin's change to another setting at the same moment
        stays. The answer is what is stored afterwards."""
        current = await self.settings_of(site_id)
        new = _apply(current, changes)
        differ = {name: value for name, value in dataclasses.asdict(new).items() if value != getattr(current, name)}
        if not differ:
            return current
        await self.store.put(site_id, differ, self.clock())
        return await self.settings_of(site_id)


def _apply(current: WidgetSettings, changes: Mapping[str, object]) -> WidgetSettings:
    try:
        return updated(current, **changes)
    except InvalidWidgetSetting as exc:
        raise WidgetSettingRefused(exc) from None
