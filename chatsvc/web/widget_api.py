"""``GET /api/visitor/widget?site=KEY``: what the widget needs to draw itself before the visitor opens it.

Public (the site key is in the embed tag) but only for the site's allowed origins, like the other visitor
calls: an origin not on the list gets 403 and no CORS headers, so a page elsewhere cannot read the answer.
Never cached: availability changes by the minute and settings take effect at the next page load.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.widget import WidgetSettings
from chatsvc.store import records
from chatsvc.web.cors import site_answer
from chatsvc.web.edge import services_of


def widget_json(settings: WidgetSettings) -> dict[str, Any]:
    """The settings as the widget's configuration shows them, grouped for the widget, with the text colour
    the server derived (the admin API shows them flat, as stored: ``admin_api.widget_settings_json``)."""
    return {
        "look": {"color": settings.color, "text_color": settings.text_color, "position": settings.position},
        "greeting": {"en": settings.greeting_en, "fr": settings.greeting_fr},
        "prechat": settings.prechat,
        "survey": {"csat": settings.survey_csat, "nps": settings.survey_nps, "ces": settings.survey_ces},
    }


def config_json(site: records.Site, settings: WidgetSettings, availability: dict[str, Any]) -> dict[str, Any]:
    return {"site": {"key": site.key, "name": site.name}, **widget_json(settings), "availability": availability}


async def widget_config(request: Request) -> Response:
    services = services_of(request)

    async def config(site: records.Site) -> dict[str, Any]:
        settings = await services.widgets.settings_of(site.id)
        return config_json(site, settings, (await services.availability.of(site)).to_json())

    return await site_answer(request, config)


routes: list[BaseRoute] = [Route("/api/visitor/widget", widget_config, methods=["GET"])]
