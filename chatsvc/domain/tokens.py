"""Visitor tokens: a server signature over (visitor id, site id, issue time).

The visitor id inside carries 128 bits of randomness and the HMAC makes the token unforgeable; a token
signed for one site opens nothing on another. Any failure reads the same to the caller.
"""

from __future__ import annotations

import dataclasses

from itsdangerous import BadData, URLSafeTimedSerializer

from chatsvc.errors import Unauthorized

_SALT = "chatsvc.visitor-token.v1"


@dataclasses.dataclass(frozen=True)
class VisitorClaims:
    visitor_id: str
    site_id: str


class VisitorTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self._ttl = ttl_seconds

    def issue(self, claims: VisitorClaims) -> str:
        return str(self._serializer.dumps({"v": claims.visitor_id, "s": claims.site_id}))

    def verify(self, token: str, *, site_id: str | None = None) -> VisitorClaims:
        try:
            data = self._serializer.loads(token, max_age=self._ttl)
        except BadData as exc:
            raise Unauthorized() from exc
        if not isinstance(data, dict) or not isinstance(data.get("v"), str) or not isinstance(data.get("s"), str):
            raise Unauthorized()
        claims = VisitorClaims(visitor_id=data["v"], site_id=data["s"])
        if site_id is not None and claims.site_id != site_id:
            raise Unauthorized()
        return claims
