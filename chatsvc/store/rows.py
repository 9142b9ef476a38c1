"""Row → record mapping shared by the store modules."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa

from chatsvc.store import records, schema

R = TypeVar("R")


def _fields(table: sa.Table) -> list[str]:
    return [column.name for column in table.columns]


def user(row: Any) -> records.User:
    return records.User(**{name: row._mapping[name] for name in _fields(schema.users)})


def session(row: Any) -> records.StaffSession:
    return records.StaffSession(**{name: row._mapping[name] for name in _fields(schema.staff_sessions)})


def site(row: Any) -> records.Site:
    mapping = dict(row._mapping)
    mapping["allowed_origins"] = tuple(mapping["allowed_origins"] or ())
    return records.Site(**mapping)


def visitor(row: Any) -> records.Visitor:
    mapping = row._mapping
    return records.Visitor(
        id=mapping["id"],
        site_id=mapping["site_id"],
        name=mapping["name"],
        email=mapping["email"],
        created_at=mapping["created_at"],
        page_url=mapping["page_url"],
        page_title=mapping["page_title"],
        timezone=mapping["timezone"],
        language=mapping["language"],
        user_agent=mapping["user_agent"],
        page_seen_at=mapping["page_seen_at"],
    )


def conversation(row: Any) -> records.Conversation:
    return records.Conversation(**{name: row._mapping[name] for name in _fields(schema.conversations)})


def event(row: Any) -> records.StoredEvent:
    return records.StoredEvent(**{name: row._mapping[name] for name in _fields(schema.events)})
