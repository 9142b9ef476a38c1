"""``POST /api/visitor/session``: a visitor token for a site, from an allowed origin only (CORS)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatsvc.errors import ChatError
from chatsvc.web.cors import cors_headers, preflight
from chatsvc.web.edge import services_of
from chatsvc.web.errors import error_response
from chatsvc.web.json_body import read_json


class SessionRequest(msgspec.Struct, forbid_unknown_fields=True):
    site: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


async def visitor_session(request: Request) -> Response:
    services = services_of(request)
    origin = request.headers.get("origin")
    if request.method == "OPTIONS":
        return await preflight(request, "POST")
    try:
        body = await read_json(request, SessionRequest)
        site = await services.chat.site_for_handshake(body.site, origin)
        token = await services.chat.new_visitor(site)
    except ChatError as exc:
        return error_response(exc)
    return JSONResponse({"token": token, "site": site.key}, headers=cors_headers(origin, "POST"))


routes = [Route("/api/visitor/session", visitor_session, methods=["POST", "OPTIONS"])]
