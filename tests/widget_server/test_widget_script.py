"""GET /widget.js: the built widget, compressed, cached and revalidated, or 404 when it is not built."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chatsvc.web import widget_script
from chatsvc.web.widget_script import accepts_gzip, matches_etag
from tests.support.servers import Backend, InProcessServer
from tests.widget_server.conftest import SCRIPT


async def test_the_script_is_served_with_its_headers(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        plain = await http.get("/widget.js", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert plain.content == SCRIPT.encode()
        assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
        assert plain.headers["cache-control"] == "public, max-age=300"
        assert plain.headers["x-content-type-options"] == "nosniff"
        assert plain.headers["vary"] == "Accept-Encoding"
        assert "content-encoding" not in plain.headers
        etag = plain.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10

        # httpx asks for gzip and decodes it; the raw bytes on the wire are the compressed ones.
        async with http.stream("GET", "/widget.js", headers={"Accept-Encoding": "gzip, deflate, br"}) as streamed:
            raw = b"".join([chunk async for chunk in streamed.aiter_raw()])
            assert streamed.headers["content-encoding"] == "gzip"
            assert streamed.headers["vary"] == "Accept-Encoding"
            # Other bytes, so another strong ETag: a cache must never serve one variant for the other.
            assert streamed.headers["etag"] == etag[:-1] + '-gz"'
            assert int(streamed.headers["content-length"]) == len(raw) < len(SCRIPT)
        assert gzip.decompress(raw) == SCRIPT.encode()


async def test_a_known_version_is_answered_304(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        plain = (await http.get("/widget.js", headers={"Accept-Encoding": "identity"})).headers["etag"]
        gzipped = (await http.get("/widget.js", headers={"Accept-Encoding": "gzip"})).headers["etag"]
        assert gzipped != plain
        # Either variant's tag names this release: the answer carries the tag of the variant asked for now.
        for encoding, expected in (("identity", plain), ("gzip", gzipped)):
            for header in (plain, gzipped, f"W/{plain}", f"W/{gzipped}", f'"other", {gzipped}', "*"):
                cached = await http.get("/widget.js", headers={"If-None-Match": header, "Accept-Encoding": encoding})
                assert cached.status_code == 304, (encoding, header)
                assert cached.content == b""
                assert cached.headers["etag"] == expected
                assert cached.headers["cache-control"] == "public, max-age=300"
                assert cached.headers["vary"] == "Accept-Encoding"
                assert "content-encoding" not in cached.headers
        for older in ('"an-older-version"', '"an-older-version-gz"', plain[:-1] + '-br"'):
            stale = await http.get("/widget.js", headers={"If-None-Match": older})
            assert stale.status_code == 200 and stale.content == SCRIPT.encode(), older


async def test_the_file_is_read_once_at_start(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        built_widget.write_text("changed after the start")
        assert (await http.get("/widget.js")).content == SCRIPT.encode()


async def test_without_a_built_file_the_route_answers_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_backend: Backend,
    start_server: Callable[..., InProcessServer],
) -> None:
    monkeypatch.setattr(widget_script, "SCRIPT_PATH", tmp_path / "not-built.js")
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        missing = await http.get("/widget.js")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        assert "javascript" not in missing.headers["content-type"]
        assert missing.headers["cache-control"] == "no-store"  # found as soon as it is built


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True), ("GZIP", True), ("br, gzip;q=0.5", True), ("*", True), ("x-gzip", True),
        ("", False), ("identity", False), ("br", False), ("gzip;q=0", False), ("gzip;q=0.0, *", False),
        ("*;q=0", False), ("*, gzip;q=0", False), ("gzip;q=nope", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, gzip_ok: bool) -> None:
    assert accepts_gzip(header) is gzip_ok


def test_if_none_match_compares_weakly() -> None:
    assert matches_etag('"abc"', '"abc"') and matches_etag('W/"abc"', '"abc"') and matches_etag("*", '"abc"')
    assert matches_etag('"x", "abc"', '"abc"')
    assert not matches_etag('"abcd"', '"abc"') and not matches_etag("", '"abc"') and not matches_etag("abc", '"abc"')
