"""Names for ids (site keys, team names, people), cached briefly: they change rarely and are read on every frame."""

from __future__ import annotations

import time

from chatsvc.domain import protocol
from chatsvc.errors import NotFound
from chatsvc.services.frames import conversation_info
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore

_TTL = 10.0


class Directory:
    def __init__(self, accounts: AccountStore, conversations: ConversationStore) -> None:
        self.accounts = accounts
        self.conversations = conversations
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}

    def forget(self) -> None:
        self._cache.clear()

    async def _cached(self, kind: str, key: str, load):  # type: ignore[no-untyped-def]
        hit = self._cache.get((kind, key))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        value = await load()
        self._cache[(kind, key)] = (time.monotonic() + _TTL, value)
        return value

    async def site(self, site_id: str) -> records.Site | None:
        async def load() -> records.Site | None:
            try:
                return await self.accounts.get_site(site_id)
            except NotFound:
                return None

        return await self._cached("site", site_id, load)  # type: ignore[no-any-return]

    async def team_name(self, team_id: str | None) -> str | None:
        if team_id is None:
            return None

        async def load() -> str | None:
            try:
                return (await self.accounts.get_team(team_id)).name
            except NotFound:
                return None

        return await self._cached("team", team_id, load)  # type: ignore[no-any-return]

    async def staff_person(self, user_id: str | None) -> protocol.Person | None:
        if user_id is None:
            return None

        async def load() -> protocol.Person | None:
            try:
                user = await self.accounts.get_user(user_id)
            except NotFound:
                return None
            return protocol.Person(role=user.role, name=user.name, id=user.id)

        return await self._cached("user", user_id, load)  # type: ignore[no-any-return]

    async def visitor_person(self, visitor_id: str) -> protocol.Person:
        visitor = await self.conversations.get_visitor(visitor_id)
        return protocol.Person(role="visitor", name=(visitor.name if visitor and visitor.name else "Visitor"))

    async def info(self, conversation: records.Conversation, *, for_staff: bool) -> protocol.ConversationInfo:
        site = await self.site(conversation.site_id)
        return conversation_info(
            conversation,
            site_key=site.key if site else "",
            agent=await self.staff_person(conversation.agent_id),
            visitor=await self.visitor_person(conversation.visitor_id) if for_staff else None,
            team_name=await self.team_name(conversation.team_id),
        )
