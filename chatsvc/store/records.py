"""Plain records the store hands upward (frozen dataclasses: no SQL types leak out of ``store/``)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any


@dataclasses.dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: str
    password_hash: str
    must_change_password: bool
    disabled: bool
    max_chats: int | None
    status: str
    created_at: datetime.datetime
    last_login_at: datetime.datetime | None

    def public(self) -> dict[str, Any]:
        """What an API may show: never the password hash."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "disabled": self.disabled,
            "max_chats": self.max_chats,
            "must_change_password": self.must_change_password,
            "created_at": self.created_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


@dataclasses.dataclass(frozen=True)
class StaffSession:
    token_digest: str
    user_id: str
    csrf_token: str
    created_at: datetime.datetime
    expires_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Site:
    id: str
    key: str
    name: str
    allowed_origins: tuple[str, ...]
    created_at: datetime.datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "name": self.name,
            "allowed_origins": list(self.allowed_origins),
            "created_at": self.created_at.isoformat(),
        }


@dataclasses.dataclass(frozen=True)
class Team:
    id: str
    name: str
    created_at: datetime.datetime
    topics: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "topics": list(self.topics),
            "members": list(self.member_ids),
            "created_at": self.created_at.isoformat(),
        }


@dataclasses.dataclass(frozen=True)
class Visitor:
    id: str
    site_id: str
    name: str | None
    email: str | None
    created_at: datetime.datetime
    # Where they are, as their widget last said (``page``), and the browser their socket came from.
    page_url: str | None = None
    page_title: str | None = None
    timezone: str | None = None
    language: str | None = None
    user_agent: str | None = None
    page_seen_at: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Conversation:
    id: str
    site_id: str
    visitor_id: str
    status: str
    topic: str | None
    team_id: str | None
    priority: int
    queue_front: bool
    agent_id: str | None
    last_seq: int
    created_at: datetime.datetime
    queued_at: datetime.datetime | None
    assigned_at: datetime.datetime | None
    first_response_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    closed_by_role: str | None
    closed_by_id: str | None
    resolution: str | None = None
    visitor_read_seq: int = 0  # the visitor has seen events up to here
    # Written once, never overwritten (docs/metrics.md): first entry to the queue, first assignment, and who
    # wrote the first human reply.
    handoff_at: datetime.datetime | None = None
    first_assigned_at: datetime.datetime | None = None
    first_responder_id: str | None = None


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    conversation_id: str
    seq: int
    kind: str
    author_role: str
    author_id: str | None
    author_name: str
    client_id: str | None
    body: str | None
    data: dict[str, Any] | None
    created_at: datetime.datetime
