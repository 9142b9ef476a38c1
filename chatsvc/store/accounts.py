"""Staff accounts, their sessions, sites and teams."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from chatsvc.domain.ids import new_id
from chatsvc.errors import Conflict, NotFound
from chatsvc.store import records, rows
from chatsvc.store.database import Database
from chatsvc.store.schema import (
    server_secrets,
    sites,
    staff_sessions,
    team_members,
    team_topics,
    teams,
    users,
)

_TEAM_CONFLICT = "The team name is taken, a topic belongs to another team already, or a member does not exist."


class AccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- server secrets ------------------------------------------------------------------------------

    async def get_or_create_secret(self, name: str, make: Any) -> str:
        """The named secret, created once for every process on this database (first writer wins)."""
        async with self.db.begin() as conn:
            value = await conn.scalar(sa.select(server_secrets.c.value).where(server_secrets.c.name == name))
            if value is not None:
                return str(value)
        try:
            async with self.db.begin() as conn:
                await conn.execute(server_secrets.insert().values(name=name, value=make()))
        except sa.exc.IntegrityError:
            pass  # another process wrote it first: use theirs
        async with self.db.connect() as conn:
            return str(await conn.scalar(sa.select(server_secrets.c.value).where(server_secrets.c.name == name)))

    # --- users -----------------------------------------------------------------------------------------

    async def count_users(self) -> int:
        async with self.db.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(users)) or 0)

    async def create_user(
        self,
        *,
        email: str,
        name: str,
        role: str,
        password_hash: str,
        now: datetime.datetime,
        must_change_password: bool = False,
        max_chats: int | None = None,
    ) -> records.User:
        user_id = new_id()
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    users.insert().values(
                        id=user_id,
                        email=email,
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        must_change_password=must_change_password,
                        disabled=False,
                        max_chats=max_chats,
                        status="offline",
                        created_at=now,
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise Conflict("A user with that email already exists.") from exc
        return await self.get_user(user_id)

    async def get_user(self, user_id: str) -> records.User:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        if row is None:
            raise NotFound("No such user.")
        return rows.user(row)

    async def find_user_by_email(self, email: str) -> records.User | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.email == email))).first()
        return rows.user(row) if row else None

    async def list_users(self) -> list[records.User]:
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(users).order_by(users.c.created_at, users.c.email))
            return [rows.user(row) for row in result]

    async def update_user(self, user_id: str, **values: Any) -> records.User:
        allowed = {"name", "role", "password_hash", "must_change_password", "disabled", "max_chats", "status",
                   "last_login_at", "email"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(users.update().where(users.c.id == user_id).values(**values))
        except sa.exc.IntegrityError as exc:
            raise Conflict("A user with that email already exists.") from exc
        if result.rowcount == 0:
            raise NotFound("No such user.")
        return await self.get_user(user_id)

    # --- sessions --------------------------------------------------------------------------------------

    async def create_session(self, session: records.StaffSession) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                staff_sessions.insert().values(
                    token_digest=session.token_digest,
                    user_id=session.user_id,
                    csrf_token=session.csrf_token,
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                )
            )

    async def find_session(self, token_digest: str) -> records.StaffSession | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(staff_sessions).where(staff_sessions.c.token_digest == token_digest))
            ).first()
        return rows.session(row) if row else None

    async def delete_session(self, token_digest: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(staff_sessions.delete().where(staff_sessions.c.token_digest == token_digest))

    async def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> None:
        query = staff_sessions.delete().where(staff_sessions.c.user_id == user_id)
        if keep is not None:
            query = query.where(staff_sessions.c.token_digest != keep)
        async with self.db.begin() as conn:
            await conn.execute(query)

    async def delete_expired_sessions(self, now: datetime.datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(staff_sessions.delete().where(staff_sessions.c.expires_at <= now))

    # --- sites -----------------------------------------------------------------------------------------

    async def create_site(
        self, *, key: str, name: str, allowed_origins: Iterable[str], now: datetime.datetime
    ) -> records.Site:
        site_id = new_id()
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    sites.insert().values(
                        id=site_id, key=key, name=name, allowed_origins=list(allowed_origins), created_at=now
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise Conflict("A site with that key already exists.") from exc
        return await self.get_site(site_id)

    async def get_site(self, site_id: str) -> records.Site:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(sites).where(sites.c.id == site_id))).first()
        if row is None:
            raise NotFound("No such site.")
        return rows.site(row)

    async def find_site_by_key(self, key: str) -> records.Site | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(sites).where(sites.c.key == key))).first()
        return rows.site(row) if row else None

    async def list_sites(self) -> list[records.Site]:
        async with self.db.connect() as conn:
            return [rows.site(row) for row in await conn.execute(sa.select(sites).order_by(sites.c.created_at))]

    async def update_site(self, site_id: str, **values: Any) -> records.Site:
        unknown = set(values) - {"name", "allowed_origins"}
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if "allowed_origins" in values:
            values["allowed_origins"] = list(values["allowed_origins"])
        async with self.db.begin() as conn:
            result = await conn.execute(sites.update().where(sites.c.id == site_id).values(**values))
        if result.rowcount == 0:
            raise NotFound("No such site.")
        return await self.get_site(site_id)

    async def delete_site(self, site_id: str) -> None:
        async with self.db.begin() as conn:
            result = await conn.execute(sites.delete().where(sites.c.id == site_id))
        if result.rowcount == 0:
            raise NotFound("No such site.")

    # --- teams -----------------------------------------------------------------------------------------

    async def create_team(
        self,
        *,
        name: str,
        now: datetime.datetime,
        topics: Iterable[str] = (),
        member_ids: Iterable[str] = (),
    ) -> records.Team:
        """One transaction: a taken topic or a missing member leaves no half-made team behind."""
        team_id = new_id()
        try:
            async with self.db.begin() as conn:
                await conn.execute(teams.insert().values(id=team_id, name=name, created_at=now))
                for topic in dict.fromkeys(topics):
                    await conn.execute(team_topics.insert().values(topic=topic, team_id=team_id))
                for user_id in dict.fromkeys(member_ids):
                    await conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id))
        except sa.exc.IntegrityError as exc:
            raise Conflict(_TEAM_CONFLICT) from exc
        return await self.get_team(team_id)

    async def get_team(self, team_id: str) -> records.Team:
        teams_found = await self._teams(teams.c.id == team_id)
        if not teams_found:
            raise NotFound("No such team.")
        return teams_found[0]

    async def find_team_by_name(self, name: str) -> records.Team | None:
        found = await self._teams(teams.c.name == name)
        return found[0] if found else None

    async def list_teams(self) -> list[records.Team]:
        return await self._teams(sa.true())

    async def _teams(self, where: Any) -> list[records.Team]:
        async with self.db.connect() as conn:
            team_rows = (await conn.execute(sa.select(teams).where(where).order_by(teams.c.name))).all()
            ids = [row.id for row in team_rows]
            topics: dict[str, list[str]] = {team_id: [] for team_id in ids}
            members: dict[str, list[str]] = {team_id: [] for team_id in ids}
            if ids:
                for row in await conn.execute(
                    sa.select(team_topics).where(team_topics.c.team_id.in_(ids)).order_by(team_topics.c.topic)
                ):
                    topics[row.team_id].append(row.topic)
                for row in await conn.execute(
                    sa.select(team_members).where(team_members.c.team_id.in_(ids)).order_by(team_members.c.user_id)
                ):
                    members[row.team_id].append(row.user_id)
        return [
            records.Team(
                id=row.id,
                name=row.name,
                created_at=row.created_at,
                topics=tuple(topics[row.id]),
                member_ids=tuple(members[row.id]),
            )
            for row in team_rows
        ]

    async def update_team(
        self,
        team_id: str,
        *,
        name: str | None = None,
        topics: Iterable[str] | None = None,
        member_ids: Iterable[str] | None = None,
    ) -> records.Team:
        await self.get_team(team_id)
        try:
            async with self.db.begin() as conn:
                if name is not None:
                    await conn.execute(teams.update().where(teams.c.id == team_id).values(name=name))
                if topics is not None:
                    await conn.execute(team_topics.delete().where(team_topics.c.team_id == team_id))
                    for topic in dict.fromkeys(topics):
                        await conn.execute(team_topics.insert().values(topic=topic, team_id=team_id))
                if member_ids is not None:
                    await conn.execute(team_members.delete().where(team_members.c.team_id == team_id))
                    for user_id in dict.fromkeys(member_ids):
                        await conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id))
        except sa.exc.IntegrityError as exc:
            raise Conflict(_TEAM_CONFLICT) from exc
        return await self.get_team(team_id)

    async def delete_team(self, team_id: str) -> None:
        async with self.db.begin() as conn:
            result = await conn.execute(teams.delete().where(teams.c.id == team_id))
        if result.rowcount == 0:
            raise NotFound("No such team.")

    async def team_for_topic(self, topic: str) -> str | None:
        async with self.db.connect() as conn:
            value = await conn.scalar(sa.select(team_topics.c.team_id).where(team_topics.c.topic == topic))
        return str(value) if value is not None else None

    async def team_ids_of(self, user_id: str) -> frozenset[str]:
        async with self.db.connect() as conn:
            result = await conn.execute(sa.select(team_members.c.team_id).where(team_members.c.user_id == user_id))
            return frozenset(row.team_id for row in result)
