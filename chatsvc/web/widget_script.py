"""``GET /widget.js``: the built widget (``chatsvc/web/static/widget.js``, made by ``widget/build.py``).

Read and gzip-compressed once when the app is made, so each request only picks the bytes: every page of every
customer site loads it. Cached briefly by browsers (a new release reaches visitors within minutes) and
revalidated by ETag. The gzip and plain variants are different bytes, so each has its own strong ETag (the
gzip one ends in ``-gz``); a revalidation naming either is answered 304, as both stand for the same release.
Without a built file the route answers 404 (never cached) rather than an empty script.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatsvc.errors import NotFound
from chatsvc.web.errors import error_response

SCRIPT_PATH = Path(__file__).parent / "static" / "widget.js"
MAX_AGE = 300


@dataclasses.dataclass(frozen=True)
class WidgetScript:
    plain: bytes
    gzipped: bytes
    etag: str  # of the plain bytes
    gzip_etag: str  # of the gzip-encoded bytes: a strong ETag names one byte sequence

    @classmethod
    def load(cls, path: Path | None = None) -> WidgetScript | None:
        """The script at ``path`` (default ``SCRIPT_PATH``, read when called), or None when it is not built."""
        try:
            plain = (path or SCRIPT_PATH).read_bytes()
        except FileNotFoundError:
            return None
        # mtime=0: the same bytes give the same compressed bytes, on every process behind a load balancer.
        gzipped = gzip.compress(plain, compresslevel=9, mtime=0)
        version = hashlib.sha256(plain).hexdigest()[:32]
        return cls(plain=plain, gzipped=gzipped, etag=f'"{version}"', gzip_etag=f'"{version}-gz"')


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip: named (or ``*``) with a non-zero quality, not refused by name."""
    named: float | None = None
    wildcard: float | None = None
    for part in accept_encoding.lower().split(",")[:30]:
        coding, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding in ("gzip", "x-gzip"):
            named = quality
        elif coding == "*":
            wildcard = quality
    if named is not None:
        return named > 0
    return wildcard is not None and wildcard > 0


def matches_etag(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` names this version (weak comparison, as RFC 9110 asks for this header)."""
    if if_none_match.strip() == "*":
        return True
    tags = (tag.strip() for tag in if_none_match.split(","))
    return any(tag.removeprefix("W/") == etag for tag in tags)


async def widget_js(request: Request) -> Response:
    script: WidgetScript | None = request.app.state.widget_script
    if script is None:
        missing = error_response(NotFound("The widget is not built: run python widget/build.py."))
        missing.headers["Cache-Control"] = "no-store"  # a build moments later must be found at once
        return missing
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "ETag": script.gzip_etag if gzipped else script.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if_none_match = request.headers.get("if-none-match", "")
    if matches_etag(if_none_match, script.etag) or matches_etag(if_none_match, script.gzip_etag):
        # The caching headers of the variant this request would get (RFC 9110 section 15.4.5), no body.
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = script.gzipped if gzipped else script.plain
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


routes: list[BaseRoute] = [Route("/widget.js", widget_js, methods=["GET"])]
