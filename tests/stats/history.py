"""A small hand-built history for the stats tests: rows written straight into the tables, every time explicit.

Three UTC days, 2 to 4 March 2026 (the period ``PERIOD``), two sites, two teams, two agents. Each conversation's
comment gives the times the tests' arithmetic uses (durations in seconds).
"""

from __future__ import annotations

import datetime
from typing import Any

from chatsvc.store import schema
from chatsvc.store.database import Database

UTC = datetime.UTC
D = datetime.datetime(2026, 3, 2, tzinfo=UTC)  # the first day of the period, 00:00 UTC
NOW = datetime.datetime(2026, 3, 10, 12, tzinfo=UTC)  # "now" for the SLA clocks of unresolved tickets
PERIOD = {"period": "custom", "from": "2026-03-02", "to": "2026-03-04"}
WEEK = datetime.timedelta(days=7)
US = datetime.timedelta(microseconds=1)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return D + datetime.timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def after(moment: datetime.datetime, seconds: float) -> datetime.datetime:
    return moment + datetime.timedelta(seconds=seconds)


async def insert(db: Database, table: Any, *rows: dict[str, Any]) -> None:
    async with db.begin() as conn:
        for row in rows:
            await conn.execute(table.insert().values(**row))


def conversation(cid: str, visitor: str, site: str, created_at: datetime.datetime, **values: Any) -> dict[str, Any]:
    row = {
        "id": cid, "site_id": site, "visitor_id": visitor, "status": "closed", "topic": None, "team_id": None,
        "priority": 1, "queue_front": False, "agent_id": None, "last_seq": 0, "created_at": created_at,
        "queued_at": None, "assigned_at": None, "first_response_at": None, "closed_at": None,
        "closed_by_role": None, "closed_by_id": None, "resolution": None, "handoff_at": None,
        "first_assigned_at": None, "first_responder_id": None,
    }
    row.update(values)
    return row


def event(cid: str, seq: int, created_at: datetime.datetime, *, kind: str = "bot", move: str = "no_answer",
          query: str | None = None, body: str | None = None) -> dict[str, Any]:
    data = {"move": move, "ask_feedback": False}
    if query is not None:
        data["decision"] = {"query": query, "action": "no_answer", "candidates": []}  # as services/bot.py stores it
    return {
        "conversation_id": cid, "seq": seq, "kind": kind, "author_role": "bot" if kind == "bot" else "visitor",
        "author_id": None, "author_name": "Assistant", "client_id": None, "body": body,
        "data": data if kind == "bot" else None, "created_at": created_at,
    }


def ticket(tid: str, site: str, created_at: datetime.datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": tid, "site_id": site, "visitor_id": None, "conversation_id": None, "source": "chat",
        "subject": "Help", "status": "open", "priority": "normal", "flagged": False, "team_id": None,
        "assignee_id": None, "requester_name": None, "requester_email": None, "lang": "en", "topic": None,
        "details": {}, "last_seq": 0, "created_at": created_at, "updated_at": created_at,
        "first_response_due": None, "resolution_due": None, "first_response_at": None, "resolved_at": None,
        "closed_at": None,
    }
    row.update(values)
    return row


def survey(cid: str, site: str, csat: int, nps: int | None, ces: int | None) -> dict[str, Any]:
    return {"conversation_id": cid, "site_id": site, "csat": csat, "nps": nps, "ces": ces, "comment": None,
            "created_at": NOW}


async def build_sites_and_people(db: Database) -> None:
    t0 = D - datetime.timedelta(days=30)
    await insert(
        db, schema.sites,
        {"id": "shop", "key": "shop", "name": "Shop", "allowed_origins": [], "created_at": t0},
        {"id": "blog", "key": "blog", "name": "Blog", "allowed_origins": [], "created_at": t0},
    )
    await insert(
        db, schema.teams,
        {"id": "sales", "name": "Sales", "created_at": t0},
        {"id": "care", "name": "Care", "created_at": t0},
    )
    people = [("alice", "Alice", "agent"), ("bob", "Bob", "agent"), ("mia", "Mia", "manager")]
    await insert(db, schema.users, *[
        {"id": uid, "email": f"{uid}@support.example", "name": name, "role": role, "password_hash": "x",
         "must_change_password": False, "disabled": False, "max_chats": None, "status": "offline",
         "created_at": t0, "last_login_at": None}
        for uid, name, role in people
    ])
    await insert(db, schema.visitors, *[
        {"id": vid, "site_id": "blog" if vid in ("v4", "v5", "v8") else "shop", "created_at": t0, "last_seen_at": t0}
        for vid in ("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9")
    ])


async def build_history(db: Database) -> None:
    await build_sites_and_people(db)
    await insert(
        db, schema.conversations,
        # c1, Shop/Sales/Alice, day 0 09:00. Handoff 09:01, first assigned 09:05 (wait 240), first reply 09:05
        # (first response 240), closed by the agent 09:15 (handling 600). Rated 5 / NPS 10 / CES 2.
        # Visitor v1 comes back exactly 7 days later (c9): inside the FCR window, so not a first-contact resolution.
        conversation("c1", "v1", "shop", at(0, 9), team_id="sales", agent_id="alice", handoff_at=at(0, 9, 1),
                     queued_at=at(0, 9, 1), first_assigned_at=at(0, 9, 5), assigned_at=at(0, 9, 5),
                     first_response_at=at(0, 9, 5), first_responder_id="alice", closed_at=at(0, 9, 15),
                     closed_by_role="agent", resolution="agent"),
        # c2, Shop/Sales/Bob, day 0 09:30. Handoff 09:30:30, first assigned 09:31:30 (wait 60), first reply
        # 09:35:30 (300), closed 09:50:30 (handling 1140). Rated 3 / NPS 6 / no CES. Visitor v2 comes back
        # 7 days and 1 µs later (c10): outside the window, so c2 is a first-contact resolution.
        conversation("c2", "v2", "shop", at(0, 9, 30), team_id="sales", agent_id="bob",
                     handoff_at=at(0, 9, 30, 30), first_assigned_at=at(0, 9, 31, 30),
                     first_response_at=at(0, 9, 35, 30), closed_at=at(0, 9, 50, 30), closed_by_role="agent",
                     resolution="agent"),
        # c3, Shop/Care, day 0 14:00: the bot resolved it (14:05). Rated 4 / NPS 9 / CES 1. Visitor v3 gets a
        # ticket two days later (t1): not a first-contact resolution.
        conversation("c3", "v3", "shop", at(0, 14), team_id="care", closed_at=at(0, 14, 5), closed_by_role="bot",
                     resolution="bot"),
        # c4, Blog/Care/Alice, day 1 08:15. Handoff 08:16, first assigned 08:20 (wait 240), first reply 08:21
        # (300), closed 08:45 as a ticket (handling 1500): closed but not resolved.
        conversation("c4", "v4", "blog", at(1, 8, 15), team_id="care", agent_id="alice", handoff_at=at(1, 8, 16),
                     first_assigned_at=at(1, 8, 20), first_response_at=at(1, 8, 21), closed_at=at(1, 8, 45),
                     closed_by_role="agent", resolution="ticket"),
        # c5, Blog/Care, day 1 12:00. Handoff 12:00:10; nobody took it; the visitor left at 12:10:10 (wait 600):
        # abandoned.
        conversation("c5", "v5", "blog", at(1, 12), team_id="care", handoff_at=at(1, 12, 0, 10),
                     closed_at=at(1, 12, 10, 10), closed_by_role="visitor"),
        # c6, Shop/Sales/Bob, day 1 23:30, still open. Handoff 23:31, first assigned 23:35 (wait 240), first
        # reply 23:45 (840). A requeue moved assigned_at later: the figures use first_assigned_at.
        conversation("c6", "v6", "shop", at(1, 23, 30), status="assigned", team_id="sales", agent_id="bob",
                     handoff_at=at(1, 23, 31), queued_at=at(2, 0, 10), first_assigned_at=at(1, 23, 35),
                     assigned_at=at(2, 0, 20), first_response_at=at(1, 23, 45)),
        # c7, Shop, no team, day 2 07:00: with the bot now, which had no answer three times.
        conversation("c7", "v7", "shop", at(2, 7), status="bot"),
        # c8, Blog/Sales/Alice, day 2 16:00. Handoff 16:00, first assigned 16:01 (wait 60), first reply 16:01:30
        # (90), closed 16:11 (handling 600). Rated 1 / NPS 7 / CES 7. v8 does not come back: FCR.
        conversation("c8", "v8", "blog", at(2, 16), team_id="sales", agent_id="alice", handoff_at=at(2, 16),
                     first_assigned_at=at(2, 16, 1), first_response_at=at(2, 16, 1, 30), closed_at=at(2, 16, 11),
                     closed_by_role="agent", resolution="agent"),
        # Outside the period: one second before it (c0, v8, rated 1), the returns of v1 and v2, and one
        # created at the very end instant (c11: the end is excluded).
        conversation("c0", "v8", "blog", at(0, 0) - datetime.timedelta(seconds=1), closed_at=at(0, 0),
                     closed_by_role="bot", resolution="bot"),
        conversation("c9", "v1", "shop", at(0, 9) + WEEK, status="bot"),
        conversation("c10", "v2", "shop", at(0, 9, 30) + WEEK + US, status="bot"),
        conversation("c11", "v9", "shop", at(3, 0), closed_at=at(3, 0, 5), closed_by_role="bot", resolution="bot"),
    )
    await insert(
        db, schema.surveys,
        survey("c1", "shop", 5, 10, 2),
        survey("c2", "shop", 3, 6, None),
        survey("c3", "shop", 4, 9, 1),
        survey("c8", "blog", 1, 7, 7),
        survey("c0", "blog", 1, 0, 7),  # outside the period
    )
    await insert(
        db, schema.tickets,
        # t1, v3's, day 2 14:00, Shop/Care/Alice: answered in time (14:30 < due 15:00) but not resolved by its
        # due (day 3 14:00) and "now" is later: breached.
        ticket("t1", "shop", at(2, 14), visitor_id="v3", team_id="care", assignee_id="alice",
               first_response_due=at(2, 15), first_response_at=at(2, 14, 30), resolution_due=at(3, 14)),
        # t2, from c4, day 1 08:45, Blog/Care/Alice: first response at 10:00, due 09:45: breached (resolved in
        # time, 12:00 < due day 2 08:45).
        ticket("t2", "blog", at(1, 8, 45), visitor_id="v4", conversation_id="c4", team_id="care",
               assignee_id="alice", first_response_due=at(1, 9, 45), first_response_at=at(1, 10),
               resolution_due=at(2, 8, 45), resolved_at=at(1, 12), status="resolved"),
        # t3, a form, day 1 13:00, Shop/Sales/Bob: no first response due; resolved day 2, due day 5: in time.
        ticket("t3", "shop", at(1, 13), source="form", team_id="sales", assignee_id="bob",
               resolution_due=at(5, 0), resolved_at=at(2, 0), status="resolved"),
        # Outside the period (the end instant, and the day before); both breached, neither counts.
        ticket("t4", "shop", at(3, 0), first_response_due=at(3, 1)),
        ticket("t5", "shop", at(-1, 12), first_response_due=at(-1, 13)),
    )
    await insert(
        db, schema.events,
        # c3: the bot had no answer at 14:01, then answered (not counted).
        event("c3", 1, at(0, 14, 1), query="do you ship to canada"),
        event("c3", 2, at(0, 14, 2), move="answer"),
        # c7: three unanswered questions.
        event("c7", 1, at(2, 7, 0, 5), query="Do you ship to Canada?"),
        event("c7", 2, at(2, 7, 1), query="ship to canada"),
        event("c7", 3, at(2, 7, 2), query="What are your opening hours"),
        # Not counted: a visitor's message, a no-answer in a conversation outside the period, and one in c6
        # (in the period) asked after the period's end.
        event("c1", 1, at(0, 9), kind="message", body="do you ship to canada"),
        event("c9", 1, at(7, 9, 1), query="do you ship to canada"),
        event("c6", 1, at(3, 0, 30), query="do you ship to canada"),
    )
