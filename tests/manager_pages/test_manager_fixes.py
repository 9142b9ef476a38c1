"""The manager page after a newcomer's tour: the period form's dates, distinct headings, agreement in French,
empty states under a filter, the filters in the heading, the reason of a refusal, the loop an article closes."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from chatsvc.domain.metrics import InvalidFilter, PeriodError
from chatsvc.services.admin import AdminService
from chatsvc.web.i18n import STRINGS, Translator
from chatsvc.web.manager_pages import (
    SUMMARY_KEYS,
    FilterError,
    _filter_error,
    _summary_label,
    csv_rows,
    error_reason,
    summary_cards,
)
from tests.accounts.helpers import signed_in_browser
from tests.manager_pages.history import History
from tests.manager_pages.test_manager_pages import parse, rows_of
from tests.support.people import People
from tests.support.servers import Backend, InProcessServer


def _input(text: str, name: str) -> str:
    found = re.search(rf'<input type="date" name="{name}"[^>]*>', text)
    assert found, name
    return found.group(0)


# --- 1. the period form ------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["today", "30d"])
async def test_a_rolling_period_shows_its_own_days_disabled_and_ignores_from_to(
    server: InProcessServer, people: People, history: History, period: str
) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        # What the form used to send: the 7-day dates along with another period.
        query = {"period": period, "from": "2026-01-01", "to": "2026-01-07"}
        report = (await client.get("/api/stats", params=query)).json()
        page = await client.get("/manager", params=query)
        plain = (await client.get("/api/stats", params={"period": period})).json()
    assert page.status_code == 200
    assert report["period"] == plain["period"] and report["period"]["key"] == period
    first, last = report["period"]["from"], report["period"]["to"]
    assert f'value="{first}"' in _input(page.text, "from") and "disabled" in _input(page.text, "from")
    assert f'value="{last}"' in _input(page.text, "to") and "disabled" in _input(page.text, "to")
    # The CSV links carry no dates a rolling period contradicts.
    for link in parse(page.text).csv_links.values():
        query_sent = parse_qs(urlsplit(unescape(link)).query)
        assert "from" not in query_sent and "to" not in query_sent and query_sent["period"] == [period]


async def test_custom_dates_stay_editable(server: InProcessServer, people: People, history: History) -> None:
    day = history.now.date().isoformat()
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager", params={"period": "custom", "from": day, "to": day})
    assert "disabled" not in _input(page.text, "from") and "disabled" not in _input(page.text, "to")
    assert f'value="{day}"' in _input(page.text, "from")


# --- 2. headings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_csv_heading_and_summary_figure_is_distinct(lang: str) -> None:
    t = Translator(lang)
    labels = [_summary_label(key, t) for key in SUMMARY_KEYS]
    assert len(set(labels)) == len(labels), [x for x in labels if labels.count(x) > 1]
    report = {
        "period": {"from": "2026-11-21", "to": "2026-11-27", "timezone": "UTC"},
        "summary": {}, "hourly": [], "daily": [], "agents": [], "unanswered": [],
    }
    for table in ("summary", "hourly", "daily", "agents", "unanswered"):
        header = csv_rows(report, table, t)[0]
        assert len(set(header)) == len(header), (table, header)
    cards = {card["title"]: card for card in summary_cards({"bot_resolved": 2}, t)}
    for card in cards.values():
        assert all(card["title"].lower() != line["label"].lower() for line in card["lines"]), card["title"]


def test_the_french_deflection_rate_is_named_as_a_rate() -> None:
    fr = STRINGS["fr"]
    assert fr["manager.fig.deflection_rate"] == "Taux de déflexion"
    assert fr["manager.csv.col.deflection_rate"] != fr["manager.csv.col.bot_resolved"]


# --- 3. agreement -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, {"resolved": "résolue", "closed": "fermée", "first_contact_resolved": "résolue au premier contact"}),
     (5, {"resolved": "résolues", "closed": "fermées", "first_contact_resolved": "résolues au premier contact"})],
)
def test_french_lines_agree_with_conversations(n: int, expected: dict[str, str]) -> None:
    counts = {"resolved": n, "closed": n, "first_contact_resolved": n}
    lines = {line["key"]: line["label"] for card in summary_cards(counts, Translator("fr")) for line in card["lines"]}
    assert {key: lines[key] for key in expected} == expected
    fr = STRINGS["fr"]
    assert (fr["manager.fig.resolved"], fr["manager.fig.closed"]) == ("résolues", "fermées")


@pytest.mark.parametrize(
    ("lang", "load", "capacity", "expected"),
    [("en", 1, 1, "1 of 1 chat"), ("en", 1, 3, "1 of 3 chats"), ("fr", 1, 3, "1 chat sur 3"),
     ("fr", 2, 3, "2 chats sur 3")],
)
def test_the_live_load_agrees_with_its_count(lang: str, load: int, capacity: int, expected: str) -> None:
    t = Translator(lang)
    noun = load if lang == "fr" else capacity  # the count the noun stands next to (manager.js does the same)
    one = noun == 1 or (lang == "fr" and noun == 0)
    assert t(f"manager.live.load.{'one' if one else 'other'}", load=load, capacity=capacity) == expected


# --- 4. the users page ----------------------------------------------------------------------------------------------


async def test_the_users_page_says_the_manager_page_is_there(server: InProcessServer, people: People) -> None:
    for lang, now in (("en", "/manager"), ("fr", "/manager")):
        async with signed_in_browser(server, people.admin.email) as client:
            page = await client.get(f"/admin/users?lang={lang}")
        text = unescape(page.text)
        assert page.status_code == 200 and now in text
        assert "coming next" not in text and "à venir" not in text


# --- 6 and 7. a filter that hides everything; the filters in the heading ---------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_filter_without_conversations_says_so_everywhere(
    server: InProcessServer, people: People, history: History, lang: str
) -> None:
    team = await AdminService.of(server.services).create_team(name="Night shift")
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager", params={"period": "7d", "team": team.id, "lang": lang})
        report = (await client.get("/api/stats", params={"period": "7d", "team": team.id})).json()
    assert report["summary"]["conversations"] == 0
    text = unescape(page.text)
    empty = STRINGS[lang]["manager.empty.filtered"]
    assert text.count(empty) == 3  # charts, agents, questions
    assert STRINGS[lang]["manager.unanswered.none"] not in text
    assert "data-chart=" not in text
    # The heading names the filter in force, with one link that drops it and keeps the period.
    heading = text.split("data-active-filters")[1].split("</p>")[0]
    assert "Night shift" in heading
    clear = re.search(r'data-clear-filters href="([^"]*)"', page.text)
    assert clear and unescape(clear.group(1)) == "/manager?period=7d"


async def test_without_a_filter_the_heading_names_none(server: InProcessServer, people: People,
                                                       history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager", params={"period": "7d", "site": history.site_id, "agent": history.agent_ids[0]})
        plain = await client.get("/manager", params={"period": "7d"})
    assert "data-active-filters" not in plain.text
    heading = unescape(page.text.split("data-active-filters")[1].split("</p>")[0])
    assert "site Main shop" in heading and "agent Bea Agent" in heading


# --- 9. the reason of a refusal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "reason"),
    [("en", "“To” must not be before “From”."), ("fr", "« Au » ne doit pas être avant « Du ».")],
)
async def test_a_refused_range_says_why(server: InProcessServer, people: People, lang: str, reason: str) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        page = await client.get("/manager", params={"period": "custom", "from": "2026-11-27", "to": "2026-11-21",
                                                    "lang": lang})
    assert page.status_code == 400
    notice = unescape(page.text.split("data-filter-error>")[1].split("</div>")[0]).replace("\xa0", " ")
    assert reason in notice


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    "exc",
    [PeriodError("from", "A custom period needs 'from' (YYYY-MM-DD)."),
     PeriodError("to", "'to' must be a date written YYYY-MM-DD."),
     PeriodError("from", "'from' is not a real date."),
     PeriodError("to", "'to' must be between 2000 and 2100."),
     PeriodError("period", "The period must be one of today, 7d, 30d or custom."),
     PeriodError("to", "'to' must not be before 'from'."),
     PeriodError("to", "A period is at most 366 days long."),
     InvalidFilter("No such site.", ref="site"), InvalidFilter("No such team.", ref="team"),
     InvalidFilter("No such agent.", ref="agent"),
     FilterError("x", "Unknown query parameter."), FilterError("site", "A query parameter is repeated."),
     FilterError("site", "The value is not valid.")],
)
def test_every_reason_has_words(exc: Exception, lang: str) -> None:
    reason = error_reason(_filter_error(exc), Translator(lang))  # type: ignore[arg-type]
    assert reason and "{" not in reason


# --- 10. the deflection rate's definition ------------------------------------------------------------------------


def test_the_deflection_definition_says_open_chats_count() -> None:
    assert "still open" in STRINGS["en"]["manager.fig.deflection_rate.def"]
    assert "encore ouvertes" in STRINGS["fr"]["manager.fig.deflection_rate.def"]


# --- 5. an article closes the loop ----------------------------------------------------------------------------------


async def test_a_published_article_closes_the_loop(server: InProcessServer, people: People,
                                                   history: History) -> None:
    async with signed_in_browser(server, people.manager.email) as client:
        before = (await client.get("/api/stats?period=7d")).json()
        assert all(item["covered_by"] is None for item in before["unanswered"])
        article = await server.services.kb.create(
            title="Can I pay with a cheque?", body="Yes: cheques are accepted, to the order of Shop.",
            alt=["pay by cheque", "cheque payment"],
        )
        report = (await client.get("/api/stats?period=7d")).json()
        page = await client.get("/manager?period=7d")
        exported = rows_of(await client.get("/manager/export.csv?period=7d&table=unanswered"))
    covered = {item["question"]: item["covered_by"] for item in report["unanswered"]}
    assert covered["Can I pay with a cheque?"] == {"id": article.id, "title": article.title}
    assert sum(1 for value in covered.values() if value) == 1
    assert f'href="/kb/articles/{article.id}"' in page.text
    assert "Now answered by:" in page.text
    assert len(parse(page.text).create_links) == len(report["unanswered"]) - 1
    assert [row[4] for row in exported[1:]] == [(item["covered_by"] or {}).get("id", "") for item in report["unanswered"]]


# --- the metrics token warning at start ---------------------------------------------------------------------------


def test_a_short_metrics_token_is_warned_as_a_log_line(sqlite_backend: Backend, tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    from chatsvc.server import uvicorn_config
    from tests.support.servers import make_settings

    settings = make_settings(sqlite_backend, tmp_path, metrics_token="short-token")
    uvicorn_config(settings, "127.0.0.1", 0)
    line = next(x for x in capfd.readouterr().err.splitlines() if "CHATSVC_METRICS_TOKEN" in x)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +chatsvc[a-z_.]*: CHATSVC_METRICS_TOKEN has only 11 "
                    r"characters", line), line
