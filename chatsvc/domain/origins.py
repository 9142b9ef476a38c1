"""Origin checks: exact matches against an allow-list, never substrings or patterns."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case with default ports dropped; None for anything else."""
    value = value.strip()
    if not value or value == "null":
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if port == 0:
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_of(url: str) -> str | None:
    """The origin (``scheme://host[:port]``, normalized) of an http(s) URL that may have a path; None when
    there is none."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return normalize_origin(f"{parts.scheme}://{parts.netloc}") if parts.netloc else None


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    if origin is None:
        return False
    wanted = normalize_origin(origin)
    if wanted is None:
        return False
    return any(wanted == normalize_origin(candidate) for candidate in allowed)
