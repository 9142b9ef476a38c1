"""Knowledge-base JSON API: articles and a Markdown preview. Logic in ``services.kb``.

Every staff member reads (agents search the KB from the console; they see published articles only); admins
and managers write. Bodies are strict msgspec types with ``forbid_unknown_fields``: ``created_at`` or an ``id``
in a PATCH is refused with 400, never ignored. A cookie-authenticated write must carry the session's CSRF token
in ``X-CSRF-Token``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import Role
from chatsvc.errors import BadRequest, Forbidden, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.kb import (
    MAX_ALT,
    MAX_ALT_CHARS,
    MAX_BODY,
    MAX_ID_CHARS,
    MAX_PAGE,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE,
    KnowledgeBaseService,
)
from chatsvc.web import csrf
from chatsvc.web.edge import services_of, staff_identity
from chatsvc.web.json_body import read_json

EDITORS = frozenset({Role.ADMIN, Role.MANAGER})
# A full article (50,000 characters of body, 50 phrasings) in JSON, with room for escapes and multi-byte text.
MAX_ARTICLE_BYTES = 1024 * 1024
PAGE_DEFAULT = 50

ArticleId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_CHARS)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE)]
Body = Annotated[str, msgspec.Meta(max_length=MAX_BODY)]
Alt = Annotated[list[Annotated[str, msgspec.Meta(max_length=MAX_ALT_CHARS)]], msgspec.Meta(max_length=MAX_ALT)]
Tags = Annotated[list[Annotated[str, msgspec.Meta(max_length=MAX_TAG_CHARS)]], msgspec.Meta(max_length=MAX_TAGS)]
Lang = Annotated[str, msgspec.Meta(min_length=2, max_length=8)]


class ArticleCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    body: Body = ""
    alt: Alt = []
    tags: Tags = []
    lang: Lang = "en"
    published: bool = True
    id: ArticleId | None = None  # kept when given (to match another system's ids), else made up


class ArticlePatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    body: Body | UnsetType = UNSET
    alt: Alt | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    lang: Lang | UnsetType = UNSET
    published: bool | UnsetType = UNSET


class Preview(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


async def _reader(request: Request) -> tuple[StaffIdentity, KnowledgeBaseService]:
    who = await staff_identity(request)
    return who, services_of(request).kb


async def _editor(request: Request) -> tuple[StaffIdentity, KnowledgeBaseService]:
    who = await staff_identity(request)
    csrf.check_api(request, who)
    if who.role not in EDITORS:
        raise Forbidden("Admins and managers only.")
    return who, services_of(request).kb


def _article_id(request: Request) -> str:
    value = str(request.path_params["article_id"])
    if len(value) > MAX_ID_CHARS:
        raise NotFound("No such article.")
    return value


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise BadRequest(f"{name} must be a whole number.")
    return int(raw)


async def list_articles(request: Request) -> Response:
    who, kb = await _reader(request)
    # Drafts are for the people who write them: agents answer with what visitors could be shown.
    published_only = who.role not in EDITORS or request.query_params.get("published") in ("1", "true")
    page = await kb.search(
        request.query_params.get("q", ""),
        offset=_int(request, "offset", 0),
        limit=min(_int(request, "limit", PAGE_DEFAULT), MAX_PAGE),
        published_only=published_only,
    )
    return JSONResponse(
        {
            "articles": [article.public() for article in page.articles],
            "total": page.total,
            "offset": page.offset,
            "limit": page.limit,
        }
    )


async def get_article(request: Request) -> Response:
    who, kb = await _reader(request)
    article = await kb.get(_article_id(request), published_only=who.role not in EDITORS)
    return JSONResponse({"article": article.public() | {"html": kb.preview(article.body)}})


async def create_article(request: Request) -> Response:
    _who, kb = await _editor(request)
    body = await read_json(request, ArticleCreate, max_bytes=MAX_ARTICLE_BYTES)
    article = await kb.create(
        title=body.title, body=body.body, alt=body.alt, tags=body.tags, lang=body.lang, published=body.published,
        article_id=body.id,
    )
    return JSONResponse({"article": article.public()}, status_code=201)


async def update_article(request: Request) -> Response:
    _who, kb = await _editor(request)
    article_id = _article_id(request)
    body = await read_json(request, ArticlePatch, max_bytes=MAX_ARTICLE_BYTES)
    article = await kb.update(
        article_id, title=body.title, body=body.body, alt=body.alt, tags=body.tags, lang=body.lang,
        published=body.published,
    )
    return JSONResponse({"article": article.public()})


async def delete_article(request: Request) -> Response:
    _who, kb = await _editor(request)
    await kb.delete(_article_id(request))
    return Response(status_code=204)


async def preview(request: Request) -> Response:
    """Markdown → the sanitized HTML a visitor would be shown (the edit page's live preview)."""
    _who, kb = await _editor(request)
    body = await read_json(request, Preview, max_bytes=MAX_ARTICLE_BYTES)
    return JSONResponse({"html": kb.preview(body.body)})


routes: list[BaseRoute] = [
    Route("/api/kb/articles", list_articles, methods=["GET"]),
    Route("/api/kb/articles", create_article, methods=["POST"]),
    Route("/api/kb/articles/{article_id}", get_article, methods=["GET"]),
    Route("/api/kb/articles/{article_id}", update_article, methods=["PATCH"]),
    Route("/api/kb/articles/{article_id}", delete_article, methods=["DELETE"]),
    Route("/api/kb/preview", preview, methods=["POST"]),
]
