"""CORS for the widget's HTTP calls: only a site's allowed origins get the headers that let a browser read the
answer, and a preflight (which carries no body) names its site in the query so the allow-list can be checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatsvc.errors import ChatError
from chatsvc.store import records
from chatsvc.web.edge import services_of
from chatsvc.web.errors import error_response


def cors_headers(origin: str | None, methods: str) -> dict[str, str]:
    """The headers for an origin already checked against the site's allow-list (none without an Origin)."""
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


async def preflight(request: Request, methods: str) -> Response:
    """The answer to ``OPTIONS ...?site=KEY``: CORS headers for an allowed origin, none otherwise (the browser
    then refuses the real request)."""
    origin = request.headers.get("origin")
    try:
        await services_of(request).chat.site_for_handshake(request.query_params.get("site", ""), origin)
    except ChatError:
        return Response(status_code=204)
    return Response(status_code=204, headers=cors_headers(origin, methods))


async def site_answer(request: Request, answer: Callable[[records.Site], Awaitable[dict[str, Any]]]) -> Response:
    """A widget GET for ``?site=KEY``: ``answer(site)`` as JSON with CORS for an allowed origin, or the refusal
    (unknown site, origin not allowed). Neither is ever cached: availability and the allow-list change."""
    origin = request.headers.get("origin")
    try:
        site = await services_of(request).chat.site_for_handshake(request.query_params.get("site", ""), origin)
    except ChatError as exc:
        refused = error_response(exc)
        refused.headers["Cache-Control"] = "no-store"
        return refused
    return JSONResponse(await answer(site), headers=cors_headers(origin, "GET") | {"Cache-Control": "no-store"})
