"""Staff ticket pages: the filterable list (shareable GET filters, paging, CSV export link) and one ticket's page
(header, SLA clocks, the chat transcript then the ticket's thread in time order, reply, note, status, assignee,
team and priority forms, the requester's history).

Filters go through the API's own allow-list (``tickets_api.parse_filter``): a value outside it is shown as a
400 error on the list page, never passed on. Forms post with the session's CSRF token; a refused change
re-renders the ticket with the reason and what was typed, a successful one redirects (post/redirect/get).
Everything a visitor wrote is rendered as text (Jinja2 autoescape; no ``|safe`` in these templates).
"""

from __future__ import annotations

import math
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import Role
from chatsvc.domain.tickets import Priority, TicketStatus, can_transition
from chatsvc.errors import BadRequest, ChatError, InvalidState, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.admin import AdminService
from chatsvc.services.ticket_views import TicketViews
from chatsvc.services.tickets import TEXT_MAX
from chatsvc.store.tickets import Ticket
from chatsvc.web import csrf
from chatsvc.web import ticket_wording as wording
from chatsvc.web.edge import services_of
from chatsvc.web.forms import Form, read_form
from chatsvc.web.rendering import page, page_identity, render, translator
from chatsvc.web.tickets_api import parse_filter

PER_PAGE = 25
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
# A reply may be 20,000 characters; URL-encoded, accented text takes up to 6 bytes a character.
MAX_FORM_BYTES = 256 * 1024
SORT_CHOICES = ("updated", "created", "oldest", "due", "priority")
REPLY_STATUSES = (TicketStatus.PENDING, TicketStatus.RESOLVED)
NOT_FILTERS = ("lang", "done")  # page parameters the language switch and notices add


def _filter_items(request: Request, who: StaffIdentity) -> list[tuple[str, str]]:
    """The query string as the API's filter reads it: page parameters and empty fields dropped, "active"
    as the default view, "all" as no status filter, "me" as the signed-in person."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in NOT_FILTERS and v != ""]
    if not any(k == "status" for k, _ in items):
        items.insert(0, ("status", "active"))
    items = [(k, v) for k, v in items if not (k == "status" and v == "all")]
    return [(k, who.user.id if k == "assignee" and v == "me" else v) for k, v in items]


def _form_state(request: Request) -> dict[str, Any]:
    """What the filter form shows: the values as given (escaped by the template, whatever they are)."""
    params = request.query_params
    statuses = [s for s in params.getlist("status") if s]
    return {
        "status": statuses[0] if statuses else "active",
        "priority": params.get("priority", ""),
        "assignee": params.get("assignee", ""),
        "team": params.get("team", ""),
        "breached": params.get("breached", "") in ("1", "true"),
        "flagged": params.get("flagged", "") in ("1", "true"),
        "q": params.get("q", "")[:200],
        "sort": params.get("sort", "") or "updated",
    }


def _views() -> list[tuple[str, list[tuple[str, str]]]]:
    """The quick views above the list (title key, query)."""
    return [
        ("tickets.view.active", [("status", "active")]),
        ("tickets.view.mine", [("status", "active"), ("assignee", "me")]),
        ("tickets.view.unassigned", [("status", "active"), ("assignee", "none")]),
        ("tickets.view.breached", [("status", "active"), ("breached", "1")]),
        ("tickets.view.all", [("status", "all")]),
    ]


async def _choices(request: Request, who: StaffIdentity) -> tuple[list[Any], list[Any]]:
    """Staff members (managers and admins pick anyone active) and teams (agents: their own) for the selects."""
    services = services_of(request)
    if who.role in MANAGERS:
        admin = AdminService.of(services)
        people = [u for u in await admin.list_users() if not u.disabled]
        return sorted(people, key=lambda u: u.name.lower()), sorted(
            await admin.list_teams(), key=lambda x: x.name
        )
    return [], sorted(await services.accounts.teams_of(who.user.id), key=lambda x: x.name)


@page
async def ticket_list(request: Request) -> Response:
    who = await page_identity(request)
    services = services_of(request)
    t = translator(request)
    items = _filter_items(request, who)
    people, teams = await _choices(request, who)
    context: dict[str, Any] = {
        "form": _form_state(request),
        "labels": wording.labels(t),
        "people": people,
        "teams": teams,
        "sorts": SORT_CHOICES,
        "rows": [],
        "total": 0,
        "first": 0,
        "last": 0,
        "pages": [],
        "previous": None,
        "next": None,
        "export": None,
        "views": [],
        "filtered": False,
    }
    try:
        spec, sort, number, per_page = parse_filter(
            QueryParams(
                [*items, ("per_page", str(PER_PAGE))] if not any(k == "per_page" for k, _ in items) else items
            )
        )
    except BadRequest as exc:
        context["error"] = t("tickets.filter.invalid", detail=t.error(exc))
        return render(request, "tickets_list.html", context, who=who, status=400)
    tickets = services.tickets
    found, total = await tickets.search(who, spec, sort=sort, limit=per_page, offset=(number - 1) * per_page)
    pages = max(1, math.ceil(total / per_page))
    if number > pages:  # past the end (tickets moved on since): the last page
        number = pages
        found, total = await tickets.search(
            who, spec, sort=sort, limit=per_page, offset=(number - 1) * per_page
        )
    views = TicketViews(services)
    rows = []
    for ticket in found:
        summary = await views.summary(ticket)
        rows.append(
            {
                "t": summary,
                "clock": wording.list_clock(summary["sla"], t),
                "updated": wording.when(ticket.updated_at),
            }
        )

    base = [
        (k, v) for k, v in request.query_params.multi_items() if k not in (*NOT_FILTERS, "page") and v != ""
    ]

    def link(to: int) -> str:
        return "/tickets?" + urlencode([*base, ("page", str(to))])

    window = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    page_links: list[dict[str, Any]] = []
    for index, n in enumerate(window):
        if index and n - window[index - 1] > 1:
            page_links.append({"gap": True})
        page_links.append({"gap": False, "n": n, "href": link(n), "current": n == number})

    current = sorted((k, v) for k, v in items if k not in ("page", "per_page", "sort", "q"))
    view_links = []
    for key, query in _views():
        normalized = sorted(
            (k, who.user.id if v == "me" else v) for k, v in query if not (k == "status" and v == "all")
        )
        view_spec, _s, _p, _pp = parse_filter(QueryParams(normalized))
        _found, count = await tickets.search(who, view_spec, sort="updated", limit=1, offset=0)
        view_links.append(
            {
                "title": t(key),
                "href": "/tickets?" + urlencode(query),
                "count": count,
                "current": normalized == current and not spec.text,
            }
        )

    context.update(
        {
            "rows": rows,
            "total": total,
            "first": (number - 1) * per_page + 1 if rows else 0,
            "last": (number - 1) * per_page + len(rows),
            "pages": page_links if pages > 1 else [],
            "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < pages else None,
            "export": "/api/tickets.csv?"
            + urlencode([(k, v) for k, v in items if k not in ("page", "per_page")]),
            "views": view_links,
            "filtered": any(k not in ("status", "sort", "page", "per_page") for k, _ in base)
            or context["form"]["status"] != "active",
        }
    )
    return render(request, "tickets_list.html", context, who=who)


# --- one ticket ------------------------------------------------------------------------------------------


def _path_id(request: Request) -> str:
    value = str(request.path_params["ticket_id"])
    if not 0 < len(value) <= 64:
        raise NotFound()
    return value


def _not_found(request: Request, who: StaffIdentity) -> Response:
    """One answer for a ticket that does not exist and one the person may not see: walking ids reveals nothing."""
    t = translator(request)
    return render(
        request,
        "error.html",
        {"title": t("tickets.not_found.title"), "message": t("tickets.not_found.text"), "code": "not_found"},
        who=who,
        status=404,
    )


def _reply_statuses(status: str) -> list[str]:
    """What "and set status" may offer: the statuses reachable after the reply opened the ticket."""
    after_reply = TicketStatus.OPEN if status == TicketStatus.NEW.value else TicketStatus(status)
    return [s.value for s in REPLY_STATUSES if s is not after_reply and can_transition(after_reply, s)]


async def _ticket_page(
    request: Request,
    who: StaffIdentity,
    ticket: Ticket,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    services = services_of(request)
    t = translator(request)
    full = await TicketViews(services, await services.tickets.visibility(who)).full(ticket)
    summary = full["ticket"]
    people, teams = await _choices(request, who)
    context = {
        "ticket": summary,
        "labels": wording.labels(t),
        "escalation_words": [str(w) for w in ticket.details.get("escalation_words") or []],
        "clocks": {name: wording.clock(summary["sla"][name], t) for name in ("first_response", "resolution")},
        "created": wording.when(ticket.created_at),
        "updated": wording.when(ticket.updated_at),
        "transcript": wording.transcript(full["transcript"], t),
        "thread": await wording.thread(request, full["entries"], t),
        "next_statuses": full["next_statuses"],
        "reply_statuses": _reply_statuses(ticket.status),
        "history": {
            "tickets": [h | {"created": wording.when(h["created_at"])} for h in full["history"]["tickets"]],
            "conversations": [
                h | {"created": wording.when(h["created_at"])} for h in full["history"]["conversations"]
            ],
        },
        "closed": ticket.status == TicketStatus.CLOSED.value,
        "manager": who.role in MANAGERS,
        "mine": ticket.assignee_id == who.user.id,
        "people": people,
        # A disabled assignee is no longer offered, but still shown as the current value.
        "assignee_missing": bool(ticket.assignee_id) and ticket.assignee_id not in {p.id for p in people},
        "teams": teams,
        "team_missing": bool(ticket.team_id) and ticket.team_id not in {x.id for x in teams},
        "priorities": [p.value for p in Priority],
        "typed": {"reply": "", "note": "", "reply_status": "", **(typed or {})},
        "client_id": secrets.token_urlsafe(12),  # a double submit of one form is stored once
        "error": error,
        "text_max": TEXT_MAX,
    }
    return render(request, "ticket_view.html", context, who=who, status=status)


@page
async def ticket_view(request: Request) -> Response:
    who = await page_identity(request)
    try:
        ticket = await services_of(request).tickets.readable(who, _path_id(request))
    except NotFound:
        return _not_found(request, who)
    return await _ticket_page(request, who, ticket)


# --- the ticket's forms ----------------------------------------------------------------------------------


async def _signed_form(request: Request) -> tuple[StaffIdentity, Form]:
    """The signed-in person and their form, once its CSRF token is checked (a refusal changes nothing)."""
    who = await page_identity(request)
    form = await read_form(request, max_bytes=MAX_FORM_BYTES, max_field_chars=TEXT_MAX + 1)
    csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
    return who, form


def _done(ticket_id: str, notice: str) -> Response:
    return RedirectResponse(f"/tickets/{ticket_id}?done={notice}", status_code=303)


def _client_id(form: Form) -> str | None:
    value = form.get("client_id")
    return value if 0 < len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


async def _refused(
    request: Request,
    who: StaffIdentity,
    ticket_id: str,
    exc: ChatError,
    typed: dict[str, str] | None = None,
    message: str | None = None,
) -> Response:
    """The ticket again with the reason and what was typed (or the 404 page when it is gone or not theirs)."""
    try:
        ticket = await services_of(request).tickets.readable(who, ticket_id)
    except NotFound:
        return _not_found(request, who)
    return await _ticket_page(
        request, who, ticket, error=message or translator(request).error(exc), status=exc.status, typed=typed
    )


def _choice(form: Form, name: str, allowed: set[str]) -> str:
    value = form.get(name)
    if value not in allowed:
        raise BadRequest(f"Unknown {name}.")
    return value


@page
async def post_reply(request: Request) -> Response:
    who, form = await _signed_form(request)
    ticket_id = _path_id(request)
    typed = {"reply": form.get("text"), "reply_status": form.get("status")}
    try:
        target = _choice(form, "status", {"", *(s.value for s in REPLY_STATUSES)})
        await services_of(request).tickets.reply(
            who,
            ticket_id,
            form.get("text"),
            status=TicketStatus(target) if target else None,
            client_id=_client_id(form),
        )
    except NotFound:
        return _not_found(request, who)
    except ChatError as exc:
        return await _refused(request, who, ticket_id, exc, typed)
    return _done(ticket_id, "ticket_replied")


@page
async def post_note(request: Request) -> Response:
    who, form = await _signed_form(request)
    ticket_id = _path_id(request)
    try:
        await services_of(request).tickets.note(who, ticket_id, form.get("text"), client_id=_client_id(form))
    except NotFound:
        return _not_found(request, who)
    except ChatError as exc:
        return await _refused(request, who, ticket_id, exc, {"note": form.get("text")})
    return _done(ticket_id, "ticket_noted")


@page
async def post_status(request: Request) -> Response:
    who, form = await _signed_form(request)
    ticket_id = _path_id(request)
    tickets = services_of(request).tickets
    try:
        target = TicketStatus(_choice(form, "status", {s.value for s in TicketStatus}))
        await tickets.set_status(who, ticket_id, target)
    except NotFound:
        return _not_found(request, who)
    except InvalidState as exc:
        t = translator(request)
        current = await tickets.readable(who, ticket_id)
        message = None
        if current.status != target.value and not can_transition(TicketStatus(current.status), target):
            labels = wording.labels(t)["status"]
            message = t(
                "tickets.error.transition",
                before=labels[current.status].lower(),
                after=labels[target.value].lower(),
            )
        return await _refused(request, who, ticket_id, exc, message=message)
    except ChatError as exc:
        return await _refused(request, who, ticket_id, exc)
    return _done(ticket_id, "ticket_status")


@page
async def post_assign(request: Request) -> Response:
    who, form = await _signed_form(request)
    ticket_id = _path_id(request)
    assignee = form.get("assignee")
    team = form.get("team")
    try:
        if "assignee" not in form and "team" not in form:
            raise BadRequest("Choose an assignee or a team.")
        await services_of(request).tickets.assign(
            who,
            ticket_id,
            assignee_id=(who.user.id if assignee == "me" else assignee) or None,
            team_id=team or None,
            set_assignee="assignee" in form,
            set_team="team" in form,
        )
    except NotFound:
        return _not_found(request, who)
    except ChatError as exc:
        return await _refused(request, who, ticket_id, exc)
    return _done(ticket_id, "ticket_assigned")


@page
async def post_priority(request: Request) -> Response:
    who, form = await _signed_form(request)
    ticket_id = _path_id(request)
    try:
        priority = Priority(_choice(form, "priority", {p.value for p in Priority}))
        await services_of(request).tickets.set_priority(who, ticket_id, priority)
    except NotFound:
        return _not_found(request, who)
    except ChatError as exc:
        return await _refused(request, who, ticket_id, exc)
    return _done(ticket_id, "ticket_priority")


routes: list[BaseRoute] = [
    Route("/tickets", ticket_list, methods=["GET"]),
    Route("/tickets/{ticket_id}", ticket_view, methods=["GET"]),
    Route("/tickets/{ticket_id}/reply", post_reply, methods=["POST"]),
    Route("/tickets/{ticket_id}/note", post_note, methods=["POST"]),
    Route("/tickets/{ticket_id}/status", post_status, methods=["POST"]),
    Route("/tickets/{ticket_id}/assign", post_assign, methods=["POST"]),
    Route("/tickets/{ticket_id}/priority", post_priority, methods=["POST"]),
]
