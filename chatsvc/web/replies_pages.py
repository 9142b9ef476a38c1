"""Pages for predefined replies: the bot's menu editor (admins) and canned responses (every staff member).

The menu editor is one form holding the whole tree; saving posts all of it and the service replaces the stored
menu in one transaction, or refuses it whole and the page comes back with the reason, the item at fault marked,
and everything typed so far. Adding, moving and deleting items are buttons of the same form: a small script
does them in the page at once, and without it the server does them and shows the form again, not yet saved.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain import canned, menu
from chatsvc.domain.ids import new_id
from chatsvc.domain.menu import Action, Menu, MenuError, MenuItem
from chatsvc.domain.model import Role
from chatsvc.errors import BadRequest, ChatError, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.admin import AdminService
from chatsvc.services.replies import RepliesService
from chatsvc.web import csrf
from chatsvc.web.edge import services_of
from chatsvc.web.forms import MAX_FORM_BYTES, Form, read_form
from chatsvc.web.i18n import MENU_ERRORS, Translator
from chatsvc.web.rendering import page, page_identity, render, translator

_FIELDS = ("id", "parent", "label", "label_fr", "action", "answer", "article", "topic")
_PAYLOAD_FIELD = {Action.ANSWER: "answer", Action.ARTICLE: "article", Action.TOPIC: "topic"}
MAX_SEARCH = 100
# The whole menu is one form: up to 200 items whose answers reach 4,000 characters (more once URL-encoded).
MENU_FORM_BYTES = 2 * 1024 * 1024


def _replies(request: Request) -> RepliesService:
    return services_of(request).replies


def _done(path: str, notice: str) -> Response:
    return RedirectResponse(f"{path}?done={notice}", status_code=303)


async def _signed_form(
    request: Request, *, admin: bool = False, max_bytes: int = MAX_FORM_BYTES
) -> tuple[StaffIdentity, Form]:
    """The signed-in person and their form, once its CSRF token is checked (a refusal changes nothing)."""
    who = await page_identity(request, admin=admin)
    form = await read_form(request, max_bytes=max_bytes)
    csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
    return who, form


# --- the menu editor ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Node:
    """One item as the editor shows it: its depth and its children, already in order."""

    item: MenuItem
    depth: int
    children: list[Node]

    @property
    def may_have_children(self) -> bool:
        return self.depth < menu.MAX_DEPTH


def _nodes(tree: Menu, parent_id: str | None = None, depth: int = 1) -> list[Node]:
    # Only what hangs from the roots is shown: a hand-made form with a cycle or a missing parent loses those
    # items here, and the walk ends (each item has one parent, so this is a forest).
    if depth > menu.MAX_DEPTH + 1:
        return []
    return [Node(item, depth, _nodes(tree, item.id, depth + 1)) for item in tree.children_of(parent_id)]


def _items_from_form(form: Form) -> list[MenuItem]:
    columns = {name: form.getlist(name) for name in _FIELDS}
    count = len(columns["id"])
    if any(len(values) != count for values in columns.values()):
        raise BadRequest("The form could not be read.")
    items = []
    for index in range(count):
        row = {name: columns[name][index] for name in _FIELDS}
        action = menu.action_of(row["action"], row["id"] or None)
        field = _PAYLOAD_FIELD.get(action)
        items.append(
            MenuItem(
                id=row["id"],
                parent_id=row["parent"] or None,
                position=index,  # the page lists siblings in order: the form's order is the menu's
                label=row["label"],
                label_fr=row["label_fr"] or None,
                action=action,
                payload=row[field] if field else None,
            )
        )
    return items


def _apply_op(items: list[MenuItem], op: str) -> list[MenuItem]:
    """The editor's buttons, for browsers without the script: ``add:PARENT``, ``up:ID``, ``down:ID``,
    ``delete:ID``. Nothing is saved; the form comes back changed."""
    verb, _, target = op.partition(":")
    if verb == "add":
        parent = target or None
        draft = MenuItem(new_id(), parent, 0, "", None, Action.ANSWER)
        return menu.add_item(items, draft)
    if verb in ("up", "down"):
        return menu.move_item(items, target, -1 if verb == "up" else 1)
    if verb == "delete":
        return menu.remove_item(items, target)
    raise BadRequest("Unknown action.")


async def _menu_page(
    request: Request,
    who: StaffIdentity,
    items: list[MenuItem],
    *,
    error: ChatError | None = None,
    unsaved: bool = False,
) -> Response:
    t = translator(request)
    services = services_of(request)
    tree = Menu(items)
    articles = await _replies(request).article_choices()
    topics = sorted({topic for team in await AdminService.of(services).list_teams() for topic in team.topics})
    actions = [
        ("answer", t("menu.action.answer")),
        ("article", t("menu.action.article")),
        ("topic", t("menu.action.topic")),
        ("human", t("menu.action.human")),
        ("menu", t("menu.action.menu")),
    ]
    return render(
        request,
        "admin_menu.html",
        {
            "nodes": _nodes(tree),
            "preview": tree.children_of(None),
            "actions": actions,
            "articles": articles,
            "article_ids": {article[0] for article in articles},
            "topics": topics,
            "limits": {"depth": menu.MAX_DEPTH, "per_level": menu.MAX_PER_LEVEL, "label": menu.MAX_LABEL,
                       "answer": menu.MAX_ANSWER},
            "blank": Node(MenuItem("", None, 0, "", None, Action.ANSWER), 1, []),
            "error": _menu_error(t, error) if error else None,
            "error_item": error.item_id if isinstance(error, MenuError) else None,
            "unsaved": unsaved,
        },
        who=who,
        status=error.status if error else 200,
    )


def _menu_error(t: Translator, error: ChatError) -> str:
    """A refused menu in the page's language: the reason's own sentence when we have it translated."""
    if isinstance(error, MenuError):
        template = MENU_ERRORS.get(t.lang, {}).get(error.reason)
        if template:
            return template.format(**error.params)
    return t.error(error)


@page
async def menu_editor(request: Request) -> Response:
    who = await page_identity(request, admin=True)
    tree = await _replies(request).load_menu()
    return await _menu_page(request, who, list(tree.items))


@page
async def menu_submit(request: Request) -> Response:
    who, form = await _signed_form(request, admin=True, max_bytes=MENU_FORM_BYTES)
    try:
        items = _items_from_form(form)
    except ChatError as exc:
        # Unreadable (a hand-made form): show the stored menu again with the reason.
        return await _menu_page(request, who, list((await _replies(request).load_menu()).items), error=exc)
    op = form.get("op")
    if op:
        try:
            items = _apply_op(items, op)
        except ChatError as exc:
            return await _menu_page(request, who, items, error=exc, unsaved=True)
        return await _menu_page(request, who, items, unsaved=True)
    try:
        await _replies(request).replace_menu(who.user, items)
    except ChatError as exc:
        return await _menu_page(request, who, items, error=exc, unsaved=True)
    return _done("/admin/menu", "menu_saved")


# --- canned responses --------------------------------------------------------------------------------------


def _canned_view(response: canned.CannedResponse, who: StaffIdentity) -> dict[str, Any]:
    return {
        "id": response.id,
        "shortcut": response.shortcut,
        "title": response.title,
        "body": response.body,
        "shared": response.shared,
        "editable": not response.shared or who.role is Role.ADMIN,
        "placeholders": canned.placeholders_in(response.body),
    }


async def _canned_page(
    request: Request, who: StaffIdentity, *, error: ChatError | None = None, form: Form | None = None
) -> Response:
    t = translator(request)
    query = request.query_params.get("q", "")[:MAX_SEARCH].strip()
    found = await _replies(request).search_canned(who.user, query)
    typed = form or Form([])
    placeholders = [
        ("visitor_name", t("canned.ph.visitor_name")),
        ("visitor_email", t("canned.ph.visitor_email")),
        ("agent_name", t("canned.ph.agent_name")),
        ("site_name", t("canned.ph.site_name")),
        ("date", t("canned.ph.date")),
    ]
    return render(
        request,
        "canned.html",
        {
            "query": query,
            "mine": [_canned_view(r, who) for r in found if not r.shared],
            "shared": [_canned_view(r, who) for r in found if r.shared],
            "placeholders": placeholders,
            "form": {
                "shortcut": typed.get("shortcut"),
                "title": typed.get("title"),
                "body": typed.get("body"),
                "scope": typed.get("scope", "personal"),
            },
            "limits": {"title": canned.MAX_TITLE, "body": canned.MAX_BODY},
            "error": t.error(error) if error else None,
        },
        who=who,
        status=error.status if error else 200,
    )


def _response_id(request: Request) -> str:
    value = str(request.path_params["canned_id"])
    if len(value) > 64:
        raise NotFound("No such canned response.")
    return value


@page
async def canned_list(request: Request) -> Response:
    return await _canned_page(request, await page_identity(request))


@page
async def canned_create(request: Request) -> Response:
    who, form = await _signed_form(request)
    try:
        await _replies(request).create_canned(
            who.user,
            shortcut=form.get("shortcut"),
            title=form.get("title"),
            body=form.get("body"),
            shared=form.get("scope") == "shared",
        )
    except ChatError as exc:
        return await _canned_page(request, who, error=exc, form=form)
    return _done("/canned", "canned_created")


@page
async def canned_update(request: Request) -> Response:
    who, form = await _signed_form(request)
    try:
        await _replies(request).update_canned(
            who.user, _response_id(request), shortcut=form.get("shortcut"), title=form.get("title"),
            body=form.get("body"),
        )
    except ChatError as exc:
        return await _canned_page(request, who, error=exc)
    return _done("/canned", "canned_updated")


@page
async def canned_delete(request: Request) -> Response:
    who, _form = await _signed_form(request)
    try:
        await _replies(request).delete_canned(who.user, _response_id(request))
    except ChatError as exc:
        return await _canned_page(request, who, error=exc)
    return _done("/canned", "canned_deleted")


routes: list[BaseRoute] = [
    Route("/admin/menu", menu_editor, methods=["GET"]),
    Route("/admin/menu", menu_submit, methods=["POST"]),
    Route("/canned", canned_list, methods=["GET"]),
    Route("/canned", canned_create, methods=["POST"]),
    Route("/canned/{canned_id}", canned_update, methods=["POST"]),
    Route("/canned/{canned_id}/delete", canned_delete, methods=["POST"]),
]
