"""The knowledge base: article use cases, and the in-memory index the bot matches visitors' questions against.

Write, commit, then publish: every change is checked, written, applied to this process's index, and announced on
the broker's ``kb`` channel with the ids it touched, so every other process re-reads those articles and updates
its own index in place. The index is built once at start and then only changed one article at a time; nothing
rebuilds it per query. Broker notices may be lost (a Redis outage, or a command-line import on the embedded
broker, which reaches no server), so each process also compares its index with the database when the broker
reconnects and every ``SYNC_SECONDS`` (one cheap aggregate query when nothing changed).

Only published articles are in the index: a draft is never offered to a visitor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import secrets
from collections.abc import AsyncIterator, Iterable, Sequence

import msgspec
from msgspec import UNSET, UnsetType

from chatsvc.domain.ids import new_id
from chatsvc.domain.markdown import render_html, render_text
from chatsvc.domain.matching import DEFAULT_THRESHOLDS, Article, Decision, KbIndex, Thresholds, decide
from chatsvc.errors import BadRequest, NotFound
from chatsvc.services.clock import Clock
from chatsvc.services.hub import Envelope, Hub
from chatsvc.services.tasks import stop_task, wait_for_poke
from chatsvc.store.kb import KbArticle, KbPage, KbStore

log = logging.getLogger("chatsvc.kb")

CHANNEL = "kb"
MAX_TITLE = 300
MAX_BODY = 50_000  # characters of Markdown: a long FAQ answer is a few thousand
MAX_ALT = 50
MAX_ALT_CHARS = 1000  # a question as visitors ask it: sometimes a whole paragraph
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_ID_CHARS = 64  # the column's width
MAX_PAGE = 200  # articles per list page
SYNC_SECONDS = 30.0  # how often a process checks the database for changes it was not told about
NOTICE_IDS = 500  # ids per broker notice; an import sends one notice per batch
PENDING_LIMIT = 5_000  # more ids waiting than this: compare the whole index with the database instead
DEFAULT_LANG = "en"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_LANG = re.compile(r"^[a-z]{2,8}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- checks (pure) -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ArticleDraft:
    """An article's content once checked: what a create, an update or an import line writes."""

    id: str | None
    title: str
    body: str
    alt: tuple[str, ...]
    tags: tuple[str, ...]
    lang: str
    published: bool


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise BadRequest(
            "An article id is 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit."
        )
    return value


def check_title(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_TITLE or _CONTROL.search(value):
        raise BadRequest(f"The title must be 1 to {MAX_TITLE} characters on one line.")
    return value


def check_body(value: str) -> str:
    # Browsers send textareas with CRLF; stored with LF so an export and a re-import compare equal.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > MAX_BODY:
        raise BadRequest(f"The body must be at most {MAX_BODY:,} characters.")
    if "\x00" in value:
        raise BadRequest("The body contains a NUL character.")
    return value


def _one_line(value: str) -> str:
    # Runs of spaces, tabs and line breaks become one space: the form edits one phrasing per line.
    return " ".join(value.split())


def check_alt(values: Iterable[str]) -> tuple[str, ...]:
    alt = tuple(dict.fromkeys(_one_line(v) for v in values if v.strip()))
    if len(alt) > MAX_ALT:
        raise BadRequest(f"At most {MAX_ALT} alternative phrasings per article.")
    for phrase in alt:
        if len(phrase) > MAX_ALT_CHARS or _CONTROL.search(phrase):
            raise BadRequest(
                f"Each alternative phrasing must be at most {MAX_ALT_CHARS} characters, without control "
                f"characters ({phrase[:60]!r})."
            )
    return alt


def check_tags(values: Iterable[str]) -> tuple[str, ...]:
    # Lower case, as topics are: "Billing" and "billing" are one tag.
    tags = tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"At most {MAX_TAGS} tags per article.")
    for tag in tags:
        # "," separates tags in the form and "|" in CSV files: neither may be part of one.
        if len(tag) > MAX_TAG_CHARS or _CONTROL.search(tag) or "," in tag or "|" in tag:
            raise BadRequest(
                f"Each tag must be at most {MAX_TAG_CHARS} characters, without ',' or '|' ({tag[:60]!r})."
            )
    return tags


def check_lang(value: str) -> str:
    value = value.strip().lower()
    if not _LANG.match(value):
        raise BadRequest("The language must be a code of 2 to 8 letters, such as en or fr.")
    return value


def check_article(
    *,
    title: str,
    body: str = "",
    alt: Iterable[str] = (),
    tags: Iterable[str] = (),
    lang: str = DEFAULT_LANG,
    published: bool = True,
    id: str | None = None,
) -> ArticleDraft:
    return ArticleDraft(
        id=check_id(id) if id is not None else None,
        title=check_title(title),
        body=check_body(body),
        alt=check_alt(alt),
        tags=check_tags(tags),
        lang=check_lang(lang),
        published=published,
    )


def matcher_article(article: KbArticle) -> Article:
    """What the matcher indexes of an article: its questions (title and alternatives) and its answer."""
    return Article(id=article.id, title=article.title, body=article.body, alt=article.alt, lang=article.lang)


# --- notices between processes -------------------------------------------------------------------------


class KbChanged(msgspec.Struct, tag="kb_changed"):
    """Broker notice: these articles changed (created, edited, unpublished or deleted); re-read them."""

    ids: list[str]
    origin: str  # the process that made the change, which has applied it already


_decode_notice = msgspec.json.Decoder(KbChanged).decode


@dataclasses.dataclass(frozen=True)
class RenderedArticle:
    """A published article ready for a reply: sanitized HTML for rich clients, plain text for the others."""

    id: str
    title: str
    html: str
    text: str
    lang: str


@functools.lru_cache(maxsize=256)
def _rendered(article: KbArticle) -> RenderedArticle:
    # Keyed by the whole (frozen) record: an edit makes a new record, so a stale rendering is never served.
    return RenderedArticle(
        id=article.id, title=article.title, html=render_html(article.body), text=render_text(article.body),
        lang=article.lang,
    )


# --- the service ---------------------------------------------------------------------------------------


class KnowledgeBaseService:
    def __init__(
        self, store: KbStore, hub: Hub, clock: Clock, *, thresholds: Thresholds = DEFAULT_THRESHOLDS
    ) -> None:
        self.store = store
        self.hub = hub
        self.clock = clock
        self.thresholds = thresholds
        self.index = KbIndex()
        self._published: dict[str, KbArticle] = {}  # what the index holds, as the database had it
        self._fingerprint: tuple[object, ...] | None = None
        self._origin = secrets.token_hex(8)
        self._lock = asyncio.Lock()  # one index writer at a time: read the database, then apply
        self._pending: set[str] = set()
        self._full_sync = False
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._live = False  # a server keeps an index; a command-line run only writes and announces

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Build the index from the database, then follow other processes' changes."""
        self._live = True
        await self.hub.follow(CHANNEL, self)  # first: a change made while loading is announced, not missed
        await self._load()
        self._worker = asyncio.create_task(self._follow_changes(), name="kb-index")
        log.info("knowledge base: %d published articles indexed", len(self.index))

    async def stop(self) -> None:
        self._live = False
        if self._worker is not None:
            await stop_task(self._worker)
            self._worker = None
        await self.hub.unfollow(CHANNEL, self)

    async def _load(self) -> None:
        async with self._lock:
            self._fingerprint = await self.store.fingerprint()  # before reading: later changes show as a difference
            index = KbIndex()
            published: dict[str, KbArticle] = {}
            async for article in self.store.iterate(published_only=True):
                index.add(matcher_article(article))
                published[article.id] = article
            self.index, self._published = index, published

    # --- what the bot uses ---------------------------------------------------------------------------

    def decide(self, text: str) -> Decision:
        """The bot's move for a visitor's message, against the current index (nothing is rebuilt)."""
        return decide(text, self.index, self.thresholds)

    def article(self, article_id: str) -> KbArticle | None:
        """A published article as indexed (drafts and unknown ids: None)."""
        return self._published.get(article_id)

    def rendered(self, article_id: str) -> RenderedArticle | None:
        """A published article's body as sanitized HTML and as plain text (cached per version)."""
        article = self._published.get(article_id)
        return _rendered(article) if article is not None else None

    # --- use cases -----------------------------------------------------------------------------------

    async def search(
        self, query: str = "", *, offset: int = 0, limit: int = 50, published_only: bool = False
    ) -> KbPage:
        if len(query) > MAX_TITLE:
            raise BadRequest(f"The search is at most {MAX_TITLE} characters.")
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"offset must be 0 or more and limit between 1 and {MAX_PAGE}.")
        return await self.store.search(query, offset=offset, limit=limit, published_only=published_only)

    async def get(self, article_id: str, *, published_only: bool = False) -> KbArticle:
        article = await self.store.get(article_id)
        if published_only and not article.published:
            raise NotFound("No such article.")
        return article

    async def existing(self, ids: Iterable[str]) -> set[str]:
        """Which of these ids are articles already (an import's dry run counts updates with it)."""
        return set(await self.store.get_many(ids))

    def iterate(self, *, published_only: bool = False) -> AsyncIterator[KbArticle]:
        """Every article in id order, read in batches: for exports."""
        return self.store.iterate(published_only=published_only)

    async def create(
        self,
        *,
        title: str,
        body: str = "",
        alt: Iterable[str] = (),
        tags: Iterable[str] = (),
        lang: str = DEFAULT_LANG,
        published: bool = True,
        article_id: str | None = None,
    ) -> KbArticle:
        draft = check_article(
            id=article_id, title=title, body=body, alt=alt, tags=tags, lang=lang, published=published
        )
        now = self.clock()
        article = await self.store.create(
            KbArticle(
                id=draft.id or new_id(), title=draft.title, body=draft.body, alt=draft.alt, tags=draft.tags,
                lang=draft.lang, published=draft.published, created_at=now, updated_at=now,
            )
        )
        await self._changed([article.id])
        return article

    async def update(
        self,
        article_id: str,
        *,
        title: str | UnsetType = UNSET,
        body: str | UnsetType = UNSET,
        alt: Iterable[str] | UnsetType = UNSET,
        tags: Iterable[str] | UnsetType = UNSET,
        lang: str | UnsetType = UNSET,
        published: bool | UnsetType = UNSET,
    ) -> KbArticle:
        values: dict[str, object] = {}
        if not isinstance(title, UnsetType):
            values["title"] = check_title(title)
        if not isinstance(body, UnsetType):
            values["body"] = check_body(body)
        if not isinstance(alt, UnsetType):
            values["alt"] = check_alt(alt)
        if not isinstance(tags, UnsetType):
            values["tags"] = check_tags(tags)
        if not isinstance(lang, UnsetType):
            values["lang"] = check_lang(lang)
        if not isinstance(published, UnsetType):
            values["published"] = published
        if not values:
            return await self.store.get(article_id)
        article = await self.store.update(article_id, now=self.clock(), **values)
        await self._changed([article_id])
        return article

    async def delete(self, article_id: str) -> None:
        await self.store.delete(article_id)
        await self._changed([article_id])

    def preview(self, body: str) -> str:
        """Markdown → the sanitized HTML a visitor would see."""
        return render_html(check_body(body))

    async def upsert(self, drafts: Sequence[ArticleDraft]) -> tuple[list[str], list[str]]:
        """Import one batch: create or replace each article by id in one transaction; (created, updated) ids."""
        now = self.clock()
        articles = [
            KbArticle(
                id=d.id or new_id(), title=d.title, body=d.body, alt=d.alt, tags=d.tags, lang=d.lang,
                published=d.published, created_at=now, updated_at=now,
            )
            for d in drafts
        ]
        created, updated = await self.store.upsert_many(articles, now=now)
        await self._changed([a.id for a in articles])
        return created, updated

    # --- keeping the index current -------------------------------------------------------------------

    async def _changed(self, ids: list[str]) -> None:
        """After a commit: apply it here, then tell the other processes."""
        if self._live:
            await self.refresh(ids)
        for start in range(0, len(ids), NOTICE_IDS):
            notice = KbChanged(ids=ids[start : start + NOTICE_IDS], origin=self._origin)
            try:
                await self.hub.publish_frame(CHANNEL, notice)
            except Exception:  # committed already: other processes catch up on their next sync
                log.warning("could not announce a knowledge-base change", exc_info=True)

    async def refresh(self, ids: Iterable[str]) -> None:
        """Re-read these articles and update the index in place: published ones in, the others out.

        Reading and applying under one lock means the last refresh applies what the database holds last, even
        when a notice and a local write about the same article cross.
        """
        wanted = list(dict.fromkeys(ids))
        async with self._lock:
            found = await self.store.get_many(wanted)
            for article_id in wanted:
                article = found.get(article_id)
                if article is not None and article.published:
                    self.index.update(matcher_article(article))
                    self._published[article_id] = article
                else:
                    self.index.remove(article_id)
                    self._published.pop(article_id, None)

    async def sync(self, *, force: bool = False) -> None:
        """Compare the index with the database and apply what differs (a change nobody announced here)."""
        fingerprint = await self.store.fingerprint()
        if not force and fingerprint == self._fingerprint:
            return
        versions = await self.store.published_versions()
        stale = [
            article_id
            for article_id, article in self._published.items()
            if versions.get(article_id) != article.updated_at
        ]
        missing = [article_id for article_id in versions if article_id not in self._published]
        if stale or missing:
            await self.refresh([*stale, *missing])
        self._fingerprint = fingerprint

    # Hub follower: called in the event loop for each message on the channel; the work happens in the worker.

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        try:
            notice = _decode_notice(envelope.frame)
        except msgspec.DecodeError:
            return
        if notice.origin == self._origin:
            return
        self._pending.update(notice.ids)
        if len(self._pending) > PENDING_LIMIT:
            self._pending.clear()
            self._full_sync = True
        self._wake.set()

    def on_resync(self) -> None:
        # The broker was away: notices may have been lost.
        self._full_sync = True
        self._wake.set()

    async def _follow_changes(self) -> None:
        while True:
            await wait_for_poke(self._wake, SYNC_SECONDS)
            self._wake.clear()
            pending, self._pending = self._pending, set()
            full, self._full_sync = self._full_sync, False
            try:
                if full:
                    await self.sync(force=True)
                elif pending:
                    await self.refresh(pending)
                else:
                    await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment: try again on the next tick
                log.warning("could not update the knowledge-base index; retrying", exc_info=True)
                self._full_sync = True
