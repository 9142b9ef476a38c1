"""How the ticket pages word stored values: labels for statuses, priorities and sources, times, SLA clocks,
the chat transcript as bubbles and system lines, and the ticket's change entries as history sentences."""

from __future__ import annotations

import datetime
from typing import Any

from starlette.requests import Request

from chatsvc.domain.sla import format_duration
from chatsvc.web.edge import services_of
from chatsvc.web.i18n import Translator


def labels(t: Translator) -> dict[str, dict[str, str]]:
    """Translated names of statuses, priorities, sorts and sources (explicit keys, so the key test finds them)."""
    return {
        "status": {
            "new": t("tickets.status.new"),
            "open": t("tickets.status.open"),
            "pending": t("tickets.status.pending"),
            "resolved": t("tickets.status.resolved"),
            "closed": t("tickets.status.closed"),
        },
        "priority": {
            "low": t("tickets.priority.low"),
            "normal": t("tickets.priority.normal"),
            "high": t("tickets.priority.high"),
            "urgent": t("tickets.priority.urgent"),
        },
        "sort": {
            "updated": t("tickets.sort.updated"),
            "created": t("tickets.sort.created"),
            "oldest": t("tickets.sort.oldest"),
            "due": t("tickets.sort.due"),
            "priority": t("tickets.sort.priority"),
        },
        "source": {
            "chat": t("tickets.source.chat"),
            "form": t("tickets.source.form"),
            "abandoned": t("tickets.source.abandoned"),
            "api": t("tickets.source.api"),
        },
    }


def when(value: str | datetime.datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")


def clock(state: dict[str, Any], t: Translator) -> dict[str, str]:
    """One SLA clock as the pages show it: text and a state for its colour."""
    left = state["seconds_left"]
    if left is not None and left >= 0:
        return {
            "state": "soon" if left < 3600 else "running",
            "text": t("tickets.sla.left", d=format_duration(left, t.lang)),
        }
    if left is not None:
        return {"state": "breached", "text": t("tickets.sla.breached_ago", d=format_duration(left, t.lang))}
    if state["state"] == "breached":
        return {"state": "late", "text": t("tickets.sla.late")}
    if state["state"] == "met":
        return {"state": "met", "text": t("tickets.sla.met")}
    return {"state": "none", "text": "—"}


def list_clock(sla: dict[str, Any], t: Translator) -> dict[str, str]:
    """The clock that matters now: a running first response, else a running resolution, else how it ended."""
    for name, label in (
        ("first_response", "tickets.sla.first_response"),
        ("resolution", "tickets.sla.resolution"),
    ):
        if sla[name]["seconds_left"] is not None:
            return clock(sla[name], t) | {"label": t(label)}
    if sla["breached"]:
        return {"state": "late", "text": t("tickets.sla.late"), "label": ""}
    shown = clock(sla["resolution"], t)
    return shown | {"label": ""}


SYSTEM_EVENTS = {
    "opened": "tickets.chat.opened",
    "queued": "tickets.chat.queued",
    "assigned": "tickets.chat.assigned",
    "transferred": "tickets.chat.transferred",
    "requeued": "tickets.chat.requeued",
    "closed": "tickets.chat.closed",
    "choice": "tickets.chat.choice",
    "feedback": "tickets.chat.feedback",
}


def transcript(events: list[Any], t: Translator) -> list[dict[str, Any]]:
    """The chat before the ticket: messages (and staff notes) as bubbles (visitor, agent, bot), the rest as small
    system lines."""
    story = []
    for event in events:
        who = event.author.name
        data = event.data or {}
        at = when(event.at)
        if event.kind == "message" and event.text:
            side = "visitor" if event.author.role == "visitor" else "staff"
            story.append(
                {"kind": "message", "side": side, "who": who, "text": event.text, "at": at, "articles": []}
            )
        elif event.kind == "note" and event.text:
            # Staff page only (the visitor's status page builds its own list, without notes): an internal
            # note written during the chat stays with the ticket for the next person.
            story.append(
                {"kind": "note", "side": "staff", "who": who, "text": event.text, "at": at, "articles": []}
            )
        elif event.kind == "bot":
            titles = [str(a.get("title", "")) for a in data.get("articles", []) if isinstance(a, dict)]
            story.append(
                {
                    "kind": "message",
                    "side": "bot",
                    "who": who,
                    "text": event.text or "",
                    "at": at,
                    "articles": titles,
                }
            )
        elif event.kind in SYSTEM_EVENTS:
            if event.kind == "feedback":
                text = t("tickets.chat.helpful") if data.get("helpful") else t("tickets.chat.not_helpful")
            else:
                text = t(
                    SYSTEM_EVENTS[event.kind],
                    who=who,
                    agent=str(data.get("agent_name") or ""),
                    choice=event.text or "",
                )
            story.append({"kind": "system", "text": text, "at": at})
    return story


async def thread(request: Request, entries: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """The ticket's own entries: messages, internal notes, and changes worded as history lines."""
    directory = services_of(request).directory
    names = labels(t)
    lowered = {kind: {k: v.lower() for k, v in words.items()} for kind, words in names.items()}

    async def person(user_id: Any) -> str:
        found = await directory.staff_person(str(user_id)) if user_id else None
        return found.name if found else t("tickets.nobody")

    async def team(team_id: Any) -> str:
        return (await directory.team_name(str(team_id)) if team_id else None) or t("tickets.no_team")

    story = []
    for entry in entries:
        author = entry["author"]
        at = when(entry["at"])
        if entry["kind"] in ("message", "note"):
            side = "visitor" if author["role"] == "visitor" else "staff"
            story.append(
                {
                    "kind": entry["kind"],
                    "side": side,
                    "who": author["name"],
                    "text": entry["body"] or "",
                    "at": at,
                }
            )
            continue
        data = entry["data"] or {}
        field, before, after, who = data.get("field"), data.get("from"), data.get("to"), author["name"]
        if field == "created":
            text = t(
                "tickets.change.created",
                who=who,
                source=names["source"].get(str(data.get("source")), str(data.get("source"))),
            )
        elif field == "status":
            text = t(
                "tickets.change.status",
                who=who,
                before=lowered["status"].get(str(before), str(before)),
                after=lowered["status"].get(str(after), str(after)),
            )
        elif field == "priority":
            text = t(
                "tickets.change.priority",
                who=who,
                before=lowered["priority"].get(str(before), str(before)),
                after=lowered["priority"].get(str(after), str(after)),
            )
        elif field == "assignee":
            if after is None:
                text = t("tickets.change.released", who=who)
            elif after == author["id"]:
                text = t("tickets.change.took", who=who)
            else:
                text = t("tickets.change.assignee", who=who, after=await person(after))
        elif field == "team":
            text = t("tickets.change.team", who=who, after=await team(after))
        else:
            text = t("tickets.change.other", who=who)
        story.append({"kind": "change", "text": text, "at": at})
    return story
