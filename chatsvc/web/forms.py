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
    def __init__(self, pairs: list[tuple[str, str]], *, max_field_chars: int = MAX_FIELD_CHARS) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value[:max_field_chars])

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


async def read_form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_field_chars: int = MAX_FIELD_CHARS
) -> Form:
    """The form's fields; a page with a larger field (an article's body) passes its own, still bounded, limits."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BadRequest("The form is too large.")
    if not body:
        return Form([])  # a form with no fields (and so no CSRF token: refused as such, not as malformed)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise BadRequest("The form must be sent URL-encoded.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The form could not be read.") from exc
    return Form(pairs, max_field_chars=max_field_chars)
