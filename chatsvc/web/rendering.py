"""Rendering pages: one Jinja2 environment (autoescaped), the layout's context, and page-level guards.

Pages answer refusals with HTML (a sign-in redirect, a 403 page) where the JSON API answers with the error
body from ``web/errors.py``; both come from the same ChatError classes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from chatsvc import __version__
from chatsvc.domain.model import Role
from chatsvc.errors import ChatError, Forbidden, PasswordChangeRequired, RateLimited, Unauthorized
from chatsvc.services.accounts import StaffIdentity
from chatsvc.web import csrf
from chatsvc.web.edge import services_of, staff_token
from chatsvc.web.i18n import LANG_COOKIE, LANGUAGE_NAMES, LANGUAGES, Translator, choose_language

TEMPLATES = Path(__file__).parent / "templates"

# Autoescape on for every template: names, emails and anything else a person typed are shown as text.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt variable fails the page (and its test), not renders blank
    trim_blocks=True,
    lstrip_blocks=True,
)

Handler = Callable[[Request], Awaitable[Response]]

ADMIN_ONLY = "This page is for administrators."


class Redirect(Exception):
    """Raised by a guard: answer with a redirect (303, so a POST is followed by a GET)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def translator(request: Request) -> Translator:
    return Translator(choose_language(request)[0])


def safe_next(value: str | None, default: str = "/staff") -> str:
    """A local path to go to after signing in; anything that could leave the site falls back to the default."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 500:
        return default
    if any(ord(c) < 33 for c in value):
        return default
    return value


def render(
    request: Request,
    template: str,
    context: dict[str, object] | None = None,
    *,
    who: StaffIdentity | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    lang, explicit = choose_language(request)
    t = Translator(lang)
    page = {
        "t": t,
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code], _with_lang(request, code)) for code in LANGUAGES],
        "path": request.url.path,
        "who": who,
        "csrf_token": who.session.csrf_token if who else "",
        "csrf_field": csrf.FORM_FIELD,
        # While a password change is pending nothing else is reachable: the layout offers nothing else.
        "is_admin": who is not None and who.role is Role.ADMIN and not who.user.must_change_password,
        "show_nav": who is not None and not who.user.must_change_password,
        "version": __version__,
        "notice": _notice(request, t),
        "error": None,
    }
    page.update(context or {})
    body = environment.get_template(template).render(page)
    response = HTMLResponse(body, status_code=status, headers=headers)
    # Pages show people's names and tokens for forms: never stored by a shared cache or the back button.
    response.headers["cache-control"] = "no-store"
    response.headers["vary"] = "Accept-Language, Cookie"
    if explicit:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/", httponly=True)
    return response


def _with_lang(request: Request, code: str) -> str:
    """This page's URL in another language (other query parameters kept, e.g. where to go after signing in)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    return request.url.path + "?" + urlencode([*query, ("lang", code)])


def _notice(request: Request, t: Translator) -> str | None:
    """``?done=KEY`` after a redirect: only keys of our own table, never text from the URL."""
    key = "notice." + request.query_params.get("done", "")
    return t.table.get(key) if key != "notice." else None


def error_page(request: Request, exc: ChatError) -> HTMLResponse:
    t = translator(request)
    who: StaffIdentity | None = getattr(request.state, "who", None)
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    if isinstance(exc, csrf.CsrfFailed):
        message = t("error.code.csrf_failed")
    else:
        message = t.error(exc)
    title = t("error.forbidden.title") if exc.status == 403 else t("error.title")
    return render(
        request, "error.html", {"title": title, "message": message, "code": exc.code}, who=who,
        status=exc.status, headers=headers,
    )


async def page_identity(
    request: Request, *, admin: bool = False, allow_password_change: bool = False
) -> StaffIdentity:
    """The signed-in staff member for a page; not signed in → the sign-in page, a password change pending →
    the password page, not an admin on an admin page → 403."""
    try:
        who = await services_of(request).accounts.authenticate(
            staff_token(request), allow_password_change=allow_password_change
        )
    except Unauthorized:
        target = request.url.path if request.method == "GET" else "/staff"
        raise Redirect("/login?next=" + quote(target, safe="/")) from None
    except PasswordChangeRequired:
        raise Redirect("/account/password") from None
    request.state.who = who  # so a refusal page further on still shows who is signed in
    if admin and who.role is not Role.ADMIN:
        raise Forbidden(ADMIN_ONLY)
    return who


def page(handler: Handler) -> Handler:
    """Turn guard redirects and refusals into HTML answers for a page handler."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Redirect as redirect:
            return RedirectResponse(redirect.location, status_code=303)
        except ChatError as exc:
            return error_page(request, exc)

    return wrapped
