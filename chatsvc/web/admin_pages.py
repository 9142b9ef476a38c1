"""Admin pages: users, sites and teams as plain HTML forms (no script needed), for admins only.

Every form posts with the session's CSRF token; a refused change re-renders the page with the reason and the
values typed so far, and a successful one redirects (post/redirect/get) with a notice.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import STAFF_ROLES
from chatsvc.errors import BadRequest, ChatError
from chatsvc.services.accounts import MIN_PASSWORD_LENGTH, StaffIdentity
from chatsvc.services.admin import MAX_CHATS, AdminService
from chatsvc.web.edge import services_of
from chatsvc.web.forms import Form
from chatsvc.web.guards import admin_form, path_id
from chatsvc.web.rendering import page, page_identity, render, translator

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


async def _sites_page(
    request: Request, who: StaffIdentity, *, error: ChatError | None = None, form: Form | None = None
) -> Response:
    typed = form or Form([])
    return render(
        request,
        "admin_sites.html",
        {
            "sites": await _admin(request).list_sites(),
            "form": {"key": typed.get("key"), "name": typed.get("name"), "origins": typed.get("origins")},
            "error": translator(request).error(error) if error else None,
        },
        who=who,
        status=error.status if error else 200,
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
    Route("/admin/sites/{site_id}/delete", site_delete, methods=["POST"]),
    Route("/admin/teams", teams, methods=["GET"]),
    Route("/admin/teams", team_create, methods=["POST"]),
    Route("/admin/teams/{team_id}", team_update, methods=["POST"]),
    Route("/admin/teams/{team_id}/delete", team_delete, methods=["POST"]),
]
