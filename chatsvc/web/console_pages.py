"""The agent console (``/console``) and the public help page of one knowledge-base article (``/help/{id}``).

The console is one page and one script (``static/console.js``) over ``/ws/agent``: everything a visitor typed
reaches it through the socket or the JSON API and is shown as text by the script, never by this template. The
page hands the script who is signed in, the session's CSRF token, the public base URL (for article links) and
its strings, in a JSON data island (the CSP allows no inline script).
"""

from __future__ import annotations

from datetime import UTC

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import Role
from chatsvc.errors import Forbidden, NotFound
from chatsvc.services.kb import MAX_ID_CHARS
from chatsvc.web.edge import public_base_url, services_of
from chatsvc.web.i18n import STRINGS, Translator, choose_language
from chatsvc.web.rendering import page, page_identity, render

CONSOLE_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN})
# The strings the script shows: the console's own and the socket error codes it translates.
SCRIPT_PREFIXES = ("console.",)


def script_strings(lang: str) -> dict[str, str]:
    table = STRINGS[lang]
    return {key: text for key, text in table.items() if key.startswith(SCRIPT_PREFIXES)}


@page
async def console(request: Request) -> Response:
    who = await page_identity(request)
    if who.role not in CONSOLE_ROLES:
        raise Forbidden("This page is for agents.")
    lang = choose_language(request)[0]
    services = services_of(request)
    data = {
        "me": {"id": who.user.id, "name": who.user.name, "role": who.user.role},
        "csrf": who.session.csrf_token,
        "base": public_base_url(request),
        "lang": lang,
        "capacity": who.user.max_chats or services.settings.default_capacity,
        "strings": script_strings(lang),
    }
    return render(request, "console.html", {"data": data}, who=who)


def _article_id(request: Request) -> str:
    value = str(request.path_params["article_id"])
    if not value or len(value) > MAX_ID_CHARS or any(ord(c) < 33 or c in "/\\" for c in value):
        raise NotFound("No such article.")
    return value


async def help_article(request: Request) -> Response:
    """A published article as a visitor reads it: the sanitized HTML the bot shows, in a public page."""
    kb = services_of(request).kb
    t = Translator(choose_language(request)[0])
    try:
        article_id = _article_id(request)
        article = await kb.get(article_id, published_only=True)
    except NotFound:
        return render(request, "help_article.html", {"article": None, "title": t("help.not_found.title")},
                      status=404)
    # The day of the last change as a date in UTC (the page's time element carries the same day): no time of
    # day is shown, so nothing claims to be in the reader's zone.
    stamp = article.updated_at
    day = (stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp).date()
    updated = f"{day.day} {t('ts.months').split()[day.month - 1]} {day.year}"
    rendered = kb.rendered(article.id)
    html = rendered.html if rendered is not None else kb.preview(article.body)
    return render(
        request,
        "help_article.html",
        {"article": article, "title": article.title, "html": html, "updated": updated},
    )


routes: list[BaseRoute] = [
    Route("/console", console, methods=["GET"]),
    Route("/help/{article_id:path}", help_article, methods=["GET"]),
]
