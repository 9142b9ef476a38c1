"""The home page embeds the default site's widget the way a customer's page would, or says why it cannot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chatsvc.web import widget_script
from tests.support.servers import Backend, InProcessServer


def _widget_tags(html: str) -> list[str]:
    return re.findall(r"<script [^>]*widget\.js[^>]*>", html)


async def _allow_own_origin(server: InProcessServer) -> None:
    site = await server.services.account_store.find_site_by_key("default")
    assert site is not None
    await server.services.account_store.update_site(
        site.id, allowed_origins=[*site.allowed_origins, server.url]
    )


async def test_the_home_page_embeds_the_widget_from_its_own_origin(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        await _allow_own_origin(server)
        english = (await http.get("/?lang=en")).text
        french = (await http.get("/?lang=fr")).text
        assert _widget_tags(english) == [
            f'<script src="{server.url}/widget.js" data-site="default" data-lang="en" async>'
        ]
        assert _widget_tags(french) == [
            f'<script src="{server.url}/widget.js" data-site="default" data-lang="fr" async>'
        ]
        head = english.split("</head>")[0]
        assert "/widget.js" in head
        assert "Try the widget" in english and "Essayez le widget" in french
        assert "cannot open on this page" not in english
        # The tag shown is the tag embedded.
        assert f'&lt;script src="{server.url}/widget.js"\n  data-site="default" data-lang="en" async&gt;' in english
        # What the page's widget will ask for answers this origin.
        config = await http.get("/api/visitor/widget?site=default", headers={"Origin": server.url})
        assert config.status_code == 200 and config.headers["access-control-allow-origin"] == server.url
        assert (await http.get("/widget.js")).status_code == 200


async def test_a_page_origin_the_site_refuses_gets_a_note_instead_of_a_widget(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        english = (await http.get("/?lang=en")).text
        french = (await http.get("/?lang=fr")).text
    assert _widget_tags(english) == [] and _widget_tags(french) == []
    assert "The widget cannot open on this page" in english
    assert "Le widget ne peut pas s&#39;ouvrir sur cette page" in french
    assert f"This page&#39;s origin, {server.url}, is not among" in english
    # How to allow it, keeping the origins already allowed (the command replaces the list).
    command = f"chatsvc site set-origins default https://shop.example {server.url}"
    assert command in english and command in french


async def test_without_the_default_site_the_page_says_how_to_make_it(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        site = await server.services.account_store.find_site_by_key("default")
        assert site is not None
        await server.services.account_store.delete_site(site.id)
        page = await http.get("/?lang=en")
    assert page.status_code == 200
    assert _widget_tags(page.text) == []
    assert "No site has the key default" in page.text
    assert f'chatsvc site add --key default --name "Default site" --origin {server.url}' in page.text.replace(
        "&#34;", '"')


async def test_without_a_built_widget_the_page_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_backend: Backend,
    start_server: Callable[..., InProcessServer],
) -> None:
    monkeypatch.setattr(widget_script, "SCRIPT_PATH", tmp_path / "not-built.js")
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        await _allow_own_origin(server)
        page = (await http.get("/?lang=en")).text
    assert _widget_tags(page) == []
    assert "run make widget" in page


async def test_a_forged_host_header_stays_inert(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    async with start_server(sqlite_backend) as server, httpx.AsyncClient(base_url=server.url) as http:
        page = (await http.get("/?lang=en", headers={"Host": 'evil.test"><script>alert(1)</script>'})).text
    assert "<script>alert(1)" not in page
    assert _widget_tags(page) == []  # that "origin" is not allowed: no widget, only escaped text
