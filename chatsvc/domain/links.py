"""Ticket links: the signed token in a visitor's ``/ticket-status/<token>`` link (SECURITY.md case 10).

The token is the ticket id under a server signature, so it cannot be guessed, walked or forged, and the link
works for as long as the ticket exists: visitors answer weeks later, so there is no expiry. Every failure
(tampered, truncated, signed with another key, absurd length, wrong payload) is the same ``NotFound`` a
missing ticket gives: the caller learns nothing about which.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer

from chatsvc.errors import NotFound

_SALT = "chatsvc.ticket-link.v1"  # its own salt: a visitor token can never pass for a ticket link
MAX_TOKEN_CHARS = 300  # a real token is under 100 characters; anything longer is refused before any work


class TicketLinks:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt=_SALT)

    def token(self, ticket_id: str) -> str:
        return str(self._serializer.dumps(ticket_id))

    def ticket_id(self, token: str) -> str:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise NotFound("No such ticket.")
        try:
            payload = self._serializer.loads(token)
        except (BadData, UnicodeError, ValueError) as exc:
            raise NotFound("No such ticket.") from exc
        # Only the exact token we issue: base64's unused low bits would otherwise let a few different strings
        # pass for one token, and a link is a credential that must have a single spelling.
        if not isinstance(payload, str) or not payload or self.token(payload) != token:
            raise NotFound("No such ticket.")
        return payload

    def url(self, base_url: str, ticket_id: str) -> str:
        return f"{base_url.rstrip('/')}/ticket-status/{self.token(ticket_id)}"
