"""SLA policy validation, due dates in calendar and business time, clock states and their wording."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatsvc.domain.hours import BusinessHours, default_weekly
from chatsvc.domain.sla import (
    DEFAULT_POLICY,
    SlaPolicy,
    SlaState,
    SlaTarget,
    due_dates,
    format_duration,
    sla_state,
)
from chatsvc.domain.tickets import Priority
from chatsvc.errors import BadRequest

WEEKDAYS = BusinessHours.parse("UTC", default_weekly(), [])
CLOSED = BusinessHours.parse("UTC", {}, [])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


FRIDAY_4PM = utc(2026, 3, 6, 16, 0)


# --- policy ------------------------------------------------------------------------------------------------


def test_default_policy() -> None:
    assert DEFAULT_POLICY.business_hours is True
    assert DEFAULT_POLICY.targets[Priority.URGENT] == SlaTarget(60, 240)
    assert DEFAULT_POLICY.targets[Priority.HIGH] == SlaTarget(240, 1440)
    assert DEFAULT_POLICY.targets[Priority.NORMAL] == SlaTarget(480, 4320)
    assert DEFAULT_POLICY.targets[Priority.LOW] == SlaTarget(1440, 10080)


def test_policy_json_round_trips() -> None:
    as_json = DEFAULT_POLICY.to_json()
    urgent = as_json["targets"]["urgent"]  # type: ignore[index]
    assert urgent == {"first_response_minutes": 60, "resolution_minutes": 240}
    assert SlaPolicy.parse(as_json) == DEFAULT_POLICY
    calendar = SlaPolicy.parse({**as_json, "business_hours": False})
    assert calendar.business_hours is False and SlaPolicy.parse(calendar.to_json()) == calendar


def test_bounds_are_allowed() -> None:
    value = DEFAULT_POLICY.to_json()
    targets: dict = value["targets"]  # type: ignore[assignment]
    targets["low"] = {"first_response_minutes": 1, "resolution_minutes": 525600}
    targets["high"] = {"first_response_minutes": 30, "resolution_minutes": 30}  # first response may equal
    assert SlaPolicy.parse(value).targets[Priority.LOW] == SlaTarget(1, 525600)


def _with(change) -> object:  # type: ignore[no-untyped-def]
    value = copy.deepcopy(DEFAULT_POLICY.to_json())
    change(value)
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "must be an object"),
        (_with(lambda v: v.pop("business_hours")), "business_hours"),
        (_with(lambda v: v.update(business_hours="yes")), "business_hours"),
        (_with(lambda v: v.update(extra=1)), "Unknown field"),
        (_with(lambda v: v.update(targets=[])), "targets"),
        (_with(lambda v: v["targets"].pop("low")), '"low"'),
        (_with(lambda v: v["targets"].update(critical=v["targets"]["urgent"])), "Unknown priority"),
        (_with(lambda v: v["targets"].update(low=60)), "must be an object"),
        (_with(lambda v: v["targets"]["low"].pop("resolution_minutes")), "resolution_minutes"),
        (_with(lambda v: v["targets"]["low"].update(first_reponse_minutes=5)), "Unknown field"),
        (_with(lambda v: v["targets"]["low"].update(first_response_minutes=0)), "1 to 525600"),
        (_with(lambda v: v["targets"]["low"].update(resolution_minutes=525601)), "1 to 525600"),
        (_with(lambda v: v["targets"]["low"].update(first_response_minutes=1.5)), "whole number"),
        (_with(lambda v: v["targets"]["low"].update(first_response_minutes="60")), "whole number"),
        (_with(lambda v: v["targets"]["low"].update(first_response_minutes=True)), "whole number"),
        (_with(lambda v: v["targets"]["low"].update(first_response_minutes=None)), "whole number"),
        (_with(lambda v: v["targets"]["urgent"].update(first_response_minutes=241)), "after the resolution"),
    ],
)
def test_bad_policies_are_refused(value: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        SlaPolicy.parse(value)


def test_a_policy_needs_every_priority() -> None:
    with pytest.raises(BadRequest, match="missing: urgent"):
        SlaPolicy(targets={p: SlaTarget(1, 2) for p in Priority if p is not Priority.URGENT},
                  business_hours=True)


# --- due dates ---------------------------------------------------------------------------------------------


def test_due_dates_in_calendar_time_without_hours() -> None:
    start = utc(2026, 3, 6, 16, 0)
    urgent = due_dates(DEFAULT_POLICY, Priority.URGENT, start, None)
    assert urgent == (utc(2026, 3, 6, 17, 0), utc(2026, 3, 6, 20, 0))
    low = due_dates(DEFAULT_POLICY, Priority.LOW, start, None)
    assert low == (start + timedelta(days=1), start + timedelta(days=7))


def test_due_dates_in_business_time() -> None:
    # Friday 16:00 + 1 h -> Friday 17:00; + 4 h -> Monday 12:00.
    assert due_dates(DEFAULT_POLICY, Priority.URGENT, FRIDAY_4PM, WEEKDAYS) == (
        utc(2026, 3, 6, 17, 0), utc(2026, 3, 9, 12, 0)
    )
    # Normal: 8 h = 1 h Friday + 7 h Monday -> Monday 16:00; 72 h = 9 working days -> Thursday 19 March 16:00.
    assert due_dates(DEFAULT_POLICY, Priority.NORMAL, FRIDAY_4PM, WEEKDAYS) == (
        utc(2026, 3, 9, 16, 0), utc(2026, 3, 19, 16, 0)
    )


def test_a_calendar_policy_ignores_the_sites_hours() -> None:
    calendar = SlaPolicy(targets=DEFAULT_POLICY.targets, business_hours=False)
    due = due_dates(calendar, Priority.URGENT, FRIDAY_4PM, WEEKDAYS)
    assert due == (utc(2026, 3, 6, 17, 0), utc(2026, 3, 6, 20, 0))


def test_due_dates_fall_back_to_calendar_time_when_the_site_is_never_open() -> None:
    assert due_dates(DEFAULT_POLICY, Priority.URGENT, FRIDAY_4PM, CLOSED) == (
        utc(2026, 3, 6, 17, 0), utc(2026, 3, 6, 20, 0)
    )


def test_due_dates_are_utc_and_need_an_aware_start() -> None:
    paris_time = datetime(2026, 3, 6, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 17:00 UTC
    first, _ = due_dates(DEFAULT_POLICY, Priority.URGENT, paris_time, None)
    assert first.utcoffset() == timedelta(0) and first == utc(2026, 3, 6, 18, 0)
    with pytest.raises(ValueError):
        due_dates(DEFAULT_POLICY, Priority.URGENT, datetime(2026, 3, 6, 16, 0), None)


# --- clock states ------------------------------------------------------------------------------------------

DUE = utc(2026, 3, 6, 17, 0)  # Friday 17:00


def test_no_due_date_means_no_clock() -> None:
    assert sla_state(None, None, DUE, None, False) == SlaState(kind="none", seconds_left=None, breached=False)


def test_done_in_time_is_met() -> None:
    state = sla_state(DUE, DUE, DUE + timedelta(days=3), None, False)
    assert state == SlaState(kind="met", seconds_left=None, breached=False)
    assert not state.running


def test_done_late_is_breached() -> None:
    state = sla_state(DUE, DUE + timedelta(seconds=1), DUE + timedelta(days=3), None, False)
    assert state == SlaState(kind="breached", seconds_left=None, breached=True)


def test_running_counts_down_in_calendar_time() -> None:
    state = sla_state(DUE, None, DUE - timedelta(hours=2, minutes=10), None, False)
    assert state == SlaState(kind="running", seconds_left=7800.0, breached=False)
    assert state.running
    assert sla_state(DUE, None, DUE, None, False).kind == "running"  # due this very second: not yet late


def test_overdue_and_still_running_is_breached_with_negative_time() -> None:
    state = sla_state(DUE, None, DUE + timedelta(minutes=35), None, False)
    assert state == SlaState(kind="breached", seconds_left=-2100.0, breached=True)
    assert state.running


def test_running_counts_down_in_business_time() -> None:
    # Due Monday 10:00; on Friday 16:00 two business hours are left (one Friday, one Monday), not 66.
    due = utc(2026, 3, 9, 10, 0)
    assert sla_state(due, None, FRIDAY_4PM, WEEKDAYS, True).seconds_left == 7200
    assert sla_state(due, None, FRIDAY_4PM, WEEKDAYS, False).seconds_left == 66 * 3600
    assert sla_state(due, None, FRIDAY_4PM, None, True).seconds_left == 66 * 3600  # no hours: calendar
    # Overdue since Friday 17:00; on Monday 09:30 it is 30 business minutes late.
    late = sla_state(DUE, None, utc(2026, 3, 9, 9, 30), WEEKDAYS, True)
    assert late == SlaState(kind="breached", seconds_left=-1800.0, breached=True)


# --- wording -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (0, "< 1 min", "< 1 min"),
        (59.9, "< 1 min", "< 1 min"),
        (60, "1 min", "1 min"),
        (45 * 60 + 59, "45 min", "45 min"),
        (3600, "1 h", "1 h"),
        (2 * 3600 + 10 * 60, "2 h 10 min", "2 h 10 min"),
        (86400 - 1, "23 h 59 min", "23 h 59 min"),
        (86400, "1 d", "1 j"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h", "3 j 4 h"),
        (-35 * 60, "35 min", "35 min"),  # the sign is the caller's to word ("ago")
    ],
)
def test_format_duration(seconds: float, english: str, french: str) -> None:
    assert format_duration(seconds, "en") == english
    assert format_duration(seconds, "fr") == french
    assert format_duration(seconds, "fr-CA") == french
    assert format_duration(seconds, "de") == english
