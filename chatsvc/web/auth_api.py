"""JSON sign-in for staff clients (the console page, the Python client): login, logout, who am I."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatsvc.errors import RateLimited, Unauthorized
from chatsvc.web.edge import SESSION_COOKIE, client_address, services_of, staff_identity, staff_token
from chatsvc.web.json_body import read_json

FAILED_LOGIN_DELAY = 0.5  # seconds added to every failed attempt: slows guessing, barely felt by a person


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


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


async def login(request: Request) -> Response:
    body = await read_json(request, LoginRequest)
    services = services_of(request)
    limiter = request.app.state.login_failures
    keys = (f"addr:{client_address(request)}", f"email:{body.email.strip().lower()}")
    wait = max(limiter.blocked(key) for key in keys)
    if wait > 0:
        raise RateLimited("Too many failed sign-ins; try again later.", retry_after=wait)
    try:
        user = await services.accounts.verify_credentials(body.email, body.password)
    except Unauthorized:
        for key in keys:
            limiter.record(key)
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        raise
    for key in keys:
        limiter.clear(key)
    token, session = await services.accounts.open_session(user)
    response = JSONResponse(
        {
            "user": user.public(),
            "token": token,  # for non-browser clients (Authorization: Bearer); browsers use the cookie
            "csrf_token": session.csrf_token,
            "must_change_password": user.must_change_password,
        }
    )
    set_session_cookie(response, request, token)
    return response


async def logout(request: Request) -> Response:
    services = services_of(request)
    token = staff_token(request)
    who = await staff_identity(request)
    await services.accounts.logout(who, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    who = await staff_identity(request)
    return JSONResponse({"user": who.user.public(), "csrf_token": who.session.csrf_token})


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/auth/me", me, methods=["GET"]),
]
