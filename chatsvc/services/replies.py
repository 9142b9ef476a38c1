"""Predefined replies: the bot's quick-reply menu and the agents' canned responses.

The menu is read on every conversation the bot opens, and changes a few times a year: each process keeps it in
memory. A save replaces it in this process at once, then tells the other processes through the broker (a
``menu`` notice) so they read it again; a lost notice (the broker's delivery is at most once) is covered by a
short maximum age and by the broker's resync after an outage.

Permissions: admins edit the menu and the shared canned responses; every staff member keeps personal canned
responses that only they see and edit, and reads the shared ones. Someone else's personal response does not
exist as far as another person can tell (404).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import msgspec
from msgspec import UNSET, UnsetType

from chatsvc.domain import canned, menu
from chatsvc.domain.canned import CannedResponse, Expansion
from chatsvc.domain.ids import new_id
from chatsvc.domain.menu import Choice, Menu, MenuError, MenuItem
from chatsvc.domain.model import Role
from chatsvc.errors import BadRequest, Forbidden, NotFound
from chatsvc.services.clock import Clock
from chatsvc.services.directory import Directory
from chatsvc.services.hub import Envelope, Hub
from chatsvc.store import records
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.replies import CannedStore, MenuStore

log = logging.getLogger("chatsvc.replies")

MENU_CHANNEL = "menu"
MENU_CHANGED = "menu_changed"
# Past this age the cached menu is read again even without a notice: a lost notice heals within a minute.
MENU_MAX_AGE_SECONDS = 60.0
MAX_CANNED_PER_OWNER = 500  # each person's own; the shared list has the same bound (house rule 5)

_ADMINS_ONLY_MENU = "Only administrators can change the bot's menu."
_ADMINS_ONLY_SHARED = "Only administrators can change shared canned responses."


def _is_admin(user: records.User) -> bool:
    return user.role == Role.ADMIN.value


class RepliesService:
    def __init__(
        self,
        menu_store: MenuStore,
        canned_store: CannedStore,
        conversations: ConversationStore,
        directory: Directory,
        hub: Hub,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.menu_store = menu_store
        self.canned_store = canned_store
        self.conversations = conversations
        self.directory = directory
        self.hub = hub
        self.clock = clock
        self._monotonic = monotonic
        self._process = new_id()  # our own notices come back to us: we already hold that menu
        self._menu = Menu()
        self._loaded_at = self._monotonic()
        self._generation = 0  # bumped by every change or notice, so a read that raced one is read again
        self._reload: asyncio.Task[None] | None = None

    # --- lifecycle and notices (the hub calls on_envelope / on_resync) ------------------------------------

    async def start(self) -> None:
        await self.hub.follow(MENU_CHANNEL, self)  # first, so a change made while we read is not missed
        self._generation += 1
        await self._reload_menu()

    async def stop(self) -> None:
        if self._reload is not None:
            self._reload.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reload
        await self.hub.unfollow(MENU_CHANNEL, self)

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        if envelope.control == MENU_CHANGED and envelope.reason != self._process:
            self._schedule_reload()

    def on_resync(self) -> None:
        self._schedule_reload()  # notices may have been lost while the broker was away

    def _schedule_reload(self) -> None:
        self._generation += 1
        if self._reload is None or self._reload.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # read from outside the server's loop (a script): the next read inside it reloads
            self._reload = loop.create_task(self._reload_menu())

    async def _reload_menu(self) -> None:
        """Read the menu until a read finishes with no change announced meanwhile (a few tries at most)."""
        for _attempt in range(5):
            generation = self._generation
            try:
                items = await self.menu_store.items()
            except Exception:  # keep serving the menu we have; an access past the max age retries
                log.warning("could not read the bot's menu", exc_info=True)
                return
            self._hold(items)
            if generation == self._generation:
                return

    def _hold(self, items: Sequence[MenuItem]) -> Menu:
        current = self._menu = Menu(Menu(items).ordered())
        self._loaded_at = self._monotonic()
        return current

    async def _menu_changed(self, saved: Sequence[MenuItem]) -> Menu:
        """After the commit: hold the new menu here, then tell the other processes."""
        self._generation += 1
        current = self._hold(saved)
        notice = Envelope(control=MENU_CHANGED, reason=self._process)
        try:
            await self.hub.broker.publish(MENU_CHANNEL, msgspec.json.encode(notice))
        except Exception:  # the save is committed; other processes catch up within the max age
            log.warning("could not tell other processes that the menu changed", exc_info=True)
        return current

    # --- the menu, for the bot (synchronous: read from memory on every turn) -------------------------------

    def current_menu(self) -> Menu:
        """The menu held in memory. Past its maximum age it is read again in the background, and served as it
        is meanwhile (it is at most a notice late)."""
        if self._monotonic() - self._loaded_at >= MENU_MAX_AGE_SECONDS and (
            self._reload is None or self._reload.done()
        ):
            self._schedule_reload()
        return self._menu

    def has_menu(self) -> bool:
        return bool(self.current_menu())

    def menu_for(self, parent_id: str | None, lang: str) -> list[Choice]:
        """The buttons under ``parent_id`` (None: the menu the bot shows first), labelled in ``lang``."""
        return self.current_menu().choices(parent_id, lang)

    def item(self, item_id: str) -> MenuItem | None:
        """The item a visitor chose (its action and payload), or None when the menu no longer has it."""
        return self.current_menu().get(item_id)

    def label(self, item: MenuItem, lang: str) -> str:
        return menu.label_for(item, lang)

    async def load_menu(self) -> Menu:
        """The menu as stored now (the admin page shows this, not a copy that might be a notice late)."""
        return Menu(Menu(await self.menu_store.items()).ordered())

    # --- the menu, for admins -----------------------------------------------------------------------------

    def _require_admin(self, user: records.User, message: str = _ADMINS_ONLY_MENU) -> None:
        if not _is_admin(user):
            raise Forbidden(message)

    async def _check_articles(self, items: Sequence[MenuItem]) -> None:
        wanted = {item.payload for item in items if item.action is menu.Action.ARTICLE and item.payload}
        missing = wanted - await self.menu_store.existing_articles(wanted)
        for item in items:
            if item.action is menu.Action.ARTICLE and item.payload in missing:
                raise MenuError("article_unknown", item_id=item.id, label=item.label[:40], value=item.payload)

    async def _edit(self, change: Callable[[list[MenuItem]], Sequence[MenuItem]]) -> Menu:
        def checked(current: list[MenuItem]) -> Sequence[MenuItem]:
            return menu.validate(change(current)).items

        saved = await self.menu_store.edit(checked, self.clock())
        return await self._menu_changed(saved)

    async def replace_menu(self, user: records.User, items: Sequence[MenuItem]) -> Menu:
        """The whole tree at once (what the admin page and ``PUT /api/menu`` save): valid, or nothing changes."""
        self._require_admin(user)
        tidy = menu.validate(items)  # before any I/O: a refused tree costs no transaction
        await self._check_articles(tidy.items)
        return await self._edit(lambda _current: tidy.items)

    async def add_menu_item(
        self,
        user: records.User,
        *,
        parent_id: str | None,
        label: str,
        action: str,
        label_fr: str | None = None,
        payload: str | None = None,
    ) -> MenuItem:
        self._require_admin(user)
        item = menu.check_item(
            MenuItem(new_id(), parent_id, 0, label, label_fr, menu.action_of(action), payload)
        )
        await self._check_articles([item])
        saved = await self._edit(lambda current: menu.add_item(current, item))
        found = saved.get(item.id)
        assert found is not None
        return found

    async def update_menu_item(
        self,
        user: records.User,
        item_id: str,
        *,
        label: str | UnsetType = UNSET,
        label_fr: str | None | UnsetType = UNSET,
        action: str | UnsetType = UNSET,
        payload: str | None | UnsetType = UNSET,
    ) -> MenuItem:
        self._require_admin(user)
        before = await self.menu_store.get_item(item_id)
        item = menu.check_item(
            MenuItem(
                item_id,
                before.parent_id,
                before.position,
                before.label if label is UNSET else label,
                before.label_fr if label_fr is UNSET else label_fr,
                before.action if action is UNSET else menu.action_of(action),
                before.payload if payload is UNSET else payload,
            )
        )
        await self._check_articles([item])
        saved = await self._edit(lambda current: menu.replace_item(current, item))
        found = saved.get(item_id)
        assert found is not None
        return found

    async def move_menu_item(self, user: records.User, item_id: str, offset: int) -> None:
        self._require_admin(user)
        await self._edit(lambda current: menu.move_item(current, item_id, offset))

    async def delete_menu_item(self, user: records.User, item_id: str) -> None:
        """The item and everything under it."""
        self._require_admin(user)
        await self._edit(lambda current: menu.remove_item(current, item_id))

    async def article_choices(self) -> list[tuple[str, str, str, bool]]:
        return await self.menu_store.article_choices()

    # --- canned responses ---------------------------------------------------------------------------------

    async def canned_for(self, user: records.User) -> list[CannedResponse]:
        """The shared responses and the person's own, by shortcut (their own first on a shared shortcut)."""
        return canned.search(await self.canned_store.visible_to(user.id), "")

    async def search_canned(self, user: records.User, query: str) -> list[CannedResponse]:
        return canned.search(await self.canned_store.visible_to(user.id), query)

    async def get_canned(self, user: records.User, response_id: str) -> CannedResponse:
        response = await self.canned_store.get(response_id)
        if response.owner_id is not None and response.owner_id != user.id:
            raise NotFound("No such canned response.")  # someone else's personal one: not for us to know
        return response

    async def _editable(self, user: records.User, response_id: str) -> CannedResponse:
        response = await self.get_canned(user, response_id)
        if response.shared:
            self._require_admin(user, _ADMINS_ONLY_SHARED)
        return response

    async def create_canned(
        self, user: records.User, *, shortcut: str, title: str, body: str, shared: bool = False
    ) -> CannedResponse:
        if shared:
            self._require_admin(user, _ADMINS_ONLY_SHARED)
        values = {
            "shortcut": canned.check_shortcut(shortcut),
            "title": canned.check_title(title),
            "body": canned.check_body(body),
        }
        owner_id = None if shared else user.id
        existing = [r for r in await self.canned_store.visible_to(user.id) if r.owner_id == owner_id]
        if len(existing) >= MAX_CANNED_PER_OWNER:
            raise BadRequest(f"At most {MAX_CANNED_PER_OWNER} canned responses per person, and as many shared.")
        return await self.canned_store.create(owner_id=owner_id, now=self.clock(), **values)

    async def update_canned(
        self,
        user: records.User,
        response_id: str,
        *,
        shortcut: str | UnsetType = UNSET,
        title: str | UnsetType = UNSET,
        body: str | UnsetType = UNSET,
    ) -> CannedResponse:
        response = await self._editable(user, response_id)
        values: dict[str, str] = {}
        if shortcut is not UNSET:
            values["shortcut"] = canned.check_shortcut(shortcut)
        if title is not UNSET:
            values["title"] = canned.check_title(title)
        if body is not UNSET:
            values["body"] = canned.check_body(body)
        if not values:
            return response
        return await self.canned_store.update(response.id, now=self.clock(), **values)

    async def delete_canned(self, user: records.User, response_id: str) -> None:
        response = await self._editable(user, response_id)
        await self.canned_store.delete(response.id)

    async def expand_canned(
        self, key: str, user: records.User, conversation: records.Conversation | None = None
    ) -> tuple[CannedResponse, Expansion]:
        """The response ``key`` names (its id, else its shortcut: the person's own before a shared one), with
        its placeholders filled for ``conversation``, which the caller has checked the person may read.
        Without a conversation the visitor's and site's placeholders stay as written."""
        response = canned.pick(await self.canned_store.visible_to(user.id), key)
        if response is None:
            raise NotFound("No such canned response.")
        visitor_name = visitor_email = site_name = None
        if conversation is not None:
            visitor = await self.conversations.get_visitor(conversation.visitor_id)
            if visitor is not None:
                visitor_name, visitor_email = visitor.name, visitor.email
            site = await self.directory.site(conversation.site_id)
            site_name = site.name if site else None
        values = canned.values_for(
            agent_name=user.name,
            today=self.clock().date(),
            visitor_name=visitor_name,
            visitor_email=visitor_email,
            site_name=site_name,
        )
        return response, canned.expand_checked(response.body, values)

