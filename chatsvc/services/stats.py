"""The manager's figures over a period: the JSON of ``GET /api/stats`` (shape and definitions: docs/metrics.md).

SQL (``store/stats.py``) counts and sums; ``domain/metrics.py`` makes the rates, means and percentiles. Times
shown are in the stats time zone (``CHATSVC_STATS_TIMEZONE``).
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chatsvc.domain import metrics
from chatsvc.domain.metrics import InvalidFilter, Period, StatsFilter
from chatsvc.services.clock import Clock
from chatsvc.store.stats import AgentCounts, Figures, HourCounts, StatsStore

SECONDS_DECIMALS = 3  # durations to the millisecond: SQLite's precision, and more than anyone reads


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, SECONDS_DECIMALS)


def summary_json(figures: Figures) -> dict[str, Any]:
    counts, p = figures.summary, figures.first_response_percentiles
    return {
        "conversations": counts.conversations,
        "bot_resolved": counts.bot_resolved,
        "deflection_rate": metrics.rate(counts.bot_resolved, counts.conversations),
        "handed_off": counts.handed_off,
        "answered": counts.answered,
        "first_response_median_seconds": _seconds(p.get(50)),
        "first_response_p90_seconds": _seconds(p.get(90)),
        "handling_average_seconds": _seconds(metrics.mean(counts.handling_seconds, counts.handled)),
        "abandoned": counts.abandoned,
        "abandonment_rate": metrics.rate(counts.abandoned, counts.handed_off),
        "closed": counts.closed,
        "resolved": counts.resolved,
        "resolution_rate": metrics.rate(counts.resolved, counts.closed),
        "first_contact_resolved": counts.first_contact_resolved,
        "fcr_rate": metrics.rate(counts.first_contact_resolved, counts.closed),
        "tickets_created": figures.tickets_created,
        "sla_breaches": figures.sla_breaches,
        "csat": metrics.csat_share(counts.csat_satisfied, counts.csat_responses),
        "csat_responses": counts.csat_responses,
        "nps": metrics.net_promoter(counts.nps_promoters, counts.nps_detractors, counts.nps_responses),
        "nps_responses": counts.nps_responses,
        "ces": metrics.mean(counts.ces_total, counts.ces_responses),
        "ces_responses": counts.ces_responses,
    }


def hourly_json(starts: list[datetime.datetime], hours: list[HourCounts]) -> list[dict[str, Any]]:
    """``starts``: the local start of each hour bucket (``metrics.local_hours``)."""
    return [
        {
            "hour": start.isoformat(),
            "conversations": hour.conversations,
            "wait_average_seconds": _seconds(metrics.mean(hour.wait_seconds, hour.waits)),
            "waits": hour.waits,
        }
        for start, hour in zip(starts, hours, strict=True)
    ]


def daily_json(period: Period, starts: list[datetime.datetime], hours: list[HourCounts]) -> list[dict[str, Any]]:
    """Hours rolled up into local days: a period's hour buckets start at local midnight, so each falls in
    exactly one local day (23, 24 or 25 of them per day)."""
    days = {day: [0, 0, 0, 0] for day in metrics.local_days(period)}
    for start, hour in zip(starts, hours, strict=True):
        day = days[start.date()]
        day[0] += hour.conversations
        day[1] += hour.bot_resolved
        day[2] += hour.csat_satisfied
        day[3] += hour.csat_responses
    return [
        {
            "day": day.isoformat(),
            "conversations": conversations,
            "bot_resolved": bot_resolved,
            "deflection_rate": metrics.rate(bot_resolved, conversations),
            "csat": metrics.csat_share(satisfied, rated),
            "csat_responses": rated,
        }
        for day, (conversations, bot_resolved, satisfied, rated) in days.items()
    ]


def agent_json(agent: AgentCounts) -> dict[str, Any]:
    return {
        "id": agent.agent_id,
        "name": agent.name,
        "conversations": agent.conversations,
        "first_response_median_seconds": _seconds(agent.first_response_median_seconds),
        "handling_average_seconds": _seconds(metrics.mean(agent.handling_seconds, agent.handled)),
        "csat": metrics.csat_share(agent.csat_satisfied, agent.csat_responses),
        "csat_responses": agent.csat_responses,
    }


UNANSWERED_TOP = 20
UNANSWERED_IN_LOOP = 200  # fewer questions than this are grouped in a few ms: no thread needed


class StatsService:
    def __init__(self, store: StatsStore, clock: Clock, timezone: str = "UTC") -> None:
        self.store = store
        self.clock = clock
        self.tz: ZoneInfo = metrics.load_zone(timezone)

    def today(self) -> datetime.date:
        """Today's local date in the stats time zone (what ``parse_period`` needs as ``today``)."""
        return metrics.local_today(self.clock(), self.tz)

    def parse_period(self, params: Any) -> Period:
        """``metrics.parse_period`` with today's date and the stats time zone; raises PeriodError."""
        return metrics.parse_period(params, today=self.today(), tz=self.tz)

    async def report(self, period: Period, filters: StatsFilter) -> dict[str, Any]:
        # The questions are read and grouped (CPU, in a thread of ours) while the database works out the figures
        # (threads of its own on SQLite, processes on PostgreSQL), on connections of their own.
        figures, clusters = await asyncio.gather(
            self.store.figures(period, filters, self.clock()), self._unanswered(period, filters)
        )
        hours = metrics.local_hours(period)
        return {
            "period": period.to_json(),
            "filters": filters.to_json(),
            "summary": summary_json(figures),
            "hourly": hourly_json(hours, figures.hours),
            "daily": daily_json(period, hours, figures.hours),
            "agents": [agent_json(a) for a in figures.agents],
            "unanswered": [cluster.to_json() for cluster in clusters],
        }

    async def _unanswered(self, period: Period, filters: StatsFilter) -> list[metrics.QuestionCluster]:
        asked = await self.store.unanswered(period, filters)
        pairs = [(a.text, a.asked_at) for a in asked]
        if len(pairs) < UNANSWERED_IN_LOOP:
            return metrics.cluster_questions(pairs)[:UNANSWERED_TOP]
        # Grouping 2,000 questions takes 100 to 350 ms of CPU (rapidfuzz, one comparison per text and group
        # leader): in a thread, so the event loop keeps serving sockets and requests meanwhile.
        clusters = await asyncio.to_thread(metrics.cluster_questions, pairs)
        return clusters[:UNANSWERED_TOP]

    async def today_summary(self) -> dict[str, Any]:
        """``report(today, no filter)["summary"]``, without the hours, agents and questions it does not need."""
        period = metrics.today_period(self.clock(), self.tz)
        return summary_json(await self.store.figures(period, StatsFilter(), self.clock()))

    async def choices(self) -> dict[str, list[dict[str, str]]]:
        """What the filters offer: {"sites", "teams", "agents"} as [{id, name}], by name (agents: staff users)."""
        return await self.store.choices()

    async def check_filters(self, filters: StatsFilter) -> None:
        """Each filter given must name an existing site, team or staff member: else 400 invalid_filter."""
        missing = await self.store.missing_filters(filters)
        if missing:
            raise InvalidFilter(f"No such {missing[0]}.", ref=missing[0])
