"""The one place where ChatErrors become HTTP responses."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatsvc.errors import ChatError, RateLimited

log = logging.getLogger("chatsvc.web")


def error_response(exc: ChatError) -> JSONResponse:
    headers = {"Retry-After": str(max(1, int(exc.retry_after)))} if isinstance(exc, RateLimited) else None
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status, headers=headers)


async def chat_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChatError)
    return error_response(exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"error": "internal", "message": "Something went wrong on the server."}, status_code=500)
