"""``GET /api/conversations/{id}``: a transcript, for the staff allowed to read it; ``GET /api/console/agents``:
who a chat may be transferred to."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatsvc.domain import protocol
from chatsvc.errors import BadRequest
from chatsvc.services.container import Services
from chatsvc.services.frames import event_frame
from chatsvc.services.ticket_views import requester_history
from chatsvc.services.tickets import Scope
from chatsvc.services.visitor_details import visitor_details
from chatsvc.store import records
from chatsvc.web.edge import services_of, staff_identity

MAX_EVENTS = 10_000


async def visitor_history(
    services: Services, conversation: records.Conversation, scope: Scope
) -> dict[str, Any]:
    """Who the visitor is, and their other conversations and tickets (same token or same email)."""
    visitor = await services.conversation_store.get_visitor(conversation.visitor_id)
    email = visitor.email if visitor else None
    earlier = await requester_history(
        services.ticket_store, conversation.visitor_id, email, skip_conversation=conversation.id, scope=scope
    )
    # name, email, and where the visitor is now (page, browser, language, time zone); absent fields unknown.
    return {"visitor": visitor_details(visitor)} | earlier


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
        "history": await visitor_history(services, conversation, await services.tickets.visibility(who)),
    }
    return Response(protocol.encode(body), media_type="application/json")


async def console_agents(request: Request) -> Response:
    """``GET /api/console/agents``: who is connected and online or away, with load and capacity (the console's
    transfer list). Any signed-in staff member; names and ids only, nothing else of the account."""
    services = services_of(request)
    await staff_identity(request)
    body = {"agents": await services.routing.available_agents()}
    return Response(protocol.encode(body), media_type="application/json", headers={"Cache-Control": "no-store"})


routes = [
    Route("/api/conversations/{conversation_id}", get_conversation, methods=["GET"]),
    Route("/api/console/agents", console_agents, methods=["GET"]),
]
