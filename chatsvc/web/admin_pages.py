"""Admin pages: users, sites and teams as plain HTML forms (no script needed), for admins only.

Every form posts with the session's CSRF token; a refused change re-renders the page with the reason and the
values typed so far, and a successful one redirects (post/redirect/get) with a notice.
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import STAFF_ROLES
from chatsvc.domain.widget import DEFAULT_WIDGET, GREETING_MAX, LIGHT_TEXT, WidgetSettings, contrast_ratio
from chatsvc.errors import BadRequest, ChatError
from chatsvc.services.accounts import MIN_PASSWORD_LENGTH, StaffIdentity
from chatsvc.services.admin import MAX_CHATS, AdminService
from chatsvc.services.widget import WidgetSettingRefused
from chatsvc.web.edge import public_base_url, services_of
from chatsvc.web.forms import Form
from chatsvc.web.guards import admin_form, path_id
from chatsvc.web.rendering import page, page_identity, render, translator
from chatsvc.web.widget_preview import preview_data_uri

ROLES = [role.value for role in STAFF_ROLES]


def _admin(request: Request) -> AdminService:
    return AdminService.of(services_of(request))




def _done(path: str, notice: str) -> Response:
    return RedirectResponse(f"{path}?done={notice}", status_code=303)


def _max_chats(form: Form) -> int | None:
    raw = form.get("max_chats").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        raise BadRequest("Concurrent chats must be a whole number.")
    return int(raw)


async def admin_home(request: Request) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


# --- users ---------------------------------------------------------------------------------------------


async def _users_page(
    request: Request, who: StaffIdentity, *, error: ChatError | None = None, form: Form | None = None
) -> Response:
    settings = services_of(request).settings
    typed = form or Form([])
    return render(
        request,
        "admin_users.html",
        {
            "users": await _admin(request).list_users(),
            "roles": ROLES,
            "form": {
                "name": typed.get("name"),
                "email": typed.get("email"),
                "role": typed.get("role", "agent"),
                "max_chats": typed.get("max_chats"),
            },
            "min_length": MIN_PASSWORD_LENGTH,
            "default_capacity": settings.default_capacity,
            "max_chats_limit": MAX_CHATS,
            "error": translator(request).error(error) if error else None,
        },
        who=who,
        status=error.status if error else 200,
    )


@page
async def users(request: Request) -> Response:
    return await _users_page(request, await page_identity(request, admin=True))


@page
async def user_create(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).create_user(
            email=form.get("email"),
            name=form.get("name"),
            role=form.get("role"),
            password=form.get("password"),
            max_chats=_max_chats(form),
        )
    except ChatError as exc:
        return await _users_page(request, who, error=exc, form=form)
    return _done("/admin/users", "user_created")


@page
async def user_update(request: Request) -> Response:
    who, form = await admin_form(request)
    user_id = path_id(request, "user_id")
    admin = _admin(request)
    action = form.get("action")
    try:
        if action == "settings":
            await admin.update_user(
                user_id, actor_id=who.user.id, name=form.get("name"), role=form.get("role"),
                max_chats=_max_chats(form),
            )
            notice = "user_updated"
        elif action == "password":
            await admin.update_user(user_id, actor_id=who.user.id, password=form.get("password"))
            notice = "password_reset"
        elif action in ("disable", "enable"):
            await admin.update_user(user_id, actor_id=who.user.id, disabled=action == "disable")
            notice = "user_disabled" if action == "disable" else "user_enabled"
        else:
            raise BadRequest("Unknown action.")
    except ChatError as exc:
        return await _users_page(request, who, error=exc)
    return _done("/admin/users", notice)


# --- sites ---------------------------------------------------------------------------------------------


def _widget_view(settings: WidgetSettings, typed: Form | None = None) -> dict[str, object]:
    """One site's widget section: the form's values (what was typed, after a refusal) and the stored look."""
    # A greeting left to the widget (None) is an empty field.
    values = {name: "" if value is None else value for name, value in dataclasses.asdict(settings).items()}
    if typed is not None:
        values.update(_widget_changes(typed))
    return {
        "form": values,
        "position": settings.position,
        "text_is_light": settings.text_color == LIGHT_TEXT,
        "contrast": f"{contrast_ratio(settings.color, settings.text_color):.1f}",
        "preview": preview_data_uri(settings),
    }


async def _sites_page(
    request: Request,
    who: StaffIdentity,
    *,
    error: ChatError | None = None,
    form: Form | None = None,
    widget_refused: tuple[str, Form, ChatError] | None = None,
) -> Response:
    """``widget_refused``: the site whose widget form was refused, what was typed in it (shown again) and why
    (shown beside that form, where the admin is looking, rather than at the top of a long page)."""
    typed = form or Form([])
    admin = _admin(request)
    sites = await admin.list_sites()
    widgets = await admin.widget_settings([site.id for site in sites])
    refused_site, refused_form, refusal = widget_refused or (None, None, None)
    return render(
        request,
        "admin_sites.html",
        {
            "sites": sites,
            "widgets": {
                site_id: _widget_view(settings, refused_form if site_id == refused_site else None)
                for site_id, settings in widgets.items()
            },
            "widget_error": {refused_site: _refusal_text(request, refusal)} if refusal else {},
            "embed_base": public_base_url(request),
            "greeting_max": GREETING_MAX,
            "form": {"key": typed.get("key"), "name": typed.get("name"), "origins": typed.get("origins")},
            "error": translator(request).error(error) if error else None,
        },
        who=who,
        status=failed.status if (failed := error or refusal) else 200,
    )


@page
async def sites(request: Request) -> Response:
    return await _sites_page(request, await page_identity(request, admin=True))


@page
async def site_create(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).create_site(
            key=form.get("key").strip(), name=form.get("name"), allowed_origins=form.lines("origins")
        )
    except ChatError as exc:
        return await _sites_page(request, who, error=exc, form=form)
    return _done("/admin/sites", "site_created")


@page
async def site_update(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).update_site(
            path_id(request, "site_id"), name=form.get("name"), allowed_origins=form.lines("origins")
        )
    except ChatError as exc:
        return await _sites_page(request, who, error=exc)
    return _done("/admin/sites", "site_updated")


def _refusal_text(request: Request, exc: ChatError) -> str:
    t = translator(request)
    if isinstance(exc, WidgetSettingRefused) and f"widget.error.{exc.reason}" in t.table:
        return t(f"widget.error.{exc.reason}", **exc.values)
    return t.error(exc)


def _widget_changes(form: Form) -> dict[str, object]:
    """The widget form's fields as settings, one field per setting of the same name: a switch is a checkbox
    (unticked, it is absent from the form, so it means off), anything else a text field."""
    return {
        name: (name in form) if isinstance(default, bool) else form.get(name)
        for name, default in dataclasses.asdict(DEFAULT_WIDGET).items()
    }


@page
async def site_widget_update(request: Request) -> Response:
    who, form = await admin_form(request)
    site_id = path_id(request, "site_id")
    try:
        await _admin(request).update_site(site_id, widget=_widget_changes(form))
    except ChatError as exc:
        return await _sites_page(request, who, widget_refused=(site_id, form, exc))
    return _done("/admin/sites", "widget_updated")


@page
async def site_delete(request: Request) -> Response:
    who, _form = await admin_form(request)
    try:
        await _admin(request).delete_site(path_id(request, "site_id"))
    except ChatError as exc:
        return await _sites_page(request, who, error=exc)
    return _done("/admin/sites", "site_deleted")


# --- teams ---------------------------------------------------------------------------------------------


async def _teams_page(
    request: Request, who: StaffIdentity, *, error: ChatError | None = None, form: Form | None = None
) -> Response:
    admin = _admin(request)
    typed = form or Form([])
    return render(
        request,
        "admin_teams.html",
        {
            "teams": await admin.list_teams(),
            "users": await admin.list_users(),
            "form": {"name": typed.get("name"), "topics": typed.get("topics"), "members": typed.getlist("members")},
            "error": translator(request).error(error) if error else None,
        },
        who=who,
        status=error.status if error else 200,
    )


def _topics(form: Form) -> list[str]:
    # People type "Billing" as readily as "billing"; topics are compared in lower case.
    return [topic.lower() for topic in form.lines("topics")]


@page
async def teams(request: Request) -> Response:
    return await _teams_page(request, await page_identity(request, admin=True))


@page
async def team_create(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).create_team(
            name=form.get("name"), topics=_topics(form), member_ids=form.getlist("members")
        )
    except ChatError as exc:
        return await _teams_page(request, who, error=exc, form=form)
    return _done("/admin/teams", "team_created")


@page
async def team_update(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).update_team(
            path_id(request, "team_id"), name=form.get("name"), topics=_topics(form),
            member_ids=form.getlist("members"),
        )
    except ChatError as exc:
        return await _teams_page(request, who, error=exc)
    return _done("/admin/teams", "team_updated")


@page
async def team_delete(request: Request) -> Response:
    who, _form = await admin_form(request)
    try:
        await _admin(request).delete_team(path_id(request, "team_id"))
    except ChatError as exc:
        return await _teams_page(request, who, error=exc)
    return _done("/admin/teams", "team_deleted")


routes: list[BaseRoute] = [
    Route("/admin", page(admin_home), methods=["GET"]),
    Route("/admin/users", users, methods=["GET"]),
    Route("/admin/users", user_create, methods=["POST"]),
    Route("/admin/users/{user_id}", user_update, methods=["POST"]),
    Route("/admin/sites", sites, methods=["GET"]),
    Route("/admin/sites", site_create, methods=["POST"]),
    Route("/admin/sites/{site_id}", site_update, methods=["POST"]),
    Route("/admin/sites/{site_id}/widget", site_widget_update, methods=["POST"]),
    Route("/admin/sites/{site_id}/delete", site_delete, methods=["POST"]),
    Route("/admin/teams", teams, methods=["GET"]),
    Route("/admin/teams", team_create, methods=["POST"]),
    Route("/admin/teams/{team_id}", team_update, methods=["POST"]),
    Route("/admin/teams/{team_id}/delete", team_delete, methods=["POST"]),
]
