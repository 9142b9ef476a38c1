"""Predefined replies over JSON: the bot's menu (``/api/menu``) and canned responses (``/api/canned``).

Any signed-in staff member reads the menu and their canned responses (shared ones and their own); only admins
replace the menu or change shared responses; each person changes only their own personal ones (someone else's
answer 404, as if they did not exist). Bodies are strict msgspec types (``forbid_unknown_fields``): who owns
a response comes from the session and the ``shared`` flag, never from an ``owner_id`` or ``id`` in the body.
Cookie-authenticated writes carry the session's CSRF token in ``X-CSRF-Token``. Rules live in
``services.replies``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain import menu
from chatsvc.domain.canned import CannedResponse
from chatsvc.domain.menu import Action, Menu, MenuItem
from chatsvc.domain.model import Role
from chatsvc.errors import BadRequest, Forbidden
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.replies import RepliesService
from chatsvc.store import records
from chatsvc.web import csrf
from chatsvc.web.edge import services_of, staff_identity
from chatsvc.web.guards import path_id
from chatsvc.web.json_body import read_json

T = TypeVar("T")

# A whole menu is the largest body we take: up to 200 items, answers up to 4,000 characters each. The
# generic 64 KiB bound of json_body fits ordinary menus but not every valid one.
MAX_MENU_BYTES = 1024 * 1024
MAX_QUERY = 100

ItemId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}\Z")]
# Lengths a little over the domain's limits: the domain trims and then says precisely what is wrong.
Label = Annotated[str, msgspec.Meta(max_length=200)]
Payload = Annotated[str, msgspec.Meta(max_length=8000)]
ActionName = Literal["answer", "article", "topic", "human", "menu"]
Shortcut = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]
ConversationId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z")]


class MenuItemBody(msgspec.Struct, forbid_unknown_fields=True):
    id: ItemId  # kept across saves: buttons already shown in open chats still mean the same item
    label: Label
    action: ActionName
    parent: ItemId | None = None
    label_fr: Label | None = None
    payload: Payload | None = None  # the answer's text, the article id or the topic
    position: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None  # default: the order in the list


class MenuBody(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[MenuItemBody], msgspec.Meta(max_length=menu.MAX_ITEMS)]


class CannedCreate(msgspec.Struct, forbid_unknown_fields=True):
    shortcut: Shortcut
    title: Title
    body: Body
    shared: bool = False  # admins only: shared with every staff member


class CannedPatch(msgspec.Struct, forbid_unknown_fields=True):
    shortcut: Shortcut | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    body: Body | UnsetType = UNSET


class ExpandBody(msgspec.Struct, forbid_unknown_fields=True):
    conversation: ConversationId | None = None  # fills the visitor's placeholders, when the caller may read it


async def _staff(request: Request) -> tuple[StaffIdentity, RepliesService]:
    who = await staff_identity(request)
    csrf.check_api(request, who)
    return who, services_of(request).replies




async def _read_optional(request: Request, kind: type[T], empty: T, *, limit: int = 4096) -> T:
    """Like ``json_body.read_json``, but a request without a body means ``empty`` (every field optional)."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise BadRequest("The body is too large.")
    if not data.strip():
        return empty
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("The body must be JSON (Content-Type: application/json).")
    try:
        return msgspec.json.decode(data, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BadRequest(str(exc)[:300]) from exc
    except RecursionError as exc:
        raise BadRequest("The body is nested too deeply.") from exc


# --- the menu ----------------------------------------------------------------------------------------------


def menu_json(tree: Menu) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": item.id,
                "parent": item.parent_id,
                "position": item.position,
                "label": item.label,
                "label_fr": item.label_fr,
                "action": item.action.value,
                "payload": item.payload,
            }
            for item in tree.items
        ]
    }


def items_from(body: MenuBody) -> list[MenuItem]:
    return [
        MenuItem(
            id=entry.id,
            parent_id=entry.parent,
            position=index if entry.position is None else entry.position,
            label=entry.label,
            label_fr=entry.label_fr,
            action=Action(entry.action),
            payload=entry.payload,
        )
        for index, entry in enumerate(body.items)
    ]


async def get_menu(request: Request) -> Response:
    _who, replies = await _staff(request)
    return JSONResponse(menu_json(await replies.load_menu()))


async def put_menu(request: Request) -> Response:
    who, replies = await _staff(request)
    if who.role is not Role.ADMIN:  # before reading the body: a refusal says why, whatever was sent
        raise Forbidden("Only administrators can change the bot's menu.")
    body = await read_json(request, MenuBody, max_bytes=MAX_MENU_BYTES)
    saved = await replies.replace_menu(who.user, items_from(body))
    return JSONResponse(menu_json(saved))


# --- canned responses --------------------------------------------------------------------------------------


def canned_json(response: CannedResponse, user: records.User) -> dict[str, Any]:
    return {
        "id": response.id,
        "shortcut": response.shortcut,
        "title": response.title,
        "body": response.body,
        "shared": response.shared,
        "editable": not response.shared or user.role == Role.ADMIN.value,
        "created_at": response.created_at.isoformat(),
        "updated_at": response.updated_at.isoformat(),
    }


async def list_canned(request: Request) -> Response:
    who, replies = await _staff(request)
    query = request.query_params.get("q", "")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"The search is at most {MAX_QUERY} characters.")
    found = await replies.search_canned(who.user, query)
    return JSONResponse({"canned": [canned_json(response, who.user) for response in found]})


async def create_canned(request: Request) -> Response:
    who, replies = await _staff(request)
    body = await read_json(request, CannedCreate)
    created = await replies.create_canned(
        who.user, shortcut=body.shortcut, title=body.title, body=body.body, shared=body.shared
    )
    return JSONResponse({"canned": canned_json(created, who.user)}, status_code=201)


async def get_canned(request: Request) -> Response:
    who, replies = await _staff(request)
    found = await replies.get_canned(who.user, path_id(request, "canned_id", what="No such canned response."))
    return JSONResponse({"canned": canned_json(found, who.user)})


async def update_canned(request: Request) -> Response:
    who, replies = await _staff(request)
    response_id = path_id(request, "canned_id", what="No such canned response.")
    body = await read_json(request, CannedPatch)
    updated = await replies.update_canned(
        who.user, response_id, shortcut=body.shortcut, title=body.title, body=body.body
    )
    return JSONResponse({"canned": canned_json(updated, who.user)})


async def delete_canned(request: Request) -> Response:
    who, replies = await _staff(request)
    await replies.delete_canned(who.user, path_id(request, "canned_id", what="No such canned response."))
    return Response(status_code=204)


async def expand_canned(request: Request) -> Response:
    """``{canned_id}`` is the response's id or its shortcut (the caller's own before a shared one)."""
    who, replies = await _staff(request)
    key = path_id(request, "canned_id", what="No such canned response.")
    body = await _read_optional(request, ExpandBody, ExpandBody())
    conversation = None
    if body.conversation is not None:
        conversation = await services_of(request).chat.readable_conversation(who, body.conversation)
    response, expansion = await replies.expand_canned(key, who.user, conversation)
    return JSONResponse({
        "canned": canned_json(response, who.user),
        "text": expansion.text,
        "unfilled": list(expansion.unfilled),
    })


routes: list[BaseRoute] = [
    Route("/api/menu", get_menu, methods=["GET"]),
    Route("/api/menu", put_menu, methods=["PUT"]),
    Route("/api/canned", list_canned, methods=["GET"]),
    Route("/api/canned", create_canned, methods=["POST"]),
    Route("/api/canned/{canned_id}", get_canned, methods=["GET"]),
    Route("/api/canned/{canned_id}", update_canned, methods=["PATCH"]),
    Route("/api/canned/{canned_id}", delete_canned, methods=["DELETE"]),
    Route("/api/canned/{canned_id}/expand", expand_canned, methods=["POST"]),
]
