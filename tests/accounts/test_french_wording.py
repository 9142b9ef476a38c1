"""French pages: typographic spaces that do not break, counts in the singular or plural, translated examples."""

from __future__ import annotations

from chatsvc.web.i18n import STRINGS, Translator, french_spacing
from tests.accounts.helpers import signed_in_browser
from tests.support.servers import InProcessServer


def test_french_punctuation_never_starts_a_line() -> None:
    for key, text in STRINGS["fr"].items():
        for mark in (" :", " ;", " ?", " !", "« ", " »"):
            assert mark not in text, (key, text)
    assert french_spacing("Vide : oui ? « x »") == "Vide\u00a0: oui\u00a0? «\u00a0x\u00a0»"
    assert french_spacing("https://example.com:8080") == "https://example.com:8080"


def test_counts_are_singular_or_plural() -> None:
    en, fr = Translator("en"), Translator("fr")
    assert en.plural("teams.member_count", 1) == "1 member" and en.plural("teams.member_count", 2) == "2 members"
    assert en.plural("teams.member_count", 0) == "0 members"
    assert fr.plural("teams.member_count", 0) == "0 membre" and fr.plural("teams.member_count", 3) == "3 membres"
    assert en.plural("kb.alt_count", 1) == "asked 1 other way"
    assert fr.plural("kb.alt_count", 1) == "1 autre formulation"
    assert fr.plural("kb.alt_count", 2) == "2 autres formulations"
    assert not any("(s)" in text for table in STRINGS.values() for text in table.values())


async def test_french_admin_pages(sqlite_server: InProcessServer) -> None:
    admin = await sqlite_server.add_staff("Ada Admin", role="admin")
    async with signed_in_browser(sqlite_server, admin.email) as client:
        users = (await client.get("/admin/users?lang=fr")).text
        teams = (await client.get("/admin/teams?lang=fr")).text
        canned = (await client.get("/canned?lang=fr")).text
        menu = (await client.get("/admin/menu?lang=fr")).text
        password = (await client.get("/account/password?lang=fr")).text
    assert "Chats simultanés\u00a0: par défaut (3)" in users and "simultanés:" not in users
    assert 'placeholder="facturation"' in teams and "comme facturation" in teams
    assert 'placeholder="remboursement"' in canned and 'placeholder="refund"' not in canned
    assert 'placeholder="billing"' not in menu
    assert "Confirmer le nouveau mot de passe" in password
    # The depth limit is said once, on the limits line.
    assert menu.count("niveaux") == 1
