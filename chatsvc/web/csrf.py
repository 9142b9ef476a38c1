"""Cross-site request forgery defences (SECURITY case 6).

Browsers attach cookies to requests another site makes them send, so a request authenticated by a cookie proves
nothing about who wanted it. Every state-changing request must also carry a token that a foreign page cannot
read:

- signed-in forms and cookie-authenticated JSON calls: the session's own ``csrf_token`` (a hidden form field, or
  the ``X-CSRF-Token`` header), issued with the session and never sent as a cookie;
- the sign-in form, which has no session yet: a random ``chatsvc_csrf`` cookie (HttpOnly, SameSite=Strict) that
  the form must repeat in a hidden field (double submit), so a foreign page cannot sign a victim in to an
  account of the attacker's choosing.

Requests authenticated by ``Authorization: Bearer`` need no token: a browser never adds that header by itself.
An empty or missing token is refused like a wrong one.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from chatsvc.errors import Forbidden
from chatsvc.services.accounts import StaffIdentity
from chatsvc.web.edge import same_origin, services_of

FORM_COOKIE = "chatsvc_csrf"
FORM_FIELD = "csrf"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = (
        "The anti-forgery token of this request is missing or wrong. Reload the page and try again."
    )


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time equality; empty or missing on either side never matches."""
    if not expected or not given or len(given) > 256:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def via_bearer(conn: HTTPConnection) -> bool:
    """True when the request is authenticated by its Authorization header (mirrors ``edge.staff_token``)."""
    header = conn.headers.get("authorization", "")
    return header.lower().startswith("bearer ") and bool(header[7:].strip())


def check_origin(request: Request) -> None:
    """Defence in depth for forms: a browser's cross-site POST names its origin; refuse one that is not ours."""
    if not same_origin(request):
        raise CsrfFailed("This form was sent from another site.")


# --- the sign-in form (no session yet): double submit ---------------------------------------------------


def login_form_token(request: Request) -> tuple[str, bool]:
    """The token for the sign-in form, and whether the cookie must be (re)set in the response."""
    current = request.cookies.get(FORM_COOKIE, "")
    if 32 <= len(current) <= 128 and current.isascii():
        return current, False
    return secrets.token_urlsafe(32), True


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    settings = services_of(request).settings
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )


def check_login_form(request: Request, submitted: str | None) -> None:
    check_origin(request)
    if not tokens_match(request.cookies.get(FORM_COOKIE), submitted):
        raise CsrfFailed()


# --- signed-in forms and JSON calls: the session's token -----------------------------------------------


def check_session_form(request: Request, who: StaffIdentity, submitted: str | None) -> None:
    check_origin(request)
    if not tokens_match(who.session.csrf_token, submitted):
        raise CsrfFailed()


def check_api(request: Request, who: StaffIdentity) -> None:
    """For JSON calls that change state: cookie-authenticated ones must repeat the session's token in a header."""
    if request.method in SAFE_METHODS or via_bearer(request):
        return
    if not tokens_match(who.session.csrf_token, request.headers.get(HEADER)):
        raise CsrfFailed("Send the session's csrf_token in the X-CSRF-Token header.")
