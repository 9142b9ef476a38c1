"""JSON sign-in for staff clients (the console page, the Python client): login, logout, who am I, password.

``sign_in`` is shared with the sign-in page, so the form and the JSON call are rate-limited by the same
window with the same keys: guessing through one does not reset the count of the other.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatsvc.errors import Forbidden, RateLimited, Unauthorized
from chatsvc.services.accounts import StaffIdentity
from chatsvc.store import records
from chatsvc.web import csrf
from chatsvc.web.edge import SESSION_COOKIE, client_address, services_of, staff_token
from chatsvc.web.json_body import read_json
from chatsvc.web.ratelimit import FailureWindow

FAILED_LOGIN_DELAY = 0.5  # seconds added to every failed attempt: slows guessing, barely felt by a person


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class PasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = services_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# --- guessing limits, shared by every place that checks a password --------------------------------------


def _limiter(request: Request) -> FailureWindow:
    return request.app.state.login_failures  # type: ignore[no-any-return]


def _limit_keys(request: Request, email: str) -> tuple[str, str]:
    # Per address (one guesser, many emails) and per email (many addresses, one victim).
    return f"addr:{client_address(request)}", f"email:{email.strip().lower()[:254]}"


def check_not_blocked(request: Request, email: str) -> None:
    limiter = _limiter(request)
    wait = max(limiter.blocked(key) for key in _limit_keys(request, email))
    if wait > 0:
        raise RateLimited("Too many failed sign-ins; try again later.", retry_after=wait)


async def record_failure(request: Request, email: str) -> None:
    limiter = _limiter(request)
    for key in _limit_keys(request, email):
        limiter.record(key)
    await asyncio.sleep(FAILED_LOGIN_DELAY)


def record_success(request: Request, email: str) -> None:
    # Only the email's count is forgiven: clearing the address too would let someone holding one valid
    # account reset their guessing budget against everyone else's.
    _limiter(request).clear(_limit_keys(request, email)[1])


async def sign_in(request: Request, email: str, password: str) -> tuple[records.User, str, records.StaffSession]:
    """Check the credentials under the guessing limits and open a session: (user, token, session).

    Raises RateLimited while blocked, and Unauthorized for a wrong password, an unknown or disabled email
    alike (same message, same delay).
    """
    check_not_blocked(request, email)
    services = services_of(request)
    try:
        user = await services.accounts.verify_credentials(email, password)
    except Unauthorized:
        await record_failure(request, email)
        raise
    record_success(request, email)
    token, session = await services.accounts.open_session(user)
    return user, token, session


async def change_password(
    request: Request, who: StaffIdentity, current: str, new: str
) -> tuple[records.User, str, records.StaffSession]:
    """The signed-in user's own change, under the same guessing limits as sign-in (a stolen session must not
    become a way to test passwords). Returns the fresh session that replaces all the user's others."""
    check_not_blocked(request, who.user.email)
    services = services_of(request)
    try:
        return await services.accounts.change_password(who, current, new)
    except Forbidden:  # the current password was wrong
        await record_failure(request, who.user.email)
        raise


async def pending_identity(request: Request) -> StaffIdentity:
    """The caller, even while they must change their password (they may still do that, or sign out)."""
    return await services_of(request).accounts.authenticate(staff_token(request), allow_password_change=True)


def _session_body(user: records.User, token: str, session: records.StaffSession) -> dict[str, object]:
    return {
        "user": user.public(),
        "token": token,  # for non-browser clients (Authorization: Bearer); browsers use the cookie
        "csrf_token": session.csrf_token,
        "must_change_password": user.must_change_password,
    }


# --- routes --------------------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    # No CSRF token here: this call accepts no cookie, and requiring application/json (read_json) means a
    # foreign page cannot send it without a CORS preflight that we never grant.
    body = await read_json(request, LoginRequest)
    user, token, session = await sign_in(request, body.email, body.password)
    response = JSONResponse(_session_body(user, token, session))
    set_session_cookie(response, request, token)
    return response


async def logout(request: Request) -> Response:
    services = services_of(request)
    who = await pending_identity(request)
    csrf.check_api(request, who)
    await services.accounts.logout(who, staff_token(request))
    response = JSONResponse({"ok": True})
    clear_session_cookie(response)
    return response


async def me(request: Request) -> Response:
    # Allowed while a password change is pending: the client learns it from must_change_password.
    who = await pending_identity(request)
    return JSONResponse({"user": who.user.public(), "csrf_token": who.session.csrf_token})


async def password(request: Request) -> Response:
    who = await pending_identity(request)
    csrf.check_api(request, who)
    body = await read_json(request, PasswordRequest)
    user, token, session = await change_password(request, who, body.current_password, body.new_password)
    response = JSONResponse(_session_body(user, token, session))
    set_session_cookie(response, request, token)
    return response


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/auth/me", me, methods=["GET"]),
    Route("/api/auth/password", password, methods=["POST"]),
]
