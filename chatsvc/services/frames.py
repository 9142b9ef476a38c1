"""Stored records to wire frames (one place, so the server and replay speak identically)."""

from __future__ import annotations

import datetime

from chatsvc.domain import protocol
from chatsvc.store import records


def iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Transfers stored before handover notes became note events kept the note in the event's data: staff only.
_STAFF_DATA_KEYS = {"transferred": ("note",), "requeued": ("note",)}


def visitor_data(kind: str, data: dict[str, object] | None) -> dict[str, object] | None:
    """An event's data as a visitor may see it: without the staff's handover ``note`` of a transfer."""
    hidden = _STAFF_DATA_KEYS.get(kind)
    if not hidden or not data or not any(key in data for key in hidden):
        return data
    return {key: value for key, value in data.items() if key not in hidden}


def event_frame(event: records.StoredEvent, *, for_visitor: bool = False) -> protocol.Event:
    """The wire form of a stored event; ``for_visitor``: what a visitor may see of it (every visitor-facing
    path sets it)."""
    return protocol.Event(
        conversation=event.conversation_id,
        seq=event.seq,
        kind=event.kind,
        author=protocol.Person(role=event.author_role, name=event.author_name, id=_public_author_id(event)),
        at=iso(event.created_at) or "",
        text=event.body,
        client_id=event.client_id,
        data=visitor_data(event.kind, event.data) if for_visitor else event.data,
    )


def _public_author_id(event: records.StoredEvent) -> str | None:
    # Staff ids are shown (the console needs them); a visitor's id is the key to nothing, but there is
    # no reason to spread it either.
    return event.author_id if event.author_role not in ("visitor",) else None


def conversation_info(
    conversation: records.Conversation,
    *,
    site_key: str,
    agent: protocol.Person | None = None,
    visitor: protocol.Person | None = None,
    team_name: str | None = None,
) -> protocol.ConversationInfo:
    return protocol.ConversationInfo(
        id=conversation.id,
        status=conversation.status,
        site=site_key,
        last_seq=conversation.last_seq,
        created_at=iso(conversation.created_at) or "",
        topic=conversation.topic,
        team=team_name,
        agent=agent,
        visitor=visitor,
        queued_at=iso(conversation.queued_at),
        closed_at=iso(conversation.closed_at),
    )
