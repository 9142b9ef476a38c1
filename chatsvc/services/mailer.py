"""The mail worker: sends what the outbox queue holds, by SMTP or as files, retrying with backoff.

Where mail goes (``CHATSVC_SMTP_URL``):

- empty: each mail is written to ``<mail_outbox>/<created>-<id>.eml`` (file 0600 in a directory made 0700;
  written under a temporary name and renamed, so a reader never sees half a mail);
- ``smtp://[user:pass@]host[:port]`` (port 25): plain SMTP, no STARTTLS. For a relay on this machine or a
  trusted network; with a user and password it is refused unless the host is loopback, since the password
  would cross the network in clear;
- ``smtp+starttls://[user:pass@]host[:port]`` (port 587): STARTTLS required, certificate verified;
- ``smtps://[user:pass@]host[:port]`` (port 465): implicit TLS, certificate verified.

User and password are URL-decoded (``%40`` for ``@``). One SMTP exchange may take ``SMTP_TIMEOUT`` seconds.

A failed attempt is retried after ``retry_base_seconds * 4**(attempts-1)`` (at most six hours, ±10% jitter so
a crowd of mails does not return at one instant) until ``max_attempts``; an SMTP 5xx answer (a refused
recipient, say) fails the mail at once, as does an address that cannot be put in a header.

Log lines name the mail id, its kind and the recipient's *domain*: never the address, subject, body or link
(the link opens the ticket: it is a credential).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import ipaddress
import logging
import os
import random
import re
import secrets
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from chatsvc.domain.mail import build_message, recipient_domain, sender_address
from chatsvc.services.clock import Clock, utcnow
from chatsvc.services.tasks import stop_task, wait_for_poke
from chatsvc.settings import Settings
from chatsvc.store.database import Database
from chatsvc.store.outbox import OutboxStore, QueuedMail

log = logging.getLogger("chatsvc.mail")

SMTP_TIMEOUT = 30.0  # seconds for one SMTP exchange, connection included
BATCH = 20  # mails claimed per round
# A claimed mail is held this long: a whole batch of slow sends fits in it, and a worker that died mid-send
# gives its mails back to the others after it.
LEASE_SECONDS = BATCH * SMTP_TIMEOUT + 60
MAX_RETRY_SECONDS = 6 * 3600
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@")


@dataclasses.dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (smtps)
    start_tls: bool  # STARTTLS required (smtp+starttls); False: never attempted


def parse_smtp_url(url: str) -> SmtpTarget:
    """``CHATSVC_SMTP_URL`` to connection parameters; ValueError with the reason for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(
            f"CHATSVC_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {scheme!r}"
        )
    if not parts.hostname:
        raise ValueError("CHATSVC_SMTP_URL has no host")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme == "smtp" and (username or password) and not _is_loopback(parts.hostname):
        raise ValueError(
            "CHATSVC_SMTP_URL: smtp:// would send the password in clear; use smtp+starttls:// or smtps://"
        )
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[scheme],
        username=username,
        password=password,
        use_tls=scheme == "smtps",
        start_tls=scheme == "smtp+starttls",
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_delay(attempts: int, base_seconds: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base, ×4 each time, capped, ±10% jitter."""
    delay = min(base_seconds * 4 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    return delay * (rng or random).uniform(0.9, 1.1)


class PermanentFailure(Exception):
    """This mail can never be delivered as it is: no retry."""


class Mailer:
    def __init__(self, settings: Settings, db: Database, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.store = OutboxStore(db)
        self.clock = clock
        # Checked at construction, so a bad URL stops the server at start instead of failing every mail.
        self.smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.envelope_from = sender_address(settings.mail_from)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            smtp = self.smtp
            where = f"SMTP {smtp.hostname}:{smtp.port}" if smtp else f"files in {self.settings.mail_outbox}"
            log.info("mail worker started: %s", where)
            self._task = asyncio.create_task(self._run(), name="chatsvc-mailer")

    def poke(self) -> None:
        """Look at the queue now rather than at the next interval (call it after committing an enqueue)."""
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a poke that arrives during it starts the next one at once
            try:
                handled = await self.run_once()
            except Exception:  # the database may be away for a moment: the worker must outlive it
                log.exception(
                    "mail worker round failed; trying again in %.0f s", self.settings.worker_interval
                )
                handled = 0
            if handled >= BATCH:
                continue  # more may be due: no pause
            await wait_for_poke(self._wake, self.settings.worker_interval)

    # --- one round ------------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim the mails due now and try each once; returns how many were tried."""
        claimed = await self.store.claim_due(self.clock(), LEASE_SECONDS, BATCH)
        for mail in claimed:
            await self._deliver(mail)
        return len(claimed)

    async def _deliver(self, mail: QueuedMail) -> None:
        domain = recipient_domain(mail.to_address)
        try:
            message = build_message(mail.composed(), self.settings.mail_from, now=self.clock())
        except ValueError as exc:  # e.g. an address that cannot go in a header: no retry will change that
            await self._failed_attempt(mail, domain, PermanentFailure(str(exc)))
            return
        try:
            if self.smtp is not None:
                await self._send_smtp(mail, message)
                via = "smtp"
            else:
                await asyncio.to_thread(self._write_file, mail, message)
                via = "outbox file"
        except Exception as exc:  # noqa: BLE001 - a failure of one mail is recorded on it, never raised
            await self._failed_attempt(mail, domain, exc)
            return
        await self.store.mark_sent(mail.id, self.clock())
        log.info("mail %s (%s) sent to a recipient at %s by %s", mail.id, mail.kind, domain, via)

    async def _failed_attempt(self, mail: QueuedMail, domain: str, exc: BaseException) -> None:
        reason = _describe(exc)
        attempts = mail.attempts + 1
        if _is_permanent(exc) or attempts >= self.settings.max_attempts:
            await self.store.mark_failed(mail.id, reason)
            log.warning(
                "mail %s (%s) to a recipient at %s failed after %d attempt(s), given up: %s",
                mail.id,
                mail.kind,
                domain,
                attempts,
                reason,
            )
            return
        delay = retry_delay(attempts, self.settings.retry_base_seconds)
        await self.store.mark_retry(
            mail.id, attempts, self.clock() + datetime.timedelta(seconds=delay), reason
        )
        log.warning(
            "mail %s (%s) to a recipient at %s not delivered (attempt %d of %d), next try in %.0f s: %s",
            mail.id,
            mail.kind,
            domain,
            attempts,
            self.settings.max_attempts,
            delay,
            reason,
        )

    async def _send_smtp(self, mail: QueuedMail, message: EmailMessage) -> None:
        assert self.smtp is not None
        target = self.smtp
        await aiosmtplib.send(
            message,
            sender=self.envelope_from,
            recipients=[str(message["To"].addresses[0].addr_spec)],
            hostname=target.hostname,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.use_tls,
            start_tls=target.start_tls,
            timeout=SMTP_TIMEOUT,
        )

    def _write_file(self, mail: QueuedMail, message: EmailMessage) -> None:
        directory = Path(self.settings.mail_outbox)
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # whatever the umask: these files hold ticket links
        created = mail.created_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = directory / f"{created}-{mail.id}.eml"
        # A dot name that no "*.eml" reader picks up, unique so a crashed earlier try cannot be in the way.
        temporary = directory / f".{final.name}.{secrets.token_hex(4)}.tmp"
        data = message.as_bytes(policy=policy.SMTP)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())  # marked sent next: the bytes must be on disk first
            os.replace(temporary, final)  # the same name on a retry: the file is written once, whole
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be opened and synced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, PermanentFailure):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 500 <= exc.code < 600
    return False


def _describe(exc: BaseException) -> str:
    """The error for the log and the admin's mail log, with any address in it reduced to its domain."""
    text = " ".join(str(exc).split())
    text = _ADDRESS.sub("…@", text)
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
