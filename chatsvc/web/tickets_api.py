"""Ticket JSON API for staff (the pages and other systems): create, list with filters, read, reply, note,
change status, assignee, team and priority, export as CSV; and "convert to ticket" on a chat.

Filters, sorts and paging come from allow-lists below and are bound as values (SECURITY case 13): an unknown
parameter, operator, sort or column is refused with 400, never passed on. Bodies are strict msgspec types
(unknown fields refused: SECURITY case 9).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatsvc.domain.mail import valid_email
from chatsvc.domain.tickets import ACTIVE_STATUSES, Priority, Source, TicketStatus
from chatsvc.errors import BadRequest, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.ticket_views import TicketViews
from chatsvc.services.tickets import Intake, Requester, entry_json, ticket_json
from chatsvc.store.tickets import SORTS, Changed, NewEntry, TicketFilter
from chatsvc.web import csrf
from chatsvc.web.csv_cells import csv_cell
from chatsvc.web.edge import services_of, staff_identity
from chatsvc.web.json_body import read_json

StatusName = Literal["new", "open", "pending", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+\Z")]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]

PAGE_SIZES = (10, 25, 50, 100)
EXPORT_LIMIT = 10_000
FILTER_PARAMS = {
    "status",
    "priority",
    "assignee",
    "team",
    "breached",
    "flagged",
    "q",
    "sort",
    "page",
    "per_page",
}


class RequesterBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None


class TicketCreate(msgspec.Struct, forbid_unknown_fields=True):
    site: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # the site's key
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    message: Text
    requester: RequesterBody
    priority: PriorityName | None = None
    topic: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    lang: Literal["en", "fr"] = "en"


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    status: Literal["open", "pending", "resolved"] | None = None
    client_id: ClientId | None = None


class NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    client_id: ClientId | None = None


class StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: StatusName


class AssignBody(msgspec.Struct, forbid_unknown_fields=True):
    assignee_id: Id | None | UnsetType = UNSET
    team_id: Id | None | UnsetType = UNSET


class PriorityBody(msgspec.Struct, forbid_unknown_fields=True):
    priority: PriorityName


class ConvertBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    priority: PriorityName | None = None
    # The visitor's email, when they gave it in the chat but not to the widget: the ticket's answer goes there.
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)] | None = None


async def _staff(request: Request, *, write: bool) -> StaffIdentity:
    who = await staff_identity(request)
    if write:
        csrf.check_api(request, who)
    return who


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


def _changed(changed: Changed) -> Response:
    """What a change answers: the ticket as it is now, the entries it added, and whether it was a resend."""
    return _json(
        {
            "ticket": ticket_json(changed.ticket),
            "entries": [entry_json(e) for e in changed.entries],
            "duplicate": changed.duplicate,
        }
    )


def parse_filter(params: QueryParams, me: str | None = None) -> tuple[TicketFilter, str, int, int]:
    """The list's filters from the query string; anything outside the allow-lists is refused."""
    unknown = set(params.keys()) - FILTER_PARAMS
    if unknown:
        raise BadRequest(f"Unknown filter: {min(unknown)[:40]}.")
    statuses = tuple(params.getlist("status"))
    if any(s not in {t.value for t in TicketStatus} | {"active", "all"} for s in statuses):
        raise BadRequest("Unknown status.")
    if "all" in statuses:
        statuses = ()  # every status: the same as no status filter
    if "active" in statuses:
        statuses = tuple({s for s in statuses if s != "active"} | {s.value for s in ACTIVE_STATUSES})
    priorities = tuple(params.getlist("priority"))
    if any(p not in {q.value for q in Priority} for p in priorities):
        raise BadRequest("Unknown priority.")
    assignee = params.get("assignee") or None
    if assignee == "me" and me is not None:
        assignee = me
    team = params.get("team") or None
    for value in (assignee, team):
        if value is not None and len(value) > 32:
            raise BadRequest("Not an id.")
    flags = {}
    for name in ("breached", "flagged"):
        raw = params.get(name, "")
        if raw not in ("", "0", "1", "true", "false"):
            raise BadRequest(f"{name} must be 1 or 0.")
        flags[name] = raw in ("1", "true")
    text = (params.get("q") or "").strip() or None
    if text is not None and len(text) > 200:
        raise BadRequest("The search text is too long.")
    sort = params.get("sort") or "updated"
    if sort not in SORTS:
        raise BadRequest("Unknown sort.")
    try:
        page = int(params.get("page") or 1)
        per_page = int(params.get("per_page") or 25)
    except ValueError:
        raise BadRequest("page and per_page must be numbers.") from None
    if not 1 <= page <= 100_000 or per_page not in PAGE_SIZES:
        raise BadRequest(f"page must be 1 or more and per_page one of {', '.join(map(str, PAGE_SIZES))}.")
    spec = TicketFilter(
        statuses=statuses,
        priorities=priorities,
        assignee_id=None if assignee in (None, "none") else assignee,
        unassigned=assignee == "none",
        team_id=team,
        breached=flags["breached"],
        flagged=flags["flagged"],
        text=text,
    )
    return spec, sort, page, per_page


async def list_tickets(request: Request) -> Response:
    who = await _staff(request, write=False)
    services = services_of(request)
    spec, sort, page, per_page = parse_filter(request.query_params, me=who.user.id)
    found, total = await services.tickets.search(
        who, spec, sort=sort, limit=per_page, offset=(page - 1) * per_page
    )
    views = TicketViews(services)
    return _json(
        {
            "tickets": [await views.summary(t) for t in found],
            "total": total,
            "page": page,
            "per_page": per_page,
        }
    )


async def create_ticket(request: Request) -> Response:
    who = await _staff(request, write=True)
    services = services_of(request)
    body = await read_json(request, TicketCreate)
    site = await services.account_store.find_site_by_key(body.site)
    if site is None:
        raise NotFound("No such site.")
    if not valid_email(body.requester.email):
        raise BadRequest("The requester's email is not an email address.")
    ticket = await services.tickets.create(
        Intake(
            site=site,
            source=Source.API,
            subject=body.subject,
            question=body.message,
            requester=Requester(name=body.requester.name, email=body.requester.email),
            lang=body.lang,
            topic=body.topic,
            priority=Priority(body.priority) if body.priority else None,
            first_message=NewEntry(
                kind="message",
                author_role="visitor",
                author_id=None,
                author_name=body.requester.name or body.requester.email,
                body=body.message,
            ),
            creator_role=who.user.role,
            creator_id=who.user.id,
            creator_name=who.user.name,
        )
    )
    return _json({"ticket": ticket_json(ticket)}, status=201)


async def get_ticket(request: Request) -> Response:
    who = await _staff(request, write=False)
    services = services_of(request)
    ticket = await services.tickets.readable(who, request.path_params["ticket_id"])
    return _json(await TicketViews(services, await services.tickets.visibility(who)).full(ticket))


async def reply(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, ReplyBody)
    changed = await services_of(request).tickets.reply(
        who,
        request.path_params["ticket_id"],
        body.text,
        status=TicketStatus(body.status) if body.status else None,
        client_id=body.client_id,
    )
    return _changed(changed)


async def add_note(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, NoteBody)
    changed = await services_of(request).tickets.note(
        who, request.path_params["ticket_id"], body.text, client_id=body.client_id
    )
    return _changed(changed)


async def set_status(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, StatusBody)
    changed = await services_of(request).tickets.set_status(
        who, request.path_params["ticket_id"], TicketStatus(body.status)
    )
    return _changed(changed)


async def assign(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, AssignBody)
    if body.assignee_id is UNSET and body.team_id is UNSET:
        raise BadRequest("Give assignee_id, team_id or both.")
    changed = await services_of(request).tickets.assign(
        who,
        request.path_params["ticket_id"],
        assignee_id=None if body.assignee_id is UNSET else body.assignee_id,
        team_id=None if body.team_id is UNSET else body.team_id,
        set_assignee=body.assignee_id is not UNSET,
        set_team=body.team_id is not UNSET,
    )
    return _changed(changed)


async def set_priority(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, PriorityBody)
    changed = await services_of(request).tickets.set_priority(
        who, request.path_params["ticket_id"], Priority(body.priority)
    )
    return _changed(changed)


async def convert_conversation(request: Request) -> Response:
    who = await _staff(request, write=True)
    body = await read_json(request, ConvertBody)
    conversation_id = request.path_params["conversation_id"]
    if len(conversation_id) > 64:
        raise NotFound()
    ticket = await services_of(request).tickets.convert_conversation(
        who,
        conversation_id,
        reason=body.reason,
        subject=body.subject,
        priority=Priority(body.priority) if body.priority else None,
        email=body.email,
    )
    return _json({"ticket": ticket_json(ticket)}, status=201)


EXPORT_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "flagged",
    "source",
    "requester_name",
    "requester_email",
    "team",
    "assignee",
    "created_at",
    "updated_at",
    "first_response_due",
    "resolution_due",
    "first_response_at",
    "resolved_at",
    "first_response_sla",  # met, breached, running (not due yet) or none
    "resolution_sla",
)


async def export_csv(request: Request) -> Response:
    who = await _staff(request, write=False)
    services = services_of(request)
    spec, sort, _page, _per_page = parse_filter(request.query_params, me=who.user.id)
    found, _total = await services.tickets.search(who, spec, sort=sort, limit=EXPORT_LIMIT, offset=0)
    views = TicketViews(services)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for ticket in found:
        summary = await views.summary(ticket)
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    ticket.id,
                    ticket.subject,
                    ticket.status,
                    ticket.priority,
                    "yes" if ticket.flagged else "no",
                    ticket.source,
                    ticket.requester_name,
                    ticket.requester_email,
                    summary["team"],
                    summary["assignee"],
                    ticket.created_at.isoformat(),
                    ticket.updated_at.isoformat(),
                    ticket.first_response_due.isoformat() if ticket.first_response_due else "",
                    ticket.resolution_due.isoformat() if ticket.resolution_due else "",
                    ticket.first_response_at.isoformat() if ticket.first_response_at else "",
                    ticket.resolved_at.isoformat() if ticket.resolved_at else "",
                    summary["sla"]["first_response"]["state"],
                    summary["sla"]["resolution"]["state"],
                )
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tickets.csv"'},
    )


routes = [
    Route("/api/tickets", list_tickets, methods=["GET"]),
    Route("/api/tickets", create_ticket, methods=["POST"]),
    Route("/api/tickets.csv", export_csv, methods=["GET"]),
    Route("/api/tickets/{ticket_id}", get_ticket, methods=["GET"]),
    Route("/api/tickets/{ticket_id}/reply", reply, methods=["POST"]),
    Route("/api/tickets/{ticket_id}/notes", add_note, methods=["POST"]),
    Route("/api/tickets/{ticket_id}/status", set_status, methods=["POST"]),
    Route("/api/tickets/{ticket_id}/assign", assign, methods=["POST"]),
    Route("/api/tickets/{ticket_id}/priority", set_priority, methods=["POST"]),
    Route("/api/conversations/{conversation_id}/ticket", convert_conversation, methods=["POST"]),
]
