"""The figures' formulas and the period rules (docs/metrics.md), as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatsvc.domain.metrics import (
    STATS_PARAMS,
    InvalidFilter,
    Period,
    PeriodError,
    StatsFilter,
    check_param_names,
    cluster_questions,
    csat_share,
    local_days,
    local_hours,
    local_midnight,
    mean,
    nearest_rank,
    net_promoter,
    parse_period,
    percentile_nearest_rank,
    rate,
    today_period,
)

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
TODAY = date(2026, 11, 27)


# --- formulas ------------------------------------------------------------------------------------------------


def test_rate_is_a_fraction_and_none_without_a_denominator() -> None:
    assert rate(1, 4) == 0.25
    assert rate(0, 3) == 0.0
    assert rate(0, 0) is None
    assert rate(5, 0) is None


def test_nearest_rank_is_the_ceiling_of_p_percent_of_n() -> None:
    assert nearest_rank(1, 50) == 1
    assert nearest_rank(1, 90) == 1
    assert nearest_rank(4, 50) == 2  # ⌈2⌉
    assert nearest_rank(5, 50) == 3  # ⌈2.5⌉
    assert nearest_rank(10, 90) == 9  # ⌈9⌉: exact, not 9.000000001 rounded up to 10
    assert nearest_rank(11, 90) == 10  # ⌈9.9⌉
    assert nearest_rank(100, 90) == 90
    assert nearest_rank(3, 100) == 3
    assert nearest_rank(1000, 0.1) == 1
    with pytest.raises(ValueError):
        nearest_rank(0, 50)
    with pytest.raises(ValueError):
        nearest_rank(3, 0)
    with pytest.raises(ValueError):
        nearest_rank(3, 101)


def test_percentile_takes_an_observed_value_no_interpolation() -> None:
    values = [10, 20, 30, 40]
    assert percentile_nearest_rank(values, 50) == 20  # rank ⌈0.5×4⌉ = 2 (interpolation would say 25)
    assert percentile_nearest_rank(values, 90) == 40  # rank ⌈3.6⌉ = 4
    assert percentile_nearest_rank([7.5], 90) == 7.5
    assert percentile_nearest_rank([], 50) is None


def test_csat_nps_ces() -> None:
    assert csat_share(3, 4) == 0.75
    assert csat_share(0, 0) is None
    assert net_promoter(2, 1, 4) == 25.0  # 100 × (2 − 1) ÷ 4
    assert net_promoter(0, 3, 3) == -100.0
    assert net_promoter(0, 0, 0) is None
    assert mean(9, 2) == 4.5
    assert mean(0, 0) is None


# --- periods ---------------------------------------------------------------------------------------------------


def test_rolling_periods_end_today_and_count_today() -> None:
    today = parse_period({"period": "today"}, today=TODAY, tz=PARIS)
    assert (today.first_day, today.last_day, today.days) == (TODAY, TODAY, 1)
    week = parse_period({"period": "7d"}, today=TODAY, tz=PARIS)
    assert (week.first_day, week.last_day, week.days) == (date(2026, 11, 21), TODAY, 7)
    month = parse_period({"period": "30d", "from": "junk", "to": ""}, today=TODAY, tz=PARIS)  # from/to ignored
    assert (month.first_day, month.days) == (date(2026, 10, 29), 30)
    assert parse_period({}, today=TODAY, tz="UTC").key == "7d"  # the default


def test_a_period_is_local_midnight_to_local_midnight_in_utc() -> None:
    period = parse_period({"period": "custom", "from": "2026-11-27", "to": "2026-11-28"}, today=TODAY, tz=PARIS)
    # Paris is UTC+1 in November: 27 Nov 00:00 local = 26 Nov 23:00 UTC; the end is 29 Nov 00:00 local.
    assert period.start == datetime(2026, 11, 26, 23, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 28, 23, tzinfo=UTC)
    assert period.to_json() == {
        "key": "custom", "from": "2026-11-27", "to": "2026-11-28", "timezone": "Europe/Paris",
        "start": "2026-11-26T23:00:00+00:00", "end": "2026-11-28T23:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"period": "custom"}, "from"),
        ({"period": "custom", "from": "2026-11-01"}, "to"),
        ({"period": "custom", "from": "2026-11-1", "to": "2026-11-02"}, "from"),
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-02"}, "from"),
        ({"period": "custom", "from": "2026-11-02", "to": "2026-11-01"}, "to"),  # to before from
        ({"period": "custom", "from": "1999-12-31", "to": "2000-01-02"}, "from"),
        ({"period": "custom", "from": "2100-12-01", "to": "2101-01-01"}, "to"),
        ({"period": "custom", "from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"period": "custom", "from": " 2026-11-01'--", "to": "2026-11-02"}, "from"),
    ],
)
def test_bad_periods_are_refused_naming_the_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(params, today=TODAY, tz=PARIS)
    assert caught.value.field == field
    assert caught.value.status == 400 and caught.value.code == "invalid_period"


def test_the_longest_custom_period_is_366_days() -> None:
    period = parse_period({"period": "custom", "from": "2024-01-01", "to": "2024-12-31"}, today=TODAY, tz="UTC")
    assert period.days == 366  # a leap year
    edges = parse_period({"period": "custom", "from": "2000-01-01", "to": "2000-01-01"}, today=TODAY, tz="UTC")
    assert edges.days == 1


def test_hours_of_a_spring_forward_day_in_paris() -> None:
    # 29 March 2026: at 02:00 Paris clocks jump to 03:00. The day has 23 hours and no 02:00.
    period = parse_period({"period": "custom", "from": "2026-03-29", "to": "2026-03-29"}, today=TODAY, tz=PARIS)
    hours = local_hours(period)
    assert len(hours) == 23
    assert [h.isoformat() for h in hours[:4]] == [
        "2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
        "2026-03-29T04:00:00+02:00",
    ]
    assert hours[-1].isoformat() == "2026-03-29T23:00:00+02:00"
    assert local_days(period) == [date(2026, 3, 29)]


def test_hours_of_a_fall_back_day_in_paris() -> None:
    # 25 October 2026: at 03:00 Paris clocks go back to 02:00. 25 hours; 02:00 twice, told apart by the offset.
    period = parse_period({"period": "custom", "from": "2026-10-25", "to": "2026-10-25"}, today=TODAY, tz=PARIS)
    hours = [h.isoformat() for h in local_hours(period)]
    assert len(hours) == 25
    assert hours[2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


def test_hours_in_a_half_hour_zone_are_local_clock_hours() -> None:
    period = parse_period({"period": "today"}, today=TODAY, tz=KOLKATA)
    assert period.start == datetime(2026, 11, 26, 18, 30, tzinfo=UTC)  # midnight IST = 18:30 UTC the day before
    hours = local_hours(period)
    assert len(hours) == 24
    assert hours[0].isoformat() == "2026-11-27T00:00:00+05:30"
    assert hours[14].isoformat() == "2026-11-27T14:00:00+05:30"
    assert hours[14].astimezone(UTC) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def test_days_of_a_period_and_today() -> None:
    period = Period.of_days("custom", date(2026, 2, 27), date(2026, 3, 1), PARIS)
    assert local_days(period) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    # 23:30 UTC on 26 Nov is already 27 Nov in Paris.
    today = today_period(datetime(2026, 11, 26, 23, 30, tzinfo=UTC), PARIS)
    assert today.first_day == date(2026, 11, 27)
    assert local_midnight(date(2026, 11, 27), PARIS) == datetime(2026, 11, 26, 23, tzinfo=UTC)


# --- filters -------------------------------------------------------------------------------------------------


def test_filters_from_params_and_the_allow_list() -> None:
    assert StatsFilter.from_params({"site": "s1", "team": "", "agent": " a1 "}) == StatsFilter("s1", None, "a1")
    assert StatsFilter("s1").to_json() == {"site": "s1", "team": None, "agent": None}
    check_param_names(["period", "from", "to", "site", "team", "agent"])
    check_param_names(["table", "period"], allowed=STATS_PARAMS | {"table"})
    with pytest.raises(InvalidFilter) as caught:
        check_param_names(["period", "site_id"])
    assert caught.value.code == "invalid_filter" and caught.value.status == 400


# --- unanswered questions ------------------------------------------------------------------------------------

T = datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_similar_questions_group_under_the_most_frequent_text() -> None:
    asked = [
        ("Where is my parcel?", T),
        ("where is my parcel", T + timedelta(minutes=1)),
        ("WHERE IS MY PARCEL", T + timedelta(minutes=2)),
        ("where is my  parcel", T + timedelta(minutes=2)),  # spaces do not count
        ("where is my parcel please", T + timedelta(minutes=3)),
        ("my parcel where is it", T + timedelta(minutes=4)),
        ("How do I change my password", T + timedelta(minutes=5)),
        ("change password", T + timedelta(minutes=6)),
        ("do you ship to Canada", T + timedelta(minutes=7)),
    ]
    clusters = cluster_questions(asked)
    assert [(c.question, c.count) for c in clusters] == [
        # 4 × the same words (case, spaces and punctuation aside), written most often "where is my parcel";
        # + 2 similar.
        ("where is my parcel", 6),
        ("change password", 2),  # tie on count (1 each): the shortest represents; then newest group first
        ("do you ship to Canada", 1),
    ]
    parcel = clusters[0]
    assert set(parcel.examples) == {"where is my parcel please", "my parcel where is it"}
    assert parcel.last_asked == T + timedelta(minutes=4)
    assert clusters[1].examples == ("How do I change my password",)
    assert parcel.to_json()["last_asked"] == "2026-11-27T09:04:00+00:00"


def test_a_spelling_tie_goes_to_the_most_recent() -> None:
    (cluster,) = cluster_questions([("Opening hours?", T), ("opening hours", T + timedelta(minutes=1))])
    assert (cluster.question, cluster.count, cluster.examples) == ("opening hours", 2, ())


def test_grouping_does_not_depend_on_order_and_skips_blanks() -> None:
    texts = ["refund", "refund please", "I want a refund", "opening hours", "  ", "opening hours today", "refund"]
    first = cluster_questions(texts)
    assert first == cluster_questions(list(reversed(texts)))
    assert [(c.question, c.count, c.last_asked) for c in first] == [("refund", 4, None), ("opening hours", 2, None)]


def test_dissimilar_questions_stay_apart_and_examples_are_capped() -> None:
    assert len(cluster_questions(["cancel my order", "password reset"])) == 2
    many = ["return shipping label"] * 3 + [f"return shipping label {word}" for word in "abcdefg"]
    (cluster,) = cluster_questions(many)
    assert cluster.count == 10 and len(cluster.examples) == 5
