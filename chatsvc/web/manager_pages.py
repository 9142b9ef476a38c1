"""The manager page (``/manager``), its JSON (``/api/stats``) and its CSV files (``/manager/export.csv``).

One report (``services.stats.report``) feeds all three, so the page, the API and the CSV show the same figures:
the page formats them for people (``web/figures.py``, charts from ``web/charts.py``), the API returns the report
as it is, the CSV writes raw numbers (seconds, fractions) under headers in the page's language. The live panel
at the top is filled by ``static/manager.js`` from ``/ws/manager``; the server renders it empty.

Query parameters go through an allow-list (SECURITY case 13): an unknown name, a repeated one, a value that is
not a known period, a real date, or the id of an existing site, team or staff member is refused with 400
``invalid_filter`` naming the field (the page shows the form again with the notice, its reason translated), and
values only ever reach SQL as bound parameters (the stats store's business). ``from`` and ``to`` are read only
with ``period=custom``: with any other period they are ignored (dropped before the report, the CSV links and the
form, which shows the period's own days, disabled). Managers and admins only: an agent is refused the page,
the API and the CSV (403); signed out, the page goes to the sign-in form and the API and CSV answer 401.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.metrics import (
    MAX_CUSTOM_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    PERIOD_KEYS,
    STATS_PARAMS,
    InvalidFilter,
    Period,
    PeriodError,
    StatsFilter,
)
from chatsvc.domain.model import Role
from chatsvc.errors import ChatError, Forbidden
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.kb import MAX_ALT, MAX_ALT_CHARS, MAX_TITLE, KnowledgeBaseService
from chatsvc.web import charts, figures
from chatsvc.web.csv_cells import csv_cell, csv_number
from chatsvc.web.edge import services_of, staff_identity
from chatsvc.web.errors import error_response
from chatsvc.web.i18n import STRINGS, Translator
from chatsvc.web.rendering import page, page_identity, render, translator

MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
MANAGERS_ONLY = "This page is for managers and administrators."
TABLES = ("summary", "hourly", "daily", "agents", "unanswered")
# Page parameters that are not filters: the language switch and the notice after a redirect.
PAGE_ONLY = frozenset({"lang", "done"})
PAGE_PARAMS = STATS_PARAMS | PAGE_ONLY
API_PARAMS = STATS_PARAMS
CSV_PARAMS = STATS_PARAMS | {"table", "lang"}
MAX_VALUE_CHARS = 64  # ids are 32 characters, dates 10: anything longer is not a value we know
# The strings the script shows (the live panel's and the agents' statuses).
SCRIPT_PREFIXES = ("manager.live.", "manager.status.")


class FilterError(ChatError):
    """A query the stats refuse, with the parameter at fault (``field``): 400 ``invalid_filter``."""

    code = "invalid_filter"
    status = 400
    default_message = "Unknown filter, or no such period, site, team or agent."

    def __init__(self, field: str, message: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _filter_error(exc: ChatError) -> FilterError:
    """The domain's refusals (a bad period, an unknown parameter or id) as one error naming the field."""
    if isinstance(exc, FilterError):
        return exc
    field = getattr(exc, "field", None) or exc.ref or "filter"
    return FilterError(str(field)[:40], exc.message)


def _params(request: Request, allowed: frozenset[str]) -> dict[str, str]:
    """The query as a plain dict, once every name is known, none repeated and no value absurd; empty values
    (the form sends every field) count as absent."""
    seen: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise FilterError(name[:40], "Unknown query parameter.")
        if name in seen:
            raise FilterError(name, "A query parameter is repeated.")
        if len(value) > MAX_VALUE_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise FilterError(name, "The value is not valid.")
        seen[name] = value.strip()
    params = {name: value for name, value in seen.items() if value}
    if params.get("period") != "custom":
        # Only custom dates read from/to: a rolling period ignores them (the form sends them disabled, so not at
        # all; a link written by hand may still hold them).
        params.pop("from", None)
        params.pop("to", None)
    return params


async def _query(request: Request, params: Mapping[str, str]) -> tuple[Period, StatsFilter]:
    stats = services_of(request).stats
    try:
        period = stats.parse_period(params)
        filters = StatsFilter.from_params(params)
        await stats.check_filters(filters)
    except (PeriodError, InvalidFilter) as exc:
        raise _filter_error(exc) from None
    return period, filters


def _filter_json(exc: FilterError) -> Response:
    return JSONResponse({"error": exc.code, "message": exc.message, "field": exc.field}, status_code=400)


async def _manager(request: Request) -> StaffIdentity:
    """A manager or an admin calling the API or the CSV (no CSRF: both only read)."""
    who = await staff_identity(request)
    if who.role not in MANAGERS:
        raise Forbidden(MANAGERS_ONLY)
    return who


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json",
                    headers={"cache-control": "no-store"})


# --- JSON --------------------------------------------------------------------------------------------------


async def api_stats(request: Request) -> Response:
    """The report as the service makes it (docs/metrics.md): what the page shows, unformatted."""
    try:
        await _manager(request)
        period, filters = await _query(request, _params(request, API_PARAMS))
    except FilterError as exc:
        return _filter_json(exc)
    except ChatError as exc:
        return error_response(exc)
    return _json(await report_of(request, period, filters))


# --- did an article close the loop? -------------------------------------------------------------------------

MAX_COVER_CHECKS = 20  # matcher calls per report, at most (the report lists 20 groups)


def covered_by(kb: KnowledgeBaseService, question: str) -> dict[str, str] | None:
    """The published article the bot would now answer ``question`` with (its live index and the answer
    threshold, ``settings.bot_answer_threshold``), as {id, title}; None while it would still not answer."""
    decision = kb.decide(question)
    if decision.action != "answer" or not decision.offered:
        return None
    article = kb.article(decision.offered[0].article_id)
    return None if article is None else {"id": article.id, "title": article.title}


def with_coverage(report: dict[str, Any], kb: KnowledgeBaseService) -> dict[str, Any]:
    """Each unanswered group gets ``covered_by``: an article published since that now answers its
    representative question, or None (one matcher call per group, ``MAX_COVER_CHECKS`` at most)."""
    for index, item in enumerate(report.get("unanswered") or []):
        item["covered_by"] = covered_by(kb, str(item["question"])) if index < MAX_COVER_CHECKS else None
    return report


async def report_of(request: Request, period: Period, filters: StatsFilter) -> dict[str, Any]:
    """The stats service's report, each unanswered question checked against the knowledge base as it is now."""
    services = services_of(request)
    return with_coverage(await services.stats.report(period, filters), services.kb)


# --- CSV ---------------------------------------------------------------------------------------------------

SUMMARY_KEYS = (
    "conversations", "bot_resolved", "deflection_rate", "handed_off", "answered",
    "first_response_median_seconds", "first_response_p90_seconds", "handling_average_seconds",
    "abandoned", "abandonment_rate", "closed", "resolved", "resolution_rate", "first_contact_resolved", "fcr_rate",
    "tickets_created", "sla_breaches", "csat", "csat_responses", "nps", "nps_responses", "ces", "ces_responses",
)


def _summary_label(key: str, t: Translator) -> str:
    """A summary figure's name in the page's language, for the CSV's "Figure" column: each one distinct (the
    cards' short words, "answers" under NPS and under CES, get the figure they belong to)."""
    if f"manager.csv.fig.{key}" in t.table:
        return t(f"manager.csv.fig.{key}")
    if key in ("first_response_median_seconds", "first_response_p90_seconds"):
        return f"{t('manager.fig.first_response')}, {t(f'manager.fig.{key}')}"
    label = t(f"manager.fig.{key}")
    return label[:1].upper() + label[1:]


def csv_rows(report: Mapping[str, Any], table: str, t: Translator) -> list[list[str]]:
    """One table of the report as CSV rows (header first): text through ``csv_cell`` (a visitor's question or
    an agent's name may start like a formula), figures through ``csv_number`` (unlocalised)."""

    def col(name: str) -> str:
        return t(f"manager.csv.col.{name}")

    n = csv_number
    if table == "summary":
        summary = report["summary"]
        rows = [[col("key"), col("figure"), col("value")]]
        rows += [[k, csv_cell(_summary_label(k, t)), n(summary.get(k))] for k in SUMMARY_KEYS if k in summary]
        return rows
    if table == "hourly":
        rows = [[col("hour"), col("conversations"), col("wait_average_seconds"), col("waits")]]
        rows += [
            [csv_cell(r["hour"]), n(r["conversations"]), n(r["wait_average_seconds"]), n(r["waits"])]
            for r in report["hourly"]
        ]
        return rows
    if table == "daily":
        names = ("conversations", "bot_resolved", "deflection_rate", "csat", "csat_responses")
        rows = [[col("day"), *(col(name) for name in names)]]
        rows += [[csv_cell(r["day"]), *(n(r[name]) for name in names)] for r in report["daily"]]
        return rows
    if table == "agents":
        names = ("conversations", "first_response_median_seconds", "handling_average_seconds", "csat",
                 "csat_responses")
        rows = [[col("agent_id"), col("agent"), *(col(name) for name in names)]]
        rows += [
            [csv_cell(r["id"]), csv_cell(r["name"]), *(n(r[name]) for name in names)] for r in report["agents"]
        ]
        return rows
    if table == "unanswered":
        zone = ZoneInfo(report["period"]["timezone"])
        rows = [[col("question"), col("count"), col("last_asked"), col("examples"), col("covered_by")]]
        rows += [
            [csv_cell(r["question"]), n(r["count"]), csv_cell(local_seconds(r["last_asked"], zone)),
             # One phrasing a line in one cell; each line neutralised, as some spreadsheets split them.
             "\n".join(csv_cell(example) for example in r["examples"]),
             csv_cell((r.get("covered_by") or {}).get("id", ""))]
            for r in report["unanswered"]
        ]
        return rows
    raise FilterError("table", "No such table.")


def local_seconds(iso: str | None, zone: ZoneInfo) -> str:
    """An instant as ISO 8601 in the stats time zone, to the second ("2026-11-27T14:03:12+01:00")."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone(zone).replace(microsecond=0).isoformat(timespec="seconds")


# A byte order mark first: Excel then reads the file as UTF-8 (French headings, names), others skip it.
CSV_BOM = "\ufeff"


def csv_filename(report: Mapping[str, Any], table: str) -> str:
    period = report["period"]
    days = period["from"] if period["from"] == period["to"] else f"{period['from']}_{period['to']}"
    return f"chatsvc-{table}-{days}.csv"


async def export_csv(request: Request) -> Response:
    try:
        await _manager(request)
        params = _params(request, frozenset(CSV_PARAMS))
        table = params.pop("table", "")
        params.pop("lang", None)
        if table not in TABLES:
            raise FilterError("table", "The table must be one of summary, hourly, daily, agents or unanswered.")
        period, filters = await _query(request, params)
    except FilterError as exc:
        return _filter_json(exc)
    except ChatError as exc:
        return error_response(exc)
    report = await report_of(request, period, filters)
    out = io.StringIO()
    out.write(CSV_BOM)
    csv.writer(out).writerows(csv_rows(report, table, translator(request)))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_filename(report, table)}"',
            "cache-control": "no-store",
        },
    )


# --- the page ----------------------------------------------------------------------------------------------

# The summary as cards: (title key, definition key, headline figure and how to show it, lines under it).
CARDS: tuple[tuple[str, str, tuple[str, str], tuple[tuple[str, str], ...]], ...] = (
    ("conversations", "conversations.def", ("conversations", "count"),
     (("handed_off", "count"), ("answered", "count"))),
    ("deflection_rate", "deflection_rate.def", ("deflection_rate", "percent"), (("bot_resolved", "count"),)),
    ("first_response.median", "first_response.def", ("first_response_median_seconds", "duration"),
     (("first_response_p90_seconds", "duration"),)),
    ("handling_average_seconds", "handling_average_seconds.def", ("handling_average_seconds", "duration"), ()),
    ("abandonment_rate", "abandonment_rate.def", ("abandonment_rate", "percent"), (("abandoned", "count"),)),
    ("resolution_rate", "resolution_rate.def", ("resolution_rate", "percent"),
     (("resolved", "count"), ("closed", "count"))),
    ("fcr_rate", "fcr_rate.def", ("fcr_rate", "percent"), (("first_contact_resolved", "count"),)),
    ("tickets_created", "tickets_created.def", ("tickets_created", "count"), (("sla_breaches", "count"),)),
    ("csat", "csat.def", ("csat", "percent"), (("csat_responses", "count"),)),
    ("nps", "nps.def", ("nps", "signed"), (("nps_responses", "count"),)),
    ("ces", "ces.def", ("ces", "decimal"), (("ces_responses", "count"),)),
)


def show(value: Any, kind: str, lang: str) -> str:
    if kind == "count":
        return figures.count(None if value is None else int(value), lang)
    if kind == "percent":
        return figures.percent(value, lang)
    if kind == "duration":
        return figures.duration(value, lang)
    if kind == "signed":
        return figures.signed(value, lang)
    return figures.decimal(value, lang)


def _figure(summary: Mapping[str, Any], key: str, kind: str, lang: str) -> dict[str, str]:
    value = summary.get(key)
    return {"key": key, "value": json.dumps(value), "text": show(value, kind, lang)}


def line_label(summary: Mapping[str, Any], key: str, kind: str, t: Translator) -> str:
    """The words after a card line's figure: a count's in the singular or plural for that count ("1 rating",
    "116 ratings"; French counts 0 as singular), the plural when there is none ("— ratings")."""
    if kind != "count":
        return t(f"manager.fig.{key}")
    value = summary.get(key)
    if value is None:
        return t(f"manager.fig.line.{key}.other")
    return t.plural(f"manager.fig.line.{key}", int(value))


def summary_cards(summary: Mapping[str, Any], t: Translator) -> list[dict[str, Any]]:
    cards = []
    for title, definition, (main_key, main_kind), lines in CARDS:
        main = {**_figure(summary, main_key, main_kind, t.lang), "label": ""}
        cards.append(
            {
                "title": t(f"manager.fig.{title}"),
                "definition": t(f"manager.fig.{definition}"),
                "main": main,
                "lines": [
                    {**_figure(summary, key, kind, t.lang), "label": line_label(summary, key, kind, t)}
                    for key, kind in lines
                ],
            }
        )
    return cards


def _when(iso: str, zone: ZoneInfo, lang: str) -> str:
    """An instant of the report as the stats zone's date and time ("Nov 27, 14:05")."""
    try:
        moment = datetime.fromisoformat(iso).astimezone(zone)
    except ValueError:
        return iso
    return f"{figures.day_label(moment.date().isoformat(), lang)}{',' if lang == 'en' else ''} {moment:%H:%M}"


def create_article_link(question: str, examples: Sequence[str]) -> str:
    """``/kb/new`` with the question as the title and the other phrasings as alternatives (cut to the form's
    limits; the form escapes them like anything typed)."""
    alt = [" ".join(e.split())[:MAX_ALT_CHARS] for e in examples if e.strip()][:MAX_ALT]
    return "/kb/new?" + urlencode([("title", " ".join(question.split())[:MAX_TITLE]), ("alt", "\n".join(alt))])


def _agents_rows(agents: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    rows = []
    for agent in agents:
        rows.append(
            {
                "id": agent["id"],
                "name": agent["name"],
                "cells": [
                    _figure(agent, "conversations", "count", lang),
                    _figure(agent, "first_response_median_seconds", "duration", lang),
                    _figure(agent, "handling_average_seconds", "duration", lang),
                    _figure(agent, "csat", "percent", lang),
                ],
                "csat_responses": _figure(agent, "csat_responses", "count", lang),
            }
        )
    return rows


def _covered_link(covered: Mapping[str, str] | None, t: Translator) -> dict[str, str] | None:
    """The article that now answers a listed question, with the link to edit it, or None."""
    if not covered:
        return None
    return {
        "id": covered["id"],
        "title": covered["title"],
        "href": f"/kb/articles/{covered['id']}",
        "label": t("manager.unanswered.covered.edit", title=covered["title"]),
    }


def _unanswered(items: Iterable[Mapping[str, Any]], zone: ZoneInfo, t: Translator) -> list[dict[str, Any]]:
    return [
        {
            "question": item["question"],
            "count": t.plural("manager.unanswered.asked", int(item["count"])),
            "count_value": int(item["count"]),
            "also": t("manager.unanswered.also.count", n=len(item["examples"])),
            "examples": list(item["examples"]),
            "last": t("manager.unanswered.last", when=_when(str(item["last_asked"]), zone, t.lang)),
            "last_iso": item["last_asked"],
            "create": create_article_link(str(item["question"]), list(item["examples"])),
            "covered": _covered_link(item.get("covered_by"), t),
        }
        for item in items
    ]


def _form_state(request: Request) -> dict[str, str]:
    """What the period form shows: the values as given (escaped by the template, cut to a sane length). The
    dates only for custom: another period's own days are filled in from the report."""
    params = request.query_params
    period = params.get("period", "")
    period = period if period in PERIOD_KEYS else "7d"
    custom = period == "custom"
    return {
        "period": period,
        "from": params.get("from", "")[:10] if custom else "",
        "to": params.get("to", "")[:10] if custom else "",
        "site": params.get("site", "")[:MAX_VALUE_CHARS],
        "team": params.get("team", "")[:MAX_VALUE_CHARS],
        "agent": params.get("agent", "")[:MAX_VALUE_CHARS],
    }


_FIELD_LABELS = {
    "period": "manager.period.label",
    "from": "manager.period.from",
    "to": "manager.period.to",
    "site": "manager.filter.site",
    "team": "manager.filter.team",
    "agent": "manager.filter.agent",
}


# The reasons the domain and this module give (PeriodError, InvalidFilter, FilterError), as i18n keys: the
# message is matched, its variable parts passed on. A reason not listed here falls back to the generic notice.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"A custom period needs '(?:from|to)'"), "manager.reason.needs_date"),
    (re.compile(r"'(?:from|to)' must be a date written"), "manager.reason.date_format"),
    (re.compile(r"'(?:from|to)' is not a real date"), "manager.reason.not_a_date"),
    (re.compile(r"'(?:from|to)' must be between"), "manager.reason.year_range"),
    (re.compile(r"The period must be one of"), "manager.reason.period"),
    (re.compile(r"'to' must not be before 'from'"), "manager.reason.to_before_from"),
    (re.compile(r"A period is at most \d+ days"), "manager.reason.too_long"),
    (re.compile(r"No such (site|team|agent)\b"), "manager.reason.no_such"),
    (re.compile(r"Unknown query parameter"), "manager.reason.unknown_param"),
    (re.compile(r"A query parameter is repeated"), "manager.reason.repeated"),
    (re.compile(r"The value is not valid"), "manager.reason.bad_value"),
)


def error_reason(exc: FilterError, t: Translator) -> str | None:
    """Why the query was refused, in the page's language (None for a reason we have no words for)."""
    label = _FIELD_LABELS.get(exc.field)
    field = t(label) if label else exc.field
    for pattern, key in _REASONS:
        found = pattern.search(exc.message or "")
        if not found:
            continue
        if key == "manager.reason.no_such":
            return t(f"{key}.{found.group(1)}")
        return t(key, field=field, low=MIN_YEAR, high=MAX_YEAR, n=MAX_CUSTOM_DAYS,
                 **{"from": t("manager.period.from"), "to": t("manager.period.to")})
    return None


def _error_notice(exc: FilterError, t: Translator) -> str:
    label = _FIELD_LABELS.get(exc.field)
    field = t(label) if label else t("manager.filter.unknown")
    reason = error_reason(exc, t)
    if reason:
        return t("manager.filter.invalid.because", field=field, reason=reason)
    notice = t("manager.filter.invalid", field=field)
    if exc.field in ("from", "to"):
        notice += " " + t("manager.filter.invalid.dates")
    return notice


def active_filters(filters: Mapping[str, Any], choices: Mapping[str, Sequence[Mapping[str, str]]],
                   t: Translator) -> list[dict[str, str]]:
    """The filters in force, by name ("site Main shop"), for the heading; empty without a filter."""
    shown = []
    for name, group in (("site", "sites"), ("team", "teams"), ("agent", "agents")):
        value = filters.get(name)
        if not value:
            continue
        names = {item["id"]: item["name"] for item in choices.get(group, ())}
        shown.append({"name": name, "text": t(f"manager.active.{name}", name=names.get(value, value))})
    return shown


def script_data(lang: str) -> dict[str, Any]:
    table = STRINGS[lang]
    return {
        "lang": lang,
        "socket": "/ws/manager",
        "strings": {key: text for key, text in table.items() if key.startswith(SCRIPT_PREFIXES)},
    }


def _period_text(period: Mapping[str, Any], t: Translator) -> str:
    first = figures.day_label(period["from"], t.lang)
    if period["from"] == period["to"]:
        return t("manager.period.shown.one", first=first, zone=period["timezone"])
    last = figures.day_label(period["to"], t.lang)
    if period["from"][:4] != period["to"][:4]:  # across a new year, say which years
        first, last = f"{first} {period['from'][:4]}", f"{last} {period['to'][:4]}"
    return t("manager.period.shown", first=first, last=last, zone=period["timezone"])


@page
async def manager_page(request: Request) -> Response:
    who = await page_identity(request)
    if who.role not in MANAGERS:
        raise Forbidden(MANAGERS_ONLY)
    t = translator(request)
    stats = services_of(request).stats
    form = _form_state(request)
    context: dict[str, Any] = {
        "data": script_data(t.lang),
        "form": form,
        "choices": await stats.choices(),
        "periods": [(key, t(f"manager.period.{key}")) for key in PERIOD_KEYS],
        "report": None,
    }
    try:
        params = _params(request, PAGE_PARAMS)
        for name in PAGE_ONLY:
            params.pop(name, None)
        period, filters = await _query(request, params)
    except FilterError as exc:
        context["error"] = _error_notice(exc, t)
        return render(request, "manager.html", context, who=who, status=400)
    report = await report_of(request, period, filters)
    if form["period"] != "custom" or (not form["from"] and not form["to"]):
        # The dates of the period shown, so that switching to custom dates starts from them.
        form["from"], form["to"] = report["period"]["from"], report["period"]["to"]
    query = [(k, v) for k, v in params.items()]
    zone = ZoneInfo(report["period"]["timezone"])
    active = active_filters(report["filters"], context["choices"], t)
    unfiltered = [(k, v) for k, v in query if k in ("period", "from", "to")]
    empty = None
    if not report["summary"]["conversations"]:
        empty = t("manager.empty.filtered" if active else "manager.empty.period")
    context.update(
        {
            "report": report,
            "period_text": _period_text(report["period"], t),
            "active_filters": active,
            "clear_filters": "/manager" + ("?" + urlencode(unfiltered) if unfiltered else ""),
            "empty": empty,
            "cards": summary_cards(report["summary"], t),
            "charts": charts.all_charts(report, t),
            "agents": _agents_rows(report["agents"], t.lang),
            "unanswered": _unanswered(report["unanswered"], zone, t),
            "csv": {
                table: "/manager/export.csv?" + urlencode([*query, ("table", table)]) for table in TABLES
            },
            "csv_labels": {table: t("manager.csv.label", table=t(f"manager.csv.{table}")) for table in TABLES},
        }
    )
    return render(request, "manager.html", context, who=who)


routes: list[BaseRoute] = [
    Route("/manager", manager_page, methods=["GET"]),
    Route("/api/stats", api_stats, methods=["GET"]),
    Route("/manager/export.csv", export_csv, methods=["GET"]),
]
