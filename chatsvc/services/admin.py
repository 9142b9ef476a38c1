"""Administration use cases: staff accounts, sites (with their origin allow-lists) and teams.

Shared by the admin JSON API, the admin pages and the command line, so every path applies the same checks.
Anything that changes who may act (disabling, a password reset, a role change) ends the person's sessions and
closes their sockets through ``AccountService``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from msgspec import UNSET, UnsetType

from chatsvc.domain.model import SITE_KEY, Role
from chatsvc.domain.origins import normalize_origin
from chatsvc.domain.widget import WidgetSettings
from chatsvc.errors import BadRequest, Conflict, NotFound
from chatsvc.services.accounts import AccountService, check_password_strength, normalize_email
from chatsvc.services.clock import Clock
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore

if TYPE_CHECKING:
    from chatsvc.services.container import Services
    from chatsvc.services.directory import Directory
    from chatsvc.services.routing import Routing
    from chatsvc.services.widget import WidgetService

MAX_ORIGINS = 50
MAX_TOPICS = 50
MAX_MEMBERS = 500
MAX_CHATS = 50

# Topics come from the bot's menu and the widget; same shape, and the column is 40 characters.
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# A DNS name made of labels: no "*", no "_", no empty label. Wildcards are exactly what must not pass.
_HOSTNAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


# --- checks (pure) -------------------------------------------------------------------------------------


def check_name(name: str, what: str = "name") -> str:
    name = name.strip()
    if not name or len(name) > 120 or any(ord(c) < 32 for c in name):
        raise BadRequest(f"The {what} must be 1 to 120 characters on one line.")
    return name


def check_role(role: str) -> str:
    if role not in (Role.AGENT.value, Role.MANAGER.value, Role.ADMIN.value):
        raise BadRequest("The role must be agent, manager or admin.")
    return role


def check_max_chats(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_CHATS:
        raise BadRequest(f"max_chats must be between 1 and {MAX_CHATS}.")
    return value


def check_site_key(key: str) -> str:
    if not SITE_KEY.match(key):
        raise BadRequest("A site key is 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit.")
    return key


def check_origin(raw: str) -> str:
    """One exact ``scheme://host[:port]``, normalized. Wildcards, ``null``, paths and user info are refused:
    the handshake compares origins for equality, so a pattern here would silently never match (or worse,
    tempt someone to add pattern matching later)."""
    value = raw.strip()
    shown = value[:100]
    if "*" in value:
        raise BadRequest(f"Wildcards are not allowed in origins ({shown}): list each origin exactly.")
    normalized = normalize_origin(value)
    if normalized is None or len(normalized) > 200:
        raise BadRequest(
            f"Not an exact origin: {shown!r}. Write the scheme and host only, like https://www.example.com."
        )
    host = urlsplit(normalized).hostname or ""
    if not _HOSTNAME.match(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise BadRequest(f"Not a valid host name in origin {shown!r}.") from None
    return normalized


def check_origins(values: Iterable[str]) -> tuple[str, ...]:
    origins = tuple(dict.fromkeys(check_origin(v) for v in values if v.strip()))
    if len(origins) > MAX_ORIGINS:
        raise BadRequest(f"At most {MAX_ORIGINS} origins per site.")
    return origins


def check_topics(values: Iterable[str]) -> tuple[str, ...]:
    topics = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    for topic in topics:
        if not _TOPIC.match(topic):
            raise BadRequest(
                f"Not a valid topic: {topic[:60]!r}. A topic is 1 to 40 lower-case letters, digits, '-' or '_'."
            )
    if len(topics) > MAX_TOPICS:
        raise BadRequest(f"At most {MAX_TOPICS} topics per team.")
    return topics


# --- the service ---------------------------------------------------------------------------------------


class AdminService:
    def __init__(
        self,
        accounts: AccountService,
        store: AccountStore,
        clock: Clock,
        directory: Directory | None = None,
        routing: Routing | None = None,
        widgets: WidgetService | None = None,
    ) -> None:
        self.accounts = accounts
        self.store = store
        self.clock = clock
        self.directory = directory  # names are cached briefly for the chat path; renames forget them
        self.routing = routing  # connected agents' capacity and teams, applied at once when changed
        self.widgets = widgets  # each site's widget settings

    @classmethod
    def of(cls, services: Services) -> AdminService:
        return cls(
            services.accounts, services.account_store, services.clock, services.directory, services.routing,
            services.widgets,
        )

    async def _agents_changed(self, user_ids: Iterable[str]) -> None:
        if self.routing is not None:
            await self.routing.refresh_agents(set(user_ids))

    def _names_changed(self) -> None:
        if self.directory is not None:
            self.directory.forget()

    # --- users ---------------------------------------------------------------------------------------

    async def list_users(self) -> list[records.User]:
        return await self.store.list_users()

    async def get_user(self, user_id: str) -> records.User:
        return await self.store.get_user(user_id)

    async def user_by_email(self, email: str) -> records.User:
        user = await self.store.find_user_by_email(normalize_email(email))
        if user is None:
            raise NotFound("No user with that email.")
        return user

    async def create_user(
        self,
        *,
        email: str,
        name: str,
        role: str,
        password: str,
        max_chats: int | None = None,
        must_change_password: bool = True,
    ) -> records.User:
        """An admin creating an account knows its first password, so by default the new user must replace it."""
        return await self.accounts.create_user(
            email=email,
            name=check_name(name),
            role=check_role(role),
            password=password,
            max_chats=check_max_chats(max_chats),
            must_change_password=must_change_password,
        )

    async def update_user(
        self,
        user_id: str,
        *,
        actor_id: str | None = None,
        name: str | UnsetType = UNSET,
        role: str | UnsetType = UNSET,
        disabled: bool | UnsetType = UNSET,
        max_chats: int | None | UnsetType = UNSET,
        password: str | UnsetType = UNSET,
    ) -> records.User:
        user = await self.store.get_user(user_id)
        # Every check before any write: a refused request changes nothing.
        values: dict[str, object] = {}
        if name is not UNSET:
            values["name"] = check_name(name)
        if role is not UNSET:
            values["role"] = check_role(role)
        if max_chats is not UNSET:
            values["max_chats"] = check_max_chats(max_chats)
        if password is not UNSET:
            check_password_strength(password)
        if disabled is True and actor_id == user.id:
            raise Conflict("You cannot disable your own account.")
        will_be_disabled = user.disabled if disabled is UNSET else disabled
        if user.role == Role.ADMIN.value and not user.disabled and (
            values.get("role", user.role) != Role.ADMIN.value or will_be_disabled
        ):
            await self._keep_one_admin(user.id)
        role_changed = values.get("role", user.role) != user.role

        if values:
            user = await self.store.update_user(user.id, **values)
        if disabled is not UNSET and disabled != user.disabled:
            user = await self.accounts.set_disabled(user.id, disabled)
        if password is not UNSET:
            user = await self.accounts.set_password(user.id, password, must_change=True)
        elif role_changed and not user.disabled:
            # Open sockets and sessions carry the role they were opened with: sign the person in again.
            await self.accounts.revoke_all(user.id, "role_changed")
        if "name" in values:
            self._names_changed()
        if "max_chats" in values or "name" in values:
            await self._agents_changed([user.id])
        return user

    async def _keep_one_admin(self, leaving_id: str) -> None:
        others = [
            u for u in await self.store.list_users()
            if u.role == Role.ADMIN.value and not u.disabled and u.id != leaving_id
        ]
        if not others:
            raise Conflict("At least one enabled admin must remain.")

    async def set_password(self, user_id: str, password: str, *, must_change: bool = True) -> records.User:
        return await self.accounts.set_password(user_id, password, must_change=must_change)

    # --- sites ---------------------------------------------------------------------------------------

    async def list_sites(self) -> list[records.Site]:
        return await self.store.list_sites()

    async def site_by_key(self, key: str) -> records.Site:
        site = await self.store.find_site_by_key(key)
        if site is None:
            raise NotFound("No site with that key.")
        return site

    async def create_site(self, *, key: str, name: str, allowed_origins: Sequence[str]) -> records.Site:
        return await self.store.create_site(
            key=check_site_key(key),
            name=check_name(name),
            allowed_origins=check_origins(allowed_origins),
            now=self.clock(),
        )

    async def update_site(
        self,
        site_id: str,
        *,
        name: str | UnsetType = UNSET,
        allowed_origins: Sequence[str] | UnsetType = UNSET,
        widget: Mapping[str, object] | UnsetType = UNSET,
    ) -> records.Site:
        """Change the site and, with ``widget`` (setting name to value), its widget settings. Every value is
        checked before anything is written: a refused request changes nothing."""
        values: dict[str, object] = {}
        if name is not UNSET:
            values["name"] = check_name(name)
        if allowed_origins is not UNSET:
            values["allowed_origins"] = check_origins(allowed_origins)
        site = await self.store.get_site(site_id)
        if widget is not UNSET and widget:
            widgets = self._widgets()
            await widgets.check(site.id, widget)
        if values:
            site = await self.store.update_site(site_id, **values)
            self._names_changed()
        if widget is not UNSET and widget:
            await self._widgets().update(site.id, **widget)
        return site

    def _widgets(self) -> WidgetService:
        if self.widgets is None:
            raise RuntimeError("AdminService made without the widget service")
        return self.widgets

    async def widget_settings(self, site_ids: list[str]) -> dict[str, WidgetSettings]:
        """Each site's widget settings, the defaults for a site nobody configured."""
        return await self._widgets().settings_of_sites(site_ids)

    async def delete_site(self, site_id: str) -> None:
        await self.store.delete_site(site_id)
        self._names_changed()

    # --- teams ---------------------------------------------------------------------------------------

    async def list_teams(self) -> list[records.Team]:
        return await self.store.list_teams()

    async def team_by_name(self, name: str) -> records.Team:
        team = await self.store.find_team_by_name(name.strip())
        if team is None:
            raise NotFound("No team with that name.")
        return team

    async def _check_members(self, member_ids: Iterable[str]) -> tuple[str, ...]:
        ids = tuple(dict.fromkeys(member_ids))
        if len(ids) > MAX_MEMBERS:
            raise BadRequest(f"At most {MAX_MEMBERS} members per team.")
        known = {u.id for u in await self.store.list_users()}
        for user_id in ids:
            if user_id not in known:
                raise BadRequest(f"No user with id {user_id[:40]!r}.")
        return ids

    async def _check_team_conflicts(
        self, name: str | None, topics: Iterable[str] | None, team_id: str | None = None
    ) -> None:
        """Say which conflict it is (the store's constraint, checked again on write, cannot tell)."""
        others = [team for team in await self.store.list_teams() if team.id != team_id]
        if name is not None and any(team.name == name for team in others):
            raise Conflict(f"A team named {name!r} already exists.")
        owners = {topic: team.name for team in others for topic in team.topics}
        for topic in topics or ():
            if topic in owners:
                raise Conflict(f"The topic {topic!r} already belongs to the team {owners[topic]!r}.")

    async def create_team(
        self, *, name: str, topics: Iterable[str] = (), member_ids: Iterable[str] = ()
    ) -> records.Team:
        name = check_name(name, "team name")
        topics = check_topics(topics)
        await self._check_team_conflicts(name, topics)
        return await self.store.create_team(
            name=name,
            topics=topics,
            member_ids=await self._check_members(member_ids),
            now=self.clock(),
        )

    async def update_team(
        self,
        team_id: str,
        *,
        name: str | UnsetType = UNSET,
        topics: Iterable[str] | UnsetType = UNSET,
        member_ids: Iterable[str] | UnsetType = UNSET,
    ) -> records.Team:
        before = await self.store.get_team(team_id)
        new_name = None if name is UNSET else check_name(name, "team name")
        new_topics = None if topics is UNSET else check_topics(topics)
        await self._check_team_conflicts(new_name, new_topics, team_id)
        team = await self.store.update_team(
            team_id,
            name=new_name,
            topics=new_topics,
            member_ids=None if member_ids is UNSET else await self._check_members(member_ids),
        )
        if name is not UNSET:
            self._names_changed()
        await self._agents_changed({*before.member_ids, *team.member_ids})
        return team

    async def add_member(self, team_id: str, user_id: str) -> records.Team:
        team = await self.store.get_team(team_id)
        return await self.update_team(team.id, member_ids=[*team.member_ids, user_id])

    async def delete_team(self, team_id: str) -> None:
        before = await self.store.get_team(team_id)
        await self.store.delete_team(team_id)
        self._names_changed()
        await self._agents_changed(before.member_ids)
