"""The home and Sites pages say what exists today and mark what is coming, in both languages."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import signed_in_browser
from tests.support.servers import InProcessServer


async def test_home_lists_what_exists_and_marks_what_is_coming(sqlite_server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=sqlite_server.url) as http:
        english = (await http.get("/?lang=en")).text
        french = (await http.get("/?lang=fr")).text
    for needle in ("chatsvc kb import", "chatsvc kb export", "chatsvc kb eval", "/api/kb/articles", "/api/menu",
                   "/api/canned", "docs/protocol.md", "docs/architecture.md", "bench/README.md", "README.md"):
        assert needle in english and needle in french, needle
    # The widget, the console and the manager page exist; several server processes are what is coming.
    now, _, coming = english.partition('id="next-title"')
    assert "One script tag" in now and "One script tag" not in coming
    assert "The agent console" in now and "The agent console" not in coming
    assert "The manager page" in now and "The manager page" not in coming and "/manager" in now
    assert "Several server processes" in coming and "Several server processes" not in now
    assert "Not there yet" not in english and "Pas encore là" not in french
    assert "A console for agents" not in english and "managers watch the queue" not in english
    assert "Coming next" in english and "Prochainement" in french and "À venir" in french
    fr_now, _, fr_coming = french.partition('id="next-title"')
    assert "La page des responsables" in fr_now and "Plusieurs processus serveur" in fr_coming
    # Every card has an icon of its own.
    icons = [part.split('"')[0] for part in english.split('class="feature-icon ')[1:]]
    assert len(icons) == 10 and len(set(icons)) == len(icons), icons


async def test_sites_page_says_what_the_key_is_for(sqlite_server: InProcessServer) -> None:
    admin = await sqlite_server.add_staff("Ada Admin", role="admin")
    async with signed_in_browser(sqlite_server, admin.email) as client:
        english = (await client.get("/admin/sites?lang=en")).text
        french = (await client.get("/admin/sites?lang=fr")).text
    for page in (english, french):
        assert "/api/visitor/session" in page and "/ws/visitor?site=" in page
        assert 'data-site="default"' in page  # each site's embed snippet
    assert "through the widget" in english and "avec le widget" in french
    assert "coming" not in english.split('id="widget-')[0]
