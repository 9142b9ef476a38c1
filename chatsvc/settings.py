"""Configuration: environment variables with defaults that work on a laptop (all listed in the README)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from pathlib import Path


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip().rstrip("/") for item in value.split(",") if item.strip())


@dataclasses.dataclass(frozen=True)
class Settings:
    # Storage and broker, chosen by URL.
    database_url: str = "sqlite:///./chatsvc.db"
    redis_url: str = ""  # empty: the in-process broker (one process only)
    redis_prefix: str = "chatsvc:"  # every Redis channel and key starts with it (tests use their own)
    # PostgreSQL connections one process keeps open (as many again in a burst, plus up to 3 for the cluster
    # locks): N processes open at most N x (2 x this + 3), which must stay below the server's max_connections.
    database_pool: int = 10
    # Signing key for visitor tokens; empty: one is generated at first start and kept in the database,
    # so every process on the same database agrees on it.
    secret_key: str = ""
    data_dir: Path = Path("./var")  # the first admin's one-time password file lands here
    allowed_origins: tuple[str, ...] = ("http://127.0.0.1:8000", "http://localhost:8000")
    # Base URLs this server is reached at; the staff socket accepts browser handshakes only from these
    # (plus the request's own Host). Empty: the Host the request came to.
    public_urls: tuple[str, ...] = ()
    log_level: str = "info"

    # Bounds (house rule 5): each limits what one client can cost the server.
    max_frame_bytes: int = 16 * 1024  # a chat message is at most 4,000 characters; 16 KiB leaves room
    send_queue_frames: int = 256  # frames waiting for a slow reader before it is cut off (it can resume)
    rate_per_second: float = 10.0  # sustained frames per second per socket...
    rate_burst: int = 40  # ...with this burst (pasting, reconnect catch-up)
    max_connections_per_address: int = 200  # one office behind a NAT may hold many tabs
    history_page: int = 500  # events per replay round-trip
    ping_interval: float = 20.0  # WebSocket ping period, seconds
    ping_timeout: float = 20.0  # a socket that does not answer a ping in this time is closed
    hello_timeout: float = 10.0  # a socket must authenticate within this time
    # SIGTERM: /healthz says draining, sockets are told to reconnect elsewhere (1012), in-flight work finishes,
    # and the process exits within this many seconds (docs/deploy.md).
    drain_seconds: float = 10.0

    # The bot: the matcher's confidence (0-1) at or above which it offers the top article as the answer, and
    # at or above which it suggests up to three (below: "no answer", and a person is offered). Defaults chosen
    # on the labelled evaluation sets (README, "Bot deflection").
    bot_answer_threshold: float = 0.67
    bot_suggest_threshold: float = 0.52

    # People and time.
    agent_grace_seconds: float = 30.0  # a disconnected agent keeps their chats this long
    # Shared presence: each process renews its agents' leases this often; a lease not renewed for presence_ttl
    # seconds has expired (its process is gone). The grace must exceed the TTL for a dead process to be noticed
    # before the grace is over.
    presence_heartbeat: float = 5.0
    presence_ttl: float = 15.0
    # A visitor with no open socket in any process for this long has left: their chat still with the bot or
    # waiting in the queue is closed (an assigned chat is the agent's to close). Long enough for a reload,
    # a train tunnel or a server restart; short enough that the queue does not fill with ghosts.
    visitor_grace_seconds: float = 120.0
    default_capacity: int = 3  # concurrent chats per agent unless set per agent
    visitor_token_ttl: int = 30 * 24 * 3600
    session_ttl: int = 12 * 3600
    session_recheck_seconds: float = 15.0  # an open staff socket re-checks its session this often
    login_attempts: int = 5  # failed logins per address and per email within login_window
    login_window: float = 300.0
    secure_cookies: bool = False  # set true behind HTTPS

    # Tickets: mail to visitors and webhooks to other systems, both queued in the database and retried.
    smtp_url: str = ""  # smtp+starttls://user:pass@host:587, smtps://host:465, smtp://host; empty: mail_outbox
    mail_from: str = "Support <support@localhost>"
    mail_outbox: Path = Path("./var/outbox")  # where mails go without SMTP (never to the log: links are keys)
    worker_interval: float = 2.0  # how often the mail and webhook queues look for due work, seconds
    retry_base_seconds: float = 30.0  # first retry after this, then x4 each time (30 s, 2 min, 8 min...)
    max_attempts: int = 8  # a mail or webhook delivery is given up (and logged failed) after this many
    webhook_timeout: float = 10.0  # seconds for one delivery, connection included
    ticket_autoclose_days: float = 7.0  # a resolved ticket nobody reopens is closed after this

    # Manager stats: the live panel and Prometheus.
    # Bearer token for GET /metrics; empty: /metrics answers 404. Kept out of repr() so that logging or printing
    # the settings never shows it.
    metrics_token: str = dataclasses.field(default="", repr=False)
    live_stats_interval: float = 0.25  # a process announces "stats changed" at most this often, seconds
    live_stats_refresh_seconds: float = 15.0  # manager sockets get a fresh snapshot at least this often
    # The zone of the stats' days and hours ("today", 7 days, per hour): an IANA name, checked at load.
    stats_timezone: str = "UTC"

    def __post_init__(self) -> None:
        # A wrong zone would only show at the first stats request; refuse to start with it instead.
        from chatsvc.domain.metrics import load_zone

        try:
            load_zone(self.stats_timezone)
        except ValueError as exc:
            raise ValueError(f"CHATSVC_STATS_TIMEZONE: {exc}") from None
        # The live panel's pacing: 0 or NaN would spin the refresh loop (a snapshot, today's figures included,
        # as fast as the database answers); an interval of 0 turns the throttle off, which is allowed.
        if not (math.isfinite(self.live_stats_interval) and 0 <= self.live_stats_interval <= 60):
            raise ValueError("CHATSVC_LIVE_STATS_INTERVAL: seconds from 0 to 60")
        if not (math.isfinite(self.live_stats_refresh_seconds) and 1 <= self.live_stats_refresh_seconds <= 3600):
            raise ValueError("CHATSVC_LIVE_STATS_REFRESH_SECONDS: seconds from 1 to 3600")
        if not 1 <= self.database_pool <= 1000:
            raise ValueError("CHATSVC_DATABASE_POOL: connections from 1 to 1000")
        if not (math.isfinite(self.presence_heartbeat) and 0.05 <= self.presence_heartbeat <= 600):
            raise ValueError("CHATSVC_PRESENCE_HEARTBEAT: seconds from 0.05 to 600")
        if not (math.isfinite(self.presence_ttl) and self.presence_ttl > self.presence_heartbeat):
            raise ValueError("CHATSVC_PRESENCE_TTL: seconds, more than CHATSVC_PRESENCE_HEARTBEAT")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = env.get("CHATSVC_" + field.name.upper())
            if raw is None:
                continue
            current = getattr(defaults, field.name)
            if isinstance(current, bool):
                values[field.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int):
                values[field.name] = int(raw)
            elif isinstance(current, float):
                values[field.name] = float(raw)
            elif isinstance(current, tuple):
                values[field.name] = _split(raw)
            elif isinstance(current, Path):
                values[field.name] = Path(raw)
            else:
                values[field.name] = raw
        return dataclasses.replace(defaults, **values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
