"""The visitor's side of tickets: leave a message from the widget, ask whether anyone is there, and read and
answer a ticket on its status page.

- ``POST /api/visitor/tickets``: the widget's leave-a-message form (CORS for the site's allowed origins, like
  ``/api/visitor/session``). The answer names the ticket but never carries its status link: the link goes by
  mail only, so whoever controls the email address controls the ticket. With the visitor's token and a chat
  of theirs still open, the ticket is made from that chat (its transcript kept) and the chat closes.
- ``GET /api/visitor/availability?site=KEY``: open hours and agents online, so the widget knows whether to
  offer a chat or the form.
- ``GET|POST /ticket-status/{token}``: the status page. The signed token in the path is the only credential:
  every invalid token gets the same 404 page, the page is never cached or sent on as a referrer, and it shows
  the public thread only (never internal notes, never what a change entry records beyond a status line).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from chatsvc import __version__
from chatsvc.domain.ids import new_id
from chatsvc.domain.mail import safe_header_text, valid_email
from chatsvc.domain.origins import normalize_origin
from chatsvc.domain.tickets import EntryKind, Source, TicketStatus
from chatsvc.errors import BadRequest, ChatError, InvalidState, NotFound, RateLimited, Unauthorized
from chatsvc.services.chat import VisitorIdentity
from chatsvc.services.tickets import TEXT_MAX, Intake, Requester, subject_from
from chatsvc.store import records
from chatsvc.store.tickets import NewEntry, Ticket, TicketEntry
from chatsvc.web.cors import cors_headers, preflight, site_answer
from chatsvc.web.edge import client_address, same_origin, services_of
from chatsvc.web.errors import error_response
from chatsvc.web.forms import read_form
from chatsvc.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, parse_accept_language
from chatsvc.web.json_body import read_json
from chatsvc.web.ratelimit import FailureWindow
from chatsvc.web.rendering import environment

# Tickets one address may leave (and visitor tokens it may get wrong) per window: a person writes one or two
# messages; more is a script filling the queue.
LEAVE_LIMIT = 5
LEAVE_WINDOW = 600.0
# Invalid status links one address may try per window before every link answers 429 for a while: the links
# are signed (nothing to guess), this only stops a scanner from costing us a lookup per try.
GUESS_LIMIT = 30
GUESS_WINDOW = 600.0
# Answers one address may post per window from status pages.
ANSWER_LIMIT = 30
ANSWER_WINDOW = 600.0

NAME_MAX = 120
PAGE_URL_MAX = 2048
USER_AGENT_MAX = 300
# A form that carries a whole answer: the text (up to TEXT_MAX characters, 4 bytes each at worst, URL-encoded)
# and a client id.
ANSWER_FORM_BYTES = TEXT_MAX * 12 + 4096

STATUS_PAGE_HEADERS = {
    # The URL is a credential: never sent on to another site, never kept by a cache or the back button.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


class InvalidEmail(BadRequest):
    code = "invalid_email"
    default_message = "invalid email"


class LeaveMessage(msgspec.Struct, forbid_unknown_fields=True):
    site: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=TEXT_MAX)]
    name: Annotated[str, msgspec.Meta(max_length=NAME_MAX)] | None = None
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    lang: Literal["en", "fr"] | None = None
    page_url: Annotated[str, msgspec.Meta(max_length=PAGE_URL_MAX)] | None = None
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


def _window(request: Request, name: str, limit: int, window: float) -> FailureWindow:
    """A per-address window kept on the app, made on first use (tests may put a smaller one there first)."""
    state = request.app.state
    found = getattr(state, name, None)
    if found is None:
        found = FailureWindow(limit, window)
        setattr(state, name, found)
    return found  # type: ignore[no-any-return]


def _refusal(exc: ChatError, cors: dict[str, str]) -> Response:
    response = error_response(exc)
    response.headers.update(cors)
    return response


def _page_url(value: str | None) -> str | None:
    """The page the visitor wrote from, as information for staff: an http(s) URL on one line, else nothing."""
    if not value:
        return None
    cleaned = safe_header_text(value, PAGE_URL_MAX)
    return cleaned if cleaned.lower().startswith(("https://", "http://")) and " " not in cleaned else None


# --- POST /api/visitor/tickets ------------------------------------------------------------------------------


async def leave_message(request: Request) -> Response:
    services = services_of(request)
    origin = request.headers.get("origin")
    if request.method == "OPTIONS":
        return await preflight(request, "POST")

    limiter = _window(request, "visitor_ticket_limiter", LEAVE_LIMIT, LEAVE_WINDOW)
    address = client_address(request)
    cors: dict[str, str] = {}
    try:
        body = await read_json(request, LeaveMessage, max_bytes=ANSWER_FORM_BYTES)
        site = await services.chat.site_for_handshake(body.site, origin)
        cors = cors_headers(origin, "POST")
        wait = limiter.blocked(address)
        if wait:
            raise RateLimited("Too many messages from this address; try again later.", retry_after=wait)
        email = body.email.strip()
        if not valid_email(email):
            raise InvalidEmail()
        message = body.message.strip()
        if not message:
            raise BadRequest("The message is empty.")
        name = safe_header_text(body.name or "", NAME_MAX) or None  # CR/LF and other controls become spaces
        identity: VisitorIdentity | None = None
        open_chat: records.Conversation | None = None
        if body.token is not None:
            try:
                identity = await services.chat.identify_visitor(body.token, site)
            except ChatError:
                limiter.record(address)  # a wrong token counts like a message: guessing is not free
                raise Unauthorized() from None
            open_chat = await services.chat.open_conversation(identity)
        visitor_id = identity.visitor.id if identity is not None else None
        requester = Requester(name=name, email=email, visitor_id=visitor_id)
        lang = body.lang or parse_accept_language(request.headers.get("accept-language", "")) or "en"
        user_agent = safe_header_text(request.headers.get("user-agent", ""), USER_AGENT_MAX) or None
        first_line = next((line for line in message.splitlines() if line.strip()), message)
        first_message = NewEntry(
            kind=EntryKind.MESSAGE.value, author_role="visitor", author_id=visitor_id,
            author_name=name or email, body=message, client_id=body.client_id,
        )
        details = {"page_url": _page_url(body.page_url), "user_agent": user_agent}
        if open_chat is not None:
            # Nobody could answer the chat: the chat itself becomes the ticket, transcript and all (409
            # invalid_state when a person holds it: nothing changes, the widget shows the chat).
            ticket = await services.tickets.from_open_chat(
                open_chat, subject=subject_from(first_line), message=first_message, requester=requester,
                lang=lang, details=details,
            )
        else:
            ticket = await services.tickets.create(Intake(
                site=site,
                source=Source.FORM,
                subject=subject_from(first_line),
                question=message,
                requester=requester,
                lang=lang,
                first_message=first_message,
                details=details,
            ))
        if identity is not None:
            # Only once the message is kept: a refused form leaves the visitor as they were.
            await services.chat.visitor_identify(identity, name, email)
        limiter.record(address)
    except ChatError as exc:
        return _refusal(exc, cors)
    return JSONResponse({"ticket": {"id": ticket.id, "status": ticket.status}}, status_code=201, headers=cors)


# --- GET /api/visitor/availability -------------------------------------------------------------------------


async def availability(request: Request) -> Response:
    services = services_of(request)

    async def now_available(site: records.Site) -> dict[str, Any]:
        return (await services.availability.of(site)).to_json()

    return await site_answer(request, now_available)


# --- the status page: the public thread --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ThreadItem:
    """One line of the public thread: a message (``side`` visitor/staff/bot) or a status line."""

    kind: Literal["message", "status"]
    at: datetime.datetime
    side: str = ""
    author: str = ""
    text: str = ""
    articles: tuple[str, ...] = ()
    from_chat: bool = False


STAFF_ROLES = frozenset({"agent", "manager", "admin"})


def _bot_text(body: Any, data: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    """What the bot said, as text: its sentence, a canned answer's text, and the titles of the articles it
    offered (never the matcher's decision data)."""
    parts: list[str] = []
    if isinstance(body, str):
        parts.append(body)
    elif isinstance(body, dict):
        text = body.get("text") or body.get("title")
        if isinstance(text, str):
            parts.append(text)
    data = data if isinstance(data, dict) else {}
    canned = data.get("canned")
    if isinstance(canned, dict) and isinstance(canned.get("text"), str):
        parts.append(canned["text"])
    articles = data.get("articles")
    titles = tuple(
        str(a["title"]) for a in articles if isinstance(a, dict) and isinstance(a.get("title"), str)
    ) if isinstance(articles, list) else ()
    return "\n\n".join(p.strip() for p in parts if p and p.strip()), titles


def chat_items(events: list[records.StoredEvent]) -> list[ThreadItem]:
    """The chat a ticket came from: the visitor's, agents' and bot's messages, nothing else (never a staff
    ``note``: this list is what the visitor sees)."""
    items = []
    for event in events:
        if event.kind == "message" and event.author_role in ({"visitor"} | STAFF_ROLES) and event.body:
            side = "visitor" if event.author_role == "visitor" else "staff"
            items.append(
                ThreadItem("message", event.created_at, side, event.author_name, event.body, from_chat=True)
            )
        elif event.kind == "bot":
            text, titles = _bot_text(event.body, event.data)
            if text or titles:
                items.append(ThreadItem("message", event.created_at, "bot", event.author_name, text, titles,
                                        from_chat=True))
    return items


_STATUS_LINES = {"pending": "ts.event.pending", "resolved": "ts.event.resolved", "closed": "ts.event.closed"}


def ticket_items(entries: list[TicketEntry], t: Translator, site_name: str) -> list[ThreadItem]:
    """The ticket's own thread as the visitor may see it: messages, and a status line for each status change.
    Notes are staff-only; assignee, team and priority changes are internal."""
    items = []
    for entry in entries:
        if entry.kind == EntryKind.MESSAGE.value and entry.body:
            if entry.author_role == "visitor":
                items.append(ThreadItem("message", entry.created_at, "visitor", t("ts.you"), entry.body))
            else:
                staff = entry.author_role in STAFF_ROLES
                author = entry.author_name if staff else t("ts.team", site=site_name)
                items.append(ThreadItem("message", entry.created_at, "staff", author, entry.body))
        elif entry.kind == EntryKind.CHANGE.value and isinstance(entry.data, dict):
            field, before, after = entry.data.get("field"), entry.data.get("from"), entry.data.get("to")
            if field == "created":
                key: str | None = "ts.event.created"
            elif field == "status" and after == "open" and before == "new":
                # A first reply opens the ticket in the same step: the reply itself says someone is on it.
                replied = bool(items) and items[-1].side == "staff" and items[-1].at == entry.created_at
                key = None if replied else "ts.event.open"
            elif field == "status" and after in ("open", "new") and before in ("pending", "resolved"):
                key = "ts.event.reopened"  # the visitor wrote again (to "new" when nobody had it)
            elif field == "status" and after in ("open", "new"):
                key = None  # taken or released inside the team: nothing changes for the visitor
            elif field == "status":
                key = _STATUS_LINES.get(str(after))
            else:
                key = None
            if key is not None:
                items.append(ThreadItem("status", entry.created_at, text=t(key)))
    return items


# --- the status page: rendering ----------------------------------------------------------------------------


def _lang_override(request: Request) -> str | None:
    asked = request.query_params.get("lang", "")
    return asked if asked in LANGUAGES else None


def _formatter(t: Translator, zone: ZoneInfo | None) -> Any:
    months = t("ts.months").split()

    def when(moment: datetime.datetime) -> str:
        local = moment.astimezone(zone or datetime.UTC)
        date = f"{local.day} {months[local.month - 1]} {local.year}"
        return t("ts.at", date=date, time=local.strftime("%H:%M"), zone=local.tzname() or "UTC")

    return when


def _status_response(request: Request, context: dict[str, Any], lang: str, status: int = 200) -> HTMLResponse:
    t = Translator(lang)
    page = {
        "t": t,
        "lang": lang,
        "version": __version__,
        # Relative to this page (the path is the credential: the page never has to spell it out again).
        "languages": [(code, LANGUAGE_NAMES[code], "?" + urlencode({"lang": code})) for code in LANGUAGES],
        "not_found": False,
        "rate_limited": False,
        "cross_site": False,
        "site_name": None,
        "site_url": None,
        "notice": None,
        "error": None,
    }
    page.update(context)
    body = environment.get_template("ticket_status.html").render(page)
    return HTMLResponse(body, status_code=status, headers=STATUS_PAGE_HEADERS)


def _not_found(request: Request, lang: str | None = None) -> HTMLResponse:
    """The one answer for every link that does not open a ticket (tampered, truncated, foreign, made up)."""
    browser = parse_accept_language(request.headers.get("accept-language", ""))
    lang = lang or _lang_override(request) or browser or "en"
    return _status_response(request, {"not_found": True}, lang, status=404)


async def _open_link(request: Request) -> Ticket | HTMLResponse:
    """The ticket the link opens, or the page to answer with (404 for any bad link, 429 for a scanner)."""
    guesses = _window(request, "ticket_link_guesses", GUESS_LIMIT, GUESS_WINDOW)
    address = client_address(request)
    if guesses.blocked(address):
        lang = _lang_override(request) or "en"
        response = _status_response(request, {"not_found": True, "rate_limited": True}, lang, status=429)
        response.headers["Retry-After"] = str(max(1, int(guesses.blocked(address))))
        return response
    try:
        return await services_of(request).tickets.by_link(request.path_params["token"])
    except NotFound:
        guesses.record(address)
        return _not_found(request)


async def _render_ticket(
    request: Request, ticket: Ticket, *, status: int = 200, error: str | None = None, draft: str = ""
) -> HTMLResponse:
    services = services_of(request)
    lang = _lang_override(request) or (ticket.lang if ticket.lang in LANGUAGES else "en")
    t = Translator(lang)
    site = await services.directory.site(ticket.site_id)
    site_name = site.name if site else ""
    hours = await services.tickets.business_hours(ticket.site_id)
    when = _formatter(t, ZoneInfo(hours.timezone) if hours else None)
    events, entries = await services.tickets.story(ticket)
    items: list[ThreadItem] = chat_items(events) + ticket_items(entries, t, site_name)
    token = request.path_params["token"]
    explicit = _lang_override(request)
    action = f"/ticket-status/{token}" + (f"?lang={explicit}" if explicit else "")
    notice = t("ts.sent") if request.query_params.get("done") == "sent" and error is None else None
    site_url = next((o for o in (site.allowed_origins if site else ()) if normalize_origin(o)), None)
    return _status_response(
        request,
        {
            "not_found": False,
            "site_name": site_name,
            "site_url": site_url,
            "subject": ticket.subject,
            "status": ticket.status,
            "status_label": t(f"ts.status.{ticket.status}"),
            "status_text": t(f"ts.status.{ticket.status}.text"),
            "opened": when(ticket.created_at),
            "thread": [dict(dataclasses.asdict(item), when=when(item.at)) for item in items],
            "has_chat": any(item.from_chat for item in items),
            "closed": ticket.status == TicketStatus.CLOSED.value,
            "reopens": ticket.status in (TicketStatus.PENDING.value, TicketStatus.RESOLVED.value),
            "action": action,
            "client_id": new_id(),
            "text_max": TEXT_MAX,
            "draft": draft,
            "notice": notice,
            "error": error,
        },
        lang,
        status=status,
    )


async def status_page(request: Request) -> Response:
    opened = await _open_link(request)
    if isinstance(opened, Response):
        return opened
    return await _render_ticket(request, opened)


async def answer(request: Request) -> Response:
    """The visitor's answer from the page's form: stored, then back to the page (303) with a notice."""
    if not same_origin(request):
        # A form on another site posting here with the visitor's link: refused before anything is read.
        lang = _lang_override(request) or "en"
        return _status_response(request, {"cross_site": True}, lang, status=403)
    opened = await _open_link(request)
    if isinstance(opened, Response):
        return opened
    ticket = opened
    t = Translator(_lang_override(request) or ticket.lang)
    limiter = _window(request, "ticket_answer_limiter", ANSWER_LIMIT, ANSWER_WINDOW)
    address = client_address(request)
    if limiter.blocked(address):
        return await _render_ticket(request, ticket, status=429, error=t("ts.error.rate_limited"))
    try:
        form = await read_form(request, max_bytes=ANSWER_FORM_BYTES, max_field_chars=TEXT_MAX + 1)
    except BadRequest:
        return await _render_ticket(request, ticket, status=400, error=t("ts.error.too_long", n=TEXT_MAX))
    text = form.get("text")
    client_id = form.get("client_id")[:64] or None
    if ticket.status == TicketStatus.CLOSED.value:
        return await _render_ticket(request, ticket, status=409, error=t("ts.error.closed"))
    if not text.strip():
        return await _render_ticket(request, ticket, status=400, error=t("ts.error.empty"))
    if len(text.strip()) > TEXT_MAX:
        return await _render_ticket(request, ticket, status=400, error=t("ts.error.too_long", n=TEXT_MAX),
                                    draft=text[:TEXT_MAX])
    try:
        await services_of(request).tickets.visitor_answer(
            request.path_params["token"], text, client_id=client_id
        )
    except InvalidState:
        return await _render_ticket(request, ticket, status=409, error=t("ts.error.closed"))
    except NotFound:
        return _not_found(request)
    limiter.record(address)
    query = {"done": "sent"} | ({"lang": lang} if (lang := _lang_override(request)) else {})
    return RedirectResponse(
        request.url.path + "?" + urlencode(query), status_code=303, headers=STATUS_PAGE_HEADERS
    )


routes = [
    Route("/api/visitor/tickets", leave_message, methods=["POST", "OPTIONS"]),
    Route("/api/visitor/availability", availability, methods=["GET"]),
    Route("/ticket-status/{token}", status_page, methods=["GET"]),
    Route("/ticket-status/{token}", answer, methods=["POST"]),
]
