"""Predefined replies: the bot's quick-reply menu and the agents' canned responses."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from chatsvc.domain.canned import CannedResponse
from chatsvc.domain.ids import new_id
from chatsvc.domain.menu import Action, Menu, MenuItem
from chatsvc.errors import Conflict, NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import canned_responses, kb_articles, quick_replies

MenuChange = Callable[[list[MenuItem]], Sequence[MenuItem]]

_SHORTCUT_TAKEN = "That shortcut is already used."


def _menu_item(row: Any) -> MenuItem:
    return MenuItem(
        id=row.id,
        parent_id=row.parent_id,
        position=row.position,
        label=row.label,
        label_fr=row.label_fr,
        action=Action(row.action),
        payload=row.payload,
    )


def _canned(row: Any) -> CannedResponse:
    return CannedResponse(
        id=row.id,
        owner_id=row.owner_id,
        shortcut=row.shortcut,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class MenuStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def items(self) -> list[MenuItem]:
        async with self.db.connect() as conn:
            return await self._items(conn)

    async def _items(self, conn: Any) -> list[MenuItem]:
        result = await conn.execute(
            sa.select(quick_replies).order_by(quick_replies.c.parent_id, quick_replies.c.position, quick_replies.c.id)
        )
        return [_menu_item(row) for row in result]

    async def get_item(self, item_id: str) -> MenuItem:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(quick_replies).where(quick_replies.c.id == item_id))).first()
        if row is None:
            raise NotFound("No such menu item.")
        return _menu_item(row)

    async def replace(self, items: Sequence[MenuItem], now: datetime.datetime) -> list[MenuItem]:
        """The whole tree replaced by ``items`` (already validated), in one transaction."""
        return await self.edit(lambda _current: items, now)

    async def edit(self, change: MenuChange, now: datetime.datetime) -> list[MenuItem]:
        """Read the tree, ``change`` it, write the result: one transaction, one writer at a time, so two admins
        saving at once cannot interleave into a tree neither of them validated. ``change`` validates; when it
        raises, nothing is written. Items that keep their id keep their creation time."""
        async with self.db.begin() as conn:
            if not self.db.is_sqlite:
                # Readers are not blocked (EXCLUSIVE allows ACCESS SHARE); other editors wait their turn.
                # SQLite needs nothing: its single connection already runs one transaction at a time.
                await conn.execute(sa.text("LOCK TABLE quick_replies IN EXCLUSIVE MODE"))
            current = await self._items(conn)
            created = {
                row.id: row.created_at
                for row in await conn.execute(sa.select(quick_replies.c.id, quick_replies.c.created_at))
            }
            new = Menu(change(list(current)))
            ordered = new.ordered()
            if len(ordered) != len(new):
                raise ValueError("the menu to store is not a tree (validate it first)")
            await conn.execute(quick_replies.delete())
            if ordered:
                # Parents come before their children, so each row's parent exists when it is inserted.
                await conn.execute(
                    quick_replies.insert(),
                    [
                        {
                            "id": item.id,
                            "parent_id": item.parent_id,
                            "position": item.position,
                            "label": item.label,
                            "label_fr": item.label_fr,
                            "action": item.action.value,
                            "payload": item.payload,
                            "created_at": created.get(item.id, now),
                        }
                        for item in ordered
                    ],
                )
        return ordered

    async def existing_articles(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these knowledge-base article ids exist (published or not): a menu button may not point
        at an article that was never there."""
        ids = sorted(set(article_ids))
        if not ids:
            return set()
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(kb_articles.c.id).where(kb_articles.c.id.in_(ids)))
            return {row.id for row in result}

    async def article_choices(self) -> list[tuple[str, str, str, bool]]:
        """(id, title, language, published) of every article, by title: what the menu editor offers."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(kb_articles.c.id, kb_articles.c.title, kb_articles.c.lang, kb_articles.c.published)
                .order_by(kb_articles.c.title, kb_articles.c.id)
            )
            return [(row.id, row.title, row.lang, bool(row.published)) for row in result]


class CannedStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def visible_to(self, user_id: str) -> list[CannedResponse]:
        """The shared responses and this person's own, by shortcut."""
        query = (
            sa.select(canned_responses)
            .where(sa.or_(canned_responses.c.owner_id.is_(None), canned_responses.c.owner_id == user_id))
            .order_by(canned_responses.c.shortcut, canned_responses.c.owner_id.is_(None), canned_responses.c.id)
        )
        async with self.db.connect() as conn:
            return [_canned(row) for row in await conn.execute(query)]

    async def get(self, response_id: str) -> CannedResponse:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(canned_responses).where(canned_responses.c.id == response_id))
            ).first()
        if row is None:
            raise NotFound("No such canned response.")
        return _canned(row)

    async def create(
        self, *, owner_id: str | None, shortcut: str, title: str, body: str, now: datetime.datetime
    ) -> CannedResponse:
        response_id = new_id()
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    canned_responses.insert().values(
                        id=response_id, owner_id=owner_id, shortcut=shortcut, title=title, body=body,
                        created_at=now, updated_at=now,
                    )
                )
        except sa.exc.IntegrityError as exc:
            # The partial unique indexes: one shortcut per owner, and once among the shared ones.
            raise Conflict(_SHORTCUT_TAKEN) from exc
        return await self.get(response_id)

    async def update(self, response_id: str, *, now: datetime.datetime, **values: str) -> CannedResponse:
        unknown = set(values) - {"shortcut", "title", "body"}
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(
                    canned_responses.update()
                    .where(canned_responses.c.id == response_id)
                    .values(**values, updated_at=now)
                )
        except sa.exc.IntegrityError as exc:
            raise Conflict(_SHORTCUT_TAKEN) from exc
        if result.rowcount == 0:
            raise NotFound("No such canned response.")
        return await self.get(response_id)

    async def delete(self, response_id: str) -> None:
        async with self.db.begin() as conn:
            result = await conn.execute(canned_responses.delete().where(canned_responses.c.id == response_id))
        if result.rowcount == 0:
            raise NotFound("No such canned response.")
