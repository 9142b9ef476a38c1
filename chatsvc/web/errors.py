"""The one place where ChatErrors become HTTP responses.

APIs and sockets (``/api/``, ``/ws/``) always answer with the JSON error body. Elsewhere, a browser asking for
a page (its Accept header prefers text/html) gets the error page in its language instead of raw JSON.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatsvc.errors import ChatError, RateLimited

log = logging.getLogger("chatsvc.web")

_MACHINE_PREFIXES = ("/api/", "/ws/")
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(exc: ChatError) -> JSONResponse:
    headers = {"Retry-After": str(max(1, int(exc.retry_after)))} if isinstance(exc, RateLimited) else None
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status, headers=headers)


def _accept_quality(accept: str, wanted: str) -> float:
    """The q-value the Accept header gives to ``wanted`` (type/subtype), through its most specific match."""
    best: tuple[int, float] = (-1, 0.0)
    kind = wanted.split("/")[0]
    for part in accept.split(",")[:30]:
        fields = part.strip().split(";")
        media = fields[0].strip().lower()
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        specificity = 2 if media == wanted else 1 if media == kind + "/*" else 0 if media == "*/*" else -1
        if specificity > best[0]:
            best = (specificity, quality)
    return best[1]


def wants_page(request: Request) -> bool:
    """A browser asking for a page: not an API or socket path, and text/html preferred to JSON."""
    if request.url.path.startswith(_MACHINE_PREFIXES) or request.url.path in ("/api", "/ws"):
        return False
    accept = request.headers.get("accept", "")
    html = _accept_quality(accept, "text/html")
    return html > 0 and html >= _accept_quality(accept, "application/json") and "text/html" in accept.lower()


async def _html_error(request: Request, status: int, code: str, message_key: str | None, exc: ChatError | None) -> Response:
    from chatsvc.web.rendering import error_page, render, translator  # rendering needs the services: import late

    if getattr(request.state, "who", None) is None:
        # Show the page as the signed-in person would see any other (their name, their menu) when we can tell.
        from chatsvc.web.edge import services_of, staff_token

        try:
            request.state.who = await services_of(request).accounts.authenticate(staff_token(request))
        except Exception:  # noqa: BLE001 - not signed in, or anything else: the page shows the visitor layout
            request.state.who = None
    if exc is not None:
        return error_page(request, exc)
    t = translator(request)
    title = t("error.not_found.title") if status == 404 else t("error.title")
    message = t(message_key) if message_key else t("error.code.bad_request")
    return render(request, "error.html", {"title": title, "message": message, "code": code},
                  who=request.state.who, status=status)


async def chat_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChatError)
    if wants_page(request):
        return await _html_error(request, exc.status, exc.code, None, exc)
    return error_response(exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    if wants_page(request) and exc.status_code >= 400:
        message_key = {404: "error.not_found.text", 405: "error.method_not_allowed.text"}.get(exc.status_code)
        response = await _html_error(request, exc.status_code, code, message_key, None)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code,
                        headers=exc.headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if wants_page(request):
        try:
            return await _html_error(request, 500, "internal", "error.internal.text", None)
        except Exception:  # noqa: BLE001 - the page itself failed: the plain answer below still goes out
            log.exception("the error page failed too")
    return JSONResponse({"error": "internal", "message": "Something went wrong on the server."}, status_code=500)
