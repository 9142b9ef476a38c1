"""Knowledge-base articles: CRUD, a paged list searched by title, and batched upserts for imports."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from chatsvc.errors import Conflict, NotFound
from chatsvc.store.database import Database
from chatsvc.store.schema import kb_articles

_CONTENT = ("title", "body", "alt", "tags", "lang", "published")


@dataclasses.dataclass(frozen=True)
class KbArticle:
    id: str
    title: str
    body: str  # Markdown
    alt: tuple[str, ...]  # "also asked as"
    tags: tuple[str, ...]
    lang: str
    published: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "alt": list(self.alt),
            "tags": list(self.tags),
            "lang": self.lang,
            "published": self.published,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclasses.dataclass(frozen=True)
class KbPage:
    articles: list[KbArticle]
    total: int  # matching articles, all pages together
    offset: int
    limit: int


def _article(row: Any) -> KbArticle:
    m = row._mapping
    return KbArticle(
        id=m["id"],
        title=m["title"],
        body=m["body"],
        alt=tuple(m["alt"] or ()),
        tags=tuple(m["tags"] or ()),
        lang=m["lang"],
        published=bool(m["published"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _values(article: KbArticle) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "alt": list(article.alt),
        "tags": list(article.tags),
        "lang": article.lang,
        "published": article.published,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


class KbStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, article: KbArticle) -> KbArticle:
        try:
            async with self.db.begin() as conn:
                await conn.execute(kb_articles.insert().values(**_values(article)))
        except sa.exc.IntegrityError as exc:
            raise Conflict("An article with that id already exists.") from exc
        return await self.get(article.id)

    async def get(self, article_id: str) -> KbArticle:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(kb_articles).where(kb_articles.c.id == article_id))).first()
        if row is None:
            raise NotFound("No such article.")
        return _article(row)

    async def get_many(self, article_ids: Iterable[str]) -> dict[str, KbArticle]:
        """The articles among ``article_ids`` that exist (missing ones are simply absent)."""
        wanted = list(dict.fromkeys(article_ids))
        found: dict[str, KbArticle] = {}
        async with self.db.connect() as conn:
            for start in range(0, len(wanted), 500):  # bounded IN lists
                chunk = wanted[start : start + 500]
                for row in await conn.execute(sa.select(kb_articles).where(kb_articles.c.id.in_(chunk))):
                    article = _article(row)
                    found[article.id] = article
        return found

    async def update(self, article_id: str, *, now: datetime.datetime, **values: Any) -> KbArticle:
        unknown = set(values) - set(_CONTENT)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        for name in ("alt", "tags"):
            if name in values:
                values[name] = list(values[name])
        async with self.db.begin() as conn:
            result = await conn.execute(
                kb_articles.update().where(kb_articles.c.id == article_id).values(updated_at=now, **values)
            )
        if result.rowcount == 0:
            raise NotFound("No such article.")
        return await self.get(article_id)

    async def delete(self, article_id: str) -> None:
        async with self.db.begin() as conn:
            result = await conn.execute(kb_articles.delete().where(kb_articles.c.id == article_id))
        if result.rowcount == 0:
            raise NotFound("No such article.")

    async def search(
        self, query: str = "", *, offset: int = 0, limit: int = 50, published_only: bool = False
    ) -> KbPage:
        """Articles whose title contains ``query`` (any case), most recently changed first."""
        where: list[Any] = []
        if query.strip():
            where.append(sa.func.lower(kb_articles.c.title).contains(query.strip().lower(), autoescape=True))
        if published_only:
            where.append(kb_articles.c.published.is_(True))
        condition = sa.and_(sa.true(), *where)
        async with self.db.connect() as conn:
            total = int(await conn.scalar(sa.select(sa.func.count()).select_from(kb_articles).where(condition)) or 0)
            result = await conn.execute(
                sa.select(kb_articles)
                .where(condition)
                .order_by(kb_articles.c.updated_at.desc(), kb_articles.c.id)
                .offset(offset)
                .limit(limit)
            )
            articles = [_article(row) for row in result]
        return KbPage(articles=articles, total=total, offset=offset, limit=limit)

    async def upsert_many(
        self, articles: Sequence[KbArticle], *, now: datetime.datetime
    ) -> tuple[list[str], list[str]]:
        """Create or replace each article by id, all in one transaction; (created ids, updated ids).

        A replaced article keeps its ``created_at`` and gets ``updated_at = now``. Ids must be distinct.
        """
        ids = [article.id for article in articles]
        if len(set(ids)) != len(ids):
            raise ValueError("upsert_many needs distinct ids")
        if not articles:
            return [], []
        try:
            async with self.db.begin() as conn:
                existing = set(
                    (await conn.execute(sa.select(kb_articles.c.id).where(kb_articles.c.id.in_(ids)))).scalars()
                )
                new = [_values(a) | {"created_at": now, "updated_at": now} for a in articles if a.id not in existing]
                changed = [
                    {"match_id": a.id, **{name: _values(a)[name] for name in _CONTENT}, "updated_at": now}
                    for a in articles
                    if a.id in existing
                ]
                if new:
                    await conn.execute(kb_articles.insert(), new)
                if changed:
                    statement = (
                        kb_articles.update()
                        .where(kb_articles.c.id == sa.bindparam("match_id"))
                        .values({name: sa.bindparam(name) for name in (*_CONTENT, "updated_at")})
                    )
                    await conn.execute(statement, changed)
        except sa.exc.IntegrityError as exc:
            raise Conflict("Another change to the same articles ran at the same time; import again.") from exc
        return [a.id for a in articles if a.id not in existing], [a.id for a in articles if a.id in existing]

    async def iterate(self, *, published_only: bool = False, batch: int = 500) -> AsyncIterator[KbArticle]:
        """Every article in id order, read ``batch`` at a time (keyset paging: no long-held cursor)."""
        after: str | None = None
        while True:
            query = sa.select(kb_articles).order_by(kb_articles.c.id).limit(batch)
            if after is not None:
                query = query.where(kb_articles.c.id > after)
            if published_only:
                query = query.where(kb_articles.c.published.is_(True))
            async with self.db.connect() as conn:
                rows = (await conn.execute(query)).all()
            for row in rows:
                yield _article(row)
            if len(rows) < batch:
                return
            after = rows[-1].id

    async def published_versions(self) -> dict[str, datetime.datetime]:
        """Id → ``updated_at`` of every published article: what an index compares itself with."""
        async with self.db.connect() as conn:
            result = await conn.execute(
                sa.select(kb_articles.c.id, kb_articles.c.updated_at).where(kb_articles.c.published.is_(True))
            )
            return {row.id: row.updated_at for row in result}

    async def fingerprint(self) -> tuple[int, datetime.datetime | None]:
        """(number of articles, latest ``updated_at``): changes whenever an article is written or deleted."""
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(sa.func.count(), sa.func.max(kb_articles.c.updated_at)))
            ).one()
        latest = row[1]
        if isinstance(latest, str):  # SQLite hands an aggregate back untyped
            latest = datetime.datetime.fromisoformat(latest)
        if latest is not None and latest.tzinfo is None:
            latest = latest.replace(tzinfo=datetime.UTC)
        return int(row[0] or 0), latest
