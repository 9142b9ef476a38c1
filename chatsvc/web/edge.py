"""Small helpers every route uses: the services, the client's address, staff credentials, our own origins."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from chatsvc.domain.origins import normalize_origin, origin_of
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.container import Services

SESSION_COOKIE = "chatsvc_session"


def services_of(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def staff_token(conn: HTTPConnection) -> str | None:
    """The session token from the cookie (browsers) or ``Authorization: Bearer`` (other clients)."""
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return conn.cookies.get(SESSION_COOKIE) or None


async def staff_identity(conn: HTTPConnection) -> StaffIdentity:
    return await services_of(conn).accounts.authenticate(staff_token(conn))


def _request_origin(conn: HTTPConnection, scheme: str | None = None) -> str | None:
    """The origin the request came to: its scheme (or ``scheme``) and Host header, when they make one."""
    host = conn.headers.get("host", "")
    scheme = scheme or ("https" if conn.url.scheme in ("https", "wss") else "http")
    return normalize_origin(f"{scheme}://{host}") if host else None


def own_origins(conn: HTTPConnection) -> set[str]:
    """The origins of this server's own pages: configured public URLs, else the Host the request came to."""
    settings = services_of(conn).settings
    if settings.public_urls:
        return {o for o in (normalize_origin(u) for u in settings.public_urls) if o}
    origin = _request_origin(conn)
    return {origin} if origin else set()


def public_base_url(conn: HTTPConnection) -> str:
    """Where people reach this server, for URLs shown to them or put in a page (the widget's embed snippet,
    the home page's demo): the ``CHATSVC_PUBLIC_URLS`` entry this request came to (its host is the Host
    header), else the first entry; without public URLs, the scheme and Host of this request (behind a proxy,
    what it forwarded)."""
    settings = services_of(conn).settings
    for url in settings.public_urls:
        origin = origin_of(url)
        if origin is not None and origin == _request_origin(conn, urlsplit(url).scheme):
            return url.rstrip("/")
    if settings.public_urls:
        return settings.public_urls[0].rstrip("/")
    return _request_origin(conn) or str(conn.base_url).rstrip("/")


def same_origin(conn: HTTPConnection) -> bool:
    """Browsers send Origin on WebSocket handshakes and cross-site requests; absent means not a browser."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    normalized = normalize_origin(origin)
    return normalized is not None and normalized in own_origins(conn)
