"""A small scripted support history written straight into the store: the manager page's tests read it back
through the real stats service (``services.stats``), so what they check is the page, the API and the CSV
agreeing with each other and escaping what people typed, not the formulas (tests/domain, tests/stats)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence

from chatsvc.domain.ids import new_id
from chatsvc.store.database import Database
from chatsvc.store.schema import conversations, events, sites, surveys, teams, users, visitors

UTC = datetime.UTC


@dataclasses.dataclass
class History:
    site_id: str
    team_id: str
    agent_ids: list[str]
    conversation_ids: list[str]
    now: datetime.datetime


async def write_history(
    db: Database,
    *,
    agent_names: Sequence[str] = ("Bea Agent", "Carl Agent"),
    questions: Sequence[str] = ("How do I change my invoice address?", "how do i change my invoice address",
                                "Can I pay with a cheque?"),
    now: datetime.datetime | None = None,
) -> History:
    """Two agents; six chats over the last two hours (bot-resolved, answered and closed, abandoned, one waiting,
    one answered by the second agent, one still with the bot); surveys on two; the bot's unanswered questions."""
    now = (now or datetime.datetime.now(UTC)).replace(microsecond=0)
    # Within today (UTC) whenever possible, and never in the future.
    base = max(now.replace(hour=0, minute=0, second=0), now - datetime.timedelta(hours=2))
    step = (now - base) / 8

    def at(k: float) -> datetime.datetime:
        return base + step * k

    site_id, team_id = new_id(), new_id()
    agent_ids = [new_id() for _ in agent_names]
    async with db.begin() as conn:
        await conn.execute(sites.insert().values(id=site_id, key=f"mg-{site_id[:8]}", name="Main shop",
                                                 allowed_origins=[], created_at=base))
        await conn.execute(teams.insert().values(id=team_id, name=f"Billing {team_id[:6]}", created_at=base))
        for index, (agent_id, name) in enumerate(zip(agent_ids, agent_names, strict=True)):
            await conn.execute(users.insert().values(
                id=agent_id, email=f"agent{index}.{agent_id[:8]}@history.example", name=name, role="agent",
                password_hash="!", must_change_password=False, disabled=False, max_chats=3, status="offline",
                created_at=base, last_login_at=None))
        first, second = agent_ids[0], agent_ids[-1]
        chats = [
            # (status, resolution, handoff, assigned, first response, closed, closed by, agent, responder)
            ("closed", "bot", None, None, None, 1.2, "bot", None, None),
            ("closed", "agent", 1.5, 1.7, 1.9, 3.0, "agent", first, first),
            ("closed", None, 2.0, None, None, 2.6, "visitor", None, None),
            ("queued", None, 3.0, None, None, None, None, None, None),
            ("assigned", None, 3.5, 4.0, 4.5, None, None, second, second),
            ("bot", None, None, None, None, None, None, None, None),
        ]
        conversation_ids = []
        for index, (status, resolution, handoff, assigned, answered, closed, closed_by, agent, responder) in (
            enumerate(chats)
        ):
            visitor_id, conversation_id = new_id(), new_id()
            created = at(index + 1) - step * 0.9
            await conn.execute(visitors.insert().values(id=visitor_id, site_id=site_id, name=None, email=None,
                                                        created_at=created, last_seen_at=created))
            await conn.execute(conversations.insert().values(
                id=conversation_id, site_id=site_id, visitor_id=visitor_id, status=status, topic=None,
                team_id=team_id, priority=1, queue_front=False, agent_id=agent, last_seq=0, created_at=created,
                queued_at=at(handoff) if handoff else None, assigned_at=at(assigned) if assigned else None,
                first_response_at=at(answered) if answered else None, closed_at=at(closed) if closed else None,
                closed_by_role=closed_by, closed_by_id=None, resolution=resolution, visitor_read_seq=0,
                handoff_at=at(handoff) if handoff else None,
                first_assigned_at=at(assigned) if assigned else None, first_responder_id=responder))
            conversation_ids.append(conversation_id)
        # The bot could not answer these (kind 'bot', move 'no_answer', the visitor's text as the query).
        for seq, question in enumerate(questions, start=1):
            await conn.execute(events.insert().values(
                conversation_id=conversation_ids[2], seq=seq, kind="bot", author_role="bot", author_id=None,
                author_name="Bot", client_id=None, body="Sorry, I do not know.",
                data={"move": "no_answer", "query": question}, created_at=at(2.1) + datetime.timedelta(seconds=seq)))
        await conn.execute(conversations.update().where(conversations.c.id == conversation_ids[2])
                           .values(last_seq=len(questions)))
        for conversation_id, csat, nps, ces in ((conversation_ids[0], 5, 10, 2), (conversation_ids[1], 2, 3, 6)):
            await conn.execute(surveys.insert().values(conversation_id=conversation_id, site_id=site_id, csat=csat,
                                                       nps=nps, ces=ces, comment=None, created_at=now))
    return History(site_id, team_id, agent_ids, conversation_ids, now)
