"""SLA targets and clocks: when a ticket's first response and resolution are due, and how each clock stands.

Pure: no I/O, ``now`` is always a parameter. Targets are minutes per priority; with ``business_hours`` they
count only the site's open time (when the site has hours), else calendar time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from chatsvc.domain.hours import BusinessHours
from chatsvc.domain.tickets import Priority
from chatsvc.errors import BadRequest

MAX_TARGET_MINUTES = 525_600  # a year: anything longer is not a service level
_TARGET_KEYS = ("first_response_minutes", "resolution_minutes")
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


@dataclass(frozen=True)
class SlaTarget:
    first_response_minutes: int
    resolution_minutes: int

    def __post_init__(self) -> None:
        for name in ("first_response_minutes", "resolution_minutes"):
            value = getattr(self, name)
            # bool is an int in Python; true/false in a JSON form is a mistake, not 1 minute.
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TARGET_MINUTES:
                raise BadRequest(f"{name} must be a whole number of minutes from 1 to {MAX_TARGET_MINUTES}.")
        if self.first_response_minutes > self.resolution_minutes:
            raise BadRequest("The first response cannot be due after the resolution.")

    def to_json(self) -> dict[str, int]:
        return {
            "first_response_minutes": self.first_response_minutes,
            "resolution_minutes": self.resolution_minutes,
        }


@dataclass(frozen=True)
class SlaPolicy:
    targets: dict[Priority, SlaTarget]  # one per priority, all four
    business_hours: bool  # count in business hours when the site has them

    def __post_init__(self) -> None:
        missing = [priority.value for priority in Priority if priority not in self.targets]
        if missing:
            raise BadRequest(f"An SLA target is required for every priority (missing: {', '.join(missing)}).")
        if not isinstance(self.business_hours, bool):
            raise BadRequest('"business_hours" must be true or false.')

    @classmethod
    def parse(cls, value: object) -> SlaPolicy:
        """From JSON: {"business_hours": true, "targets": {"urgent": {"first_response_minutes": 60, ...}}}."""
        if not isinstance(value, dict):
            raise BadRequest("The SLA policy must be an object.")
        _refuse_unknown_keys(value, {"business_hours", "targets"}, "the SLA policy")
        if not isinstance(value.get("business_hours"), bool):
            raise BadRequest('"business_hours" must be true or false.')
        raw_targets = value.get("targets")
        if not isinstance(raw_targets, dict):
            raise BadRequest('"targets" must be an object with one entry per priority.')
        known = {priority.value for priority in Priority}
        for key in raw_targets:
            if key not in known:
                raise BadRequest(f"Unknown priority {key!r}: use low, normal, high or urgent.")
        targets: dict[Priority, SlaTarget] = {}
        for priority in Priority:
            raw = raw_targets.get(priority.value)
            if raw is None:
                raise BadRequest(f'An SLA target is required for the "{priority.value}" priority.')
            if not isinstance(raw, dict):
                raise BadRequest(f'The "{priority.value}" target must be an object.')
            _refuse_unknown_keys(raw, _TARGET_KEYS, f'the "{priority.value}" target')
            for key in _TARGET_KEYS:
                if key not in raw:
                    raise BadRequest(f'The "{priority.value}" target needs "{key}".')
            # SlaTarget checks the values themselves (whole minutes, in range, in order).
            targets[priority] = SlaTarget(raw["first_response_minutes"], raw["resolution_minutes"])
        return cls(targets=targets, business_hours=value["business_hours"])

    def to_json(self) -> dict[str, object]:
        return {
            "business_hours": self.business_hours,
            "targets": {priority.value: self.targets[priority].to_json() for priority in Priority},
        }


DEFAULT_POLICY = SlaPolicy(
    targets={
        Priority.URGENT: SlaTarget(first_response_minutes=60, resolution_minutes=4 * 60),
        Priority.HIGH: SlaTarget(first_response_minutes=4 * 60, resolution_minutes=24 * 60),
        Priority.NORMAL: SlaTarget(first_response_minutes=8 * 60, resolution_minutes=3 * 24 * 60),
        Priority.LOW: SlaTarget(first_response_minutes=24 * 60, resolution_minutes=7 * 24 * 60),
    },
    business_hours=True,
)


def due_dates(
    policy: SlaPolicy, priority: Priority, start: datetime, hours: BusinessHours | None
) -> tuple[datetime, datetime]:
    """(first response due, resolution due) for a ticket of ``priority`` opened at ``start``."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"An aware datetime is required, not {start!r}.")
    target = policy.targets[priority]
    return (
        _add(start, target.first_response_minutes * _MINUTE, _business(policy.business_hours, hours)),
        _add(start, target.resolution_minutes * _MINUTE, _business(policy.business_hours, hours)),
    )


@dataclass(frozen=True)
class SlaState:
    """How one clock stands, for the ticket page ("2 h 10 min left", "breached 35 min ago") and the lists."""

    kind: Literal["met", "breached", "running", "none"]  # none: no target (no due date)
    # Until due while running (business seconds when business hours apply), negative once overdue;
    # None when the clock has stopped (done) or has no target.
    seconds_left: float | None
    breached: bool  # done after due, or not done and past due

    @property
    def running(self) -> bool:
        """The clock still ticks: not done and has a target (whether or not already past due)."""
        return self.seconds_left is not None


def sla_state(
    due: datetime | None, done_at: datetime | None, now: datetime, hours: BusinessHours | None, business: bool
) -> SlaState:
    """Where a clock stands at ``now``; ``done_at`` is when it stopped (first response made, resolved)."""
    if due is None:
        return SlaState(kind="none", seconds_left=None, breached=False)
    if done_at is not None:
        breached = done_at > due
        return SlaState(kind="breached" if breached else "met", seconds_left=None, breached=breached)
    counted = _business(business, hours)
    if now <= due:
        return SlaState(kind="running", seconds_left=_elapsed(now, due, counted), breached=False)
    return SlaState(kind="breached", seconds_left=-_elapsed(due, now, counted), breached=True)


def format_duration(seconds: float, lang: str) -> str:
    """A short human duration of ``abs(seconds)``, rounded down: "2 h 10 min", "3 d 4 h", "45 min", "< 1 min".

    French ("fr", "fr-CA"...) writes days "j"; any other language gets English. The caller words the sign
    ("left" / "ago").
    """
    day_unit = "j" if lang.split("-")[0].split("_")[0].lower() == "fr" else "d"
    seconds = abs(seconds)
    if seconds < _MINUTE:
        return "< 1 min"
    total_minutes = int(seconds // _MINUTE)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {day_unit} {hours} h" if hours else f"{days} {day_unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _business(business: bool, hours: BusinessHours | None) -> BusinessHours | None:
    # A site whose schedule has no open time at all would stop the clock forever: count calendar time instead.
    return hours if business and hours is not None and hours.has_open_time else None


def _elapsed(start: datetime, end: datetime, hours: BusinessHours | None) -> float:
    return hours.business_seconds_between(start, end) if hours else (end - start).total_seconds()


def _add(start: datetime, seconds: int, hours: BusinessHours | None) -> datetime:
    calendar_due = (start + timedelta(seconds=seconds)).astimezone(UTC)
    if hours is None:
        return calendar_due
    try:
        return hours.add_business_seconds(start, seconds)
    except ValueError:
        # Not enough open time within the search limits (every open day a holiday, a thin schedule and a
        # year-long target): a due date in calendar time beats refusing to create the ticket.
        return calendar_due


def _refuse_unknown_keys(value: dict[str, object], allowed: set[str] | tuple[str, ...], where: str) -> None:
    # A misspelt key ("first_reponse_minutes") must not be silently ignored.
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise BadRequest(f"Unknown field in {where}: {', '.join(unknown)}.")
