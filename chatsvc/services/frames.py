"""Stored records to wire frames (one place, so the server and replay speak identically)."""

from __future__ import annotations

import datetime

from chatsvc.domain import protocol
from chatsvc.store import records


def iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_frame(event: records.StoredEvent) -> protocol.Event:
    return protocol.Event(
        conversation=event.conversation_id,
        seq=event.seq,
        kind=event.kind,
        author=protocol.Person(role=event.author_role, name=event.author_name, id=_public_author_id(event)),
        at=iso(event.created_at) or "",
        text=event.body,
        client_id=event.client_id,
        data=event.data,
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
