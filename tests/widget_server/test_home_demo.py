"""The home page embeds the default site's widget the way a customer's page would, or says why it cannot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chatsvc.web import widget_script
from tests.support.servers import Backend, InProcessServer
from tests.widget_server import admin_http


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
        async with await admin_http(server) as admin, await admin_http(server, "Bob", role="agent") as agent:
            as_admin = (await admin.get("/?lang=en")).text
            as_agent = (await agent.get("/?lang=en")).text
    assert _widget_tags(english) == [] and _widget_tags(french) == [] and _widget_tags(as_admin) == []
    assert "The widget cannot open on this page" in english
    assert "Le widget ne peut pas s&#39;ouvrir sur cette page" in french
    assert f"This page&#39;s origin, {server.url}, is not among" in english
    # Anyone may read the home page: the customer's allowed sites are not theirs to see.
    for page in (english, french, as_agent):
        assert "https://shop.example" not in page
        assert f"chatsvc site list\nchatsvc site set-origins default … {server.url}" in page
    assert "chatsvc site list shows the origins allowed now" in english
    assert "chatsvc site list affiche les origines autorisées" in french
    # A signed-in admin gets the command that keeps the origins already allowed (it replaces the list).
    assert f"chatsvc site set-origins default https://shop.example {server.url}" in as_admin
    assert '<a href="/admin/sites">' in as_admin


async def test_the_demo_embeds_from_the_public_url_the_page_was_reached_at(
    built_widget: Path, sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    public = "https://chat.example.com/support"  # behind a proxy that terminates TLS, under a path
    server = start_server(sqlite_backend)
    server.settings = server.settings.replace(public_urls=(public, server.url))
    async with server, httpx.AsyncClient(base_url=server.url) as http:
        await _allow_own_origin(server)
        # Reached at its own address: that public URL.
        direct = (await http.get("/?lang=en")).text
        assert _widget_tags(direct) == [
            f'<script src="{server.url}/widget.js" data-site="default" data-lang="en" async>'
        ]
        # Reached through the proxy (plain HTTP inside, the Host it forwards): the proxy's public URL, whose
        # origin the site does not allow yet.
        proxied = (await http.get("/?lang=en", headers={"Host": "chat.example.com"})).text
        assert _widget_tags(proxied) == []
        assert "This page&#39;s origin, https://chat.example.com, is not among" in proxied
        site = await server.services.account_store.find_site_by_key("default")
        assert site is not None
        await server.services.account_store.update_site(
            site.id, allowed_origins=[*site.allowed_origins, "https://chat.example.com"]
        )
        proxied = (await http.get("/?lang=en", headers={"Host": "chat.example.com"})).text
        assert _widget_tags(proxied) == [
            f'<script src="{public}/widget.js" data-site="default" data-lang="en" async>'
        ]
        # A Host that is none of them: the first public URL, never the Host itself.
        other = (await http.get("/?lang=en", headers={"Host": "elsewhere.example"})).text
        assert _widget_tags(other) == [
            f'<script src="{public}/widget.js" data-site="default" data-lang="en" async>'
        ]
        assert "elsewhere.example" not in other


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
