"""The console page and the public help page over real HTTP (SQLite): who may open /console, what the page
hands its script, that it carries no inline code and no visitor text, that every string it uses exists in English
and French; /help/{id} for published articles only, sanitized, in both languages."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from chatsvc.web import console_pages
from chatsvc.web.i18n import EN, FR
from tests.accounts.helpers import browser, form_token, signed_in_browser
from tests.support.people import People, people_on
from tests.support.servers import STAFF_PASSWORD, Backend, InProcessServer

STATIC = Path(console_pages.__file__).parent / "static"
TEMPLATES = Path(console_pages.__file__).parent / "templates"
HOSTILE = '<img src=x onerror=alert(1)>"</script><script>alert(2)</script>'


@pytest.fixture
async def server(sqlite_backend: Backend, start_server) -> InProcessServer:  # type: ignore[no-untyped-def]
    async with start_server(sqlite_backend) as running:
        yield running


@pytest.fixture
async def people(server: InProcessServer) -> People:
    return await people_on(server)


class _Page(HTMLParser):
    """Scripts (src, type, body), event-handler attributes and the data island of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if "style" in values:
            self.styles.append(tag)
        if tag == "script":
            self._in_script = {"src": values.get("src"), "type": values.get("type"), "id": values.get("id"),
                               "body": ""}
            self.scripts.append(self._in_script)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._in_script["body"] = (self._in_script["body"] or "") + data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def island(page: str) -> dict[str, object]:
    scripts = [s for s in parse(page).scripts if s["id"] == "cx-data"]
    assert len(scripts) == 1
    return dict(json.loads(scripts[0]["body"] or "{}"))


# --- who may open /console ------------------------------------------------------------------------------------


async def test_signed_out_browser_goes_to_sign_in(server: InProcessServer) -> None:
    async with browser(server) as client:
        response = await client.get("/console")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/console"
        # A made-up or ended session is the same.
        client.cookies.set("chatsvc_session", "not-a-session")
        response = await client.get("/console")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/console"


async def test_sign_in_comes_back_to_the_console(server: InProcessServer, people: People) -> None:
    async with browser(server) as client:
        page = await client.get("/login?next=/console")
        response = await client.post("/login", data={
            "email": people.agent.email, "password": STAFF_PASSWORD, "next": "/console",
            "csrf": form_token(page.text)})
        assert response.status_code == 303 and response.headers["location"] == "/console"
        assert (await client.get("/console")).status_code == 200


async def test_password_change_pending_goes_to_the_password_page(server: InProcessServer) -> None:
    user = await server.services.accounts.create_user(
        email="new.agent@support.example", name="New Agent", role="agent", password=STAFF_PASSWORD,
        must_change_password=True)
    async with signed_in_browser(server, user.email) as client:
        response = await client.get("/console")
        assert response.status_code == 303 and response.headers["location"] == "/account/password"


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
async def test_every_staff_role_gets_the_console(server: InProcessServer, people: People, role: str) -> None:
    user = getattr(people, role)
    async with signed_in_browser(server, user.email) as client:
        response = await client.get("/console")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        data = island(response.text)
        assert data["me"] == {"id": user.id, "name": user.name, "role": role}
        assert data["csrf"] and isinstance(data["csrf"], str)
        assert data["base"] == server.url
        assert data["lang"] == "en"
        assert data["capacity"] == server.settings.default_capacity
        # The contract's fixed hooks are on the page; the rest the script makes from the templates.
        for hook in ("connection", "status", "load", "chat-list", "queue", "details", "banner", "help", "mute",
                     "notify", "help-open", "visitor-page", "history"):
            assert f'data-c="{hook}"' in response.text, hook


async def test_capacity_is_the_users_own_when_set(server: InProcessServer) -> None:
    user = await server.add_staff("Busy Agent", max_chats=7)
    async with signed_in_browser(server, user.email) as client:
        data = island((await client.get("/console")).text)
        assert data["capacity"] == 7
        assert 'data-c="load">0/7<' in (await client.get("/console")).text


async def test_a_bearer_token_opens_it_too(server: InProcessServer, people: People) -> None:
    token = await server.staff_token(people.agent)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/console", headers={"Authorization": "Bearer " + token})
        assert response.status_code == 200


# --- what the page carries ---------------------------------------------------------------------------------------


async def test_no_inline_script_no_handler_no_inline_style(server: InProcessServer, people: People) -> None:
    async with signed_in_browser(server, people.agent.email) as client:
        page = (await client.get("/console")).text
    parsed = parse(page)
    for script in parsed.scripts:
        if script["src"] is not None:
            assert script["src"].startswith("/static/") and not (script["body"] or "").strip()
        else:
            assert script["type"] == "application/json", script  # the data island is never run
    assert any((s["src"] or "").startswith("/static/console.js") for s in parsed.scripts)
    assert parsed.handlers == []
    assert parsed.styles == []  # style-src 'self': no style attributes either


async def test_names_are_escaped_in_the_page_and_its_data(server: InProcessServer) -> None:
    user = await server.add_staff("Eve " + HOSTILE.replace('"', "'"), email="eve@support.example")
    async with signed_in_browser(server, user.email) as client:
        page = (await client.get("/console")).text
    assert "<img" not in page and "<script>alert" not in page and "</script><script>" not in page
    assert island(page)["me"]["name"] == user.name  # type: ignore[index]


def test_the_script_never_writes_markup() -> None:
    """Visitor text goes in with textContent: the script has no API that parses a string as HTML (other than
    DOMParser for an article's already sanitized HTML, whose document is inert and read as text)."""
    source = (STATIC / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setTimeout(\"", "javascript:"):
        assert sink not in source, sink
    assert source.count("parseFromString(") == 1
    assert source.lstrip().startswith("//") and '"use strict";' in source
    # Plain ES2017, no build step: nothing newer (optional chaining, nullish coalescing), no modules.
    code = re.sub(r"//[^\n]*", "", source)
    assert "?." not in code and "??" not in code and not re.search(r"^\s*(import|export)\b", code, re.MULTILINE)


def test_links_from_visitor_data_are_http_only() -> None:
    source = (STATIC / "console.js").read_text()
    assert 'url.protocol === "http:" || url.protocol === "https:"' in source
    assert 'page.setAttribute("href", href)' in source  # href is httpUrl(...) of the page URL
    template = (TEMPLATES / "console.html").read_text()
    assert 'data-c="visitor-page" target="_blank" rel="noopener noreferrer"' in template


# --- strings --------------------------------------------------------------------------------------------------


def _error_codes(source: str) -> tuple[str, ...]:
    """The codes of the script's ERROR_CODES list: each has its sentence."""
    listed = re.search(r"var ERROR_CODES = \[([^\]]*)\]", source, re.DOTALL)
    assert listed is not None
    return tuple(re.findall(r'"([a-z_]+)"', listed.group(1)))


def _script_keys() -> set[str]:
    source = (STATIC / "console.js").read_text()
    keys = set(re.findall(r'\bt\("(console\.[a-z0-9_.]+)"', source))
    keys.discard("console.error.")
    keys |= {key + suffix for key in re.findall(r'\btp\("(console\.[a-z0-9_.]+)"', source)
             for suffix in (".one", ".other")}
    # Keys built from a value: each listed value must have its string.
    for prefix, values in {
        "console.error.": _error_codes(source) + ("offline", "too_long"),
        "console.": ("sending", "sent", "seen", "failed"),
        "console.ev.queued.": ("asked", "declined", "menu"),
        "console.ev.requeued.": ("offline", "disconnected", "transferred"),
        "console.conv_status.": ("bot", "queued", "assigned", "closed"),
        "console.ticket_status.": ("new", "open", "pending", "resolved", "closed"),
        "console.resolution.": ("bot", "ticket"),
    }.items():
        keys |= {prefix + value for value in values}
    keys |= set(re.findall(r'\? "(console\.[a-z0-9_.]+)"', source)) | set(re.findall(r': "(console\.[a-z0-9_.]+)"', source))
    return {key for key in keys if not key.endswith(".")}


def test_every_script_string_exists_in_both_languages() -> None:
    keys = _script_keys()
    assert len(keys) > 100
    missing = {lang: sorted(k for k in keys if k not in table) for lang, table in (("en", EN), ("fr", FR))}
    assert missing == {"en": [], "fr": []}
    assert console_pages.script_strings("en").keys() == console_pages.script_strings("fr").keys()
    assert keys <= console_pages.script_strings("fr").keys()


def test_every_template_string_exists_in_both_languages() -> None:
    keys: set[str] = set()
    for name in ("console.html", "help_article.html"):
        text = (TEMPLATES / name).read_text()
        keys |= set(re.findall(r"""t\(["']((?:console|help|nav)\.[a-z0-9_.]+)["']""", text))
        keys |= set(re.findall(r'"(console\.key\.[a-z_]+)"', text))
    # The help overlay's key names: t("console.kbd." + k) for each of them.
    keys.discard("console.kbd.")
    keys |= {"console.kbd." + k for k in ("alt", "ctrl", "shift", "enter", "tab", "esc")}
    assert len(keys) > 30
    assert sorted(k for k in keys if k not in EN) == [] and sorted(k for k in keys if k not in FR) == []


async def test_the_console_in_french(server: InProcessServer, people: People) -> None:
    async with signed_in_browser(server, people.agent.email) as client:
        response = await client.get("/console?lang=fr")
        assert response.status_code == 200
        assert '<html lang="fr">' in response.text
        assert "Mes chats" in response.text and "Raccourcis clavier" in response.text
        data = island(response.text)
        assert data["lang"] == "fr"
        strings = data["strings"]
        assert isinstance(strings, dict) and strings["console.note.label"] == "Note interne"
        # Remembered for the next visit.
        assert (await client.get("/console")).text.count('<html lang="fr">') == 1


# --- /help/{id} -------------------------------------------------------------------------------------------------


async def test_help_shows_a_published_article_to_anyone(server: InProcessServer) -> None:
    await server.services.kb.create(
        article_id="reset-password", title="Reset your <password>",
        body="Open **Account > Security**.\n\n<script>alert(1)</script>\n\n[help](javascript:alert(2)) "
             "<img src=x onerror=alert(3)>\n\n1. One\n2. Two")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/help/reset-password")
    assert response.status_code == 200
    page = response.text
    assert "Reset your &lt;password&gt;" in page
    assert "<strong>Account &gt; Security</strong>" in page and "<ol>" in page
    parsed = parse(page)
    assert parsed.scripts == [] and parsed.handlers == []
    assert 'href="javascript:' not in page and "<img" not in page and "&lt;img src=x" in page
    assert "Help centre" in page and "Sign out" not in page


async def test_help_in_french(server: InProcessServer) -> None:
    await server.services.kb.create(article_id="refund", title="Remboursement", body="Sous **5 jours**.", lang="fr")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/help/refund?lang=fr")
        assert response.status_code == 200
        assert '<html lang="fr">' in response.text and "Centre d'aide" in html.unescape(response.text)
        assert re.search(r"Mis à jour le \d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|"
                         r"déc\.) \d{4}", html.unescape(response.text))
        missing = await http.get("/help/nothing-here", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert missing.status_code == 404 and "Article introuvable" in missing.text


@pytest.mark.parametrize("path", [
    "/help/", "/help/unknown", "/help/draft", "/help/draft/", "/help/a/b", "/help/..%2Fdraft", "/help/%2e%2e",
    "/help/" + "x" * 300, "/help/%00", "/help/draft%0A", "/help/%20draft",
])
async def test_help_is_404_for_drafts_unknown_and_odd_ids(server: InProcessServer, path: str) -> None:
    await server.services.kb.create(article_id="draft", title="Secret draft", body="Not yet.", published=False)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "Secret draft" not in response.text and "Not yet." not in response.text
    assert "Article not found" in response.text


async def test_help_follows_unpublishing(server: InProcessServer) -> None:
    kb = server.services.kb
    await kb.create(article_id="shipping", title="Shipping times", body="Two days.")
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/help/shipping")).status_code == 200
        await kb.update("shipping", published=False)
        assert (await http.get("/help/shipping")).status_code == 404
        await kb.update("shipping", published=True, title="Shipping times (new)")
        response = await http.get("/help/shipping")
        assert response.status_code == 200 and "Shipping times (new)" in response.text
