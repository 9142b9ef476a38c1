"""The admin page for tickets (/admin/tickets): assignment rules, escalation words, SLA targets and each site's
business hours, as plain HTML forms (no script needed), for admins only.

Forms go through ``services.ticket_admin``, the same checks as the JSON API. Every form posts with the
session's CSRF token; a refused change re-renders the page with the reason next to the values typed so far,
and a successful one redirects (post/redirect/get) with a notice.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.hours import DAYS, MAX_INTERVALS_PER_DAY, default_weekly
from chatsvc.domain.rules import MAX_RULE_NAME
from chatsvc.domain.sla import format_duration
from chatsvc.domain.tickets import Priority
from chatsvc.errors import BadRequest, ChatError, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.ticket_admin import SiteHours, TicketAdmin
from chatsvc.store import records
from chatsvc.web.edge import services_of
from chatsvc.web.forms import Form
from chatsvc.web.guards import admin_form, path_id
from chatsvc.web.i18n import Translator
from chatsvc.web.rendering import page, page_identity, render, translator

PAGE = "/admin/tickets"
PRIORITIES = [p.value for p in sorted(Priority, key=lambda p: -p.rank)]  # urgent first, as on the SLA table
DEFAULT_TIMEZONE = "UTC"
_INTERVAL = re.compile(r"^(\S+?)\s*[-–—]\s*(\S+)$")  # "09:00-12:00", "09:00 – 12:00"
_MINUTES = re.compile(r"^\d{1,6}$")


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA names this machine knows, for the time zone field's suggestions (read once)."""
    return tuple(sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC"))


def _admin(request: Request) -> TicketAdmin:
    return TicketAdmin.of(services_of(request))




def _done(section: str, notice: str, site: str | None = None) -> Response:
    query = {"site": site} if site else {}
    query["done"] = notice
    return RedirectResponse(f"{PAGE}?{urlencode(query)}#{section}", status_code=303)


def _priority_labels(t: Translator) -> dict[str, str]:
    return {
        "urgent": t("ticket_admin.priority.urgent"),
        "high": t("ticket_admin.priority.high"),
        "normal": t("ticket_admin.priority.normal"),
        "low": t("ticket_admin.priority.low"),
    }


def _day_labels(t: Translator) -> dict[str, str]:
    return {
        "mon": t("ticket_admin.day.mon"),
        "tue": t("ticket_admin.day.tue"),
        "wed": t("ticket_admin.day.wed"),
        "thu": t("ticket_admin.day.thu"),
        "fri": t("ticket_admin.day.fri"),
        "sat": t("ticket_admin.day.sat"),
        "sun": t("ticket_admin.day.sun"),
    }


# --- reading the forms ---------------------------------------------------------------------------------


def _rule_fields(form: Form) -> dict[str, Any]:
    """A rule's fields from the add or edit form; empty selects mean "any" / "leave as it is"."""

    def optional(name: str) -> str | None:
        return form.get(name).strip() or None

    topic = optional("topic")
    return {
        "name": form.get("name"),
        "keywords": form.lines("keywords"),
        "topic": topic.lower() if topic else None,  # people type "Billing" as readily as "billing"
        "site_id": optional("site_id"),
        "team_id": optional("team_id"),
        "agent_id": optional("agent_id"),
        "priority": optional("priority"),
    }


def parse_intervals(day: str, text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:30" as [["09:00", "12:00"], ["13:00", "17:30"]]; empty means closed."""
    pieces = [piece.strip() for piece in re.split(r"[,;]", text) if piece.strip()]
    if len(pieces) > MAX_INTERVALS_PER_DAY:
        raise BadRequest(f'At most {MAX_INTERVALS_PER_DAY} intervals a day are allowed ("{day}").')
    intervals = []
    for piece in pieces:
        match = _INTERVAL.match(piece)
        if match is None:
            raise BadRequest(f'On "{day}", {piece[:40]!r} is not an interval such as 09:00-17:30.')
        intervals.append([match[1], match[2]])
    return intervals


def format_intervals(intervals: list[Any]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals)


def _sla_from_form(form: Form) -> dict[str, Any]:
    targets: dict[str, dict[str, Any]] = {}
    for priority in PRIORITIES:
        target: dict[str, Any] = {}
        for field, key in (("first", "first_response_minutes"), ("resolution", "resolution_minutes")):
            raw = form.get(f"{priority}_{field}").strip()
            if not _MINUTES.match(raw):
                what = "first response" if field == "first" else "resolution"
                raise BadRequest(f'The {what} target for "{priority}" must be a whole number of minutes.')
            target[key] = int(raw)
        targets[priority] = target
    return {"business_hours": form.get("business_hours") == "on", "targets": targets}


# --- the page ------------------------------------------------------------------------------------------


async def _page(
    request: Request,
    who: StaffIdentity,
    *,
    error: ChatError | None = None,
    section: str | None = None,
    form: Form | None = None,
    rule_id: str | None = None,
    site_id: str | None = None,
) -> Response:
    """The whole page; after a refusal, ``section`` holds the values typed in its form (``form``)."""
    admin = _admin(request)
    services = services_of(request)
    t = translator(request)
    typed = form if form is not None else Form([])
    rules = await admin.list_rules()
    sites = await admin.list_sites()
    teams = await services.account_store.list_teams()
    users = await services.account_store.list_users()
    settings = await admin.settings()

    # Business hours: the site asked for (?site=), else the first one.
    site_id = site_id or request.query_params.get("site") or None
    site: records.Site | None = next((s for s in sites if s.id == site_id), None) or (sites[0] if sites else None)
    site_hours: SiteHours | None = await admin.hours(site.id) if site else None

    if section == "new":
        new_rule = {key: typed.get(key) for key in ("name", "keywords", "topic", "site_id", "team_id", "agent_id",
                                                    "priority")}
    else:
        new_rule = {"name": "", "keywords": "", "topic": "", "site_id": "", "team_id": "", "agent_id": "",
                    "priority": ""}
    edit = None
    if section == "edit" and rule_id:
        edit = {key: typed.get(key) for key in ("name", "keywords", "topic", "site_id", "team_id", "agent_id",
                                                "priority")}

    if section == "escalation":
        escalation = {"words": typed.get("words"), "priority": typed.get("priority")}
    else:
        escalation = {"words": "\n".join(settings["escalation"]["words"]),
                      "priority": settings["escalation"]["priority"]}

    sla_targets = settings["sla"]["targets"]
    if section == "sla":
        sla = {
            "business_hours": typed.get("business_hours") == "on",
            "targets": {p: {"first": typed.get(f"{p}_first"), "resolution": typed.get(f"{p}_resolution")}
                        for p in PRIORITIES},
        }
    else:
        sla = {
            "business_hours": settings["sla"]["business_hours"],
            "targets": {p: {"first": str(sla_targets[p]["first_response_minutes"]),
                            "resolution": str(sla_targets[p]["resolution_minutes"])} for p in PRIORITIES},
        }
    durations = {
        p: {"first": format_duration(sla_targets[p]["first_response_minutes"] * 60, t.lang),
            "resolution": format_duration(sla_targets[p]["resolution_minutes"] * 60, t.lang)}
        for p in PRIORITIES
    }

    if section == "hours":
        hours_form = {
            "timezone": typed.get("timezone"),
            "days": {day: typed.get(day) for day in DAYS},
            "holidays": typed.get("holidays"),
        }
    elif site_hours is not None and site_hours.hours is not None:
        stored = site_hours.hours.to_json()
        hours_form = {
            "timezone": stored["timezone"],
            "days": {day: format_intervals(stored["weekly"][day]) for day in DAYS},  # type: ignore[index]
            "holidays": "\n".join(stored["holidays"]),  # type: ignore[arg-type]
        }
    else:
        hours_form = {
            "timezone": DEFAULT_TIMEZONE,
            "days": {day: format_intervals(intervals) for day, intervals in default_weekly().items()},
            "holidays": "",
        }
    next_opening = None
    if site_hours is not None and site_hours.next_opening is not None and site_hours.hours is not None:
        local = site_hours.next_opening.astimezone(zoneinfo.ZoneInfo(site_hours.hours.timezone))
        next_opening = f"{_day_labels(t)[DAYS[local.weekday()]]} {local:%Y-%m-%d %H:%M}"

    return render(
        request,
        "admin_tickets.html",
        {
            "rules": rules,
            "sites": sites,
            "site_names": {s.id: s.name for s in sites},
            "teams": teams,
            "team_names": {team.id: team.name for team in teams},
            "people": {u.id: u for u in users},
            "site_choices": [(s.id, s.name) for s in sites],
            "team_choices": [(team.id, team.name) for team in teams],
            "agent_choices": [(u.id, u.name) for u in users if not u.disabled],
            "priority_choices": [(p, _priority_labels(t)[p]) for p in PRIORITIES],
            "priorities": PRIORITIES,
            "priority_labels": _priority_labels(t),
            "days": DAYS,
            "day_labels": _day_labels(t),
            "new_rule": new_rule,
            "edit": edit,
            "edit_id": rule_id if section == "edit" else None,
            "escalation": escalation,
            "sla": sla,
            "durations": durations,
            "site": site,
            "site_hours": site_hours,
            "hours_form": hours_form,
            "next_opening": next_opening,
            "time_zones": time_zones(),
            "max_name": MAX_RULE_NAME,
            "failure": t.error(error) if error else None,
            "failed_section": {"new": "new-rule", "edit": f"rule-{rule_id}"}.get(section or "", section),
        },
        who=who,
        status=error.status if error else 200,
    )


@page
async def tickets_settings(request: Request) -> Response:
    return await _page(request, await page_identity(request, admin=True))


# --- rules ---------------------------------------------------------------------------------------------


@page
async def rule_create(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).create_rule(**_rule_fields(form))
    except ChatError as exc:
        return await _page(request, who, error=exc, section="new", form=form)
    return _done("rules", "ticket_rule_created")


@page
async def rule_update(request: Request) -> Response:
    who, form = await admin_form(request)
    rule_id = path_id(request, "rule_id")
    admin = _admin(request)
    action = form.get("action")
    try:
        if action == "save":
            await admin.update_rule(rule_id, **_rule_fields(form))
            notice = "ticket_rule_updated"
        elif action in ("up", "down"):
            await admin.step_rule(rule_id, -1 if action == "up" else 1)
            notice = "ticket_rule_moved"
        elif action in ("enable", "disable"):
            await admin.update_rule(rule_id, enabled=action == "enable")
            notice = "ticket_rule_enabled" if action == "enable" else "ticket_rule_disabled"
        else:
            raise BadRequest("Unknown action.")
    except NotFound:
        raise
    except ChatError as exc:
        if action == "save":
            return await _page(request, who, error=exc, section="edit", form=form, rule_id=rule_id)
        return await _page(request, who, error=exc, section="rules")
    return _done("rules", notice)


@page
async def rule_delete(request: Request) -> Response:
    _who, _form = await admin_form(request)
    await _admin(request).delete_rule(path_id(request, "rule_id"))
    return _done("rules", "ticket_rule_deleted")


# --- escalation words and SLA targets ------------------------------------------------------------------


@page
async def escalation_save(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).put_escalation({"words": form.lines("words"), "priority": form.get("priority")})
    except ChatError as exc:
        return await _page(request, who, error=exc, section="escalation", form=form)
    return _done("escalation", "ticket_escalation_saved")


@page
async def sla_save(request: Request) -> Response:
    who, form = await admin_form(request)
    try:
        await _admin(request).put_sla(_sla_from_form(form))
    except ChatError as exc:
        return await _page(request, who, error=exc, section="sla", form=form)
    return _done("sla", "ticket_sla_saved")


# --- business hours ------------------------------------------------------------------------------------


@page
async def hours_save(request: Request) -> Response:
    who, form = await admin_form(request)
    admin = _admin(request)
    site = await admin.site(form.get("site_id")[:64])  # an unknown site: 404, nothing to re-render
    try:
        if form.get("action") == "clear":
            await admin.clear_hours(site.id)
            return _done("hours", "ticket_hours_cleared", site.id)
        weekly = {day: parse_intervals(day, form.get(day)) for day in DAYS}
        await admin.put_hours(site.id, timezone=form.get("timezone"), weekly=weekly, holidays=form.lines("holidays"))
    except ChatError as exc:
        return await _page(request, who, error=exc, section="hours", form=form, site_id=site.id)
    return _done("hours", "ticket_hours_saved", site.id)


routes: list[BaseRoute] = [
    Route(PAGE, tickets_settings, methods=["GET"]),
    Route(PAGE + "/rules", rule_create, methods=["POST"]),
    Route(PAGE + "/rules/{rule_id}", rule_update, methods=["POST"]),
    Route(PAGE + "/rules/{rule_id}/delete", rule_delete, methods=["POST"]),
    Route(PAGE + "/escalation", escalation_save, methods=["POST"]),
    Route(PAGE + "/sla", sla_save, methods=["POST"]),
    Route(PAGE + "/hours", hours_save, methods=["POST"]),
]
