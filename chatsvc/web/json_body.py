"""Strict JSON request bodies: one msgspec type per endpoint, unknown fields refused (no mass assignment)."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.requests import Request

from chatsvc.errors import BadRequest

T = TypeVar("T")

MAX_BODY_BYTES = 64 * 1024


async def read_json(request: Request, kind: type[T], *, max_bytes: int = MAX_BODY_BYTES) -> T:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("The body must be JSON (Content-Type: application/json).")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BadRequest("The body is too large.")
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BadRequest(str(exc)[:300]) from exc
    except RecursionError as exc:
        raise BadRequest("The body is nested too deeply.") from exc
