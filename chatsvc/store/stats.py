"""The manager's figures in SQL: counts, sums and values at given ranks over one period (docs/metrics.md).

Every figure is computed by the database over the rows of the period (selected through the ``created_at``
indexes of migration 0007), never by fetching a year of rows into Python: the heaviest answer is one row per
hour of the period. ``domain/metrics.py`` turns these numbers into the figures.

Two small SQL constructs make the time arithmetic portable:

- ``seconds_between(a, b)``: b − a in seconds (SQLite: ``julianday``, exact to the millisecond, which is
  SQLite's own precision; PostgreSQL: ``date_part('epoch', b - a)``).
- ``hours_since(t, epoch)``: the whole hours from the period's start (a Unix time) to ``t``: the hour bucket.
  The period starts at a local midnight, so bucket k is the k-th local hour of the period in every zone whose
  offset changes by whole hours, half-hour zones included (see ``metrics.local_hours``).
- ``plus_hours(t, n)``: t + n hours, in the column's own storage format (for the 7-day FCR window).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import Sequence
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


class seconds_between(FunctionElement[float]):
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
    # date_part gives a double; EXTRACT gives numeric (PostgreSQL 14+), twice as slow over a year of rows.
    return f"date_part('epoch', ({end}) - ({start}))"


class hours_since(FunctionElement[int]):
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
    return f"CAST(FLOOR((date_part('epoch', {moment}) - {epoch}) / 3600) AS INTEGER)"


class plus_hours(FunctionElement[datetime.datetime]):
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


# --- results -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Counts:
    """What one group of P's conversations adds up to (the whole period, one hour, or one agent)."""

    conversations: int = 0
    bot_resolved: int = 0
    handed_off: int = 0
    answered: int = 0
    handled: int = 0  # closed with a first assignment: the handling times' count...
    handling_seconds: float = 0.0  # ...and sum
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


@dataclasses.dataclass(frozen=True)
class HourCounts:
    """One hour bucket: the conversations created in it (what the hourly and daily figures need), and the
    waits that began in it (by handoff_at)."""

    conversations: int = 0
    bot_resolved: int = 0
    csat_satisfied: int = 0
    csat_responses: int = 0
    wait_seconds: float = 0.0
    waits: int = 0


@dataclasses.dataclass(frozen=True)
class AgentCounts(Counts):
    agent_id: str = ""
    name: str = ""
    first_response_median_seconds: float | None = None


@dataclasses.dataclass(frozen=True)
class Figures:
    summary: Counts
    # Nearest-rank percentiles of the first response time (seconds) over ``summary.answered``, by p (50, 90).
    first_response_percentiles: dict[int, float]
    hours: list[HourCounts]  # one per hour bucket of the period (metrics.local_hours), empty ones included
    agents: list[AgentCounts]  # by conversations, most first, then name
    tickets_created: int
    sla_breaches: int


@dataclasses.dataclass(frozen=True)
class Asked:
    text: str
    asked_at: datetime.datetime


# --- the queries -------------------------------------------------------------------------------------------

c = conversations
s = surveys


def _in_period(period: Period, filters: StatsFilter, *, scan: bool = False) -> list[Any]:
    """P: the conversations created in the period that match the filters. ``scan``: tell SQLite to read the
    table rather than an index (see ``StatsStore.figures``)."""
    column = unindexed if scan else (lambda col: col)
    where: list[Any] = [column(c.c.created_at) >= period.start, column(c.c.created_at) < period.end]
    if filters.site_id is not None:
        where.append(column(c.c.site_id) == filters.site_id)
    if filters.team_id is not None:
        where.append(column(c.c.team_id) == filters.team_id)
    if filters.agent_id is not None:
        where.append(column(c.c.agent_id) == filters.agent_id)
    return where


CLOSED = c.c.status == "closed"
HANDED_OFF = c.c.handoff_at.is_not(None)
ANSWERED = sa.and_(HANDED_OFF, c.c.first_response_at.is_not(None))
HANDLED = sa.and_(CLOSED, c.c.first_assigned_at.is_not(None), c.c.closed_at.is_not(None))
ABANDONED = sa.and_(HANDED_OFF, CLOSED, c.c.first_response_at.is_(None), c.c.closed_by_role.in_(LEFT_ROLES))
RESOLVED = sa.and_(
    CLOSED,
    sa.or_(c.c.resolution.is_(None), c.c.resolution != "ticket"),
    sa.or_(c.c.resolution == "bot", c.c.first_response_at.is_not(None)),
)
WAIT_END = sa.func.coalesce(c.c.first_assigned_at, c.c.closed_at)


def _not_returned(visitor_id: Any, created_at: Any) -> list[Any]:
    """The visitor did not come back: no other conversation nor ticket of theirs created in (created_at, + 7
    days]. Two NOT EXISTS conditions (not one NOT over an OR: PostgreSQL makes each an anti-join only as its own
    condition); the look-ups go by visitor (``ix_conversations_visitor``, ``ix_tickets_visitor``)."""
    later = conversations.alias("later")
    window_end = plus_hours(created_at, FCR_WINDOW_HOURS)
    again = sa.exists().where(
        later.c.visitor_id == visitor_id,
        later.c.created_at > created_at,
        later.c.created_at <= window_end,
    )
    ticket = sa.exists().where(
        tickets.c.visitor_id == visitor_id,
        tickets.c.created_at > created_at,
        tickets.c.created_at <= window_end,
    )
    return [sa.not_(ticket), sa.not_(again)]


class unindexed(FunctionElement[Any]):
    """The column, which SQLite must not look up through an index: ``+column`` (SQLite's documented way to
    disqualify a term from index use). Other databases: the column (PostgreSQL has statistics to choose)."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"+{column}"


@compiles(unindexed, "postgresql")
def _unindexed_postgresql(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return column


def _flag(condition: Any) -> Any:
    return sa.case((condition, 1), else_=0)


def _when(condition: Any, value: Any) -> Any:
    return sa.case((condition, value), else_=None)


# Output columns of the figures statement: a row kind, an integer key (hour bucket or rank), a text key (agent),
# and numbers whose meaning depends on the kind (see ``_COUNT_COLUMNS`` and ``StatsStore.figures``).
_COUNT_COLUMNS = [f.name for f in dataclasses.fields(Counts)]
_VALUE_COLUMNS = ["v1", "v2"]
_HOUR_COLUMNS = ("conversations", "bot_resolved", "csat_satisfied", "csat_responses")


def _row(kind: str, ikey: Any = None, skey: Any = None, **numbers: Any) -> list[Any]:
    # The same columns, of the same types, in every branch of the UNION.
    return [
        sa.literal(kind, sa.String).label("kind"),
        (ikey if ikey is not None else sa.cast(sa.null(), sa.Integer)).label("ikey"),
        (skey if skey is not None else sa.cast(sa.null(), sa.String)).label("skey"),
        *[
            sa.cast(numbers[name], sa.Float).label(name) if name in numbers
            else sa.cast(sa.null(), sa.Float).label(name)
            for name in [*_COUNT_COLUMNS, *_VALUE_COLUMNS]
        ],
    ]


def _p(period: Period, filters: StatsFilter, scan: bool, *columns: Any, rated: bool = True) -> Any:
    """P's rows, read once (through ``ix_conversations_created``, or ``ix_conversations_site_created`` with a site;
    ``scan``: the table, see ``StatsStore._scan_rather_than_index``) into a CTE with the columns a statement
    needs. SQLite and PostgreSQL (12+) materialise a CTE used more than once, so the groupings read that, not the
    table again."""
    query = sa.select(*columns, *([s.c.csat, s.c.nps, s.c.ces] if rated else []))
    if rated:
        query = query.select_from(c.outerjoin(s, s.c.conversation_id == c.c.id))
    return query.where(*_in_period(period, filters, scan=scan)).cte("p")


def figures_query(period: Period, filters: StatsFilter, *, scan: bool = False) -> sa.CompoundSelect:
    """The counts and sums of the whole period (``total``) and per agent (``agent``), and the first contact
    resolutions per agent (``fcr``; the agent null for chats nobody holds: the summary's count is their sum).
    The hours, waits and percentiles are ``series_query``, which runs beside this one.

    FCR is a grouping of its own, over P's resolved chats, with the visitor's return as a NOT EXISTS condition:
    PostgreSQL runs the two look-ups as hash anti-joins (as subplans in p's select list they took half of the
    statement's time), and SQLite probes ``ix_conversations_visitor`` and ``ix_tickets_visitor``.
    """
    p = _p(
        period, filters, scan,
        c.c.agent_id.label("agent_id"),
        c.c.visitor_id.label("visitor_id"),
        c.c.created_at.label("created_at"),
        _when(ANSWERED, sa.literal(1)).label("answered"),
        _when(HANDLED, seconds_between(c.c.first_assigned_at, c.c.closed_at)).label("handling"),
        _flag(c.c.resolution == "bot").label("bot"),
        _flag(HANDED_OFF).label("handed_off"),
        _flag(ABANDONED).label("abandoned"),
        _flag(CLOSED).label("closed"),
        _flag(RESOLVED).label("resolved"),
    )

    def counts() -> dict[str, Any]:
        return {
            "conversations": sa.func.count(),
            "bot_resolved": sa.func.sum(p.c.bot),
            "handed_off": sa.func.sum(p.c.handed_off),
            "answered": sa.func.count(p.c.answered),
            "handled": sa.func.count(p.c.handling),
            "handling_seconds": sa.func.sum(p.c.handling),
            "abandoned": sa.func.sum(p.c.abandoned),
            "closed": sa.func.sum(p.c.closed),
            "resolved": sa.func.sum(p.c.resolved),
            "csat_satisfied": sa.func.sum(_flag(p.c.csat >= SATISFIED_CSAT)),
            "csat_responses": sa.func.count(p.c.csat),
            "nps_promoters": sa.func.sum(_flag(p.c.nps >= PROMOTER_NPS)),
            "nps_detractors": sa.func.sum(_flag(p.c.nps <= DETRACTOR_NPS)),
            "nps_responses": sa.func.count(p.c.nps),
            "ces_total": sa.func.sum(p.c.ces),
            "ces_responses": sa.func.count(p.c.ces),
        }

    total = sa.select(*_row("total", **counts()))
    by_agent = sa.select(*_row("agent", skey=p.c.agent_id, **counts())).where(p.c.agent_id.is_not(None)).group_by(
        p.c.agent_id
    )
    # "resolved != 0" rather than "= 1" (the same rows: a 0/1 flag): PostgreSQL estimates "= 1" on a CTE's column
    # at 0.5 % of p and then probes ix_conversations_visitor once per chat (a nested loop, 2x slower over a
    # year); "!= 0" it estimates at about all of p, and hashes the visitors instead.
    first_contact = (
        sa.select(*_row("fcr", skey=p.c.agent_id, v1=sa.func.count()))
        .where(p.c.resolved != 0, *_not_returned(p.c.visitor_id, p.c.created_at))
        .group_by(p.c.agent_id)
    )
    return sa.union_all(total, by_agent, first_contact)


def series_query(period: Period, filters: StatsFilter, *, scan: bool = False) -> sa.CompoundSelect:
    """Per hour bucket the conversations created, bot resolutions and ratings (``hour``), the waits per hour they
    began (``wait``), and the first response times at the ranks of the percentiles, overall (``rank``) and per
    agent (``agent_rank``). Its own statement, so that it runs beside ``figures_query`` on a second connection
    (a second core).

    The percentiles: the database sorts and numbers the first response times (window functions) and returns only
    the values at the wanted ranks, never the list. Rank r of p among n is the r with (r−1)·100 < n·p ≤ r·100,
    i.e. ⌈p·n/100⌉.
    """
    epoch = sa.literal(int(period.start.timestamp()), sa.Integer)
    wait_in_period = sa.and_(
        HANDED_OFF, WAIT_END.is_not(None), c.c.handoff_at >= period.start, c.c.handoff_at < period.end
    )
    p = _p(
        period, filters, scan,
        c.c.agent_id.label("agent_id"),
        hours_since(c.c.created_at, epoch).label("hour"),
        # Waits of P's chats, by the hour they began; one that began after the period (a chat created at 23:59
        # on its last day, handed off at 00:01) belongs to no hour of it.
        _when(wait_in_period, hours_since(c.c.handoff_at, epoch)).label("wait_hour"),
        _when(wait_in_period, seconds_between(c.c.handoff_at, WAIT_END)).label("wait"),
        _when(ANSWERED, seconds_between(c.c.handoff_at, c.c.first_response_at)).label("first_response"),
        _flag(c.c.resolution == "bot").label("bot"),
    )
    by_hour = sa.select(
        *_row(
            "hour", ikey=p.c.hour,
            conversations=sa.func.count(),
            bot_resolved=sa.func.sum(p.c.bot),
            csat_satisfied=sa.func.sum(_flag(p.c.csat >= SATISFIED_CSAT)),
            csat_responses=sa.func.count(p.c.csat),
        )
    ).group_by(p.c.hour)
    waits = (
        sa.select(*_row("wait", ikey=p.c.wait_hour, v1=sa.func.count(), v2=sa.func.sum(p.c.wait)))
        .where(p.c.wait_hour.is_not(None))
        .group_by(p.c.wait_hour)
    )
    value = p.c.first_response
    ranked = (
        sa.select(
            p.c.agent_id,
            value.label("value"),
            sa.func.row_number().over(order_by=value).label("rnk"),
            sa.func.count().over().label("n"),
            sa.func.row_number().over(partition_by=p.c.agent_id, order_by=value).label("agent_rnk"),
            sa.func.count().over(partition_by=p.c.agent_id).label("agent_n"),
        )
        .where(value.is_not(None))
        .cte("ranked")
    )

    def at_rank(rank: Any, n: Any, percentiles: Sequence[int]) -> Any:
        return sa.or_(*[sa.and_((rank - 1) * 100 < n * pct, n * pct <= rank * 100) for pct in percentiles])

    overall = sa.select(*_row("rank", ikey=ranked.c.rnk, v1=ranked.c.n, v2=ranked.c.value)).where(
        at_rank(ranked.c.rnk, ranked.c.n, PERCENTILES)
    )
    per_agent = sa.select(
        *_row("agent_rank", ikey=ranked.c.agent_rnk, skey=ranked.c.agent_id, v1=ranked.c.agent_n, v2=ranked.c.value)
    ).where(ranked.c.agent_id.is_not(None), at_rank(ranked.c.agent_rnk, ranked.c.agent_n, (AGENT_PERCENTILE,)))
    return sa.union_all(by_hour, waits, overall, per_agent)


def tickets_query(period: Period, filters: StatsFilter, now: datetime.datetime) -> sa.Select[Any]:
    """Tickets created in the period (by tickets.created_at, through ``ix_tickets_created``), and how many broke
    an SLA: first response or resolution after its due, counting "now" for one still waiting."""
    t = tickets.c
    now_value = sa.literal(now, UTCDateTime())
    breached = sa.or_(
        sa.and_(t.first_response_due.is_not(None),
                sa.func.coalesce(t.first_response_at, now_value) > t.first_response_due),
        sa.and_(t.resolution_due.is_not(None),
                sa.func.coalesce(t.resolved_at, t.closed_at, now_value) > t.resolution_due),
    )
    where: list[Any] = [t.created_at >= period.start, t.created_at < period.end]
    if filters.site_id is not None:
        where.append(t.site_id == filters.site_id)
    if filters.team_id is not None:
        where.append(t.team_id == filters.team_id)
    if filters.agent_id is not None:
        where.append(t.assignee_id == filters.agent_id)
    return sa.select(sa.func.count().label("created"), sa.func.sum(_flag(breached)).label("breaches")).where(*where)


def unanswered_query(period: Period, filters: StatsFilter, limit: int = UNANSWERED_LIMIT) -> sa.Select[Any]:
    """The bot's 'no answer' turns in P's conversations during the period, newest first (through
    ``ix_events_kind_created``). The bot stores the visitor's text in ``data.decision.query``; ``data.query`` is
    read first (generated histories and older events)."""
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
        # By time alone, so that both databases walk ix_events_kind_created backwards and stop at the limit
        # (a tie-breaker would make PostgreSQL read and sort every bot turn of the period).
        .order_by(events.c.created_at.desc())
        .limit(limit)
    )


SCAN_SHARE = 4  # SQLite reads the whole table when the period holds over 1/4 of it
PERCENTILES = (50, 90)  # of the first response time, over the period
AGENT_PERCENTILE = 50  # per agent: the median


# Positions of the hour columns in a figures row (after kind, ikey, skey), read by index: a year is 8,784 rows.
_HOUR_INDEXES = tuple(3 + _COUNT_COLUMNS.index(name) for name in _HOUR_COLUMNS)


def _number(value: Any) -> Any:
    """SUMs come back as Decimal or float (PostgreSQL, or SQLite through the UNION's casts): counts as int."""
    return 0 if value is None else value


def _counts(row: Any, cls: type[Counts] = Counts, **extra: Any) -> Any:
    values: dict[str, Any] = {}
    for name in _COUNT_COLUMNS:
        value = _number(row._mapping[name])
        values[name] = float(value) if name == "handling_seconds" else int(value)
    return cls(**values, **extra)


# --- the store ---------------------------------------------------------------------------------------------


class StatsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def figures(self, period: Period, filters: StatsFilter, now: datetime.datetime) -> Figures:
        """Everything but the unanswered questions: the counts, then the tickets and the names, on one connection;
        the hours, waits and percentiles beside them on another."""
        count = hour_count(period)
        hours: dict[int, tuple[int, ...]] = {}
        waits: dict[int, tuple[int, float]] = {}
        summary = Counts()
        agents: dict[str, Counts] = {}
        ranks: dict[int, float] = {}
        answered = 0
        agent_medians: dict[str, float] = {}
        first_contact: dict[str | None, int] = {}
        names: dict[str, str] = {}
        series: asyncio.Future[list[Any]] | None = None
        try:
            async with self.db.connect() as conn:
                await self._no_jit(conn)
                scan = await self._scan_rather_than_index(conn, period, filters)
                # The hours, waits and percentiles (sorts) run beside the counts, on a connection of their own:
                # a second core. Awaited once this connection is back in the pool, so that reports running
                # together never each hold a connection while waiting for another.
                series = asyncio.ensure_future(self._series(period, filters, scan))
                rows = (await conn.execute(figures_query(period, filters, scan=scan))).all()
                ticket_row = (await conn.execute(tickets_query(period, filters, now))).one()
                agent_ids = [row.skey for row in rows if row.kind == "agent"]
                if agent_ids:
                    result = await conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id.in_(agent_ids)))
                    names = {r.id: r.name for r in result}
            rows += await series
        except BaseException:
            if series is not None and not series.done():
                series.cancel()
                await asyncio.gather(series, return_exceptions=True)
            raise
        for row in rows:
            kind = row.kind
            if kind == "hour" and 0 <= row.ikey < count:
                hours[row.ikey] = tuple(int(_number(row[i])) for i in _HOUR_INDEXES)
            elif kind == "total":
                summary = _counts(row)
            elif kind == "wait" and 0 <= row.ikey < count:
                waits[row.ikey] = (int(row.v1), float(_number(row.v2)))
            elif kind == "agent":
                agents[row.skey] = _counts(row)
            elif kind == "fcr":
                first_contact[row.skey] = int(row.v1)
            elif kind == "rank":
                answered = int(row.v1)
                ranks[int(row.ikey)] = float(row.v2)
            elif kind == "agent_rank":
                agent_medians[row.skey] = float(row.v2)
        summary = dataclasses.replace(summary, first_contact_resolved=sum(first_contact.values()))
        agents = {
            agent_id: dataclasses.replace(counts, first_contact_resolved=first_contact.get(agent_id, 0))
            for agent_id, counts in agents.items()
        }
        hour_list = []
        empty = (0,) * len(_HOUR_COLUMNS)
        for k in range(count):
            made = hours.get(k, empty)
            waited, wait_total = waits.get(k, (0, 0.0))
            hour_list.append(HourCounts(**dict(zip(_HOUR_COLUMNS, made, strict=True)), wait_seconds=wait_total,
                                        waits=waited))
        percentiles = {pct: ranks[nearest_rank(answered, pct)] for pct in PERCENTILES if answered}
        agent_list = [
            AgentCounts(**{name: getattr(counts, name) for name in _COUNT_COLUMNS}, agent_id=agent_id,
                        name=names.get(agent_id, ""), first_response_median_seconds=agent_medians.get(agent_id))
            for agent_id, counts in agents.items()
        ]
        agent_list.sort(key=lambda a: (-a.conversations, a.name.casefold(), a.agent_id))
        return Figures(
            summary=summary,
            first_response_percentiles=percentiles,
            hours=hour_list,
            agents=agent_list,
            tickets_created=int(_number(ticket_row.created)),
            sla_breaches=int(_number(ticket_row.breaches)),
        )

    async def _series(self, period: Period, filters: StatsFilter, scan: bool) -> list[Any]:
        async with self.db.connect() as conn:
            await self._no_jit(conn)
            return list((await conn.execute(series_query(period, filters, scan=scan))).all())

    async def _scan_rather_than_index(self, conn: Any, period: Period, filters: StatsFilter) -> bool:
        """SQLite: whether P is over a quarter of the table, where reading the whole table beats looking every
        row up through ``ix_conversations_created`` (a year of 100,000: 1.0 s against 1.35 s for the figures).
        SQLite keeps no statistics on ranges, so it would always take the index; PostgreSQL does, and chooses
        itself. Two counts read only index entries (a few milliseconds for 100,000 rows)."""
        if not self.db.is_sqlite:
            return False
        in_period = await conn.scalar(sa.select(sa.func.count()).select_from(c).where(*_in_period(period, filters)))
        if not in_period:
            return False
        total = await conn.scalar(sa.select(sa.func.count()).select_from(c))
        return bool(in_period * SCAN_SHARE > total)

    async def _no_jit(self, conn: Any) -> None:
        """PostgreSQL: no JIT for this transaction. The figures statement's estimated cost (a subplan per
        conversation) crosses jit_above_cost, and compiling it takes longer than running it (2 to 3 s with JIT,
        about 1 s without, for a year of 100,000 conversations)."""
        if not self.db.is_sqlite:
            await conn.exec_driver_sql("SET LOCAL jit = off")

    async def unanswered(self, period: Period, filters: StatsFilter, limit: int = UNANSWERED_LIMIT) -> list[Asked]:
        async with self.db.connect() as conn:
            result = await conn.execute(unanswered_query(period, filters, limit))
            return [Asked(text=row.text, asked_at=row.created_at) for row in result if row.text]

    async def plan(self, query: Any, *, settings: Sequence[str] = ()) -> str:
        """The database's plan for one of the queries above (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
        PostgreSQL), for tests and the benchmark: which indexes it uses. ``settings``: statements run first in
        the same transaction (``SET LOCAL enable_seqscan = off`` shows that an index can serve a query even on
        a table too small for PostgreSQL to prefer it)."""
        async with self.db.connect() as conn:
            for statement in settings:
                await conn.exec_driver_sql(statement)
            compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
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
    "Counts",
    "Figures",
    "HourCounts",
    "StatsStore",
    "figures_query",
    "hours_since",
    "plus_hours",
    "seconds_between",
    "series_query",
    "tickets_query",
    "unanswered_query",
    "unindexed",
]
