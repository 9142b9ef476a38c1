"""Every figure of the stats report on a hand-built history (tests/stats/history.py), on SQLite and PostgreSQL.

The expected values are worked out here from the history's times; comments show the arithmetic.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from chatsvc.domain.metrics import InvalidFilter, PeriodError, StatsFilter
from chatsvc.services.stats import StatsService
from chatsvc.store.database import Database
from chatsvc.store.stats import StatsStore
from tests.stats.history import NOW, PERIOD, build_history, build_sites_and_people

ALL = StatsFilter()


@pytest.fixture
async def stats(db: Database) -> StatsService:
    await build_history(db)
    return StatsService(StatsStore(db), lambda: NOW, "UTC")


async def report(stats: StatsService, filters: StatsFilter = ALL, params: dict[str, str] = PERIOD) -> dict[str, Any]:
    return await stats.report(stats.parse_period(params), filters)


def hour_key(day: int, hour: int) -> str:
    return (datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC) + datetime.timedelta(days=day, hours=hour)
            ).isoformat()


async def test_summary_of_the_whole_period(stats: StatsService) -> None:
    result = await report(stats)
    assert result["period"] == {
        "key": "custom", "from": "2026-03-02", "to": "2026-03-04", "timezone": "UTC",
        "start": "2026-03-02T00:00:00+00:00", "end": "2026-03-05T00:00:00+00:00",
    }
    assert result["filters"] == {"site": None, "team": None, "agent": None}
    assert result["summary"] == {
        "conversations": 8,  # c1..c8 (c0 a second before, c11 at the end instant, c9/c10 a week later: out)
        "bot_resolved": 1,  # c3
        "deflection_rate": pytest.approx(1 / 8),
        "handed_off": 6,  # c1 c2 c4 c5 c6 c8
        "answered": 5,  # c1 c2 c4 c6 c8 (c5 was never answered)
        # First responses (reply − handoff): c1 240, c2 300, c4 300, c6 840, c8 90.
        # Sorted 90 240 300 300 840: median at rank ⌈0.5×5⌉ = 3 → 300; p90 at rank ⌈0.9×5⌉ = 5 → 840.
        "first_response_median_seconds": 300.0,
        "first_response_p90_seconds": 840.0,
        # Handling (close − first assignment) of closed chats with one: c1 600, c2 1140, c4 1500, c8 600;
        # 3840 / 4 = 960. (c6 is open; c3 and c5 were never assigned.)
        "handling_average_seconds": 960.0,
        "abandoned": 1,  # c5: handed off, closed by the visitor, never answered
        "abandonment_rate": pytest.approx(1 / 6),
        "closed": 6,  # c1 c2 c3 c4 c5 c8
        "resolved": 4,  # c1 c2 c8 (answered, not a ticket) and c3 (bot); not c4 (ticket) nor c5 (unanswered)
        "resolution_rate": pytest.approx(4 / 6),
        # c2 (v2 is back 7 days + 1 µs later: outside) and c8; not c1 (v1 back exactly 7 days later: inside),
        # nor c3 (v3's ticket t1, two days later).
        "first_contact_resolved": 2,
        "fcr_rate": pytest.approx(2 / 6),
        "tickets_created": 3,  # t1 t2 t3 (t4 at the end instant, t5 the day before: out)
        "sla_breaches": 2,  # t1 (unresolved after its due, as of now), t2 (first response late)
        # Ratings of c1 5, c2 3, c3 4, c8 1 (c0's is outside): 2 of 4 are 4-5.
        "csat": 0.5,
        "csat_responses": 4,
        # NPS 10, 6, 9, 7: promoters 10 and 9, detractor 6: 100 × (2 − 1) / 4 = 25.
        "nps": 25.0,
        "nps_responses": 4,
        "ces": pytest.approx(10 / 3),  # (2 + 1 + 7) / 3; c2 gave none
        "ces_responses": 3,
    }


async def test_hourly_every_hour_of_the_period(stats: StatsService) -> None:
    hourly = (await report(stats))["hourly"]
    assert len(hourly) == 72  # three UTC days
    assert [h["hour"] for h in hourly[:2]] == ["2026-03-02T00:00:00+00:00", "2026-03-02T01:00:00+00:00"]
    busy = {h["hour"]: (h["conversations"], h["wait_average_seconds"], h["waits"]) for h in hourly
            if h["conversations"] or h["waits"]}
    assert busy == {
        # c1 and c2 created at 09:00 and 09:30; their waits began in that hour: c1 240 (09:01 → 09:05),
        # c2 60 (09:30:30 → 09:31:30): (240 + 60) / 2 = 150.
        hour_key(0, 9): (2, 150.0, 2),
        hour_key(0, 14): (1, None, 0),  # c3, the bot's: no wait
        hour_key(1, 8): (1, 240.0, 1),  # c4: 08:16 → 08:20
        hour_key(1, 12): (1, 600.0, 1),  # c5: 12:00:10 → closed 12:10:10 (never assigned: the wait ends at close)
        hour_key(1, 23): (1, 240.0, 1),  # c6: 23:31 → first assigned 23:35 (the later requeue does not count)
        hour_key(2, 7): (1, None, 0),  # c7, with the bot
        hour_key(2, 16): (1, 60.0, 1),  # c8: 16:00 → 16:01
    }
    assert all(h["wait_average_seconds"] is None for h in hourly if not h["waits"])


async def test_daily(stats: StatsService) -> None:
    assert (await report(stats))["daily"] == [
        # c1 c2 c3; c3 by the bot; ratings 5, 3, 4: two of three are 4-5.
        {"day": "2026-03-02", "conversations": 3, "bot_resolved": 1, "deflection_rate": pytest.approx(1 / 3),
         "csat": pytest.approx(2 / 3), "csat_responses": 3},
        # c4 c5 c6; no rating.
        {"day": "2026-03-03", "conversations": 3, "bot_resolved": 0, "deflection_rate": 0.0, "csat": None,
         "csat_responses": 0},
        # c7 c8; c8 rated 1.
        {"day": "2026-03-04", "conversations": 2, "bot_resolved": 0, "deflection_rate": 0.0, "csat": 0.0,
         "csat_responses": 1},
    ]


async def test_agents(stats: StatsService) -> None:
    assert (await report(stats))["agents"] == [
        # Alice holds c1 c4 c8. First responses 240, 300, 90 → sorted 90 240 300, median rank ⌈1.5⌉ = 2 → 240.
        # Handling 600 + 1500 + 600 = 2700 / 3 = 900. Ratings 5 and 1: one of two.
        {"id": "alice", "name": "Alice", "conversations": 3, "first_response_median_seconds": 240.0,
         "handling_average_seconds": 900.0, "csat": 0.5, "csat_responses": 2},
        # Bob holds c2 c6. First responses 300, 840: median rank 1 → 300. Handling: c2 1140 (c6 is open).
        # Rating 3.
        {"id": "bob", "name": "Bob", "conversations": 2, "first_response_median_seconds": 300.0,
         "handling_average_seconds": 1140.0, "csat": 0.0, "csat_responses": 1},
    ]


async def test_unanswered_questions(stats: StatsService) -> None:
    assert (await report(stats))["unanswered"] == [
        # c3 at 14:01 "do you ship to canada", c7 "Do you ship to Canada?" (07:00:05) and "ship to canada"
        # (07:01, every word in the first: token_set_ratio 100). The two spellings of the first are asked once
        # each: the latest represents.
        {"question": "Do you ship to Canada?", "count": 3, "examples": ["ship to canada"],
         "last_asked": "2026-03-04T07:01:00+00:00"},
        {"question": "What are your opening hours", "count": 1, "examples": [],
         "last_asked": "2026-03-04T07:02:00+00:00"},
    ]
    # Not counted: the bot's answer in c3, a visitor's message in c1, c9's (a conversation after the period)
    # and c6's asked after the period's end.


async def test_filter_by_site(stats: StatsService) -> None:
    result = await report(stats, StatsFilter(site_id="blog"))
    assert result["filters"] == {"site": "blog", "team": None, "agent": None}
    assert result["summary"] == {
        "conversations": 3,  # c4 c5 c8
        "bot_resolved": 0,
        "deflection_rate": 0.0,
        "handed_off": 3,
        "answered": 2,  # c4 300, c8 90 → sorted 90 300
        "first_response_median_seconds": 90.0,  # rank ⌈1⌉ = 1
        "first_response_p90_seconds": 300.0,  # rank ⌈1.8⌉ = 2
        "handling_average_seconds": 1050.0,  # (1500 + 600) / 2
        "abandoned": 1,  # c5
        "abandonment_rate": pytest.approx(1 / 3),
        "closed": 3,
        "resolved": 1,  # c8
        "resolution_rate": pytest.approx(1 / 3),
        "first_contact_resolved": 1,
        "fcr_rate": pytest.approx(1 / 3),
        "tickets_created": 1,  # t2 (tickets.site_id)
        "sla_breaches": 1,
        "csat": 0.0,  # c8 rated 1
        "csat_responses": 1,
        "nps": 0.0,  # a 7: neither promoter nor detractor
        "nps_responses": 1,
        "ces": 7.0,
        "ces_responses": 1,
    }
    assert [a["id"] for a in result["agents"]] == ["alice"]
    assert result["unanswered"] == []
    assert [d["conversations"] for d in result["daily"]] == [0, 2, 1]


async def test_filter_by_team(stats: StatsService) -> None:
    result = await report(stats, StatsFilter(team_id="sales"))
    summary = result["summary"]
    # c1 c2 c6 c8. First responses 240 300 840 90 → sorted 90 240 300 840: median rank 2 → 240,
    # p90 rank ⌈3.6⌉ = 4 → 840. Handling c1 600, c2 1140, c8 600: 2340 / 3 = 780.
    assert (summary["conversations"], summary["handed_off"], summary["answered"]) == (4, 4, 4)
    assert (summary["first_response_median_seconds"], summary["first_response_p90_seconds"]) == (240.0, 840.0)
    assert summary["handling_average_seconds"] == 780.0
    assert (summary["abandoned"], summary["abandonment_rate"]) == (0, 0.0)  # 0 of 4: zero, not null
    # Closed c1 c2 c8, all resolved; first contact c2 and c8.
    assert (summary["closed"], summary["resolved"], summary["resolution_rate"]) == (3, 3, 1.0)
    assert (summary["first_contact_resolved"], summary["fcr_rate"]) == (2, pytest.approx(2 / 3))
    assert (summary["tickets_created"], summary["sla_breaches"]) == (1, 0)  # t3 (tickets.team_id)
    # Ratings 5 3 1: one of three; NPS 10 6 7: 100 × (1 − 1) / 3 = 0; CES 2 and 7: 4.5.
    assert (summary["csat"], summary["csat_responses"]) == (pytest.approx(1 / 3), 3)
    assert (summary["nps"], summary["nps_responses"]) == (0.0, 3)
    assert (summary["ces"], summary["ces_responses"]) == (4.5, 2)
    assert summary["bot_resolved"] == 0 and summary["deflection_rate"] == 0.0


async def test_filter_by_agent(stats: StatsService) -> None:
    result = await report(stats, StatsFilter(agent_id="bob"))
    summary = result["summary"]
    # c2 c6: first responses 300 840 → median rank 1 → 300, p90 rank ⌈1.8⌉ = 2 → 840.
    assert summary["conversations"] == 2
    assert (summary["first_response_median_seconds"], summary["first_response_p90_seconds"]) == (300.0, 840.0)
    assert summary["handling_average_seconds"] == 1140.0
    assert (summary["closed"], summary["resolved"], summary["first_contact_resolved"]) == (1, 1, 1)
    assert (summary["resolution_rate"], summary["fcr_rate"]) == (1.0, 1.0)
    assert (summary["tickets_created"], summary["sla_breaches"]) == (1, 0)  # t3 (tickets.assignee_id)
    assert (summary["csat"], summary["nps"], summary["nps_responses"]) == (0.0, -100.0, 1)  # a 3 and a 6
    assert (summary["ces"], summary["ces_responses"]) == (None, 0)
    assert [a["id"] for a in result["agents"]] == ["bob"]
    # Two filters together: Shop's chats held by Alice: c1 alone.
    both = (await report(stats, StatsFilter(site_id="shop", agent_id="alice")))["summary"]
    assert (both["conversations"], both["first_response_median_seconds"], both["handling_average_seconds"]) == (
        1, 240.0, 600.0
    )


async def test_nothing_matches_every_ratio_is_null(stats: StatsService) -> None:
    result = await report(stats, StatsFilter(site_id="blog", agent_id="bob"))
    counts = {"conversations", "bot_resolved", "handed_off", "answered", "abandoned", "closed", "resolved",
              "first_contact_resolved", "tickets_created", "sla_breaches", "csat_responses", "nps_responses",
              "ces_responses"}
    summary = result["summary"]
    assert {k: v for k, v in summary.items() if k in counts} == dict.fromkeys(counts, 0)
    assert {k: v for k, v in summary.items() if k not in counts} == {
        "deflection_rate": None, "first_response_median_seconds": None, "first_response_p90_seconds": None,
        "handling_average_seconds": None, "abandonment_rate": None, "resolution_rate": None, "fcr_rate": None,
        "csat": None, "nps": None, "ces": None,
    }
    assert len(result["hourly"]) == 72 and all(h["conversations"] == 0 for h in result["hourly"])
    assert [d["deflection_rate"] for d in result["daily"]] == [None, None, None]
    assert result["agents"] == [] and result["unanswered"] == []


async def test_today_summary_is_the_report_of_today(db: Database) -> None:
    await build_history(db)
    # "Now" on day 2 at 18:00 UTC: today is 4 March (c7, c8).
    service = StatsService(StatsStore(db), lambda: datetime.datetime(2026, 3, 4, 18, tzinfo=datetime.UTC))
    today = await service.today_summary()
    full = await service.report(service.parse_period({"period": "today"}), ALL)
    assert today == full["summary"]
    assert (today["conversations"], today["handed_off"], today["first_response_median_seconds"]) == (2, 1, 90.0)


async def test_period_and_filter_errors(stats: StatsService) -> None:
    with pytest.raises(PeriodError) as caught:
        stats.parse_period({"period": "custom", "from": "2026-03-05", "to": "2026-03-01"})
    assert caught.value.field == "to"
    with pytest.raises(PeriodError):
        stats.parse_period({"period": "90d"})
    await stats.check_filters(StatsFilter(site_id="shop", team_id="care", agent_id="mia"))  # all exist
    for bad in (StatsFilter(site_id="nope"), StatsFilter(team_id="shop"), StatsFilter(agent_id="' OR 1=1 --")):
        with pytest.raises(InvalidFilter) as refused:
            await stats.check_filters(bad)
        assert refused.value.code == "invalid_filter" and refused.value.status == 400


async def test_choices(stats: StatsService) -> None:
    assert await stats.choices() == {
        "sites": [{"id": "blog", "name": "Blog"}, {"id": "shop", "name": "Shop"}],
        "teams": [{"id": "care", "name": "Care"}, {"id": "sales", "name": "Sales"}],
        "agents": [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}, {"id": "mia", "name": "Mia"}],
    }


async def test_an_empty_database(db: Database) -> None:
    await build_sites_and_people(db)
    service = StatsService(StatsStore(db), lambda: NOW)
    result = await service.report(service.parse_period({"period": "30d"}), ALL)
    assert result["summary"]["conversations"] == 0 and result["summary"]["csat"] is None
    assert len(result["hourly"]) == 30 * 24 and len(result["daily"]) == 30
