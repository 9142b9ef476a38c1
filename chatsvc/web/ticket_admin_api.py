"""Admin JSON API for ticket settings: assignment rules (ordered), escalation words, SLA targets, and each
site's business hours. Admins only; logic in ``services.ticket_admin``.

Bodies are strict msgspec types with ``forbid_unknown_fields``: ``id``, ``position``, ``created_at`` and any
other field the caller may not set are refused with 400, never ignored (SECURITY case 9), and a value of the
wrong JSON type (``{"$ne": null}``, ``[1]``, ``true`` where text is expected) is refused by the schema
(SECURITY case 12). The service then applies the domain's own checks, the same the admin page goes through.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.hours import MAX_HOLIDAYS, MAX_INTERVALS_PER_DAY, MAX_TIMEZONE_LENGTH
from chatsvc.domain.rules import MAX_ESCALATION_WORDS, MAX_RULE_KEYWORDS, MAX_RULE_NAME, MAX_WORD_LENGTH
from chatsvc.services.ticket_admin import MAX_RULES, TicketAdmin
from chatsvc.web.edge import services_of
from chatsvc.web.guards import api_admin, path_id
from chatsvc.web.json_body import read_json

PriorityName = Literal["low", "normal", "high", "urgent"]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_RULE_NAME)]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_WORD_LENGTH)]
Topic = Annotated[str, msgspec.Meta(max_length=40)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=525_600)]
Clock = Annotated[str, msgspec.Meta(min_length=5, max_length=5)]  # "09:00"; the domain checks the digits
Interval = tuple[Clock, Clock]


class RuleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    enabled: bool = True
    keywords: Annotated[list[Word], msgspec.Meta(max_length=MAX_RULE_KEYWORDS)] = []
    topic: Topic | None = None
    site_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    priority: PriorityName | None = None


class RulePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    keywords: Annotated[list[Word], msgspec.Meta(max_length=MAX_RULE_KEYWORDS)] | UnsetType = UNSET
    topic: Topic | None | UnsetType = UNSET
    site_id: Id | None | UnsetType = UNSET
    team_id: Id | None | UnsetType = UNSET
    agent_id: Id | None | UnsetType = UNSET
    priority: PriorityName | None | UnsetType = UNSET


class RuleMove(msgspec.Struct, forbid_unknown_fields=True):
    position: Annotated[int, msgspec.Meta(ge=1, le=MAX_RULES)]


class SlaTargetBody(msgspec.Struct, forbid_unknown_fields=True):
    first_response_minutes: Minutes
    resolution_minutes: Minutes


class SlaBody(msgspec.Struct, forbid_unknown_fields=True):
    business_hours: bool
    targets: dict[PriorityName, SlaTargetBody]


class EscalationBody(msgspec.Struct, forbid_unknown_fields=True):
    words: Annotated[list[Word], msgspec.Meta(max_length=MAX_ESCALATION_WORDS)]
    priority: PriorityName


class HoursBody(msgspec.Struct, forbid_unknown_fields=True):
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TIMEZONE_LENGTH)]
    weekly: dict[DayName, Annotated[list[Interval], msgspec.Meta(max_length=MAX_INTERVALS_PER_DAY)]]
    holidays: Annotated[list[Annotated[str, msgspec.Meta(max_length=10)]], msgspec.Meta(max_length=MAX_HOLIDAYS)] = []


async def _admin(request: Request) -> TicketAdmin:
    await api_admin(request)
    return TicketAdmin.of(services_of(request))




# --- rules ---------------------------------------------------------------------------------------------


async def list_rules(request: Request) -> Response:
    admin = await _admin(request)
    return JSONResponse({"rules": [rule.public() for rule in await admin.list_rules()]})


async def create_rule(request: Request) -> Response:
    admin = await _admin(request)
    body = await read_json(request, RuleCreate)
    rule = await admin.create_rule(
        name=body.name, enabled=body.enabled, keywords=body.keywords, topic=body.topic, site_id=body.site_id,
        team_id=body.team_id, agent_id=body.agent_id, priority=body.priority,
    )
    return JSONResponse({"rule": rule.public()}, status_code=201)


async def update_rule(request: Request) -> Response:
    admin = await _admin(request)
    rule_id = path_id(request, "rule_id")
    body = await read_json(request, RulePatch)
    rule = await admin.update_rule(
        rule_id, name=body.name, enabled=body.enabled, keywords=body.keywords, topic=body.topic,
        site_id=body.site_id, team_id=body.team_id, agent_id=body.agent_id, priority=body.priority,
    )
    return JSONResponse({"rule": rule.public()})


async def delete_rule(request: Request) -> Response:
    admin = await _admin(request)
    await admin.delete_rule(path_id(request, "rule_id"))
    return Response(status_code=204)


async def move_rule(request: Request) -> Response:
    admin = await _admin(request)
    rule_id = path_id(request, "rule_id")
    body = await read_json(request, RuleMove)
    rules = await admin.move_rule(rule_id, body.position)
    return JSONResponse({"rules": [rule.public() for rule in rules]})


# --- settings ------------------------------------------------------------------------------------------


async def get_settings(request: Request) -> Response:
    admin = await _admin(request)
    return JSONResponse(await admin.settings())


async def put_sla(request: Request) -> Response:
    admin = await _admin(request)
    body = await read_json(request, SlaBody)
    policy = await admin.put_sla(msgspec.to_builtins(body))
    return JSONResponse({"sla": policy.to_json()})


async def put_escalation(request: Request) -> Response:
    admin = await _admin(request)
    body = await read_json(request, EscalationBody)
    escalation = await admin.put_escalation(msgspec.to_builtins(body))
    return JSONResponse({"escalation": escalation.to_json()})


# --- business hours ------------------------------------------------------------------------------------


async def get_hours(request: Request) -> Response:
    admin = await _admin(request)
    return JSONResponse((await admin.hours(path_id(request, "site_id"))).public())


async def put_hours(request: Request) -> Response:
    admin = await _admin(request)
    site_id = path_id(request, "site_id")
    await admin.site(site_id)  # an unknown site is 404 whatever the body
    body = await read_json(request, HoursBody)
    weekly: dict[str, Any] = {day: [list(pair) for pair in pairs] for day, pairs in body.weekly.items()}
    hours = await admin.put_hours(site_id, timezone=body.timezone, weekly=weekly, holidays=body.holidays)
    return JSONResponse(hours.public())


async def delete_hours(request: Request) -> Response:
    admin = await _admin(request)
    await admin.clear_hours(path_id(request, "site_id"))
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/api/admin/ticket-rules", list_rules, methods=["GET"]),
    Route("/api/admin/ticket-rules", create_rule, methods=["POST"]),
    Route("/api/admin/ticket-rules/{rule_id}", update_rule, methods=["PATCH"]),
    Route("/api/admin/ticket-rules/{rule_id}", delete_rule, methods=["DELETE"]),
    Route("/api/admin/ticket-rules/{rule_id}/move", move_rule, methods=["POST"]),
    Route("/api/admin/ticket-settings", get_settings, methods=["GET"]),
    Route("/api/admin/ticket-settings/sla", put_sla, methods=["PUT"]),
    Route("/api/admin/ticket-settings/escalation", put_escalation, methods=["PUT"]),
    Route("/api/admin/sites/{site_id}/hours", get_hours, methods=["GET"]),
    Route("/api/admin/sites/{site_id}/hours", put_hours, methods=["PUT"]),
    Route("/api/admin/sites/{site_id}/hours", delete_hours, methods=["DELETE"]),
]
