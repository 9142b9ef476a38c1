"""Business hours: validation, open or closed at an instant, and open time counted across nights, weekends,
holidays, time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chatsvc.domain.hours import DAYS, BusinessHours, default_weekly
from chatsvc.errors import BadRequest

WEEKDAYS_9_TO_17 = {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                    "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}


def hours(timezone: str = "UTC", weekly: object = None, holidays: object = ()) -> BusinessHours:
    return BusinessHours.parse(timezone, WEEKDAYS_9_TO_17 if weekly is None else weekly, list(holidays))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- parse, validation, JSON ------------------------------------------------------------------------------


def test_parse_sorts_intervals_fills_every_day_and_round_trips() -> None:
    parsed = BusinessHours.parse(
        "Europe/Paris", {"mon": [["14:00", "18:00"], ["09:00", "12:00"]], "sat": [["10:00", "24:00"]]},
        ["2026-12-25", "2026-01-01", "2026-12-25"],
    )
    assert parsed.weekly["mon"] == [("09:00", "12:00"), ("14:00", "18:00")]
    assert parsed.weekly["tue"] == []
    assert list(parsed.weekly) == list(DAYS)
    assert parsed.holidays == frozenset({date(2026, 12, 25), date(2026, 1, 1)})
    as_json = parsed.to_json()
    assert as_json["holidays"] == ["2026-01-01", "2026-12-25"]
    assert as_json["weekly"]["mon"] == [["09:00", "12:00"], ["14:00", "18:00"]]  # type: ignore[index]
    timezone, weekly, holidays = as_json["timezone"], as_json["weekly"], as_json["holidays"]
    again = BusinessHours.parse(timezone, weekly, holidays)  # type: ignore[arg-type]
    assert again == parsed


def test_touching_intervals_are_allowed() -> None:
    site = hours(weekly={"mon": [["09:00", "12:00"], ["12:00", "17:00"]]})
    assert site.weekly["mon"] == [("09:00", "12:00"), ("12:00", "17:00")]


def test_default_weekly_is_weekdays_nine_to_five() -> None:
    weekly = default_weekly()
    assert weekly["mon"] == [("09:00", "17:00")] and weekly["fri"] == [("09:00", "17:00")]
    assert weekly["sat"] == [] and weekly["sun"] == []
    assert BusinessHours("UTC", weekly).weekly == weekly


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "America", 42,
                                      "Europe/" + "x" * 80])
def test_unknown_time_zone_is_refused(timezone: object) -> None:
    with pytest.raises(BadRequest):
        BusinessHours.parse(timezone, {}, [])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ([], "object of days"),
        ({"monday": [["09:00", "17:00"]]}, "Unknown day"),
        ({"mon": "09:00-17:00"}, "list of"),
        ({"mon": [["09:00"]]}, "pair"),
        ({"mon": [["9:00", "17:00"]]}, "HH:MM"),
        ({"mon": [["09:60", "17:00"]]}, "HH:MM"),
        ({"mon": [["09:00", "25:00"]]}, "HH:MM"),
        ({"mon": [["24:00", "24:00"]]}, "HH:MM"),  # 24:00 is an end only
        ({"mon": [[900, 1700]]}, "HH:MM"),
        ({"mon": [["17:00", "09:00"]]}, "must end after"),
        ({"mon": [["09:00", "09:00"]]}, "must end after"),
        ({"mon": [["09:00", "00:00"]]}, "must end after"),
        ({"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "overlap"),
        ({"mon": [["12:00", "17:00"], ["08:00", "20:00"]]}, "overlap"),
        ({"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(11)]}, "At most 10"),
    ],
)
def test_bad_weekly_hours_are_refused(weekly: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        BusinessHours.parse("UTC", weekly, [])


def test_ten_intervals_a_day_are_allowed() -> None:
    assert len(hours(weekly={"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(10)]}).weekly["mon"]) == 10


@pytest.mark.parametrize(
    "holidays",
    [
        "2026-12-25", ["2026-13-01"], ["2026-02-30"], ["25/12/2026"], ["20261225"], [20261225], [None],
        ["2026-12-25T00:00"],
    ],
)
def test_bad_holidays_are_refused(holidays: object) -> None:
    with pytest.raises(BadRequest):
        BusinessHours.parse("UTC", {}, holidays)


def test_at_most_400_holidays() -> None:
    days = [(date(2026, 1, 1) + timedelta(days=i)).isoformat() for i in range(401)]
    assert len(BusinessHours.parse("UTC", {}, days[:400]).holidays) == 400
    with pytest.raises(BadRequest, match="400"):
        BusinessHours.parse("UTC", {}, days)


# --- is_open, next_opening -----------------------------------------------------------------------------

MONDAY = date(2026, 3, 2)  # a Monday, before any DST change on either side of the Atlantic


def test_open_from_the_first_minute_and_closed_at_the_last() -> None:
    site = hours()
    assert not site.is_open(utc(2026, 3, 2, 8, 59, 59))
    assert site.is_open(utc(2026, 3, 2, 9, 0))
    assert site.is_open(utc(2026, 3, 2, 16, 59, 59))
    assert not site.is_open(utc(2026, 3, 2, 17, 0))
    assert not site.is_open(utc(2026, 3, 7, 12, 0))  # Saturday


def test_holidays_are_closed_all_local_day() -> None:
    site = hours(timezone="Europe/Paris", holidays=["2026-03-02"])
    assert not site.is_open(utc(2026, 3, 2, 10, 0))
    assert site.is_open(utc(2026, 3, 3, 10, 0))


def test_hours_are_local_to_the_site() -> None:
    new_york = hours(timezone="America/New_York")  # UTC-5 in early March
    assert not new_york.is_open(utc(2026, 3, 2, 9, 0))  # 04:00 in New York
    assert new_york.is_open(utc(2026, 3, 2, 14, 0))  # 09:00 in New York
    assert new_york.is_open(utc(2026, 3, 2, 21, 59))  # 16:59 in New York
    assert not new_york.is_open(utc(2026, 3, 2, 22, 0))
    # Any aware datetime is accepted: 09:00 in New York given with its own offset.
    assert new_york.is_open(datetime(2026, 3, 2, 9, 0, tzinfo=new_york._zone))


def test_open_until_midnight_with_24_00() -> None:
    site = hours(weekly={"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert site.is_open(utc(2026, 3, 2, 23, 59, 59))
    assert site.is_open(utc(2026, 3, 3, 0, 0))
    assert not site.is_open(utc(2026, 3, 3, 2, 0))
    assert site.business_seconds_between(utc(2026, 3, 2, 23, 0), utc(2026, 3, 3, 1, 0)) == 2 * 3600


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        hours().is_open(datetime(2026, 3, 2, 10, 0))


def test_next_opening() -> None:
    site = hours()
    assert site.next_opening(utc(2026, 3, 2, 10, 0)) == utc(2026, 3, 2, 10, 0)  # open now
    assert site.next_opening(utc(2026, 3, 2, 7, 0)) == utc(2026, 3, 2, 9, 0)
    assert site.next_opening(utc(2026, 3, 2, 17, 0)) == utc(2026, 3, 3, 9, 0)
    assert site.next_opening(utc(2026, 3, 6, 18, 0)) == utc(2026, 3, 9, 9, 0)  # Friday evening -> Monday
    assert hours(holidays=["2026-03-09"]).next_opening(utc(2026, 3, 6, 18, 0)) == utc(2026, 3, 10, 9, 0)


def test_next_opening_is_none_without_any_open_time() -> None:
    assert hours(weekly={}).next_opening(utc(2026, 3, 2)) is None
    # Open on Mondays only, and every Monday for years is a holiday: the search stops.
    mondays = [(MONDAY + timedelta(weeks=i)).isoformat() for i in range(400)]
    assert hours(weekly={"mon": [["09:00", "17:00"]]}, holidays=mondays).next_opening(utc(2026, 3, 1)) is None


# --- add_business_seconds, business_seconds_between ---------------------------------------------------


def test_add_within_one_day() -> None:
    assert hours().add_business_seconds(utc(2026, 3, 2, 10, 0), 3600) == utc(2026, 3, 2, 11, 0)
    assert hours().add_business_seconds(utc(2026, 3, 2, 10, 0), 0) == utc(2026, 3, 2, 10, 0)


def test_add_ending_exactly_at_closing_time_stays_on_that_day() -> None:
    assert hours().add_business_seconds(utc(2026, 3, 2, 16, 0), 3600) == utc(2026, 3, 2, 17, 0)


def test_add_across_a_night() -> None:
    assert hours().add_business_seconds(utc(2026, 3, 2, 16, 0), 2 * 3600) == utc(2026, 3, 3, 10, 0)


def test_add_starting_while_closed_counts_from_the_opening() -> None:
    assert hours().add_business_seconds(utc(2026, 3, 2, 20, 0), 1800) == utc(2026, 3, 3, 9, 30)


def test_add_across_a_weekend() -> None:
    assert hours().add_business_seconds(utc(2026, 3, 6, 16, 0), 2 * 3600) == utc(2026, 3, 9, 10, 0)


def test_add_across_a_holiday() -> None:
    site = hours(holidays=["2026-03-09"])
    assert site.add_business_seconds(utc(2026, 3, 6, 16, 0), 2 * 3600) == utc(2026, 3, 10, 10, 0)


def test_add_several_days_of_open_time() -> None:
    # Three working days of eight hours, from Wednesday 09:00: Wed, Thu, Fri -> Friday 17:00.
    assert hours().add_business_seconds(utc(2026, 3, 4, 9, 0), 24 * 3600) == utc(2026, 3, 6, 17, 0)


def test_add_in_another_time_zone() -> None:
    new_york = hours(timezone="America/New_York")
    # Monday 16:00 in New York (21:00 UTC) + 2 h -> Tuesday 10:00 in New York (15:00 UTC).
    assert new_york.add_business_seconds(utc(2026, 3, 2, 21, 0), 2 * 3600) == utc(2026, 3, 3, 15, 0)


def test_add_across_new_york_spring_forward() -> None:
    # 2026-03-08: New York moves from UTC-5 to UTC-4. Friday 16:00 EST + 2 h -> Monday 10:00 EDT = 14:00 UTC.
    assert hours(timezone="America/New_York").add_business_seconds(utc(2026, 3, 6, 21, 0), 7200) == utc(
        2026, 3, 9, 14, 0
    )


def test_add_across_paris_spring_forward_weekend() -> None:
    # 2026-03-29 (Sunday) Paris moves from UTC+1 to UTC+2. Friday 16:00 CET (15:00 UTC) + 2 h -> Monday 10:00
    # CEST, which is 08:00 UTC (not 09:00: the offset changed over the weekend).
    paris = hours(timezone="Europe/Paris")
    due = paris.add_business_seconds(utc(2026, 3, 27, 15, 0), 2 * 3600)
    assert due == utc(2026, 3, 30, 8, 0)
    assert paris.business_seconds_between(utc(2026, 3, 27, 15, 0), due) == 2 * 3600


ALWAYS = {day: [["00:00", "24:00"]] for day in DAYS}


def test_paris_spring_forward_day_has_23_hours_and_fall_back_day_25() -> None:
    paris = hours(timezone="Europe/Paris", weekly=ALWAYS)
    # Local midnight to midnight, as UTC instants.
    assert paris.business_seconds_between(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0)) == 23 * 3600
    assert paris.business_seconds_between(utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0)) == 25 * 3600
    # Open all the time, business time is calendar time, whatever the DST change.
    start = utc(2026, 3, 28, 12, 0)
    assert paris.add_business_seconds(start, 48 * 3600) == start + timedelta(hours=48)
    start = utc(2026, 10, 24, 12, 0)
    assert paris.add_business_seconds(start, 48 * 3600) == start + timedelta(hours=48)


def test_paris_night_shift_across_the_changes() -> None:
    # Open 01:00-04:00 local every night. On 2026-03-29, 02:00-03:00 does not exist: 2 hours of opening.
    # On 2026-10-25, 02:00-03:00 happens twice: 4 hours.
    paris = hours(timezone="Europe/Paris", weekly={day: [["01:00", "04:00"]] for day in DAYS})
    assert paris.business_seconds_between(utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 21, 0)) == 2 * 3600
    assert paris.business_seconds_between(utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 22, 0)) == 4 * 3600
    # 01:00 CET on 29 March is 00:00 UTC; 90 minutes later the wall clock reads 03:30 CEST = 01:30 UTC.
    assert paris.add_business_seconds(utc(2026, 3, 29, 0, 0), 5400) == utc(2026, 3, 29, 1, 30)
    # 01:00 CEST on 25 October is 23:00 UTC the day before; 2 h later is the second 02:00 (CET) = 01:00 UTC.
    assert paris.add_business_seconds(utc(2026, 10, 24, 23, 0), 7200) == utc(2026, 10, 25, 1, 0)


def test_an_opening_inside_the_spring_forward_gap_starts_when_the_gap_ends() -> None:
    # "02:30" does not exist on 2026-03-29 in Paris: the site opens at 03:00 CEST (01:00 UTC), not 03:30.
    paris = hours(timezone="Europe/Paris", weekly={"sun": [["02:30", "04:00"]]})
    assert not paris.is_open(utc(2026, 3, 29, 0, 59))
    assert paris.is_open(utc(2026, 3, 29, 1, 0))
    assert paris.next_opening(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 0)
    assert paris.business_seconds_between(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 3, 0)) == 3600
    # Closing inside the gap: the interval is 02:00-02:30, which is empty that night.
    empty = hours(timezone="Europe/Paris", weekly={"sun": [["02:00", "02:30"]]})
    assert empty.business_seconds_between(utc(2026, 3, 28), utc(2026, 3, 30)) == 0
    assert empty.business_seconds_between(utc(2026, 4, 4), utc(2026, 4, 6)) == 1800  # a normal Sunday


def test_between_is_zero_when_end_is_not_after_start() -> None:
    assert hours().business_seconds_between(utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 12, 0)) == 0
    assert hours().business_seconds_between(utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 10, 0)) == 0


def test_between_counts_only_open_time() -> None:
    site = hours(holidays=["2026-03-04"])
    # Monday 16:00 to Thursday 10:00: 1 h Monday, 8 h Tuesday, Wednesday a holiday, 1 h Thursday.
    assert site.business_seconds_between(utc(2026, 3, 2, 16, 0), utc(2026, 3, 5, 10, 0)) == 10 * 3600


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize(
    "start", [utc(2026, 3, 27, 15, 17, 3), utc(2026, 10, 23, 20, 0), utc(2026, 12, 24, 8, 0)]
)
def test_between_undoes_add(timezone: str, start: datetime) -> None:
    site = BusinessHours.parse(
        timezone,
        {
            "mon": [["08:30", "12:00"], ["13:00", "18:00"]],
            "tue": [["09:00", "17:00"]],
            "wed": [["00:00", "24:00"]],
            "thu": [["02:00", "03:30"]],  # inside the Lord Howe and Paris night changes
            "fri": [["09:00", "17:00"]],
            "sun": [["01:30", "02:45"], ["22:00", "24:00"]],
        },
        ["2026-12-25", "2026-03-30"],
    )
    for seconds in [0, 1, 59.5, 1800, 3600, 3 * 3600 + 7, 8 * 3600, 24 * 3600, 3 * 86400 + 11, 30 * 86400]:
        due = site.add_business_seconds(start, seconds)
        assert site.business_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)
        assert due >= start


def test_add_refuses_negative_and_impossible_amounts() -> None:
    with pytest.raises(ValueError):
        hours().add_business_seconds(utc(2026, 3, 2), -1)
    with pytest.raises(ValueError):
        hours().add_business_seconds(utc(2026, 3, 2), float("nan"))
    with pytest.raises(ValueError, match="no open time"):
        hours(weekly={}).add_business_seconds(utc(2026, 3, 2), 60)
    mondays = [(MONDAY + timedelta(weeks=i)).isoformat() for i in range(400)]
    mondays_only = hours(weekly={"mon": [["09:00", "17:00"]]}, holidays=mondays)
    with pytest.raises(ValueError, match="no open time"):
        mondays_only.add_business_seconds(utc(2026, 3, 1), 60)
    # One minute a week cannot hold a year of open time within the search limit.
    with pytest.raises(ValueError, match="Not enough open time"):
        hours(weekly={"mon": [["09:00", "09:01"]]}).add_business_seconds(utc(2026, 3, 1), 365 * 86400)


def test_a_year_of_business_time_is_reachable() -> None:
    # The longest SLA target (525600 minutes) on a 40-hour week: about four years and two months.
    due = hours().add_business_seconds(utc(2026, 3, 2, 9, 0), 525_600 * 60)
    assert utc(2030, 4, 1) < due < utc(2030, 7, 1)
