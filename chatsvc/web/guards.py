"""The checks every admin route starts with, in one place: who is calling (an admin, with the CSRF token a
cookie needs), and path ids that are at least not absurd before they reach a query."""

from __future__ import annotations

from starlette.requests import Request

from chatsvc.domain.model import Role
from chatsvc.errors import Forbidden, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.web import csrf
from chatsvc.web.edge import staff_identity
from chatsvc.web.forms import Form, read_form
from chatsvc.web.rendering import page_identity

MAX_ID_CHARS = 64


def path_id(request: Request, name: str, *, limit: int = MAX_ID_CHARS, what: str | None = None) -> str:
    """A path parameter used as an id; an empty or over-long one is "not found" like any unknown id."""
    value = str(request.path_params[name])
    if not value or len(value) > limit:
        raise NotFound(what) if what else NotFound()
    return value


async def api_admin(request: Request) -> StaffIdentity:
    """An admin's API call: signed in, password change done, CSRF header when the cookie authenticates."""
    who = await staff_identity(request)
    csrf.check_api(request, who)
    if who.role is not Role.ADMIN:
        raise Forbidden("Admins only.")
    return who


async def admin_form(request: Request, **limits: int) -> tuple[StaffIdentity, Form]:
    """The signed-in admin and their form, once its CSRF token is checked (a refusal changes nothing)."""
    who = await page_identity(request, admin=True)
    form = await read_form(request, **limits)
    csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
    return who, form
