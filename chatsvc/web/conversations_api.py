"""``GET /api/conversations/{id}``: a transcript, for the staff allowed to read it; ``GET /api/console/agents``:
who a chat may be transferred to."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatsvc.domain import protocol
from chatsvc.domain.model import Role
from chatsvc.errors import BadRequest
from chatsvc.services.container import Services
from chatsvc.services.frames import event_frame
from chatsvc.services.ticket_views import requester_history
from chatsvc.services.tickets import Scope
from chatsvc.services.visitor_details import visitor_details
from chatsvc.store import records
from chatsvc.web.edge import services_of, staff_identity

MAX_EVENTS = 10_000


# What a reader who does not serve the visitor now does not get: where they are and with what browser.
_LIVE_FIELDS = ("page_url", "page_title", "user_agent", "browser", "seen_at")


async def visitor_history(
    services: Services, conversation: records.Conversation, scope: Scope, *, live: bool = True
) -> dict[str, Any]:
    """Who the visitor is, and their other conversations and tickets (same token or same email). ``live``: with
    where the visitor is now (page, title, browser, user agent, when seen)."""
    visitor = await services.conversation_store.get_visitor(conversation.visitor_id)
    email = visitor.email if visitor else None
    earlier = await requester_history(
        services.ticket_store, conversation.visitor_id, email, skip_conversation=conversation.id, scope=scope
    )
    # name, email, and where the visitor is now (page, browser, language, time zone); absent fields unknown.
    details = visitor_details(visitor)
    if not live:
        details = msgspec.structs.replace(details, **dict.fromkeys(_LIVE_FIELDS))
    return {"visitor": details} | earlier


async def get_conversation(request: Request) -> Response:
    services = services_of(request)
    who = await staff_identity(request)
    conversation_id = request.path_params["conversation_id"]
    if len(conversation_id) > 64:
        raise BadRequest("Not a conversation id.")
    conversation = await services.chat.readable_conversation(who, conversation_id)
    events = await services.chat.history(conversation.id, 0, MAX_EVENTS)
    info = await services.directory.info(conversation, for_staff=True)
    body = {
        "conversation": info,
        "closed_by": conversation.closed_by_role,
        "read_seq": conversation.visitor_read_seq,  # the visitor has seen the events up to here
        "events": [event_frame(event) for event in events],
        # The visitor's live page and browser: for managers and admins, and for the agent serving the chat now.
        "history": await visitor_history(
            services, conversation, await services.tickets.visibility(who),
            live=who.role in (Role.MANAGER, Role.ADMIN) or services.chat.holds(who, conversation),
        ),
    }
    return Response(protocol.encode(body), media_type="application/json")


async def console_agents(request: Request) -> Response:
    """``GET /api/console/agents``: who else is connected and online or away, with load and capacity (the
    console's transfer list; never the caller). Any signed-in staff member; names and ids only, nothing else of
    the account. Presence is shared by every process (Redis), so the list is the same whichever process answers."""
    services = services_of(request)
    who = await staff_identity(request)
    body = {"agents": [a for a in await services.routing.available_agents() if a["id"] != who.user.id]}
    return Response(protocol.encode(body), media_type="application/json", headers={"Cache-Control": "no-store"})


routes = [
    Route("/api/conversations/{conversation_id}", get_conversation, methods=["GET"]),
    Route("/api/console/agents", console_agents, methods=["GET"]),
]
