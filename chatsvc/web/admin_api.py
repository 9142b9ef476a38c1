"""Admin JSON API: users, sites and teams. Admins only; logic in ``services.admin``.

Each body is a strict msgspec type with ``forbid_unknown_fields``: a field the caller may not set (``id``,
``password_hash``, ``created_at``, ``key`` on an existing site...) is refused with 400, never ignored or applied
(SECURITY case 9). Answers are built from the records' ``public()`` views, which hold no hash or token.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain.widget import Position, Prechat, WidgetSettings
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.admin import MAX_CHATS, MAX_MEMBERS, MAX_ORIGINS, MAX_TOPICS, AdminService
from chatsvc.store import records
from chatsvc.web.edge import services_of
from chatsvc.web.guards import api_admin, path_id
from chatsvc.web.json_body import read_json

RoleName = Literal["agent", "manager", "admin"]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
MaxChats = Annotated[int, msgspec.Meta(ge=1, le=MAX_CHATS)]
Origin = Annotated[str, msgspec.Meta(max_length=300)]
Topic = Annotated[str, msgspec.Meta(max_length=40)]
UserId = Annotated[str, msgspec.Meta(max_length=64)]
SiteKey = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    name: Name
    role: RoleName
    password: Password
    max_chats: MaxChats | None = None
    must_change_password: bool = True


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    role: RoleName | UnsetType = UNSET
    disabled: bool | UnsetType = UNSET
    max_chats: MaxChats | None | UnsetType = UNSET  # null: back to the server default
    password: Password | UnsetType = UNSET  # a reset: sessions end, the user must change it at next sign-in


class SiteCreate(msgspec.Struct, forbid_unknown_fields=True):
    key: SiteKey
    name: Name
    allowed_origins: Annotated[list[Origin], msgspec.Meta(max_length=MAX_ORIGINS)] = []


# Bounds the input only: the domain's checks (domain/widget.py) decide, and say why in their own words.
Color = Annotated[str, msgspec.Meta(max_length=20)]
Greeting = Annotated[str, msgspec.Meta(max_length=2000)]


class WidgetPatch(msgspec.Struct, forbid_unknown_fields=True):
    """The widget settings to change; omitted ones stay. A null greeting means the widget's own."""

    color: Color | UnsetType = UNSET
    position: Position | UnsetType = UNSET
    greeting_en: Greeting | None | UnsetType = UNSET
    greeting_fr: Greeting | None | UnsetType = UNSET
    prechat: Prechat | UnsetType = UNSET
    survey_csat: bool | UnsetType = UNSET
    survey_nps: bool | UnsetType = UNSET
    survey_ces: bool | UnsetType = UNSET

    def changes(self) -> dict[str, object]:
        return {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not UNSET}


class SitePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    allowed_origins: Annotated[list[Origin], msgspec.Meta(max_length=MAX_ORIGINS)] | UnsetType = UNSET
    widget: WidgetPatch | UnsetType = UNSET


def widget_settings_json(settings: WidgetSettings) -> dict[str, object]:
    """The stored settings, field for field as PATCH takes them (the text colour is derived, not stored)."""
    return dataclasses.asdict(settings)


def site_json(site: records.Site, widget: WidgetSettings) -> dict[str, object]:
    return {**site.public(), "widget": widget_settings_json(widget)}


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    topics: Annotated[list[Topic], msgspec.Meta(max_length=MAX_TOPICS)] = []
    members: Annotated[list[UserId], msgspec.Meta(max_length=MAX_MEMBERS)] = []


class TeamPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    topics: Annotated[list[Topic], msgspec.Meta(max_length=MAX_TOPICS)] | UnsetType = UNSET
    members: Annotated[list[UserId], msgspec.Meta(max_length=MAX_MEMBERS)] | UnsetType = UNSET


async def _admin(request: Request) -> tuple[StaffIdentity, AdminService]:
    """An admin's call: signed in, password change done, CSRF header when the cookie authenticates."""
    who = await api_admin(request)
    return who, AdminService.of(services_of(request))




# --- users ---------------------------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    _who, admin = await _admin(request)
    return JSONResponse({"users": [user.public() for user in await admin.list_users()]})


async def create_user(request: Request) -> Response:
    _who, admin = await _admin(request)
    body = await read_json(request, UserCreate)
    user = await admin.create_user(
        email=body.email, name=body.name, role=body.role, password=body.password, max_chats=body.max_chats,
        must_change_password=body.must_change_password,
    )
    return JSONResponse({"user": user.public()}, status_code=201)


async def update_user(request: Request) -> Response:
    who, admin = await _admin(request)
    user_id = path_id(request, "user_id")
    body = await read_json(request, UserPatch)
    user = await admin.update_user(
        user_id, actor_id=who.user.id, name=body.name, role=body.role, disabled=body.disabled,
        max_chats=body.max_chats, password=body.password,
    )
    return JSONResponse({"user": user.public()})


# --- sites ---------------------------------------------------------------------------------------------


async def list_sites(request: Request) -> Response:
    _who, admin = await _admin(request)
    sites = await admin.list_sites()
    widgets = await admin.widget_settings([site.id for site in sites])
    return JSONResponse({"sites": [site_json(site, widgets[site.id]) for site in sites]})


async def create_site(request: Request) -> Response:
    _who, admin = await _admin(request)
    body = await read_json(request, SiteCreate)
    site = await admin.create_site(key=body.key, name=body.name, allowed_origins=body.allowed_origins)
    widgets = await admin.widget_settings([site.id])
    return JSONResponse({"site": site_json(site, widgets[site.id])}, status_code=201)


async def update_site(request: Request) -> Response:
    _who, admin = await _admin(request)
    site_id = path_id(request, "site_id")
    body = await read_json(request, SitePatch)
    site = await admin.update_site(
        site_id, name=body.name, allowed_origins=body.allowed_origins,
        widget=UNSET if body.widget is UNSET else body.widget.changes(),
    )
    widgets = await admin.widget_settings([site.id])
    return JSONResponse({"site": site_json(site, widgets[site.id])})


async def delete_site(request: Request) -> Response:
    _who, admin = await _admin(request)
    await admin.delete_site(path_id(request, "site_id"))
    return Response(status_code=204)


# --- teams ---------------------------------------------------------------------------------------------


async def list_teams(request: Request) -> Response:
    _who, admin = await _admin(request)
    return JSONResponse({"teams": [team.public() for team in await admin.list_teams()]})


async def create_team(request: Request) -> Response:
    _who, admin = await _admin(request)
    body = await read_json(request, TeamCreate)
    team = await admin.create_team(name=body.name, topics=body.topics, member_ids=body.members)
    return JSONResponse({"team": team.public()}, status_code=201)


async def update_team(request: Request) -> Response:
    _who, admin = await _admin(request)
    team_id = path_id(request, "team_id")
    body = await read_json(request, TeamPatch)
    team = await admin.update_team(team_id, name=body.name, topics=body.topics, member_ids=body.members)
    return JSONResponse({"team": team.public()})


async def delete_team(request: Request) -> Response:
    _who, admin = await _admin(request)
    await admin.delete_team(path_id(request, "team_id"))
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/api/admin/users", list_users, methods=["GET"]),
    Route("/api/admin/users", create_user, methods=["POST"]),
    Route("/api/admin/users/{user_id}", update_user, methods=["PATCH"]),
    Route("/api/admin/sites", list_sites, methods=["GET"]),
    Route("/api/admin/sites", create_site, methods=["POST"]),
    Route("/api/admin/sites/{site_id}", update_site, methods=["PATCH"]),
    Route("/api/admin/sites/{site_id}", delete_site, methods=["DELETE"]),
    Route("/api/admin/teams", list_teams, methods=["GET"]),
    Route("/api/admin/teams", create_team, methods=["POST"]),
    Route("/api/admin/teams/{team_id}", update_team, methods=["PATCH"]),
    Route("/api/admin/teams/{team_id}", delete_team, methods=["DELETE"]),
]
