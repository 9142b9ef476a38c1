"""Identifiers. Anything a stranger could name (conversations, visitors, sessions) is unguessable."""

from __future__ import annotations

import hashlib
import secrets


def new_id() -> str:
    """128 bits of randomness, URL-safe (22 characters), never starting with ``-``: such an id would read as an
    option on a command line and as a formula in a spreadsheet (a CSV export would have to alter it)."""
    while True:
        candidate = secrets.token_urlsafe(16)
        if not candidate.startswith("-"):
            return candidate


def new_secret() -> str:
    """256 bits, for session tokens and signing keys."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What we store in place of a bearer secret, so a database leak does not leak live sessions."""
    return hashlib.sha256(secret.encode()).hexdigest()
