"""The KPI benchmark's own machinery on a few hundred conversations: the generator writes what its docstring promises
(on each backend: the rows must satisfy PostgreSQL's constraints too), is deterministic for a seed, and
``python -m bench.kpis`` runs end to end and prints its table. No speed is asserted here (bench/README.md)."""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from bench import kpis
from bench.kpi_data import generate, questions
from chatsvc.store.database import Database
from chatsvc.store.schema import conversations, events, surveys, tickets

NOW = datetime.datetime(2026, 3, 11, 15, 30, tzinfo=datetime.UTC)


async def _rows(db: Database, query: sa.Select) -> list[sa.Row]:  # type: ignore[type-arg]
    async with db.connect() as conn:
        return list((await conn.execute(query)).all())


async def test_the_generator_writes_a_desk_of_the_promised_shape(db: Database) -> None:
    made = await generate(db, 300, seed=3, now=NOW)
    assert made.conversations == 300
    assert len(made.site_ids) == 2 and len(made.team_ids) == 3 and len(made.agent_ids) == 10
    assert NOW - datetime.timedelta(days=365) <= made.first <= made.last <= NOW

    c = conversations.c
    rows = await _rows(db, sa.select(conversations))
    assert len(rows) == 300
    assert made.visitors < 300  # some visitors came back
    bot = [r for r in rows if r.resolution == "bot"]
    handed = [r for r in rows if r.handoff_at is not None]
    assert 0.2 < len(bot) / 300 < 0.5 and 0.35 < len(handed) / 300 < 0.75
    for r in rows:
        assert r.created_at <= NOW
        assert all(t is None or r.created_at <= t <= NOW
                   for t in (r.handoff_at, r.first_assigned_at, r.first_response_at, r.closed_at))
        if r.first_response_at is not None:  # answered by the person who holds it or held it first
            assert r.first_responder_id in made.agent_ids and r.first_assigned_at <= r.first_response_at
        if r.status == "closed":
            assert r.closed_at is not None and r.closed_by_role in ("bot", "agent", "visitor", "system")
        assert r.handoff_at == r.queued_at or r.handoff_at is None
    abandoned = [r for r in handed if r.first_response_at is None and r.closed_by_role in ("visitor", "system")]
    assert abandoned, "some visitors gave up in the queue"
    assert {r.closed_by_role for r in rows} >= {"bot", "agent", "visitor", "system"}

    asked = await _rows(db, sa.select(events.c.data).where(events.c.kind == "bot"))
    unanswered = [d["query"] for (d,) in asked if d and d.get("move") == "no_answer"]
    assert len(unanswered) == made.no_answer > 0 and all(isinstance(q, str) and q for q in unanswered)
    known = {q.casefold().strip(" ?.") for q in questions()}
    assert any(q.casefold().strip(" ?.") in known for q in unanswered)

    made_tickets = await _rows(db, sa.select(tickets.c.source, tickets.c.first_response_due, tickets.c.created_at))
    assert len(made_tickets) == made.tickets > 0
    assert all(due is not None and due > created for _s, due, created in made_tickets)
    rated = await _rows(db, sa.select(surveys.c.csat, surveys.c.nps, surveys.c.ces))
    assert len(rated) == made.surveys > 0 and all(1 <= csat <= 5 for csat, _n, _c in rated)
    closed = await _rows(db, sa.select(sa.func.count()).where(c.status == "closed"))
    assert len(rated) <= closed[0][0]


async def test_the_generator_is_deterministic_for_a_seed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snapshots = []
    for k in range(2):
        database = Database(f"sqlite:///{tmp_path}/run{k}.db")
        await database.migrate()
        try:
            await generate(database, 120, seed=11, now=NOW, leave_open=False)
            snapshots.append(await _rows(database, sa.select(
                conversations.c.id, conversations.c.created_at, conversations.c.status, conversations.c.agent_id,
            ).order_by(conversations.c.id)))
        finally:
            await database.close()
    assert snapshots[0] == snapshots[1]
    assert {row.status for row in snapshots[0]} == {"closed"}  # leave_open=False: nothing waits in a live queue


async def test_the_benchmark_command_runs_on_a_few_hundred_conversations(capsys) -> None:  # type: ignore[no-untyped-def]
    args = kpis.parse_args(["--conversations", "300", "--runs", "2", "--backends", "sqlite", "--quiet"])
    code = await kpis.main_async(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SQLite" in out and "300 conversations" in out
    for label in ("today", "30 days", "365 days", "365 days, one site", "30 days, one agent"):
        assert f"  {label} " in out, out
    # The year's case counts every generated conversation, and the plan summary was produced for it.
    year = next(line for line in out.splitlines() if line.startswith("  365 days "))
    assert year.split()[2] == "300", year
    assert "created_at index:" in out
