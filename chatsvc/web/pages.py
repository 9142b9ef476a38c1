"""Server-rendered pages: home, staff sign-in and sign-out, the signed-in landing page, password change.

Admin pages live in ``admin_pages``; their routes are appended here so the app mounts one list of pages.
"""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import Role
from chatsvc.domain.origins import origin_of
from chatsvc.errors import BadRequest, ChatError, NotFound, OriginNotAllowed, RateLimited, Unauthorized
from chatsvc.services.accounts import MIN_PASSWORD_LENGTH, StaffIdentity
from chatsvc.services.bootstrap import DEFAULT_SITE_KEY, one_time_password_pending
from chatsvc.web import admin_pages, csrf
from chatsvc.web.auth_api import change_password, clear_session_cookie, set_session_cookie, sign_in
from chatsvc.web.edge import public_base_url, services_of, staff_token
from chatsvc.web.forms import read_form
from chatsvc.web.rendering import page, page_identity, render, safe_next, translator


@page
async def home(request: Request) -> Response:
    who = await _signed_in_or_none(request)
    return render(request, "home.html", {"demo": await _widget_demo(request, who)}, who=who)


async def _widget_demo(request: Request, who: StaffIdentity | None) -> dict[str, object]:
    """The home page embeds the default site's widget as a customer's page would: from where people reach
    this server (``public_base_url``: the public URL this request came to, else the request's own origin),
    and only when the site allows that page's origin; otherwise it says how to allow it, rather than showing
    a widget the server will refuse. The site's allowed origins are shown to a signed-in admin only: to
    anyone else they are a list of the customer's sites."""
    services = services_of(request)
    base = public_base_url(request)
    origin = origin_of(base) or ""
    demo: dict[str, object] = {"origin": origin, "script": f"{base}/widget.js", "site_key": DEFAULT_SITE_KEY,
                               "state": "ready", "origins": None}
    if request.app.state.widget_script is None:
        demo["state"] = "unbuilt"
        return demo
    try:
        await services.chat.site_for_handshake(DEFAULT_SITE_KEY, origin)
    except OriginNotAllowed:
        demo["state"] = "blocked"
        if who is not None and who.role is Role.ADMIN:
            site = await services.chat.site_for_handshake(DEFAULT_SITE_KEY, None)
            demo["origins"] = list(site.allowed_origins)
    except NotFound:
        demo["state"] = "no_site"
    return demo


async def _signed_in_or_none(request: Request) -> StaffIdentity | None:
    """For public pages: show the signed-in header when there is a usable session, never refuse."""
    if not staff_token(request):
        return None
    try:
        return await services_of(request).accounts.authenticate(staff_token(request), allow_password_change=True)
    except ChatError:
        return None


# --- sign-in -------------------------------------------------------------------------------------------


def _login_page(
    request: Request, *, error: str | None = None, email: str = "", next_path: str = "", status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token, fresh = csrf.login_form_token(request)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "error": error, "email": email, "next": next_path,
         # Only while the first admin's one-time password file exists: afterwards the hint would mislead.
         "first_start": one_time_password_pending(services_of(request).settings)},
        status=status,
        headers=headers,
    )
    if fresh:
        csrf.set_login_cookie(response, request, token)
    return response


@page
async def login_form(request: Request) -> Response:
    who = await _signed_in_or_none(request)
    if who is not None:
        target = "/account/password" if who.user.must_change_password else safe_next(request.query_params.get("next"))
        return RedirectResponse(target, status_code=303)
    return _login_page(request, next_path=safe_next(request.query_params.get("next"), ""))


@page
async def login_submit(request: Request) -> Response:
    t = translator(request)
    form = await read_form(request)
    email = form.get("email").strip()[:254]
    next_path = safe_next(form.get("next"), "")
    try:
        csrf.check_login_form(request, form.get(csrf.FORM_FIELD))
    except csrf.CsrfFailed:
        # A fresh form (and cookie) comes with the answer, so a real person just signs in again.
        return _login_page(request, error=t("login.csrf"), email=email, next_path=next_path, status=403)
    try:
        user, token, _session = await sign_in(request, email, form.get("password")[:1024])
    except RateLimited as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        return _login_page(
            request, error=t("login.blocked", minutes=minutes), email=email, next_path=next_path, status=429,
            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        )
    except (Unauthorized, BadRequest):
        # Unknown email, wrong password, disabled account: one answer for all.
        return _login_page(request, error=t("login.wrong"), email=email, next_path=next_path, status=401)
    target = "/account/password" if user.must_change_password else (next_path or "/staff")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, token)
    return response


@page
async def logout(request: Request) -> Response:
    form = await read_form(request)
    services = services_of(request)
    try:
        who = await services.accounts.authenticate(staff_token(request), allow_password_change=True)
    except Unauthorized:
        who = None  # already signed out: nothing to protect, just clear the cookie
    if who is not None:
        csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
        await services.accounts.logout(who, staff_token(request))
    response = RedirectResponse("/login?done=signed_out", status_code=303)
    clear_session_cookie(response)
    return response


# --- the signed-in landing page ------------------------------------------------------------------------

# (path, who sees it, title key, text key, icon). Pages other parts of the server may add are linked only
# when the app really routes them, so the landing page never points at something missing.
_TOOLS: tuple[tuple[str, frozenset[Role], str, str, str], ...] = (
    ("/console", frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN}), "staff.link.console", "staff.link.console.text",
     "console"),
    ("/manager", frozenset({Role.MANAGER, Role.ADMIN}), "staff.link.manager", "staff.link.manager.text", "chart"),
    ("/tickets", frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN}), "staff.link.tickets",
     "staff.link.tickets.text", "ticket"),
    ("/canned", frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN}), "staff.link.canned", "staff.link.canned.text",
     "canned"),
    ("/kb", frozenset({Role.MANAGER, Role.ADMIN}), "staff.link.kb", "staff.link.kb.text", "book"),
    ("/admin/users", frozenset({Role.ADMIN}), "staff.link.users", "staff.link.users.text", "users"),
    ("/admin/sites", frozenset({Role.ADMIN}), "staff.link.sites", "staff.link.sites.text", "globe"),
    ("/admin/teams", frozenset({Role.ADMIN}), "staff.link.teams", "staff.link.teams.text", "team"),
    ("/admin/menu", frozenset({Role.ADMIN}), "staff.link.menu", "staff.link.menu.text", "menu"),
    ("/account/password", frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN}), "staff.link.password",
     "staff.link.password.text", "key"),
)


def _routed_paths(request: Request) -> set[str]:
    return {path for route in request.app.routes if isinstance(path := getattr(route, "path", None), str)}


@page
async def staff(request: Request) -> Response:
    who = await page_identity(request)
    services = services_of(request)
    routed = _routed_paths(request)
    links = [
        {"href": path, "title": title, "text": text, "icon": icon}
        for path, roles, title, text, icon in _TOOLS
        if who.role in roles and path in routed
    ]
    teams = [team.name for team in await services.accounts.teams_of(who.user.id)]
    return render(
        request,
        "staff.html",
        {"links": links, "teams": teams, "default_capacity": services.settings.default_capacity},
        who=who,
    )


# --- password change -----------------------------------------------------------------------------------


@page
async def password_form(request: Request) -> Response:
    who = await page_identity(request, allow_password_change=True)
    return render(request, "password.html", {"min_length": MIN_PASSWORD_LENGTH}, who=who)


@page
async def password_submit(request: Request) -> Response:
    who = await page_identity(request, allow_password_change=True)
    form = await read_form(request)
    csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
    t = translator(request)
    if form.get("new") != form.get("again"):
        return _password_page(request, who, t("password.mismatch"), 400)
    try:
        _user, token, _session = await change_password(request, who, form.get("current"), form.get("new"))
    except ChatError as exc:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if isinstance(exc, RateLimited) else None
        return _password_page(request, who, t.error(exc), exc.status, headers)
    # Every session of the user ended with the change; this browser continues on the fresh one.
    response = RedirectResponse("/staff?done=password_changed", status_code=303)
    set_session_cookie(response, request, token)
    return response


def _password_page(
    request: Request, who: StaffIdentity, error: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return render(
        request, "password.html", {"min_length": MIN_PASSWORD_LENGTH, "error": error}, who=who, status=status,
        headers=headers,
    )


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/staff", staff, methods=["GET"]),
    Route("/account/password", password_form, methods=["GET"]),
    Route("/account/password", password_submit, methods=["POST"]),
    *admin_pages.routes,
]
