"""A year of a live-chat desk, generated straight into the store: what ``bench.kpis`` measures the manager's figures
on, and what ``tests/screenshots.py`` fills the manager page with.

    await generate(database, 100_000, seed=7, now=now)      # a migrated chatsvc Database

Shapes are drawn to look like a working desk, not uniform noise, so that the queries meet the distributions they
will meet in production (a few agents with most chats, busy afternoons, long tails):
- conversations over ``days`` days, more on weekdays and in working hours (UTC), a slow growth over the year and a
  few bad days when waits run long;
- visitors, about a fifth of whom come back (two to six conversations, days apart: second contacts within a week);
- about 35 % resolved by the bot; some leave the bot without asking for anyone; the others are handed to a person,
  wait (longer in busy hours), and either give up first (closed by the visitor or the system: abandoned) or are
  assigned to an agent of the topic's team, answered, sometimes transferred, and closed by the agent, the visitor
  or the system;
- tickets for about 8 % (a chat that became one, an abandoned question, a form), with SLA dues, some breached;
- surveys on about a quarter (CSAT, NPS on part, CES on part), more generous after quick answers;
- a few bot events per conversation, ``no_answer`` ones carrying the visitor's text in ``data.query``: questions
  from ``../shared/data`` (the ones no article answers), a few asked again and again with small variations.

Rows go in by SQLAlchemy Core executemany, a batch of conversations (with their visitors, events, tickets and
surveys) per transaction. The generator is deterministic for a given ``seed`` and ``now``; ids are drawn from the
seeded generator too.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import itertools
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chatsvc.store.database import Database
from chatsvc.store.schema import (
    conversations,
    events,
    sites,
    surveys,
    team_members,
    teams,
    ticket_entries,
    tickets,
    users,
    visitors,
)

UTC = datetime.UTC
DAY = 86_400.0
BATCH = 2_000  # conversations per transaction (with their visitors, about 7 events each, tickets, surveys)
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

SITES = (("Northwind shop", 0.7), ("Northwind help centre", 0.3))
TEAMS = ("Orders", "Billing", "Technical")
TOPICS = (("orders", 0, 0.45), ("billing", 1, 0.2), ("tech", 2, 0.15), (None, None, 0.2))  # topic, team, weight
AGENT_NAMES = ("Nadia Ortiz", "Tomás Silva", "Aiko Tanaka", "Marc Dubois", "Grace Okoye", "Lena Fischer",
               "Omar Haddad", "Sofia Rossi", "Ben Carter", "Chloé Martin")
AGENT_TEAMS = (0, 0, 0, 0, 1, 1, 1, 2, 2, 2)  # agent i belongs to team AGENT_TEAMS[i]
VISITOR_NAMES = ("Sam", "Alex", "Jo", "Kim", "Ana", "Luca", "Mia", "Noah", "Emma", "Hugo", "Inès", "Yuki")

# Conversations per hour of the day (UTC), relative: night, the morning rise, the afternoon peak, the evening.
HOURLY = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.2, 1.5, 1.6, 1.55, 1.3, 1.45, 1.7, 1.75, 1.6, 1.3, 1.0,
          0.85, 0.7, 0.55, 0.4, 0.25)
WEEKDAY = (1.1, 1.05, 1.0, 1.0, 0.95, 0.55, 0.45)  # Monday first

BOT_RESOLVED = 0.35  # "Did this solve it?" - Yes
BOT_LEFT = 0.09  # left the bot without asking for anyone (closed by the visitor or the system)
TICKET_FROM_CHAT = 0.09  # of the chats a person answered: converted to a ticket (resolution 'ticket')
ABANDONED_TICKET = 0.5  # of the abandoned chats: the question kept as a ticket (the visitor gave an email)
FORM_TICKETS = 0.025  # tickets from the contact form, per conversation
SURVEYED_AGENT = 0.34  # closed chats a person answered: the visitor rated it
SURVEYED_BOT = 0.2  # bot-resolved chats
NPS_ASKED = 0.45  # of the surveys
CES_ASKED = 0.35
OPEN_MINUTES = 25  # conversations started this recently may still be open (bot, queued, assigned)

TIMES = ("queued_at", "assigned_at", "first_response_at", "closed_at", "handoff_at", "first_assigned_at")

FALLBACK_QUESTIONS = (
    "do you ship to Iceland",
    "can I pay with a gift card from another shop",
    "what is the warranty on a used tent",
    "is the Ridge 2 tent vegan",
    "can I change the colour after ordering",
    "do you have a shop in Lyon",
    "how do I delete my account data",
    "my coupon code does not work",
    "can I order by phone",
    "why was my card declined twice",
    "est-ce que vous livrez en Suisse",
    "puis-je payer en plusieurs fois",
)
FILLERS = ("", "", "", "hi ", "hello, ", "hey ", "bonjour ", "please ", "quick question: ")
ENDINGS = ("", "", "", "?", " ?", "??", ".", " thanks", " please")


@dataclasses.dataclass(frozen=True)
class Generated:
    """What ``generate`` wrote, and the ids a caller filters by."""

    conversations: int
    visitors: int
    events: int
    tickets: int
    surveys: int
    no_answer: int  # bot events with move no_answer
    site_ids: tuple[str, ...]
    team_ids: tuple[str, ...]
    agent_ids: tuple[str, ...]
    first: datetime.datetime  # the oldest conversation's created_at
    last: datetime.datetime


def questions() -> list[str]:
    """Visitor questions the bot has no article for: the labelled ``null`` queries of ../shared/data, or a short
    list of our own when that folder is not there (an export of the repository alone)."""
    found: list[str] = []
    for name in ("fr_support_queries.jsonl", "stackfaq_queries.jsonl", "banking77_queries.jsonl"):
        path = DATA / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item.get("expected") is None and isinstance(item.get("query"), str):
                    found.append(item["query"].strip())
    return found or list(FALLBACK_QUESTIONS)


class _Ids:
    """22-character URL-safe ids like ``new_id``'s, drawn from the seeded generator (same seed, same ids)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return base64.urlsafe_b64encode(self.rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()


def _weighted(rng: random.Random, weights: Sequence[float]) -> int:
    return rng.choices(range(len(weights)), weights)[0]


def _lognormal(rng: random.Random, median: float, sigma: float, cap: float) -> float:
    return min(cap, median * math.exp(rng.gauss(0.0, sigma)))


class _Desk:
    """Everything drawn per conversation; ``rows`` accumulate until a batch is written."""

    def __init__(self, rng: random.Random, ids: _Ids, now: datetime.datetime, days: int, site_ids: Sequence[str],
                 team_ids: Sequence[str], agents: Sequence[tuple[str, str, int | None]], leave_open: bool,
                 texts: Sequence[str]) -> None:
        self.rng = rng
        self.ids = ids
        self.now = now
        self.days = days
        self.site_ids = list(site_ids)
        self.team_ids = list(team_ids)
        self.agents = list(agents)  # (id, name, team index or None)
        self.leave_open = leave_open
        self.span = days * DAY
        self.texts = list(texts)
        # A few questions are asked again and again (what the page's top list should find): a Zipf-like weight.
        order = list(range(len(self.texts)))
        rng.shuffle(order)
        weights = [0.0] * len(self.texts)
        for rank, index in enumerate(order):
            weights[index] = 1.0 / (rank + 1) ** 1.1
        self.question_cumulative = list(itertools.accumulate(weights))  # drawn often: summed once
        self.question_indexes = range(len(self.texts))
        # Each agent has his own pace and touch: the agents table should not show ten copies of one person.
        self.pace = {a[0]: rng.uniform(0.6, 1.7) for a in self.agents}
        self.touch = {a[0]: rng.uniform(-0.6, 0.4) for a in self.agents}
        self.by_team: dict[int | None, list[str]] = {}
        for agent_id, _name, team in self.agents:
            self.by_team.setdefault(team, []).append(agent_id)
        self.names = {a[0]: a[1] for a in self.agents}
        # Bad days: an incident, a sale, half the team ill - waits several times longer.
        self.bad_days = {rng.randrange(days) for _ in range(max(1, days // 30))}
        self.peak = max(HOURLY)
        self.reset()

    def reset(self) -> None:
        self.visitor_rows: list[dict[str, Any]] = []
        self.conversation_rows: list[dict[str, Any]] = []
        self.event_rows: list[dict[str, Any]] = []
        self.ticket_rows: list[dict[str, Any]] = []
        self.entry_rows: list[dict[str, Any]] = []
        self.survey_rows: list[dict[str, Any]] = []
        self.no_answer = 0

    # --- when --------------------------------------------------------------------------------------------------

    def start_time(self) -> datetime.datetime:
        """A moment of the period, weighted by hour, weekday and a slow growth (rejection sampling)."""
        top = max(WEEKDAY) * self.peak * 1.0
        while True:
            ago = self.rng.random() * self.span
            at = self.now - datetime.timedelta(seconds=ago)
            growth = 0.75 + 0.25 * (1 - ago / self.span)  # a quarter more chats now than a year ago
            weight = HOURLY[at.hour] * WEEKDAY[at.weekday()] * growth
            if self.rng.random() * top < weight:
                return at

    def load(self, at: datetime.datetime) -> float:
        """How busy the desk is at ``at``: waits scale with it."""
        days_ago = int((self.now - at).total_seconds() // DAY)
        bad = 4.0 if days_ago in self.bad_days else 1.0
        return bad * (0.4 + HOURLY[at.hour] / self.peak * WEEKDAY[at.weekday()])

    # --- who ---------------------------------------------------------------------------------------------------

    def visitor(self, site_id: str, first: datetime.datetime) -> dict[str, Any]:
        named = self.rng.random() < 0.45
        row = {
            "id": self.ids(), "site_id": site_id,
            "name": f"{self.rng.choice(VISITOR_NAMES)} {self.rng.randrange(10, 99)}" if named else None,
            "email": f"visitor{self.rng.getrandbits(40):x}@example.com" if named else None,
            "created_at": first, "last_seen_at": first, "page_url": None, "page_title": None, "timezone": None,
            "language": None, "user_agent": None, "page_seen_at": None,
        }
        self.visitor_rows.append(row)
        return row

    def question(self) -> str:
        text = self.texts[self.rng.choices(self.question_indexes, cum_weights=self.question_cumulative)[0]]
        if self.rng.random() < 0.5:  # as typed: a greeting, no capital, a trailing "??"
            text = self.rng.choice(FILLERS) + (text[:1].lower() + text[1:]).rstrip("?. ") + self.rng.choice(ENDINGS)
        return text[:500]

    # --- one conversation ------------------------------------------------------------------------------------

    def conversation(self, visitor: dict[str, Any], created: datetime.datetime, last_of_visitor: bool
                     ) -> datetime.datetime:
        """Draw one conversation and its events, tickets and survey; returns when it ended (or now, still open)."""
        rng = self.rng
        cid = self.ids()
        topic, team_index, _w = TOPICS[_weighted(rng, [t[2] for t in TOPICS])]
        if team_index is not None:  # fewer teams given than TEAMS: topics share them
            team_index = team_index % len(self.team_ids) if self.team_ids else None
        lang = "fr" if rng.random() < 0.25 else "en"
        seq = 0
        evs: list[dict[str, Any]] = []

        def event(kind: str, at: datetime.datetime, role: str, *, author_id: str | None = None,
                  name: str = "", body: str | None = None, data: dict[str, Any] | None = None) -> None:
            nonlocal seq
            seq += 1
            evs.append({"conversation_id": cid, "seq": seq, "kind": kind, "author_role": role, "author_id": author_id,
                        "author_name": name or ("Assistant" if role == "bot" else "chatsvc" if role == "system"
                                                else visitor["name"] or "Visitor"),
                        "client_id": None, "body": body, "data": data, "created_at": at})

        row: dict[str, Any] = {
            "id": cid, "site_id": visitor["site_id"], "visitor_id": visitor["id"], "status": "closed", "topic": topic,
            "team_id": self.team_ids[team_index] if team_index is not None else None, "priority": 1,
            "queue_front": False, "agent_id": None, "created_at": created, "queued_at": None, "assigned_at": None,
            "first_response_at": None, "closed_at": None, "closed_by_role": None, "closed_by_id": None,
            "resolution": None, "visitor_read_seq": 0, "handoff_at": None, "first_assigned_at": None,
            "first_responder_id": None,
        }
        may_stay_open = (self.leave_open and last_of_visitor
                         and (self.now - created).total_seconds() < OPEN_MINUTES * 60)

        event("opened", created, "visitor", data={"lang": lang})
        at = created + datetime.timedelta(seconds=rng.uniform(3, 40))
        # The bot's turns: each visitor question gets an answer, suggestions or "no answer"; one to three turns.
        fate = rng.random()
        turns = 1 + _weighted(rng, (0.55, 0.3, 0.15))
        for turn in range(turns):
            no_answer = rng.random() < (0.3 if fate >= BOT_RESOLVED else 0.08)
            text = self.question() if no_answer else f"question {turn + 1} about {topic or 'my order'}"
            event("message", at, "visitor", body=text)
            at += datetime.timedelta(seconds=rng.uniform(0.3, 2.0))
            if no_answer:
                self.no_answer += 1
                event("bot", at, "bot", body="I'm not sure I can answer that.",
                      data={"move": "no_answer", "ask_feedback": False, "query": text})
            else:
                move = "answer" if rng.random() < 0.7 else "suggest"
                event("bot", at, "bot", body="This might help.",
                      data={"move": move, "ask_feedback": move == "answer", "shown": [f"kb-{rng.randrange(60)}"]})
            at += datetime.timedelta(seconds=_lognormal(rng, 25, 0.8, 600))

        if fate < BOT_RESOLVED:  # "Yes, that solved it": deflected
            if may_stay_open and rng.random() < 0.5:
                row["status"] = "bot"
            else:
                event("feedback", at, "visitor", data={"helpful": True})
                event("closed", at, "bot", data={"resolution": "bot", "survey": True})
                row.update(closed_at=at, closed_by_role="bot", resolution="bot")
                if rng.random() < SURVEYED_BOT:
                    self.survey(row, at, quick=True)
            return self.finish(row, evs, seq)
        if fate < BOT_RESOLVED + BOT_LEFT:  # left the bot without asking for anyone
            if may_stay_open:
                row["status"] = "bot"
            else:
                by = "visitor" if rng.random() < 0.6 else "system"
                event("closed", at, by)
                row.update(closed_at=at, closed_by_role=by, closed_by_id=visitor["id"] if by == "visitor" else None)
            return self.finish(row, evs, seq)

        # Handed to a person.
        handoff = at
        event("queued", handoff, "visitor", data={"reason": rng.choice(("asked", "asked", "declined", "menu"))})
        row.update(queued_at=handoff, handoff_at=handoff)
        load = self.load(handoff)
        wait = min(3 * 3600.0, rng.expovariate(1 / (55.0 * load)) + rng.uniform(2, 8))
        patience = rng.expovariate(1 / 420.0) + 15  # how long this visitor would wait
        if may_stay_open and (self.now - handoff).total_seconds() < wait:
            row["status"] = "queued"  # still waiting now
            return self.finish(row, evs, seq)
        if patience < wait:  # gave up before anyone took it: abandoned
            gone = handoff + datetime.timedelta(seconds=patience)
            by = "visitor" if rng.random() < 0.7 else "system"
            event("closed", gone, by)
            row.update(closed_at=gone, closed_by_role=by, closed_by_id=visitor["id"] if by == "visitor" else None)
            if visitor["email"] and rng.random() < ABANDONED_TICKET:
                self.ticket(row, visitor, gone, source="abandoned", assignee=None)
            return self.finish(row, evs, seq)

        pool = self.by_team.get(team_index) or [a[0] for a in self.agents]
        if rng.random() < 0.15:  # any agent with room, not only the team's
            pool = [a[0] for a in self.agents]
        agent = rng.choice(pool)
        assigned = handoff + datetime.timedelta(seconds=wait)
        event("assigned", assigned, "system", data={"agent": agent, "name": self.names[agent]})
        row.update(status="assigned", agent_id=agent, assigned_at=assigned, first_assigned_at=assigned)
        pace = self.pace[agent]
        replied = rng.random() > 0.03
        first_reply = assigned + datetime.timedelta(seconds=rng.expovariate(1 / (20.0 * pace)) + 3)
        if replied and first_reply <= self.now:
            event("message", first_reply, "agent", author_id=agent, name=self.names[agent], body="Hello, let me check.")
            row.update(first_response_at=first_reply, first_responder_id=agent)
            event("message", first_reply + datetime.timedelta(seconds=rng.uniform(10, 90)), "visitor",
                  body="Thanks, it is order NW-" + str(rng.randrange(10000, 99999)))
        handling = _lognormal(rng, 360 * pace, 0.7, 2 * 3600)
        closed = assigned + datetime.timedelta(seconds=handling)
        if rng.random() < 0.05 and len(self.agents) > 1:  # transferred once: the last holder is another agent
            moved = max(assigned + datetime.timedelta(seconds=handling * rng.uniform(0.3, 0.7)),
                        first_reply + datetime.timedelta(seconds=5))  # after the first answer
            other = rng.choice([a[0] for a in self.agents if a[0] != agent])
            if moved < self.now:
                event("transferred", moved, "agent", author_id=agent, name=self.names[agent],
                      data={"to": other, "name": self.names[other]})
                row.update(agent_id=other, assigned_at=moved)
        if may_stay_open and closed > self.now:
            return self.finish(row, evs, seq)  # still in progress
        roll = rng.random()
        by = "agent" if roll < 0.6 else "visitor" if roll < 0.9 else "system"
        resolution: str | None = "agent" if by == "agent" else None
        if row["first_response_at"] is not None and rng.random() < TICKET_FROM_CHAT:
            resolution = "ticket"
            by = "agent" if rng.random() < 0.7 else "visitor"
        holder = row["agent_id"]
        event("closed", closed, by, author_id=holder if by == "agent" else None,
              name=self.names[holder] if by == "agent" else "", data={"resolution": resolution} if resolution else None)
        row.update(status="closed", closed_at=closed, closed_by_role=by, resolution=resolution,
                   closed_by_id=holder if by == "agent" else visitor["id"] if by == "visitor" else None)
        if resolution == "ticket":
            self.ticket(row, visitor, closed, source="chat", assignee=holder)
        if row["first_response_at"] is not None and resolution != "ticket" and rng.random() < SURVEYED_AGENT:
            quick = (row["first_response_at"] - handoff).total_seconds() < 120
            self.survey(row, closed, quick=quick, touch=self.touch[holder])
        return self.finish(row, evs, seq)

    def finish(self, row: dict[str, Any], evs: list[dict[str, Any]], seq: int) -> datetime.datetime:
        row["last_seq"] = seq
        row["visitor_read_seq"] = seq
        # A conversation started minutes ago and drawn to end later is cut at ``now``: nothing happens in the future.
        for key in TIMES:
            if row[key] is not None and row[key] > self.now:
                row[key] = self.now
        for e in evs:
            e["created_at"] = min(e["created_at"], self.now)
        self.conversation_rows.append(row)
        self.event_rows.extend(evs)
        return row["closed_at"] or self.now

    def survey(self, row: dict[str, Any], at: datetime.datetime, *, quick: bool, touch: float = 0.0) -> None:
        rng = self.rng
        # Most ratings are 4-5; slow answers and a heavy-handed agent pull them down.
        mood = rng.gauss(0.9 + (0.35 if quick else -0.25) + touch, 1.0)
        csat = 5 if mood > 0.6 else 4 if mood > -0.1 else 3 if mood > -0.7 else 2 if mood > -1.3 else 1
        nps = max(0, min(10, round(6.5 + 2.2 * mood + rng.gauss(0, 1.2)))) if rng.random() < NPS_ASKED else None
        ces = max(1, min(7, round(5.2 + 0.9 * mood + rng.gauss(0, 0.8)))) if rng.random() < CES_ASKED else None
        when = at + datetime.timedelta(seconds=rng.uniform(5, 120))
        self.survey_rows.append({
            "conversation_id": row["id"], "site_id": row["site_id"], "csat": csat, "nps": nps, "ces": ces,
            "comment": rng.choice((None, None, None, "Quick and friendly", "Took a while", "Merci !")),
            "created_at": min(when, self.now),
        })

    def ticket(self, conversation: dict[str, Any] | None, visitor: dict[str, Any] | None, created: datetime.datetime,
               *, source: str, assignee: str | None) -> None:
        rng = self.rng
        priority = rng.choices(("normal", "low", "high", "urgent"), (0.6, 0.2, 0.15, 0.05))[0]
        first_h, resolve_h = {"urgent": (1, 4), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}[priority]
        # Most meet their SLA; the slow tail breaches it (more for the first response of an unassigned ticket).
        first_at = created + datetime.timedelta(hours=rng.expovariate(1 / (first_h * (0.35 if assignee else 0.6))))
        resolved_at = created + datetime.timedelta(hours=rng.expovariate(1 / (resolve_h * 0.45)))
        age = self.now - created
        first_at_or_none = first_at if first_at <= self.now else None
        resolved = resolved_at if resolved_at <= self.now else None
        if resolved is None:
            status = "open" if first_at_or_none else "new"
        elif age > datetime.timedelta(days=7) and resolved < self.now - datetime.timedelta(days=7):
            status = "closed"
        else:
            status = "resolved"
        team_id = conversation["team_id"] if conversation else rng.choice(self.team_ids)
        tid = self.ids()
        subject = f"{rng.choice(('Parcel', 'Refund', 'Invoice', 'Login', 'Delivery', 'Colis'))} #{rng.randrange(10**5)}"
        self.ticket_rows.append({
            "id": tid, "site_id": (conversation or visitor or {"site_id": self.site_ids[0]})["site_id"],
            "visitor_id": visitor["id"] if visitor else None,
            "conversation_id": conversation["id"] if conversation else None, "source": source, "subject": subject,
            "status": status, "priority": priority, "flagged": False, "team_id": team_id,
            "assignee_id": assignee or (rng.choice([a[0] for a in self.agents]) if first_at_or_none else None),
            "requester_name": visitor["name"] if visitor else None,
            "requester_email": visitor["email"] if visitor else f"form{rng.getrandbits(32):x}@example.com",
            "lang": "en", "topic": conversation["topic"] if conversation else None, "details": {}, "last_seq": 1,
            "created_at": created,
            "updated_at": max(d for d in (created, first_at_or_none, resolved) if d is not None),
            "first_response_due": created + datetime.timedelta(hours=first_h),
            "resolution_due": created + datetime.timedelta(hours=resolve_h),
            "first_response_at": first_at_or_none, "resolved_at": resolved,
            "closed_at": resolved + datetime.timedelta(days=7) if status == "closed" and resolved else None,
        })
        self.entry_rows.append({"ticket_id": tid, "seq": 1, "kind": "change", "author_role": "system",
                                "author_id": None, "author_name": "chatsvc", "client_id": None, "body": None,
                                "data": {"field": "created"}, "created_at": created})

    # --- one visitor's conversations -------------------------------------------------------------------------

    def visitor_story(self, budget: int) -> int:
        """A visitor and their conversations (one, or two to six for a returning visitor); how many were made."""
        rng = self.rng
        site_id = self.site_ids[_weighted(rng, [w for _n, w in SITES][: len(self.site_ids)] or [1.0])]
        count = 1 if rng.random() < 0.8 else min(budget, 2 + int(rng.expovariate(1 / 1.2)), 6)
        first = self.start_time()
        visitor = self.visitor(site_id, first)
        starts = [first]
        while True:
            # Back within days, often within the week (a second contact), sometimes weeks later; never while the
            # previous conversation is open (one open conversation per visitor).
            gap = rng.expovariate(1 / (4 * DAY)) + rng.uniform(600, 3 * 3600)
            following = starts[-1] + datetime.timedelta(seconds=gap)
            last = len(starts) == count or following >= self.now
            ended = self.conversation(visitor, starts[-1], last)
            if last:
                break
            starts.append(max(following, ended + datetime.timedelta(seconds=rng.uniform(60, 3600))))
            if starts[-1] >= self.now:
                starts.pop()
                break
        visitor["last_seen_at"] = starts[-1]
        written = starts[-1] + datetime.timedelta(hours=rng.uniform(1, 48))  # the contact form, later
        if rng.random() < FORM_TICKETS * len(starts) and written < self.now:
            self.ticket(None, visitor, written, source="form", assignee=None)
        return len(starts)


async def _people(database: Database, ids: _Ids, now: datetime.datetime, site_ids: Sequence[str] | None,
                  team_ids: Sequence[str] | None, agent_ids: Sequence[str] | None,
                  tag: str) -> tuple[list[str], list[str], list[tuple[str, str, int | None]]]:
    """The desk's sites, teams and agents: the given ones (read back), the rest made here."""
    async with database.begin() as conn:
        if site_ids is None:
            site_ids = []
            for index, (name, _weight) in enumerate(SITES):
                site_ids.append(ids())
                await conn.execute(sites.insert().values(
                    id=site_ids[-1], key=f"kpi-{tag}-{index}", name=name, allowed_origins=[], created_at=now))
        if team_ids is None:
            team_ids = []
            for name in TEAMS:
                team_ids.append(ids())
                await conn.execute(teams.insert().values(id=team_ids[-1], name=f"{name} {tag}" if tag else name,
                                                         created_at=now))
        if agent_ids is None:
            agents = []
            for index, name in enumerate(AGENT_NAMES):
                agent_id = ids()
                team = AGENT_TEAMS[index] % len(team_ids) if team_ids else None
                agents.append((agent_id, name, team))
                await conn.execute(users.insert().values(
                    id=agent_id, email=f"agent{index}-{tag}@kpi.example", name=name, role="agent",
                    password_hash="!", must_change_password=False, disabled=False, max_chats=3, status="offline",
                    created_at=now - datetime.timedelta(days=400), last_login_at=None))
                if team is not None:
                    await conn.execute(team_members.insert().values(team_id=team_ids[team], user_id=agent_id))
        else:
            found = {r.id: r.name for r in await conn.execute(
                sa.select(users.c.id, users.c.name).where(users.c.id.in_(list(agent_ids))))}
            membership = {r.user_id: r.team_id for r in await conn.execute(
                sa.select(team_members).where(team_members.c.user_id.in_(list(agent_ids))))}
            agents = [(a, found[a], list(team_ids).index(membership[a]) if membership.get(a) in team_ids else
                       (i % len(team_ids) if team_ids else None)) for i, a in enumerate(agent_ids) if a in found]
            if not agents:
                raise ValueError("none of the given agent ids is a user")
    return list(site_ids), list(team_ids), agents


async def generate(
    database: Database,
    n: int,
    *,
    seed: int = 7,
    now: datetime.datetime | None = None,
    days: int = 365,
    site_ids: Sequence[str] | None = None,
    team_ids: Sequence[str] | None = None,
    agent_ids: Sequence[str] | None = None,
    leave_open: bool = True,
    asked: Sequence[str] | None = None,
    progress: Any = None,
) -> Generated:
    """Write ``n`` conversations started over the ``days`` days before ``now`` (with their visitors, events,
    tickets and surveys) into a migrated ``database``.

    Sites, teams and agents are made here (2, 3 and 10, with keys, names and emails tagged by the seed so that two
    runs on one database do not collide) unless their ids are given: the screenshot's agents, who also sign in.
    ``leave_open=False`` closes every conversation (no generated visitor waits in a live server's queue);
    otherwise conversations of the last minutes may still be with the bot, queued or assigned. ``asked``: the
    questions the bot cannot answer (default ``questions()``). ``progress`` is a ``bench.progress.Progress`` or
    None."""
    if n < 1:
        raise ValueError("n must be at least 1")
    texts = list(asked) if asked is not None else questions()
    if not texts:
        raise ValueError("asked must hold at least one question")
    now = (now or datetime.datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    ids = _Ids(random.Random(seed * 7919 + 1))
    tag = f"s{seed}"
    sites_, teams_, agents = await _people(database, ids, now, site_ids, team_ids, agent_ids, tag)
    desk = _Desk(rng, ids, now, days, sites_, teams_, agents, leave_open, texts)
    made = visitors_made = events_made = tickets_made = surveys_made = no_answer = 0
    first = last = None
    while made < n:
        desk.reset()
        batch = 0
        while batch < BATCH and made + batch < n:
            batch += desk.visitor_story(n - made - batch)
        async with database.begin() as conn:
            await conn.execute(visitors.insert(), desk.visitor_rows)
            await conn.execute(conversations.insert(), desk.conversation_rows)
            await conn.execute(events.insert(), desk.event_rows)
            if desk.ticket_rows:
                await conn.execute(tickets.insert(), desk.ticket_rows)
                await conn.execute(ticket_entries.insert(), desk.entry_rows)
            if desk.survey_rows:
                await conn.execute(surveys.insert(), desk.survey_rows)
        made += batch
        visitors_made += len(desk.visitor_rows)
        events_made += len(desk.event_rows)
        tickets_made += len(desk.ticket_rows)
        surveys_made += len(desk.survey_rows)
        no_answer += desk.no_answer
        times = [r["created_at"] for r in desk.conversation_rows]
        first = min([first, *times]) if first else min(times)
        last = max([last, *times]) if last else max(times)
        if progress is not None:
            progress.bar("conversations", made, n)
    if progress is not None:
        progress.done_bar()
    assert first is not None and last is not None
    return Generated(
        conversations=made, visitors=visitors_made, events=events_made, tickets=tickets_made, surveys=surveys_made,
        no_answer=no_answer, site_ids=tuple(sites_), team_ids=tuple(teams_), agent_ids=tuple(a[0] for a in agents),
        first=first, last=last,
    )


__all__ = ["Generated", "generate", "questions"]
