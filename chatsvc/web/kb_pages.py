"""Knowledge-base pages, for admins and managers: the article list with search, the create and edit form with a
live preview (``static/kb.js`` calls ``/api/kb/preview``; the page works without it), publish and delete.

Forms post with the session's CSRF token; a refused change re-renders the form with the reason and what was
typed, a successful one redirects (post/redirect/get) with a notice.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.model import Role
from chatsvc.errors import ChatError, Forbidden
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.kb import (
    DEFAULT_LANG,
    MAX_ALT,
    MAX_ALT_CHARS,
    MAX_BODY,
    MAX_ID_CHARS,
    MAX_TAGS,
    MAX_TITLE,
    KnowledgeBaseService,
)
from chatsvc.store.kb import KbArticle
from chatsvc.web import csrf
from chatsvc.web.edge import services_of
from chatsvc.web.forms import Form, read_form
from chatsvc.web.guards import path_id
from chatsvc.web.rendering import page, page_identity, render, safe_next, translator

PAGE_SIZE = 50
EDITORS = frozenset({Role.ADMIN, Role.MANAGER})
EDITORS_ONLY = "This page is for administrators and managers."
# An article's body may be 50,000 characters; URL-encoded, accented text takes up to 6 bytes a character.
MAX_FORM_BYTES = 1024 * 1024
LANGUAGES = ("en", "fr")  # offered first in the form; an imported article may have another code


def _kb(request: Request) -> KnowledgeBaseService:
    return services_of(request).kb


async def _editor(request: Request) -> StaffIdentity:
    who = await page_identity(request)
    if who.role not in EDITORS:
        raise Forbidden(EDITORS_ONLY)
    return who


async def _editor_form(request: Request) -> tuple[StaffIdentity, Form]:
    """The signed-in editor and their form, once its CSRF token is checked (a refusal changes nothing)."""
    who = await _editor(request)
    form = await read_form(request, max_bytes=MAX_FORM_BYTES, max_field_chars=MAX_BODY + 1)
    csrf.check_session_form(request, who, form.get(csrf.FORM_FIELD))
    return who, form


def _path_id(request: Request) -> str:
    return path_id(request, "article_id", limit=MAX_ID_CHARS, what="No such article.")


def _done(path: str, notice: str) -> Response:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}done={notice}", status_code=303)


def _back(form: Form) -> str:
    """Where a list action returns: the list as it was (search and page kept), never anywhere else."""
    target = safe_next(form.get("back"), "/kb")
    return target if target == "/kb" or target.startswith("/kb?") else "/kb"


# --- the list ------------------------------------------------------------------------------------------


@page
async def article_list(request: Request) -> Response:
    who = await _editor(request)
    query = request.query_params.get("q", "").strip()[:MAX_TITLE]
    raw_page = request.query_params.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 1
    number = max(1, number)
    kb = _kb(request)
    result = await kb.search(query, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    if number > pages:  # a page past the end (articles were deleted since): show the last one
        number = pages
        result = await kb.search(query, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)

    def link(to: int) -> str:
        return "/kb?" + urlencode([*([("q", query)] if query else []), ("page", str(to))])

    here = "/kb?" + urlencode([*([("q", query)] if query else []), ("page", str(number))])
    return render(
        request,
        "kb_list.html",
        {
            "articles": result.articles,
            "query": query,
            "total": result.total,
            "first": result.offset + 1 if result.articles else 0,
            "last": result.offset + len(result.articles),
            "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < pages else None,
            "back": here,
        },
        who=who,
    )


@page
async def publish(request: Request) -> Response:
    _who, form = await _editor_form(request)
    published = form.get("published") == "1"
    await _kb(request).update(_path_id(request), published=published)
    return _done(_back(form), "kb_published" if published else "kb_unpublished")


# --- create and edit -----------------------------------------------------------------------------------


def _fields(article: KbArticle | None, form: Form | None, page_lang: str) -> dict[str, object]:
    """What the form shows: what was typed (after a refusal), else the article, else a new article's defaults
    (written, most likely, in the language of the page its author reads)."""
    if form is not None:
        return {
            "title": form.get("title"),
            "body": form.get("body"),
            "alt": form.get("alt"),
            "tags": form.get("tags"),
            "lang": form.get("lang", DEFAULT_LANG),
            "published": form.get("published") == "1",
        }
    if article is not None:
        return {
            "title": article.title,
            "body": article.body,
            "alt": "\n".join(article.alt),
            "tags": ", ".join(article.tags),
            "lang": article.lang,
            "published": article.published,
        }
    return {"title": "", "body": "", "alt": "", "tags": "", "lang": page_lang, "published": True}


def _one_line(text: str, limit: int) -> str:
    """A query value as one line of text: control characters (newlines included) become spaces, then cut."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def _prefill(request: Request) -> dict[str, str]:
    """A new article started elsewhere (the manager page's "Create article" on a question the bot could not
    answer): ``title`` and ``alt`` (one phrasing a line) from the query, cut to the form's limits. They are
    only shown in the form (escaped like anything typed); nothing is saved until the editor posts it."""
    params = request.query_params
    title = _one_line(params.get("title", "")[: MAX_TITLE * 4], MAX_TITLE)
    lines = params.get("alt", "")[: MAX_ALT * MAX_ALT_CHARS].splitlines()
    alt = [line for line in (_one_line(raw, MAX_ALT_CHARS) for raw in lines) if line][:MAX_ALT]
    return {"title": title, "alt": "\n".join(alt)}


def _edit_page(
    request: Request,
    who: StaffIdentity,
    *,
    article: KbArticle | None,
    form: Form | None = None,
    error: ChatError | None = None,
    prefill: dict[str, str] | None = None,
) -> Response:
    fields = _fields(article, form, translator(request).lang)
    if prefill:
        fields.update(prefill)
    kb = _kb(request)
    try:
        preview = kb.preview(str(fields["body"]))
    except ChatError:
        preview = ""  # a body over the limit: the error above says so
    lang_choices = list(LANGUAGES) + ([str(fields["lang"])] if fields["lang"] not in LANGUAGES else [])
    return render(
        request,
        "kb_edit.html",
        {
            "article": article,
            "fields": fields,
            "preview": preview,
            "lang_choices": lang_choices,
            "limits": {"title": MAX_TITLE, "body": MAX_BODY, "alt": MAX_ALT, "tags": MAX_TAGS},
            "error": translator(request).error(error) if error else None,
        },
        who=who,
        status=error.status if error else 200,
    )


def _lines(form: Form, name: str) -> list[str]:
    # One alternative phrasing per line: commas are part of questions, so they do not separate here.
    return [line.strip() for line in form.get(name).splitlines() if line.strip()]


def _tags(form: Form) -> list[str]:
    return [tag.strip() for tag in form.get("tags").replace("\n", ",").split(",") if tag.strip()]


@page
async def new_article(request: Request) -> Response:
    return _edit_page(request, await _editor(request), article=None, prefill=_prefill(request))


@page
async def create_article(request: Request) -> Response:
    who, form = await _editor_form(request)
    try:
        article = await _kb(request).create(**_article_fields(form))
    except ChatError as exc:
        return _edit_page(request, who, article=None, form=form, error=exc)
    return _done(f"/kb/articles/{article.id}", "kb_created")


def _article_fields(form: Any) -> dict[str, Any]:
    """The editor form's fields, as the service's create and update take them."""
    return {
        "title": form.get("title"),
        "body": form.get("body"),
        "alt": _lines(form, "alt"),
        "tags": _tags(form),
        "lang": form.get("lang", DEFAULT_LANG),
        "published": form.get("published") == "1",
    }


@page
async def edit_article(request: Request) -> Response:
    who = await _editor(request)
    article = await _kb(request).get(_path_id(request))
    return _edit_page(request, who, article=article)


@page
async def update_article(request: Request) -> Response:
    who, form = await _editor_form(request)
    kb = _kb(request)
    article = await kb.get(_path_id(request))
    try:
        await kb.update(article.id, **_article_fields(form))
    except ChatError as exc:
        return _edit_page(request, who, article=article, form=form, error=exc)
    return _done(f"/kb/articles/{article.id}", "kb_saved")


@page
async def delete_article(request: Request) -> Response:
    _who, _form = await _editor_form(request)
    await _kb(request).delete(_path_id(request))
    return _done("/kb", "kb_deleted")


routes: list[BaseRoute] = [
    Route("/kb", article_list, methods=["GET"]),
    Route("/kb/new", new_article, methods=["GET"]),
    Route("/kb/new", create_article, methods=["POST"]),
    Route("/kb/articles/{article_id}", edit_article, methods=["GET"]),
    Route("/kb/articles/{article_id}", update_article, methods=["POST"]),
    Route("/kb/articles/{article_id}/publish", publish, methods=["POST"]),
    Route("/kb/articles/{article_id}/delete", delete_article, methods=["POST"]),
]
