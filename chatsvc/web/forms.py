"""HTML form bodies: URL-encoded only, size-bounded, every field a string.

Our forms never upload files, so multipart is refused rather than parsed; reading the body ourselves keeps
its size bounded whatever the client claims in Content-Length.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from chatsvc.errors import BadRequest

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024  # the largest form (a team with many members, a site with many origins) is far below
MAX_FIELDS = 2000
MAX_FIELD_CHARS = 8000


class Form:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value[:MAX_FIELD_CHARS])

    def get(self, name: str, default: str = "") -> str:
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, ()))

    def lines(self, name: str) -> list[str]:
        """A textarea with one item per line (commas also separate, as people paste either)."""
        text = self.get(name).replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def __contains__(self, name: str) -> bool:
        return name in self._values


async def read_form(request: Request) -> Form:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadRequest("The form is too large.")
    if not body:
        return Form([])  # a form with no fields (and so no CSRF token: refused as such, not as malformed)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise BadRequest("The form must be sent URL-encoded.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The form could not be read.") from exc
    return Form(pairs)
