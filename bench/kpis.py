"""``python -m bench.kpis``: the manager's period figures on a year of generated conversations, beside the bare scan
of the same rows, measured in the same run.

    .venv/bin/python -m bench.kpis                                   # 100,000 conversations, SQLite (+ PostgreSQL)
    .venv/bin/python -m bench.kpis --conversations 20000 --runs 5
    .venv/bin/python -m bench.kpis --database-url postgresql://postgres@127.0.0.1:5432/test --backends postgresql

Per backend: a fresh database (a temporary SQLite file; on PostgreSQL a throw-away database beside the one named by
``--database-url`` or ``CHATSVC_TEST_DATABASE_URL``, dropped afterwards), migrated as the server migrates it at
start (``Database.migrate``); ``bench/kpi_data.py`` writes the conversations (bulk executemany); then
``StatsService.report`` (what ``GET /api/stats`` and the page call) is timed for today, 30 days, 365 days and with a
site and an agent filter. Each run times the report, then the reference: ``SELECT count(*), avg(last_seq) FROM
conversations`` over the same period and filter, the least any figure of that period costs on this machine at
that moment. Below the table, for each case, how the report's queries reach the conversations table (the plan of
every statement it ran: the created_at index or a full scan).

Progress goes to stderr, the table to stdout. See bench/README.md ("bench.kpis").
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.kpi_data import Generated, generate
from bench.procs import postgres_database
from bench.progress import Progress
from bench.report import load_average, machine_facts, revision
from bench.stats import median, percentile, ratio
from chatsvc.domain.metrics import Period, StatsFilter, load_zone, local_today, parse_period
from chatsvc.services.container import Services
from chatsvc.settings import Settings
from chatsvc.store.schema import conversations

GOAL_MS = 1000.0  # the issue: the period figures of 100,000 conversations load in under one second
YEAR_DAYS = 364  # conversations are spread over this many days before now: the year's case holds them all
CASE_BUDGET_S = 30.0  # a case stops repeating after this long (once it has 3 runs): the run stays bounded
RUN_LIMIT_S = 15 * 60.0  # the whole command, every backend: beyond it, it stops with an error


@dataclasses.dataclass
class Case:
    label: str
    period: Period
    filters: StatsFilter
    conversations: int = 0  # in the period, matching the filter (the reference's count)
    report_ms: list[float] = dataclasses.field(default_factory=list)
    reference_ms: list[float] = dataclasses.field(default_factory=list)
    statements: int = 0  # SQL statements one report ran
    plan: str = ""  # how those statements reach conversations
    reference_plan: str = ""
    slowest: str = ""  # where the first (untimed) report's time went: in SQL or not, and its slowest statement
    details: list[str] = dataclasses.field(default_factory=list)  # every statement's plan (--plans)


@dataclasses.dataclass
class Backend:
    name: str
    generated: Generated | None = None
    seed_s: float = 0.0
    cases: list[Case] = dataclasses.field(default_factory=list)
    error: str = ""


# --- arguments ----------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.kpis",
        description="The manager's period figures (StatsService.report) on generated conversations, beside a bare "
        "scan of the same rows, in the same run.",
    )
    parser.add_argument("--conversations", type=int, default=100_000,
                        help="conversations generated over the year's case, now and the 364 days before (default "
                        "100,000)")
    parser.add_argument("--runs", type=int, default=7, help="timed reports per case, each with its reference "
                        f"(default 7; fewer when a case exceeds {CASE_BUDGET_S:.0f} s)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both; PostgreSQL only with a URL)")
    parser.add_argument("--database-url", default=os.environ.get("CHATSVC_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server to make a throw-away database on "
                        "(default $CHATSVC_TEST_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=7, help="the generator's seed (default 7)")
    parser.add_argument("--timezone", default="UTC", help="CHATSVC_STATS_TIMEZONE for the report (default UTC)")
    parser.add_argument("--plans", action="store_true", help="print every statement's plan, not only the summary")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(args.backends) <= {"sqlite", "postgresql"} or not args.backends:
        parser.error("--backends takes sqlite and/or postgresql")
    if not 100 <= args.conversations <= 1_000_000 or not 1 <= args.runs <= 100:
        parser.error("--conversations is 100 to 1,000,000 and --runs 1 to 100")
    try:
        load_zone(args.timezone)
    except Exception as exc:  # noqa: BLE001 - whatever the zone loader refuses
        parser.error(f"--timezone: {exc}")
    return args


# --- plans ----------------------------------------------------------------------------------------------------


class Recorder:
    """Every statement the engine sends while ``on``, with the time it took (driver call to its return): what the
    report ran, to ask the database how it runs it, and which statement the time went to."""

    def __init__(self, services: Services) -> None:
        self.on = False
        self.statements: list[Statement] = []
        engines = {id(e): e for e in (services.db.engine, services.db.read_engine)}
        for engine in engines.values():
            sa.event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            sa.event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        if self.on and not executemany:
            noted = Statement(statement, parameters, time.perf_counter())
            self.statements.append(noted)
            context._bench_noted = noted

    def _after(self, _conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any,
               _executemany: bool) -> None:
        noted = getattr(context, "_bench_noted", None)
        if noted is not None:
            noted.ended = time.perf_counter()
            noted.ms = (noted.ended - noted.started) * 1000

    async def noting(self, call: Callable[[], Awaitable[object]]) -> tuple[object, list[Statement]]:
        """``call()``'s result and the statements it ran."""
        self.statements = []
        self.on = True
        try:
            return await call(), self.statements
        finally:
            self.on = False


@dataclasses.dataclass
class Statement:
    sql: str
    parameters: Any
    started: float
    ended: float = math.nan
    ms: float = math.nan

    @property
    def label(self) -> str:
        return " ".join(self.sql.split())[:100]


INDEX = re.compile(r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on)"
                   r"\s+(\w+)")


def access_paths(plan: str, sqlite: bool) -> list[str]:
    """How a plan reads the conversations table: ``index <name>`` or ``full scan``, per access."""
    paths = []
    for line in plan.splitlines():
        text = line.strip()
        if sqlite:
            # SCAN conversations / SEARCH c USING INDEX ix_... (...); aliases: the report may name it anything.
            match = re.match(r"(?:SCAN|SEARCH) (\w+)(?: AS (\w+))?", text.replace("--", "").strip())
            if not match:
                continue
            if not match.group(1).startswith("conversations") and "_conversations_" not in text:
                continue  # another table (an alias of conversations shows by its index name)
            found = INDEX.search(text)
            paths.append(f"index {found.group(1)}" if found else "full scan")
        else:
            if " on conversations" not in text and "ix_conversations" not in text:
                continue
            if "Seq Scan" in text:
                paths.append("full scan")
            else:
                found = INDEX.search(text)
                if found and found.group(1).startswith(("ix_conversations", "uq_conversations", "conversations")):
                    paths.append(f"index {found.group(1)}")
    return paths


def is_query(statement: Statement) -> bool:
    return statement.sql.lstrip().upper().startswith(("SELECT", "WITH"))


async def explain(services: Services, statement: Statement, settings: Sequence[Statement] = ()) -> str:
    """The database's plan of ``statement`` with its parameters, after the session ``settings`` the report sent
    before it (``SET LOCAL ...``: they change plans), in a transaction of its own."""
    sqlite = services.db.is_sqlite
    async with services.db.connect() as conn:
        for setting in settings:
            await conn.exec_driver_sql(setting.sql, setting.parameters or ())
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = (await conn.exec_driver_sql(prefix + statement.sql, statement.parameters)).fetchall()
        await conn.rollback()
    if sqlite:  # (id, parent, notused, detail)
        return "\n".join(str(r[-1]) for r in rows)
    return "\n".join(str(r[0]) for r in rows)


def in_database_ms(statements: Sequence[Statement]) -> float:
    """Wall time during which at least one statement was running (the report may run some side by side)."""
    spans = sorted((st.started, st.ended) for st in statements if not math.isnan(st.ended))
    total, end = 0.0, -math.inf
    for start, stop in spans:
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total * 1000


def summarise(paths_per_statement: list[list[str]]) -> str:
    reading = [p for p in paths_per_statement if p]
    indexed = [p for p in reading if any(x.startswith("index ix_conversations_") and "created" in x for x in p)]
    full = sum(1 for p in reading for x in p if x == "full scan")
    names = sorted({x.removeprefix("index ") for p in reading for x in p if x.startswith("index ")})
    verdict = "yes" if indexed else "no"
    parts = [f"created_at index: {verdict} ({len(indexed)} of {len(reading)} queries reading conversations)"]
    if full:
        parts.append(f"full scans of conversations: {full}")
    if names:
        parts.append("indexes: " + ", ".join(names))
    return "; ".join(parts)


# --- one backend ------------------------------------------------------------------------------------------------


def reference_query(case: Case) -> sa.Select[Any]:
    c = conversations.c
    query = sa.select(sa.func.count(), sa.func.avg(c.last_seq)).where(
        c.created_at >= case.period.start, c.created_at < case.period.end)
    if case.filters.site_id:
        query = query.where(c.site_id == case.filters.site_id)
    if case.filters.team_id:
        query = query.where(c.team_id == case.filters.team_id)
    if case.filters.agent_id:
        query = query.where(c.agent_id == case.filters.agent_id)
    return query


def cases_for(generated: Generated, now: datetime.datetime, zone: str) -> list[Case]:
    today = local_today(now, load_zone(zone))
    year = {"period": "custom", "from": (today - datetime.timedelta(days=364)).isoformat(), "to": today.isoformat()}
    none = StatsFilter()
    # The smaller site (a filter that drops most rows), and the first agent (a tenth of the handled chats).
    site = StatsFilter(site_id=generated.site_ids[-1])
    agent = StatsFilter(agent_id=generated.agent_ids[0])
    return [
        Case("today", parse_period({"period": "today"}, today=today, tz=zone), none),
        Case("30 days", parse_period({"period": "30d"}, today=today, tz=zone), none),
        Case("365 days", parse_period(year, today=today, tz=zone), none),
        Case("365 days, one site", parse_period(year, today=today, tz=zone), site),
        Case("30 days, one agent", parse_period({"period": "30d"}, today=today, tz=zone), agent),
    ]


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure(services: Services, recorder: Recorder, case: Case, runs: int, progress: Progress) -> None:
    stats = services.stats
    query = reference_query(case)

    async def report() -> object:
        return await stats.report(case.period, case.filters)

    async def reference() -> object:
        async with services.db.connect() as conn:
            return (await conn.execute(query)).one()

    # Untimed first calls, statements noted: plans and caches warm, as on a page a manager opens twice.
    started = time.perf_counter()
    result, statements = await recorder.noting(report)
    whole_ms = (time.perf_counter() - started) * 1000
    row, reference_statements = await recorder.noting(reference)
    case.conversations = int(row[0])  # type: ignore[index]
    counted = result.get("summary", {}).get("conversations") if isinstance(result, dict) else None
    if counted != case.conversations:  # not the same rows: the comparison would mean nothing
        raise RuntimeError(f"{case.label}: the report counts {counted} conversations, the reference "
                           f"{case.conversations}")
    started = time.monotonic()
    for k in range(runs):
        # In turns, so that a slow patch of the machine hits both.
        case.report_ms.append(await timed(report))
        case.reference_ms.append(await timed(reference))
        progress.bar(case.label, k + 1, runs)
        if k >= 2 and time.monotonic() - started > CASE_BUDGET_S:
            break
    progress.done_bar()
    # How those statements run: the database's own plan for each, with the same parameters.
    case.statements = sum(1 for st in statements if is_query(st))
    paths = []
    sqlite = services.db.is_sqlite
    settings: list[Statement] = []
    for statement in statements:
        if not is_query(statement):  # a session setting (SET LOCAL jit = off): applies to what follows
            settings.append(statement)
            case.details.append(f"{num(statement.ms)} ms  {statement.label}")
            continue
        plan = await explain(services, statement, settings)
        found = access_paths(plan, sqlite)
        paths.append(found)
        case.details.append(f"{num(statement.ms)} ms  {statement.label}\n"
                            f"      -> {', '.join(found) or 'does not read conversations'}\n"
                            + "\n".join("         " + line for line in plan.splitlines()))
    case.plan = summarise(paths)
    if statements:
        slowest = max(statements, key=lambda st: st.ms if not math.isnan(st.ms) else -1.0)
        busy_ms = in_database_ms(statements)
        overlap = sum(st.ms for st in statements if not math.isnan(st.ms)) > busy_ms + 0.5
        case.slowest = (f"SQL running during {num(busy_ms)} ms of the report's {num(whole_ms)} ms"
                        f"{' (some side by side)' if overlap else ''}; slowest {num(slowest.ms)} ms: "
                        f"{slowest.label[:60]}")
    reference_paths = []
    for statement in reference_statements:
        reference_paths += access_paths(await explain(services, statement), sqlite)
    case.reference_plan = ", ".join(reference_paths) or "?"

@asynccontextmanager
async def database(kind: str, args: argparse.Namespace, workdir: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'kpis.db'}"
        return
    async with postgres_database(args.database_url) as url:
        yield url


async def run_backend(kind: str, args: argparse.Namespace, now: datetime.datetime, workdir: Path,
                      progress: Progress) -> Backend:
    label = "SQLite (temporary file)" if kind == "sqlite" else "PostgreSQL (throw-away database)"
    backend = Backend(label)
    async with database(kind, args, workdir) as url:
        settings = Settings(database_url=url, data_dir=workdir, log_level="warning", stats_timezone=args.timezone)
        services = Services(settings, clock=lambda: now)
        try:
            progress.say(f"{label}: migrating, then {args.conversations:,} conversations")
            await services.db.migrate()
            started = time.perf_counter()
            # The year's case is today and the 364 days before it, from midnight: conversations made over 365 days
            # would put some before that midnight, outside it (a test counting them failed early in the day).
            backend.generated = await generate(services.db, args.conversations, seed=args.seed, now=now,
                                               days=YEAR_DAYS, progress=progress)
            backend.seed_s = time.perf_counter() - started
            if not services.db.is_sqlite:
                # What autovacuum does after a bulk load; the planner needs it to choose the index for a month.
                async with services.db.begin() as conn:
                    await conn.execute(sa.text("ANALYZE"))
            recorder = Recorder(services)
            for case in cases_for(backend.generated, now, args.timezone):
                progress.say(f"{label}: {case.label}, {args.runs} runs")
                await measure(services, recorder, case, args.runs, progress)
                backend.cases.append(case)
        finally:
            await services.db.close()
    return backend


# --- the table --------------------------------------------------------------------------------------------------


def num(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def render(args: argparse.Namespace, backends: list[Backend], load_before: float, now: datetime.datetime) -> str:
    command = f"{os.path.relpath(sys.executable)} -m bench.kpis" + (
        " " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    lines = [
        (f"chatsvc manager figures (StatsService.report) on {args.conversations:,} generated conversations "
         "over the last year"),
        f"  machine: {machine_facts()}",
        f"  busy:    load average (1 min) {num(load_before, 2)} before, {num(load_average(), 2)} after",
        f"  command: {command}  ({revision()})",
        f"  now:     {now.isoformat(timespec='seconds')} (time zone of the figures: {args.timezone}); seed {args.seed}",
        "",
    ]
    for backend in backends:
        lines.append(backend.name)
        if backend.error:
            lines += [f"  not measured: {backend.error}", ""]
            continue
        g = backend.generated
        if g is not None:
            lines.append(
                f"  data: {g.conversations:,} conversations, {g.visitors:,} visitors, {g.events:,} events "
                f"({g.no_answer:,} unanswered questions), {g.tickets:,} tickets, {g.surveys:,} surveys, written in "
                f"{backend.seed_s:.1f} s ({g.conversations / backend.seed_s:,.0f} conversations/s)")
        header = (f"  {'case':<22}{'convs':>9}{'runs':>6}{'report p50':>12}{'p90':>9}{'ref p50':>10}{'p90':>8}"
                  f"{'x ref':>9}{'< 1 s':>7}")
        lines += [header, "  " + "-" * (len(header) - 2)]
        for case in backend.cases:
            p50 = median(case.report_ms)
            ref = median(case.reference_ms)
            lines.append(
                f"  {case.label:<22}{case.conversations:>9,}{len(case.report_ms):>6}{num(p50):>12}"
                f"{num(percentile(case.report_ms, 90)):>9}{num(ref, 2):>10}{num(percentile(case.reference_ms, 90), 2):>8}"
                f"{'x' + num(ratio(p50, ref), 1):>9}{'yes' if p50 < GOAL_MS else 'NO':>7}")
        lines.append("  plans (each statement one report ran, EXPLAIN with its parameters):")
        for case in backend.cases:
            lines.append(f"    {case.label}: {case.statements} statements; {case.plan}")
            lines.append(f"    {'':{len(case.label)}}  {case.slowest}")
            lines.append(f"    {'':{len(case.label)}}  reference: {case.reference_plan}")
            if args.plans:
                lines += ["      " + d for d in case.details]
        lines.append("")
    return "\n".join(lines).rstrip()


async def main_async(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.quiet)
    load_before = load_average()
    # Now, to the second: "today" is the day the command runs, every figure of one backend against one clock.
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    workdir = Path(tempfile.mkdtemp(prefix="chatsvc-bench-kpis-"))
    backends: list[Backend] = []
    try:
        async with asyncio.timeout(RUN_LIMIT_S):
            for kind in args.backends:
                if kind == "postgresql" and not args.database_url:
                    backends.append(Backend("PostgreSQL", error="no --database-url (or CHATSVC_TEST_DATABASE_URL)"))
                    continue
                try:
                    backends.append(await run_backend(kind, args, now, workdir, progress))
                except (TimeoutError, KeyboardInterrupt):
                    raise
                except Exception as exc:  # noqa: BLE001 - one backend failing still prints the other's figures
                    traceback.print_exc()
                    name = "SQLite" if kind == "sqlite" else "PostgreSQL"
                    backends.append(Backend(name, error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
    finally:
        if args.keep:
            progress.say(f"SQLite file kept: {workdir / 'kpis.db'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(args, backends, load_before, now))
    if any(b.error and b.generated is None and "no --database-url" not in b.error for b in backends):
        return 2
    measured = [c for b in backends for c in b.cases]
    return 0 if measured and all(median(c.report_ms) < GOAL_MS for c in measured) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"bench.kpis: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
