"""Admin JSON API for outbound webhooks: configuration, secret rotation, the delivery log, re-sending.

Admins only (staff cookie plus ``X-CSRF-Token`` for writes, or ``Authorization: Bearer``), as every
``/api/admin`` endpoint. Bodies are strict msgspec types with ``forbid_unknown_fields``: ``id``, ``secret``,
``created_at``... are refused with 400, never ignored. The signing secret is in the answer exactly twice in a
webhook's life: when it is created and when it is rotated; every other answer is built from ``public()``.
A URL whose host resolves to a private, loopback or link-local address is refused (``blocked_address``) unless
the same body says ``allow_private: true`` (SECURITY case 17). Rules live in ``services.webhooks``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.tickets import WebhookEvent
from chatsvc.errors import BadRequest
from chatsvc.services.webhooks import WebhookAdmin
from chatsvc.web.edge import services_of
from chatsvc.web.guards import api_admin, path_id
from chatsvc.web.json_body import read_json

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Events = Annotated[list[WebhookEvent], msgspec.Meta(min_length=1, max_length=len(WebhookEvent))]
DEFAULT_LOG_PAGE = 50
MAX_LOG_PAGE = 200


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    events: Events = msgspec.field(default_factory=lambda: list(WebhookEvent))
    enabled: bool = True
    allow_private: bool = False  # the admin's explicit choice to reach an internal receiver


class WebhookPatch(msgspec.Struct, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    events: Events | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    allow_private: bool | UnsetType = UNSET


async def _admin(request: Request) -> WebhookAdmin:
    await api_admin(request)
    return WebhookAdmin.of(services_of(request))




def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(DEFAULT_LOG_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LOG_PAGE:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LOG_PAGE}.")
    return int(raw)


async def list_webhooks(request: Request) -> Response:
    admin = await _admin(request)
    return JSONResponse({"webhooks": [hook.public() for hook in await admin.list()]})


async def create_webhook(request: Request) -> Response:
    admin = await _admin(request)
    body = await read_json(request, WebhookCreate)
    hook, secret = await admin.create(
        url=body.url, events=body.events, allow_private=body.allow_private, enabled=body.enabled
    )
    return JSONResponse({"webhook": hook.public(), "secret": secret}, status_code=201)


async def get_webhook(request: Request) -> Response:
    admin = await _admin(request)
    return JSONResponse({"webhook": (await admin.get(path_id(request, "webhook_id"))).public()})


async def update_webhook(request: Request) -> Response:
    admin = await _admin(request)
    webhook_id = path_id(request, "webhook_id")
    body = await read_json(request, WebhookPatch)
    hook = await admin.update(
        webhook_id,
        url=None if isinstance(body.url, UnsetType) else body.url,
        events=None if isinstance(body.events, UnsetType) else body.events,
        enabled=None if isinstance(body.enabled, UnsetType) else body.enabled,
        allow_private=None if isinstance(body.allow_private, UnsetType) else body.allow_private,
    )
    return JSONResponse({"webhook": hook.public()})


async def delete_webhook(request: Request) -> Response:
    admin = await _admin(request)
    await admin.delete(path_id(request, "webhook_id"))
    return Response(status_code=204)


async def rotate_secret(request: Request) -> Response:
    admin = await _admin(request)
    hook, secret = await admin.rotate_secret(path_id(request, "webhook_id"))
    return JSONResponse({"webhook": hook.public(), "secret": secret})


async def list_deliveries(request: Request) -> Response:
    admin = await _admin(request)
    deliveries = await admin.deliveries(path_id(request, "webhook_id"), _limit(request))
    return JSONResponse({"deliveries": [delivery.public() for delivery in deliveries]})


async def retry_delivery(request: Request) -> Response:
    admin = await _admin(request)
    delivery = await admin.redeliver(path_id(request, "delivery_id"))
    return JSONResponse({"delivery": delivery.public()}, status_code=202)


routes: list[BaseRoute] = [
    Route("/api/admin/webhooks", list_webhooks, methods=["GET"]),
    Route("/api/admin/webhooks", create_webhook, methods=["POST"]),
    Route("/api/admin/webhooks/{webhook_id}", get_webhook, methods=["GET"]),
    Route("/api/admin/webhooks/{webhook_id}", update_webhook, methods=["PATCH"]),
    Route("/api/admin/webhooks/{webhook_id}", delete_webhook, methods=["DELETE"]),
    Route("/api/admin/webhooks/{webhook_id}/secret", rotate_secret, methods=["POST"]),
    Route("/api/admin/webhooks/{webhook_id}/deliveries", list_deliveries, methods=["GET"]),
    Route("/api/admin/webhook-deliveries/{delivery_id}/retry", retry_delivery, methods=["POST"]),
]
