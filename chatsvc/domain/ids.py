"""Identifiers. Anything a stranger could name (conversations, visitors, sessions) is unguessable."""

from __future__ import annotations

import hashlib
import secrets


def new_id() -> str:
    """128 bits of randomness, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def new_secret() -> str:
    """256 bits, for session tokens and signing keys."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What we store in place of a bearer secret, so a database leak does not leak live sessions."""
    return hashlib.sha256(secret.encode()).hexdigest()
