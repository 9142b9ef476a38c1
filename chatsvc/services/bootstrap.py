"""First start on an empty database: the default site and an admin with a one-time password."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from chatsvc.domain.model import Role
from chatsvc.services.accounts import AccountService
from chatsvc.services.clock import Clock
from chatsvc.settings import Settings
from chatsvc.store.accounts import AccountStore

log = logging.getLogger("chatsvc.bootstrap")

DEFAULT_SITE_KEY = "default"
FIRST_ADMIN_EMAIL = "admin@localhost"
PASSWORD_FILE = "initial-admin-password.txt"


async def ensure_defaults(settings: Settings, store: AccountStore, accounts: AccountService, clock: Clock) -> None:
    if await store.find_site_by_key(DEFAULT_SITE_KEY) is None and not await store.list_sites():
        try:
            await store.create_site(
                key=DEFAULT_SITE_KEY, name="Default site", allowed_origins=settings.allowed_origins, now=clock()
            )
            log.info("created the default site (key %r), allowed origins: %s", DEFAULT_SITE_KEY,
                     ", ".join(settings.allowed_origins) or "none")
        except Exception:  # noqa: BLE001 - another process created it at the same moment
            log.debug("default site already created by another process")
    if await store.count_users() == 0:
        await _create_first_admin(settings, accounts)


async def _create_first_admin(settings: Settings, accounts: AccountService) -> None:
    password = secrets.token_urlsafe(18)
    try:
        await accounts.create_user(
            email=FIRST_ADMIN_EMAIL, name="Administrator", role=Role.ADMIN.value, password=password,
            must_change_password=True,
        )
    except Exception:  # noqa: BLE001 - another process created it first; its file holds the password
        return
    try:
        path = write_owner_only(Path(settings.data_dir) / PASSWORD_FILE, f"{FIRST_ADMIN_EMAIL}\n{password}\n")
    except OSError as exc:
        # The account exists but nobody can learn its password: say how to recover, still without the password.
        log.error(
            "first start: created admin %s but could not write its password file in %s (%s); set a password "
            "with: chatsvc user set-password %s",
            FIRST_ADMIN_EMAIL, Path(settings.data_dir).resolve(), exc.strerror, FIRST_ADMIN_EMAIL,
        )
        return
    # The password itself never goes to a log line: only where to find it.
    log.warning(
        "first start: created admin %s; its one-time password is in %s (readable only by you); "
        "you will be asked to change it at first login",
        FIRST_ADMIN_EMAIL,
        path.resolve(),
    )


def password_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / PASSWORD_FILE


def one_time_password_pending(settings: Settings) -> bool:
    """Whether the first admin's one-time password file is still there (the sign-in page points to it)."""
    try:
        return password_file(settings).is_file()
    except OSError:
        return False


def forget_one_time_password(settings: Settings, email: str) -> None:
    """Delete the one-time password file once the account it names has another password: it is useless then,
    and a secret left lying in the data directory is a risk."""
    path = password_file(settings)
    try:
        named = path.read_text().split("\n", 1)[0].strip()
    except OSError:
        return  # no file (already gone, or never written)
    if named.lower() != email.lower():
        return
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("could not delete the one-time password file %s (%s); delete it by hand", path.resolve(),
                    exc.strerror)
        return
    log.info("deleted %s: %s has chosen another password", path.resolve(), email)


def write_owner_only(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    return path
