"""Staff accounts: passwords (argon2), sessions, and who is signed in."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatsvc.domain.ids import digest, new_secret
from chatsvc.domain.model import STAFF_ROLES, Role
from chatsvc.errors import BadRequest, Forbidden, PasswordChangeRequired, Unauthorized
from chatsvc.services.clock import Clock
from chatsvc.services.hub import Hub
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore

log = logging.getLogger("chatsvc.accounts")

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD_LENGTH = 10


@dataclasses.dataclass(frozen=True)
class StaffIdentity:
    user: records.User
    session: records.StaffSession

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# argon2 is slow by design (~0.2 s): run it in a thread so one sign-in does not stall every chat.
async def hash_password_off_loop(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password_off_loop(password_hash: str, password: str) -> None:
    await asyncio.to_thread(_hasher.verify, password_hash, password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 1024:
        raise BadRequest("The password is too long.")


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c in email for c in "\r\n\t <>\"'"):
        raise BadRequest("That is not an email address.")
    return email


class AccountService:
    def __init__(self, settings: Settings, store: AccountStore, hub: Hub, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.clock = clock

    async def create_user(
        self, *, email: str, name: str, role: str, password: str, must_change_password: bool = False,
        max_chats: int | None = None,
    ) -> records.User:
        if role not in {r.value for r in STAFF_ROLES}:
            raise BadRequest("The role must be agent, manager or admin.")
        name = name.strip()
        if not name or len(name) > 120 or any(c in name for c in "\r\n"):
            raise BadRequest("The name must be 1 to 120 characters on one line.")
        if max_chats is not None and not 1 <= max_chats <= 50:
            raise BadRequest("max_chats must be between 1 and 50.")
        check_password_strength(password)
        return await self.store.create_user(
            email=normalize_email(email),
            name=name,
            role=role,
            password_hash=await hash_password_off_loop(password),
            must_change_password=must_change_password,
            max_chats=max_chats,
            now=self.clock(),
        )

    async def verify_credentials(self, email: str, password: str) -> records.User:
        try:
            user = await self.store.find_user_by_email(normalize_email(email))
        except BadRequest:
            user = None
        try:
            await verify_password_off_loop(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("Wrong email or password.") from None
        if user is None or user.disabled:
            raise Unauthorized("Wrong email or password.")
        if _hasher.check_needs_rehash(user.password_hash):
            user = await self.store.update_user(user.id, password_hash=await hash_password_off_loop(password))
        return user

    async def open_session(self, user: records.User) -> tuple[str, records.StaffSession]:
        """A new session for the user; the first value is the bearer token (cookie value), stored only as a digest."""
        token = new_secret()
        now = self.clock()
        session = records.StaffSession(
            token_digest=digest(token),
            user_id=user.id,
            csrf_token=new_secret(),
            created_at=now,
            expires_at=now + datetime.timedelta(seconds=self.settings.session_ttl),
        )
        await self.store.create_session(session)
        await self.store.update_user(user.id, last_login_at=now)
        return token, session

    async def authenticate(self, token: str | None, *, allow_password_change: bool = False) -> StaffIdentity:
        """The signed-in staff member behind a session token, or Unauthorized (whatever the reason).

        A user who must change their password may do nothing else: PasswordChangeRequired, unless the caller
        is one of the few places that let them change it or sign out (``allow_password_change``). Refusing by
        default means a new staff route is closed to them without having to remember it.
        """
        if not token or len(token) > 256:
            raise Unauthorized()
        session = await self.store.find_session(digest(token))
        if session is None or session.expires_at <= self.clock():
            raise Unauthorized()
        user = await self.store.get_user(session.user_id)
        if user.disabled:
            raise Unauthorized()
        if user.must_change_password and not allow_password_change:
            raise PasswordChangeRequired()
        return StaffIdentity(user=user, session=session)

    async def teams_of(self, user_id: str) -> list[records.Team]:
        ids = await self.store.team_ids_of(user_id)
        return [team for team in await self.store.list_teams() if team.id in ids]

    async def logout(self, who: StaffIdentity, token: str | None) -> None:
        """End this session and close the sockets opened with it."""
        await self.store.delete_session(who.session.token_digest)
        await self.hub.revoke(f"session:{who.session.token_digest}", "session_ended")

    async def revoke_all(self, user_id: str, reason: str) -> None:
        """End every session of the user (password change, disabled) and close their sockets."""
        await self.store.delete_sessions_of(user_id)
        await self.hub.revoke(f"user:{user_id}", reason)

    async def change_password(
        self, who: StaffIdentity, current: str, new: str
    ) -> tuple[records.User, str, records.StaffSession]:
        """The user's own change: proves the current password, ends every session (their other browsers and
        sockets included) and returns a fresh session for the browser that made the change."""
        try:
            await verify_password_off_loop(who.user.password_hash, current)
        except (VerificationError, InvalidHashError):
            # Forbidden, not Unauthorized: the session is fine, a client must not take this for a sign-out.
            raise Forbidden("The current password is wrong.") from None
        check_password_strength(new)
        if new == current:
            raise BadRequest("The new password must differ from the current one.")
        user = await self.store.update_user(
            who.user.id, password_hash=await hash_password_off_loop(new), must_change_password=False
        )
        await self.revoke_all(user.id, "password_changed")
        log.info("user %s changed their password; their other sessions were ended", user.id)
        self._forget_one_time_password(user)
        token, session = await self.open_session(user)
        return user, token, session

    async def set_password(self, user_id: str, password: str, *, must_change: bool = True) -> records.User:
        """Someone else (an admin, the command line) sets the password: the user's sessions end, and by
        default the user must choose their own at the next sign-in, since the setter knows this one."""
        check_password_strength(password)
        user = await self.store.update_user(
            user_id, password_hash=await hash_password_off_loop(password), must_change_password=must_change
        )
        await self.revoke_all(user.id, "password_reset")
        self._forget_one_time_password(user)
        return user

    def _forget_one_time_password(self, user: records.User) -> None:
        """The first admin's one-time password file is useless once that account has another password."""
        from chatsvc.services.bootstrap import forget_one_time_password  # bootstrap imports this module

        forget_one_time_password(self.settings, user.email)

    async def set_disabled(self, user_id: str, disabled: bool) -> records.User:
        user = await self.store.update_user(user_id, disabled=disabled)
        if disabled:
            await self.revoke_all(user.id, "account_disabled")
        return user
