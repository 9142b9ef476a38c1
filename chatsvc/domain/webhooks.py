"""Outbound webhooks, the pure part: signing, the URL rules, the retry schedule (no I/O).

A receiver checks a delivery by recomputing ``sign(secret, timestamp, body)`` over the exact bytes it got and
the ``X-Chatsvc-Timestamp`` header, comparing in constant time, and refusing old timestamps (``verify``). The
timestamp is inside the signed bytes, so a captured delivery cannot be replayed later with a fresh timestamp.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import ipaddress
import re
from urllib.parse import urlsplit

from chatsvc.errors import BadRequest

SIGNATURE_HEADER = "X-Chatsvc-Signature"
TIMESTAMP_HEADER = "X-Chatsvc-Timestamp"
EVENT_HEADER = "X-Chatsvc-Event"
DELIVERY_HEADER = "X-Chatsvc-Delivery"
USER_AGENT = "chatsvc-webhooks/1"

SIGNATURE_PREFIX = "sha256="
MAX_URL_LENGTH = 2000  # the column's size
MAX_BACKOFF_SECONDS = 6 * 3600.0  # a receiver down for a day still gets its deliveries a few times a day
DEFAULT_TOLERANCE = 300  # seconds a receiver should accept between our clock and its own

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Host names as they appear in URLs, ASCII only (IDN hosts in their punycode form). Numeric forms such as
# ``2130706433`` or ``0177.0.0.1`` pass here on purpose: what they resolve to is checked before each
# connection.
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?\.?$")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 keyed by the webhook's secret over ``b"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: float | datetime.datetime,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """What a receiver does: the signature matches (constant-time) and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = now.timestamp() if isinstance(now, datetime.datetime) else float(now)
    if abs(current - stamp) > tolerance:
        return False
    if not isinstance(signature, str) or len(signature) > 200:
        return False
    return hmac.compare_digest(sign(secret, stamp, body).encode(), signature.encode())


def backoff_seconds(attempts: int, base: float) -> float:
    """The wait after the ``attempts``-th failed attempt: base, 4 x base, 16 x base... at most 6 hours."""
    exponent = max(0, attempts - 1)
    if exponent > 30:  # 4**30 x any sane base is far past the cap; avoid huge floats
        return MAX_BACKOFF_SECONDS
    return float(min(MAX_BACKOFF_SECONDS, base * 4**exponent))


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a webhook URL points, split the way a delivery needs it."""

    scheme: str  # http | https
    host: str  # as written in the URL, without brackets, lower case
    port: int
    path: str  # path and query, at least "/"

    @property
    def is_ip_literal(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def host_header(self) -> str:
        """The Host header the receiver expects: the URL's host (and port when not the scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def validate_url(url: str) -> str:
    """The URL if it is an acceptable webhook target syntactically, else BadRequest saying why.

    Only http(s), a host, no user:password (it would be sent to whoever answers and logged by proxies), no
    fragment, at most 2,000 characters. Where the host resolves to is a separate, later check
    (``services.ssrf``).
    """
    parse_target(url)
    return url.strip()


def parse_target(url: str) -> Target:
    url = url.strip()
    if not url:
        raise BadRequest("The webhook URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"The webhook URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url) or not url.isascii():
        raise BadRequest("The webhook URL may not contain spaces, control or non-ASCII characters "
                         "(percent-encode them; use the punycode form of international host names).")
    if "\\" in url:
        raise BadRequest("The webhook URL may not contain backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"The webhook URL is not valid: {str(exc)[:100]}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BadRequest("The webhook URL must start with http:// or https://.")
    if "#" in url:
        raise BadRequest("The webhook URL may not have a #fragment.")
    if "@" in parts.netloc:
        raise BadRequest(
            "The webhook URL may not contain a user name or password; put credentials in the path "
            "or rely on the signature."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise BadRequest("The webhook URL must name a host.")
    if parts.netloc.startswith("["):
        try:
            if "%" in host:  # a zone id ("%eth0") names an interface of this machine
                raise ValueError(host)
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise BadRequest("The webhook URL's IPv6 address is not valid.") from exc
    elif not _HOST.match(host) or ".." in host:
        raise BadRequest("The webhook URL's host name is not valid.")
    if port == 0:
        raise BadRequest("The webhook URL's port is not valid.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port or _DEFAULT_PORTS[scheme], path=path)
