"""Speed of the staff ticket list on a large helpdesk, beside the bare query every list pays.

    .venv/bin/python -m bench.tickets                         # 50,000 tickets on SQLite
    .venv/bin/python -m bench.tickets --tickets 100000 --database postgresql://postgres@127.0.0.1:5432/test

On PostgreSQL the run makes its own throw-away database next to the one named (and drops it). Tickets are
generated over a year: statuses weighted like a working helpdesk (most closed, a few thousand active), four
priorities, 8 teams, 40 agents, a third of them from chats, each with its creation entry and the requester's
message (what the text search reads). Every due date is set as the service would.

What is timed, per call, on the store the pages and the API use (``TicketStore.search``: one page of 25 and the
total count):
- the views agents and managers open all day: active tickets by last update, breached, urgent first, one
  agent's scoped view, a text search over subjects, requesters and messages;
- the reference: ``SELECT * FROM tickets ORDER BY updated_at DESC LIMIT 25`` and a bare ``count(*)``, the floor
  any list of this table pays on this machine in this run.
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa

from bench.progress import Progress
from bench.stats import percentile
from chatsvc.domain.ids import new_id
from chatsvc.store.database import Database
from chatsvc.store.schema import sites, teams, ticket_entries, tickets, users
from chatsvc.store.tickets import TicketFilter, TicketStore

STATUSES = (("closed", 0.80), ("resolved", 0.08), ("pending", 0.04), ("open", 0.05), ("new", 0.03))
PRIORITIES = (("normal", 0.6), ("low", 0.2), ("high", 0.15), ("urgent", 0.05))
WORDS = ("parcel", "refund", "invoice", "password", "delivery", "order", "broken", "login", "account", "card",
         "colis", "facture", "remboursement", "commande", "livraison", "mot de passe", "compte")
TARGETS_H = {"urgent": (1, 4), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}
BATCH = 2_000


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [p for _, p in weighted])[0]


async def seed(db: Database, count: int, now: datetime.datetime, progress: Progress) -> tuple[list[str], list[str]]:
    rng = random.Random(7)
    site_id, team_ids, agent_ids = new_id(), [new_id() for _ in range(8)], [new_id() for _ in range(40)]
    async with db.begin() as conn:
        await conn.execute(sites.insert().values(id=site_id, key="bench", name="Bench", allowed_origins=[],
                                                 created_at=now))
        await conn.execute(teams.insert(), [{"id": t, "name": f"Team {i}", "created_at": now}
                                            for i, t in enumerate(team_ids)])
        await conn.execute(users.insert(), [{
            "id": a, "email": f"agent{i}@bench.example", "name": f"Agent {i}", "role": "agent", "password_hash": "x",
            "must_change_password": False, "disabled": False, "max_chats": None, "status": "offline",
            "created_at": now, "last_login_at": None,
        } for i, a in enumerate(agent_ids)])
    made = 0
    while made < count:
        rows, entries = [], []
        for _ in range(min(BATCH, count - made)):
            created = now - datetime.timedelta(seconds=rng.uniform(0, 365 * 86400))
            status = _pick(rng, STATUSES)
            priority = _pick(rng, PRIORITIES)
            first_h, resolve_h = TARGETS_H[priority]
            answered = status != "new" and rng.random() < 0.9
            first_at = created + datetime.timedelta(hours=rng.expovariate(1 / first_h)) if answered else None
            resolved_at = (created + datetime.timedelta(hours=rng.expovariate(1 / resolve_h))
                           if status in ("resolved", "closed") else None)
            ticket_id = new_id()
            subject = f"{rng.choice(WORDS)} {rng.choice(WORDS)} #{rng.randrange(100000)}"
            rows.append({
                "id": ticket_id, "site_id": site_id, "visitor_id": None, "conversation_id": None,
                "source": rng.choice(("chat", "form", "api", "abandoned")), "subject": subject, "status": status,
                "priority": priority, "flagged": rng.random() < 0.03,
                "team_id": rng.choice(team_ids) if rng.random() < 0.7 else None,
                "assignee_id": rng.choice(agent_ids) if status != "new" else None,
                "requester_name": f"Visitor {made}", "requester_email": f"visitor{made}@example.com", "lang": "en",
                "topic": None, "details": {}, "last_seq": 2, "created_at": created,
                "updated_at": max(d for d in (created, first_at, resolved_at) if d is not None),
                "first_response_due": created + datetime.timedelta(hours=first_h),
                "resolution_due": created + datetime.timedelta(hours=resolve_h),
                "first_response_at": first_at, "resolved_at": resolved_at,
                "closed_at": resolved_at + datetime.timedelta(days=7) if status == "closed" and resolved_at else None,
            })
            entries.append({"ticket_id": ticket_id, "seq": 1, "kind": "change", "author_role": "system",
                            "author_id": None, "author_name": "chatsvc", "client_id": None, "body": None,
                            "data": {"field": "created"}, "created_at": created})
            entries.append({"ticket_id": ticket_id, "seq": 2, "kind": "message", "author_role": "visitor",
                            "author_id": None, "author_name": "Visitor", "client_id": None,
                            "body": f"Hello, about my {subject}: " + " ".join(rng.choices(WORDS, k=12)),
                            "data": None, "created_at": created})
            made += 1
        async with db.begin() as conn:
            await conn.execute(tickets.insert(), rows)
            await conn.execute(ticket_entries.insert(), entries)
        progress.bar("tickets", made, count)
    progress.done_bar()
    return team_ids, agent_ids


async def timed(call: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    await call()  # warm: plans and caches, as a page seen twice a minute has them
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(database_url: str, count: int, rounds: int, progress: Progress) -> list[tuple[str, list[float]]]:
    db = Database(database_url)
    await db.migrate()
    try:
        now = datetime.datetime.now(datetime.UTC)
        progress.say(f"seeding {count:,} tickets on {database_url.split(':')[0]}")
        team_ids, agent_ids = await seed(db, count, now, progress)
        if database_url.startswith("postgresql"):
            async with db.begin() as conn:
                await conn.execute(sa.text("ANALYZE"))
        store = TicketStore(db)
        agent_scope = (agent_ids[0], frozenset(team_ids[:2]))

        def page(spec: TicketFilter, sort: str = "updated") -> Callable[[], Awaitable[object]]:
            return lambda: store.search(spec, now=now, sort=sort, limit=25, offset=0)

        async def bare() -> None:
            async with db.connect() as conn:
                await conn.execute(sa.select(tickets).order_by(tickets.c.updated_at.desc()).limit(25))
                await conn.scalar(sa.select(sa.func.count()).select_from(tickets))

        cases = [
            ("reference: 25 newest + count(*)", bare),
            ("active, by last update", page(TicketFilter(statuses=("new", "open", "pending")))),
            ("breached", page(TicketFilter(breached=True))),
            ("active, urgent first", page(TicketFilter(statuses=("new", "open", "pending")), "priority")),
            ("an agent's view (own, 2 teams, pool)", page(TicketFilter(visible_to=agent_scope))),
            ("text search 'remboursement'", page(TicketFilter(text="remboursement"))),
            ("all, page 1", page(TicketFilter())),
        ]
        results = []
        for name, call in cases:
            progress.say(f"timing: {name}")
            results.append((name, await timed(call, rounds)))
        return results
    finally:
        await db.close()


async def postgres_scratch(admin_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    name = f"chatsvc_bench_{new_id().lower().replace('-', '_')[:12]}"
    engine = sa.ext.asyncio.create_async_engine(admin_url.replace("postgresql://", "postgresql+asyncpg://"),
                                                isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


async def main_async(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.quiet)
    drop: Callable[[], Awaitable[None]] | None = None
    with tempfile.TemporaryDirectory() as folder:
        if args.database:
            url, drop = await postgres_scratch(args.database)
        else:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        try:
            results = await run(url, args.tickets, args.rounds, progress)
        finally:
            if drop is not None:
                await drop()
    reference = statistics.median(results[0][1])
    print(f"ticket list, {args.tickets:,} tickets, {'PostgreSQL' if args.database else 'SQLite'}, "
          f"{args.rounds} calls each (page of 25 + total count)")
    print(f"{'view':40} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8} {'× reference':>12}")
    for name, samples in results:
        p50 = statistics.median(samples)
        print(f"{name:40} {p50:8.1f} {percentile(samples, 90):8.1f} {max(samples):8.1f} {p50 / reference:12.1f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (a scratch database is made beside it)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 100 <= args.tickets <= 1_000_000 or not 1 <= args.rounds <= 1000:
        parser.error("--tickets is 100 to 1,000,000 and --rounds 1 to 1,000")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
