"""End-of-chat surveys: the visitor's rating of one closed conversation, stored once."""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa

from chatsvc.errors import Conflict
from chatsvc.store.database import Database
from chatsvc.store.schema import surveys


@dataclasses.dataclass(frozen=True)
class Survey:
    conversation_id: str
    site_id: str
    csat: int
    nps: int | None
    ces: int | None
    comment: str | None
    created_at: datetime.datetime


class SurveyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, survey: Survey) -> None:
        """Store the rating; Conflict when the conversation was rated before (the primary key decides, so two
        tabs sending at the same moment store one)."""
        try:
            async with self.db.begin() as conn:
                await conn.execute(surveys.insert().values(**dataclasses.asdict(survey)))
        except sa.exc.IntegrityError as exc:
            raise Conflict("This conversation was rated already.") from exc

    async def of_conversation(self, conversation_id: str) -> Survey | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(surveys).where(surveys.c.conversation_id == conversation_id))).first()
        return Survey(**row._mapping) if row else None
