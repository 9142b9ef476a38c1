"""The manager's figures in SQL: counts, sums and values at given ranks over one period (docs/metrics.md).

Every figure is computed by the database over the rows of the period (selected through the ``created_at``
indexes of migration 0007), never by fetching a year of rows into Python: the heaviest answer is one row per
hour of the period. ``domain/metrics.py`` turns these numbers into the figures.

Two small SQL constructs make the time arithmetic portable:

- ``seconds_between(a, b)``: b − a in seconds (SQLite: ``julianday``, exact to the millisecond, which is
  SQLite's own precision; PostgreSQL: ``EXTRACT(EPOCH FROM b - a)``).
- ``hours_since(t, epoch)``: the whole hours from the period's start (a Unix time) to ``t``: the hour bucket.
  The period starts at a local midnight, so bucket k is the k-th local hour of the period in every zone whose
  offset changes by whole hours, half-hour zones included (see ``metrics.local_hours``).
- ``plus_hours(t, n)``: t + n hours, in the column's own storage format (for the 7-day FCR window).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from chatsvc.domain.metrics import Period, StatsFilter, hour_count, nearest_rank
from chatsvc.store.database import Database
from chatsvc.store.schema import UTCDateTime, conversations, events, sites, surveys, teams, tickets, users

FCR_WINDOW_HOURS = 7 * 24  # "a second contact within 7 days": 168 hours after the conversation started
UNANSWERED_LIMIT = 2000  # the newest unanswered questions of a period that are grouped
SATISFIED_CSAT = 4  # CSAT 4 or 5 of 5
PROMOTER_NPS, DETRACTOR_NPS = 9, 6  # 9-10 promoters, 0-6 detractors
LEFT_ROLES = ("visitor", "system")  # who closes a chat that was abandoned: the visitor, or the server for them


# --- portable time arithmetic ------------------------------------------------------------------------------


class seconds_between(FunctionElement[float]):  # noqa: N801 - an SQL function, named as one
    """``end - start`` in seconds, as a float."""

    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"


class hours_since(FunctionElement[int]):  # noqa: N801
    """``floor((t - epoch) / 3600)`` for a stored time ``t`` and a Unix time ``epoch`` (a whole second)."""

    type = sa.Integer()
    name = "hours_since"
    inherit_cache = True


@compiles(hours_since)
def _hours_since_sqlite(element: hours_since, compiler: SQLCompiler, **kw: Any) -> str:
    moment, epoch = (compiler.process(clause, **kw) for clause in element.clauses)
    # The first 19 characters ('YYYY-MM-DD HH:MM:SS') drop the fraction exactly; strftime alone would round it
    # to the millisecond first (10:59:59.9996 would count in 11:00). Integer division: t >= epoch here.
    return f"((CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) - {epoch}) / 3600)"


@compiles(hours_since, "postgresql")
def _hours_since_postgresql(element: hours_since, compiler: SQLCompiler, **kw: Any) -> str:
    moment, epoch = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {moment}) - {epoch}) / 3600) AS INTEGER)"


class plus_hours(FunctionElement[datetime.datetime]):  # noqa: N801
    """``t`` + a constant number of hours, comparable with other stored times."""

    type = UTCDateTime()
    name = "plus_hours"
    inherit_cache = True

    def __init__(self, moment: Any, hours: int) -> None:
        self.hours = int(hours)
        super().__init__(moment)


@compiles(plus_hours)
def _plus_hours_sqlite(element: plus_hours, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; whole hours leave the fraction (from character 20) as it is,
    # so the result compares as text exactly like a stored value (an event at +168 h to the microsecond is in).
    return f"(strftime('%Y-%m-%d %H:%M:%S', {moment}, '+{element.hours} hours') || substr({moment}, 20))"


@compiles(plus_hours, "postgresql")
def _plus_hours_postgresql(element: plus_hours, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    # Hours, not days: a day interval on a timestamptz follows the session's DST; 168 hours is 168 hours.
    return f"({moment} + INTERVAL '{element.hours} hours')"


def _count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _sum_if(condition: Any, value: Any) -> Any:
    return sa.func.sum(sa.case((condition, value), else_=None))


def _int(value: Any) -> int:
    return int(value or 0)


def _float(value: Any) -> float:
    return float(value or 0.0)


# --- results -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SummaryCounts:
    conversations: int = 0
    bot_resolved: int = 0
    handed_off: int = 0
    answered: int = 0
    handling_seconds: float = 0.0  # sum over handled (closed with a first assignment)
    handled: int = 0
    abandoned: int = 0
    closed: int = 0
    resolved: int = 0
    first_contact_resolved: int = 0
    csat_satisfied: int = 0
    csat_responses: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_responses: int = 0
    ces_total: int = 0
    ces_responses: int = 0
    tickets_created: int = 0
    sla_breaches: int = 0
    # Nearest-rank percentiles of the first response time (seconds) over ``answered``, by p (50, 90).
    first_response_percentiles: dict[int, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class HourCounts:
    conversations: int = 0
    bot_resolved: int = 0
    csat_satisfied: int = 0
    csat_responses: int = 0
    wait_seconds: float = 0.0  # waits that began (handoff) in this hour
    waits: int = 0


@dataclasses.dataclass(frozen=True)
class AgentCounts:
    agent_id: str
    name: str
    conversations: int
    handling_seconds: float
    handled: int
    csat_satisfied: int
    csat_responses: int
    first_response_median_seconds: float | None


@dataclasses.dataclass(frozen=True)
class Asked:
    text: str
    asked_at: datetime.datetime


# --- the store ---------------------------------------------------------------------------------------------

c = conversations
s = surveys


def _in_period(period: Period, filters: StatsFilter) -> list[Any]:
    """P: the conversations created in the period that match the filters."""
    where: list[Any] = [c.c.created_at >= period.start, c.c.created_at < period.end]
    if filters.site_id is not None:
        where.append(c.c.site_id == filters.site_id)
    if filters.team_id is not None:
        where.append(c.c.team_id == filters.team_id)
    if filters.agent_id is not None:
        where.append(c.c.agent_id == filters.agent_id)
    return where


CLOSED = c.c.status == "closed"
HANDED_OFF = c.c.handoff_at.is_not(None)
ANSWERED = sa.and_(HANDED_OFF, c.c.first_response_at.is_not(None))
HANDLED = sa.and_(CLOSED, c.c.first_assigned_at.is_not(None), c.c.closed_at.is_not(None))
HANDLING_SECONDS = seconds_between(c.c.first_assigned_at, c.c.closed_at)
FIRST_RESPONSE_SECONDS = seconds_between(c.c.handoff_at, c.c.first_response_at)
ABANDONED = sa.and_(HANDED_OFF, CLOSED, c.c.first_response_at.is_(None), c.c.closed_by_role.in_(LEFT_ROLES))
RESOLVED = sa.and_(
    CLOSED,
    sa.or_(c.c.resolution.is_(None), c.c.resolution != "ticket"),
    sa.or_(c.c.resolution == "bot", c.c.first_response_at.is_not(None)),
)
WAIT_END = sa.func.coalesce(c.c.first_assigned_at, c.c.closed_at)
SATISFIED = s.c.csat >= SATISFIED_CSAT


def _first_contact() -> Any:
    """No other conversation and no ticket of the same visitor created in (created_at, created_at + 7 days]."""
    later = conversations.alias("later")
    window_end = plus_hours(c.c.created_at, FCR_WINDOW_HOURS)
    again = sa.exists().where(
        later.c.visitor_id == c.c.visitor_id,
        later.c.created_at > c.c.created_at,
        later.c.created_at <= window_end,
    )
    ticket = sa.exists().where(
        tickets.c.visitor_id == c.c.visitor_id,
        tickets.c.created_at > c.c.created_at,
        tickets.c.created_at <= window_end,
    )
    return sa.and_(RESOLVED, sa.not_(again), sa.not_(ticket))


class StatsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- queries (public so that tests and the benchmark can EXPLAIN them) ---------------------------------

    @staticmethod
    def summary_query(period: Period, filters: StatsFilter) -> sa.Select[Any]:
        return (
            sa.select(
                sa.func.count().label("conversations"),
                _count_if(c.c.resolution == "bot").label("bot_resolved"),
                _count_if(HANDED_OFF).label("handed_off"),
                _count_if(ANSWERED).label("answered"),
                _sum_if(HANDLED, HANDLING_SECONDS).label("handling_seconds"),
                _count_if(HANDLED).label("handled"),
                _count_if(ABANDONED).label("abandoned"),
                _count_if(CLOSED).label("closed"),
                _count_if(RESOLVED).label("resolved"),
                _count_if(_first_contact()).label("first_contact_resolved"),
                _count_if(SATISFIED).label("csat_satisfied"),
                sa.func.count(s.c.csat).label("csat_responses"),
                _count_if(s.c.nps >= PROMOTER_NPS).label("nps_promoters"),
                _count_if(s.c.nps <= DETRACTOR_NPS).label("nps_detractors"),
                sa.func.count(s.c.nps).label("nps_responses"),
                sa.func.sum(s.c.ces).label("ces_total"),
                sa.func.count(s.c.ces).label("ces_responses"),
            )
            .select_from(c.outerjoin(s, s.c.conversation_id == c.c.id))
            .where(*_in_period(period, filters))
        )

    @staticmethod
    def tickets_query(period: Period, filters: StatsFilter, now: datetime.datetime) -> sa.Select[Any]:
        t = tickets.c
        now_value = sa.literal(now, UTCDateTime())
        breached = sa.or_(
            sa.and_(t.first_response_due.is_not(None), sa.func.coalesce(t.first_response_at, now_value) > t.first_response_due),
            sa.and_(
                t.resolution_due.is_not(None),
                sa.func.coalesce(t.resolved_at, t.closed_at, now_value) > t.resolution_due,
            ),
        )
        where: list[Any] = [t.created_at >= period.start, t.created_at < period.end]
        if filters.site_id is not None:
            where.append(t.site_id == filters.site_id)
        if filters.team_id is not None:
            where.append(t.team_id == filters.team_id)
        if filters.agent_id is not None:
            where.append(t.assignee_id == filters.agent_id)
        return sa.select(sa.func.count().label("created"), _count_if(breached).label("breaches")).where(*where)

    @staticmethod
    def percentiles_query(
        period: Period, filters: StatsFilter, percentiles: Iterable[int], *, by_agent: bool = False
    ) -> sa.Select[Any]:
        """The first response times at the nearest ranks of ``percentiles``, overall or per agent: rows
        (agent_id, p-rank, n, seconds). The database sorts and numbers the values (window functions); only the
        values at the wanted ranks come back. Rank r of p among n is the r with (r−1)·100 < n·p ≤ r·100."""
        partition = [c.c.agent_id] if by_agent else None
        ranked = (
            sa.select(
                (c.c.agent_id if by_agent else sa.literal(None, sa.String)).label("key"),
                FIRST_RESPONSE_SECONDS.label("seconds"),
                sa.func.row_number().over(partition_by=partition, order_by=FIRST_RESPONSE_SECONDS).label("rnk"),
                sa.func.count().over(partition_by=partition).label("n"),
            )
            .where(*_in_period(period, filters), ANSWERED, *([c.c.agent_id.is_not(None)] if by_agent else []))
            .subquery("ranked")
        )
        at_rank = [
            sa.and_((ranked.c.rnk - 1) * 100 < ranked.c.n * p, ranked.c.n * p <= ranked.c.rnk * 100)
            for p in percentiles
        ]
        return sa.select(ranked.c.key, ranked.c.rnk, ranked.c.n, ranked.c.seconds).where(sa.or_(*at_rank))

    @staticmethod
    def created_hours_query(period: Period, filters: StatsFilter) -> sa.Select[Any]:
        bucket = hours_since(c.c.created_at, sa.literal(int(period.start.timestamp()), sa.Integer))
        return (
            sa.select(
                bucket.label("hour"),
                sa.func.count().label("conversations"),
                _count_if(c.c.resolution == "bot").label("bot_resolved"),
                _count_if(SATISFIED).label("csat_satisfied"),
                sa.func.count(s.c.csat).label("csat_responses"),
            )
            .select_from(c.outerjoin(s, s.c.conversation_id == c.c.id))
            .where(*_in_period(period, filters))
            .group_by(bucket)
        )

    @staticmethod
    def wait_hours_query(period: Period, filters: StatsFilter) -> sa.Select[Any]:
        """Waits of P's handed-off chats, by the hour they began (handoff_at); those that began after the period
        (a chat created at 23:59 on its last day, handed off at 00:01) belong to no hour of it."""
        bucket = hours_since(c.c.handoff_at, sa.literal(int(period.start.timestamp()), sa.Integer))
        return (
            sa.select(
                bucket.label("hour"),
                sa.func.sum(seconds_between(c.c.handoff_at, WAIT_END)).label("wait_seconds"),
                sa.func.count().label("waits"),
            )
            .where(
                *_in_period(period, filters),
                HANDED_OFF,
                WAIT_END.is_not(None),
                c.c.handoff_at >= period.start,
                c.c.handoff_at < period.end,
            )
            .group_by(bucket)
        )

    @staticmethod
    def agents_query(period: Period, filters: StatsFilter) -> sa.Select[Any]:
        return (
            sa.select(
                c.c.agent_id,
                sa.func.count().label("conversations"),
                _sum_if(HANDLED, HANDLING_SECONDS).label("handling_seconds"),
                _count_if(HANDLED).label("handled"),
                _count_if(SATISFIED).label("csat_satisfied"),
                sa.func.count(s.c.csat).label("csat_responses"),
            )
            .select_from(c.outerjoin(s, s.c.conversation_id == c.c.id))
            .where(*_in_period(period, filters), c.c.agent_id.is_not(None))
            .group_by(c.c.agent_id)
        )

    @staticmethod
    def unanswered_query(period: Period, filters: StatsFilter, limit: int = UNANSWERED_LIMIT) -> sa.Select[Any]:
        """The bot's 'no answer' turns in P's conversations during the period, newest first. The visitor's text
        is stored in the bot event's ``data.decision.query`` (``data.query`` is read too)."""
        data = events.c.data
        text = sa.func.coalesce(data["query"].as_string(), data[("decision", "query")].as_string())
        return (
            sa.select(text.label("text"), events.c.created_at)
            .select_from(events.join(c, c.c.id == events.c.conversation_id))
            .where(
                events.c.kind == "bot",
                events.c.created_at >= period.start,
                events.c.created_at < period.end,
                data["move"].as_string() == "no_answer",
                *_in_period(period, filters),
            )
            .order_by(events.c.created_at.desc(), events.c.conversation_id, events.c.seq)
            .limit(limit)
        )

    # --- reads ---------------------------------------------------------------------------------------------

    async def summary(self, period: Period, filters: StatsFilter, now: datetime.datetime) -> SummaryCounts:
        async with self.db.connect() as conn:
            row = (await conn.execute(self.summary_query(period, filters))).one()._mapping
            ticket_row = (await conn.execute(self.tickets_query(period, filters, now))).one()._mapping
            percentiles = await self._percentiles(conn, period, filters, _int(row["answered"]), (50, 90))
        return SummaryCounts(
            **{name: _int(row[name]) for name in (
                "conversations", "bot_resolved", "handed_off", "answered", "handled", "abandoned", "closed",
                "resolved", "first_contact_resolved", "csat_satisfied", "csat_responses", "nps_promoters",
                "nps_detractors", "nps_responses", "ces_total", "ces_responses",
            )},
            handling_seconds=_float(row["handling_seconds"]),
            tickets_created=_int(ticket_row["created"]),
            sla_breaches=_int(ticket_row["breaches"]),
            first_response_percentiles=percentiles,
        )

    async def _percentiles(
        self, conn: Any, period: Period, filters: StatsFilter, answered: int, ps: Sequence[int]
    ) -> dict[int, float]:
        if not answered:
            return {}
        found = {int(r.rnk): float(r.seconds) for r in await conn.execute(self.percentiles_query(period, filters, ps))}
        return {p: found[nearest_rank(answered, p)] for p in ps if nearest_rank(answered, p) in found}

    async def hours(self, period: Period, filters: StatsFilter) -> list[HourCounts]:
        """One entry per hour bucket of the period (see ``metrics.local_hours``), empty hours included."""
        count = hour_count(period)
        created: dict[int, Any] = {}
        waits: dict[int, Any] = {}
        async with self.db.connect() as conn:
            for row in await conn.execute(self.created_hours_query(period, filters)):
                created[int(row.hour)] = row
            for row in await conn.execute(self.wait_hours_query(period, filters)):
                waits[int(row.hour)] = row
        result = []
        for k in range(count):
            made, waited = created.get(k), waits.get(k)
            result.append(
                HourCounts(
                    conversations=_int(made.conversations) if made else 0,
                    bot_resolved=_int(made.bot_resolved) if made else 0,
                    csat_satisfied=_int(made.csat_satisfied) if made else 0,
                    csat_responses=_int(made.csat_responses) if made else 0,
                    wait_seconds=_float(waited.wait_seconds) if waited else 0.0,
                    waits=_int(waited.waits) if waited else 0,
                )
            )
        return result

    async def agents(self, period: Period, filters: StatsFilter) -> list[AgentCounts]:
        async with self.db.connect() as conn:
            rows = (await conn.execute(self.agents_query(period, filters))).all()
            medians: dict[str, float] = {}
            if rows:
                for row in await conn.execute(self.percentiles_query(period, filters, (50,), by_agent=True)):
                    medians[row.key] = float(row.seconds)
            ids = [row.agent_id for row in rows]
            names = {
                r.id: r.name for r in await conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id.in_(ids)))
            } if ids else {}
        agents = [
            AgentCounts(
                agent_id=row.agent_id,
                name=names.get(row.agent_id, ""),
                conversations=_int(row.conversations),
                handling_seconds=_float(row.handling_seconds),
                handled=_int(row.handled),
                csat_satisfied=_int(row.csat_satisfied),
                csat_responses=_int(row.csat_responses),
                first_response_median_seconds=medians.get(row.agent_id),
            )
            for row in rows
        ]
        agents.sort(key=lambda a: (-a.conversations, a.name.casefold(), a.agent_id))
        return agents

    async def unanswered(self, period: Period, filters: StatsFilter, limit: int = UNANSWERED_LIMIT) -> list[Asked]:
        async with self.db.connect() as conn:
            result = await conn.execute(self.unanswered_query(period, filters, limit))
            return [Asked(text=row.text, asked_at=row.created_at) for row in result if row.text]

    async def plan(self, query: sa.Select[Any]) -> str:
        """The database's plan for one of the queries above (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
        PostgreSQL), for tests and the benchmark: which indexes it uses."""
        async with self.db.connect() as conn:
            compiled = query.compile(dialect=conn.dialect)
            processors = compiled._bind_processors  # the values as the query itself would send them
            values = []
            for name in compiled.positiontup or ():
                value = compiled.params[name]
                processor = processors.get(name)
                values.append(processor(value) if processor else value)
            prefix = "EXPLAIN QUERY PLAN " if self.db.is_sqlite else "EXPLAIN "
            result = await conn.exec_driver_sql(prefix + compiled.string, tuple(values))
            rows = result.all()
        return "\n".join(" ".join(str(part) for part in row) for row in rows)

    # --- filter choices ------------------------------------------------------------------------------------

    async def choices(self) -> dict[str, list[dict[str, str]]]:
        async with self.db.connect() as conn:
            site_rows = await conn.execute(sa.select(sites.c.id, sites.c.name).order_by(sites.c.name, sites.c.id))
            site_list = [{"id": r.id, "name": r.name} for r in site_rows]
            team_rows = await conn.execute(sa.select(teams.c.id, teams.c.name).order_by(teams.c.name, teams.c.id))
            team_list = [{"id": r.id, "name": r.name} for r in team_rows]
            user_rows = await conn.execute(sa.select(users.c.id, users.c.name).order_by(users.c.name, users.c.id))
            user_list = [{"id": r.id, "name": r.name} for r in user_rows]
        return {"sites": site_list, "teams": team_list, "agents": user_list}

    async def missing_filters(self, filters: StatsFilter) -> list[str]:
        """The filter names ("site", "team", "agent") whose id names nothing."""
        missing = []
        async with self.db.connect() as conn:
            for name, table, value in (
                ("site", sites, filters.site_id), ("team", teams, filters.team_id), ("agent", users, filters.agent_id)
            ):
                if value is None:
                    continue
                found = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.id == value))
                if not found:
                    missing.append(name)
        return missing


__all__ = [
    "AgentCounts",
    "Asked",
    "HourCounts",
    "StatsStore",
    "SummaryCounts",
    "hours_since",
    "plus_hours",
    "seconds_between",
]
