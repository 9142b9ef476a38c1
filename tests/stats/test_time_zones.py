"""Local days and hours: Europe/Paris across both DST changes, and Asia/Kolkata's half hour."""

from __future__ import annotations

import datetime
from typing import Any

from chatsvc.domain.metrics import StatsFilter
from chatsvc.services.stats import StatsService
from chatsvc.store import schema
from chatsvc.store.database import Database
from chatsvc.store.stats import StatsStore
from tests.stats.history import build_sites_and_people, conversation, insert

UTC = datetime.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def _busy(result: dict[str, Any]) -> dict[str, tuple[int, float | None]]:
    return {h["hour"]: (h["conversations"], h["wait_average_seconds"]) for h in result["hourly"]
            if h["conversations"] or h["waits"]}


async def _chats(db: Database, *created: tuple[str, datetime.datetime, dict[str, Any]]) -> None:
    await build_sites_and_people(db)
    await insert(db, schema.visitors, *[
        {"id": f"tz-{cid}", "site_id": "shop", "created_at": utc(2026, 1, 1), "last_seen_at": utc(2026, 1, 1)}
        for cid, _, _ in created
    ])
    await insert(db, schema.conversations, *[conversation(cid, f"tz-{cid}", "shop", at, **values)
                                             for cid, at, values in created])


async def test_paris_spring_forward(db: Database) -> None:
    # 29 March 2026: Paris goes from 02:00 (+01:00) straight to 03:00 (+02:00): a 23-hour day.
    await _chats(
        db,
        ("before", utc(2026, 3, 28, 22, 59, 59), {}),  # 23:59:59 on the 28th, local: not in the period
        ("first", utc(2026, 3, 28, 23, 30), {}),  # 00:30+01:00 on the 29th
        # 03:15+02:00; handed off 03:59:59.5, assigned 04:00:09.5: a 10 s wait in the 03:00 hour.
        ("after-jump", utc(2026, 3, 29, 1, 15), {"handoff_at": utc(2026, 3, 29, 1, 59, 59, 500000),
                                                 "first_assigned_at": utc(2026, 3, 29, 2, 0, 9, 500000)}),
        # 23:59:59.999999+02:00, the last microsecond of the day; handed off at 00:00:30 the next day: a wait
        # outside the period, in no hour of it.
        ("last", utc(2026, 3, 29, 21, 59, 59, 999999), {"handoff_at": utc(2026, 3, 29, 22, 0, 30),
                                                       "first_assigned_at": utc(2026, 3, 29, 22, 1, 30)}),
        ("next-day", utc(2026, 3, 29, 22), {}),  # 00:00 on the 30th
    )
    service = StatsService(StatsStore(db), lambda: utc(2026, 4, 1), "Europe/Paris")
    result = await service.report(
        service.parse_period({"period": "custom", "from": "2026-03-29", "to": "2026-03-29"}), StatsFilter()
    )
    assert result["period"]["start"] == "2026-03-28T23:00:00+00:00"
    assert result["period"]["end"] == "2026-03-29T22:00:00+00:00"
    assert len(result["hourly"]) == 23
    assert "2026-03-29T02:00:00+01:00" not in {h["hour"] for h in result["hourly"]}
    assert _busy(result) == {
        "2026-03-29T00:00:00+01:00": (1, None),
        "2026-03-29T03:00:00+02:00": (1, 10.0),
        "2026-03-29T23:00:00+02:00": (1, None),
    }
    assert [(d["day"], d["conversations"]) for d in result["daily"]] == [("2026-03-29", 3)]
    assert result["summary"]["conversations"] == 3


async def test_paris_fall_back_hour_happens_twice(db: Database) -> None:
    # 25 October 2026: at 03:00 (+02:00) Paris goes back to 02:00 (+01:00): 02:00-03:00 twice, 25 hours.
    await _chats(
        db,
        ("summer", utc(2026, 10, 25, 0, 30), {}),  # 02:30+02:00
        ("winter", utc(2026, 10, 25, 1, 30), {}),  # 02:30+01:00, an hour later
        ("winter2", utc(2026, 10, 25, 1, 59), {}),  # 02:59+01:00
    )
    service = StatsService(StatsStore(db), lambda: utc(2026, 11, 1), "Europe/Paris")
    result = await service.report(
        service.parse_period({"period": "custom", "from": "2026-10-25", "to": "2026-10-25"}), StatsFilter()
    )
    assert len(result["hourly"]) == 25
    assert _busy(result) == {"2026-10-25T02:00:00+02:00": (1, None), "2026-10-25T02:00:00+01:00": (2, None)}


async def test_seven_days_across_the_change(db: Database) -> None:
    await _chats(
        db,
        ("mon", utc(2026, 3, 23, 23, 30), {}),  # 00:30 on Tuesday 24th, Paris (+01:00): the first day
        ("sun", utc(2026, 3, 29, 12), {}),  # 14:00+02:00 on the 29th
        ("today", utc(2026, 3, 30, 8), {}),  # 10:00+02:00 on the 30th, "today"
        ("old", utc(2026, 3, 23, 22, 59), {}),  # 23:59 on the 23rd: the day before the 7
    )
    # Now: 30 March 12:00 Paris. The 7 days: 24 to 30 March; 6 × 24 + 23 = 167 hours.
    service = StatsService(StatsStore(db), lambda: utc(2026, 3, 30, 10), "Europe/Paris")
    result = await service.report(service.parse_period({"period": "7d"}), StatsFilter())
    assert (result["period"]["from"], result["period"]["to"]) == ("2026-03-24", "2026-03-30")
    assert len(result["hourly"]) == 167
    assert [d["conversations"] for d in result["daily"]] == [1, 0, 0, 0, 0, 1, 1]
    assert _busy(result) == {
        "2026-03-24T00:00:00+01:00": (1, None),
        "2026-03-29T14:00:00+02:00": (1, None),
        "2026-03-30T10:00:00+02:00": (1, None),
    }
    today = await service.today_summary()
    assert today["conversations"] == 1


async def test_kolkata_half_hour(db: Database) -> None:
    # India is UTC+05:30 all year: its local hours begin at :30 UTC.
    await _chats(
        db,
        ("yesterday", utc(2026, 11, 26, 18, 29, 59), {}),  # 23:59:59 on the 26th, local
        ("midnight", utc(2026, 11, 26, 18, 30), {}),  # 00:00 on the 27th
        ("h13", utc(2026, 11, 27, 8, 29, 59, 999999), {}),  # 13:59:59.999999
        # 14:00 local; handed off 14:15, left unassigned at 14:16 (wait 60).
        ("h14", utc(2026, 11, 27, 8, 30), {"handoff_at": utc(2026, 11, 27, 8, 45),
                                            "closed_at": utc(2026, 11, 27, 8, 46), "closed_by_role": "visitor"}),
    )
    service = StatsService(StatsStore(db), lambda: utc(2026, 11, 27, 12), "Asia/Kolkata")  # 17:30 local
    result = await service.report(service.parse_period({"period": "today"}), StatsFilter())
    assert result["period"]["start"] == "2026-11-26T18:30:00+00:00"
    assert len(result["hourly"]) == 24
    assert _busy(result) == {
        "2026-11-27T00:00:00+05:30": (1, None),
        "2026-11-27T13:00:00+05:30": (1, None),
        "2026-11-27T14:00:00+05:30": (1, 60.0),
    }
    assert result["daily"][0]["conversations"] == 3
    summary = await service.today_summary()
    assert (summary["conversations"], summary["abandoned"], summary["abandonment_rate"]) == (3, 1, 1.0)
