"""Business hours: when a site is open, in its own time zone, and how much open time lies between instants.

Pure: no I/O. Instants in and out are aware datetimes (results in UTC); the weekly schedule is local wall
time. Each local day's intervals are turned into instants with zoneinfo one day at a time, which keeps DST
changes right: a spring-forward night is an hour shorter, the opening hours are not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatsvc.errors import BadRequest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
MAX_INTERVALS_PER_DAY = 10  # more is a typo, and every SLA computation walks them
MAX_HOLIDAYS = 400  # a year or so of public holidays for any country, with room to spare
MAX_TIMEZONE_LENGTH = 64  # the business_hours.timezone column
# A schedule with no open minute in this many consecutive days has none in practice: searches stop there
# instead of walking towards year 9999 (a site whose every open day is a holiday, say).
MAX_CLOSED_DAYS = 2 * 366
# The furthest add_business_seconds walks: the longest SLA target (a year of minutes) counted in a thin
# schedule of ~20 hours a week still fits; beyond it the answer is meaningless anyway.
MAX_SEARCH_DAYS = 10 * 366

_MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_END_OF_DAY = "24:00"  # allowed as an end only: open until midnight
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Interval = tuple[str, str]  # ("09:00", "17:30"), local wall time, start < end
_DayMinutes = tuple[tuple[int, int], ...]  # one day's intervals as minutes since local midnight


@dataclass(frozen=True)
class BusinessHours:
    """A site's opening hours. Construction validates and normalises (all seven days, sorted intervals)."""

    timezone: str  # IANA name, e.g. "Europe/Paris"
    weekly: dict[str, list[Interval]]  # "mon".."sun" -> sorted, non-overlapping intervals; [] = closed
    holidays: frozenset[date] = frozenset()  # local dates closed all day
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Per weekday, the intervals as (start, end) minutes since local midnight; end may be 1440.
    _minutes: tuple[_DayMinutes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.timezone)
        weekly, minutes = _check_weekly(self.weekly)
        holidays = frozenset(self.holidays)
        if len(holidays) > MAX_HOLIDAYS:
            raise BadRequest(f"At most {MAX_HOLIDAYS} holidays are allowed.")
        if not all(isinstance(day, date) and not isinstance(day, datetime) for day in holidays):
            raise BadRequest("Holidays must be dates.")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_minutes", minutes)

    @classmethod
    def parse(cls, timezone: str, weekly: object, holidays: object) -> BusinessHours:
        """From JSON as stored or sent by an admin.

        ``weekly``: {"mon": [["09:00", "17:00"]], ...}; ``holidays``: ["2026-12-25", ...].
        """
        if not isinstance(weekly, Mapping):
            raise BadRequest('The weekly hours must be an object of days ("mon" to "sun").')
        return cls(timezone=timezone, weekly=dict(weekly), holidays=_parse_holidays(holidays))

    def to_json(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "weekly": {day: [[start, end] for start, end in self.weekly[day]] for day in DAYS},
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    @property
    def has_open_time(self) -> bool:
        """False when no day has an interval: the clock would never move."""
        return any(self._minutes)

    def is_open(self, at: datetime) -> bool:
        at = _as_utc(at)
        return any(start <= at < end for start, end in self._spans(self._local_date(at)))

    def next_opening(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next instant the site opens; None when it never does."""
        at = _as_utc(at)
        if not self.has_open_time:
            return None
        day = self._local_date(at)
        for _ in range(MAX_CLOSED_DAYS + 7):
            for start, end in self._spans(day):
                if end > at:
                    return max(start, at)
            day += timedelta(days=1)
        return None

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant (UTC) at which ``seconds`` of open time have passed since ``start``.

        Raises ValueError when the schedule has no open time, or not enough within the search limits.
        """
        start = _as_utc(start)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        if not self.has_open_time:
            raise ValueError("These business hours have no open time at all.")
        # timedelta keeps whole microseconds: sums are exact, so between(start, add(start, s)) == s.
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return start
        day = self._local_date(start)
        closed_days = 0
        for _ in range(MAX_SEARCH_DAYS):
            was_open = False
            for span_start, span_end in self._spans(day):
                if span_end <= start:
                    continue
                span_start = max(span_start, start)
                available = span_end - span_start
                was_open = True
                if remaining <= available:
                    return span_start + remaining
                remaining -= available
            closed_days = 0 if was_open else closed_days + 1
            if closed_days > MAX_CLOSED_DAYS:
                raise ValueError("These business hours have no open time in the next two years.")
            day += timedelta(days=1)
        raise ValueError(f"Not enough open time in the {MAX_SEARCH_DAYS} days after {start.isoformat()}.")

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Open time between two instants, in seconds; 0 when ``end <= start``."""
        start, end = _as_utc(start), _as_utc(end)
        if end <= start or not self.has_open_time:
            return 0.0
        total = timedelta()
        day, last = self._local_date(start), self._local_date(end)
        while day <= last:
            for span_start, span_end in self._spans(day):
                overlap = min(span_end, end) - max(span_start, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds()

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local day's open intervals as UTC instants (empty ones, inside a DST gap, left out)."""
        if day in self.holidays:
            return []
        spans = []
        for start_minute, end_minute in self._minutes[day.weekday()]:
            start = _instant(day, start_minute, self._zone)
            end = _instant(day, end_minute, self._zone)
            if end > start:
                spans.append((start, end))
        return spans


def default_weekly() -> dict[str, list[Interval]]:
    """Monday to Friday, 09:00 to 17:00: the starting point the admin page offers."""
    return {day: ([("09:00", "17:00")] if day not in ("sat", "sun") else []) for day in DAYS}


def _load_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("The time zone must be a name such as Europe/Paris.")
    if len(name) > MAX_TIMEZONE_LENGTH:
        raise BadRequest(f"Unknown time zone: {name[:MAX_TIMEZONE_LENGTH]}...")
    try:
        return ZoneInfo(name)
    # ValueError: a path-like key ("../x", "/etc"); OSError: a directory such as "America".
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadRequest(f"Unknown time zone: {name}.") from None


def _check_weekly(weekly: object) -> tuple[dict[str, list[Interval]], tuple[_DayMinutes, ...]]:
    if not isinstance(weekly, Mapping):
        raise BadRequest('The weekly hours must be an object of days ("mon" to "sun").')
    for key in weekly:
        if key not in DAYS:
            raise BadRequest(f'Unknown day {key!r}: use "mon", "tue", "wed", "thu", "fri", "sat" or "sun".')
    normalised: dict[str, list[Interval]] = {}
    minutes: list[_DayMinutes] = []
    for day in DAYS:
        intervals = _check_day(day, weekly.get(day) or [])
        normalised[day] = [(_format_minute(start), _format_minute(end)) for start, end in intervals]
        minutes.append(tuple(intervals))
    return normalised, tuple(minutes)


def _check_day(day: str, value: object) -> list[tuple[int, int]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise BadRequest(f'The hours of "{day}" must be a list of [start, end] pairs.')
    if len(value) > MAX_INTERVALS_PER_DAY:
        raise BadRequest(f'At most {MAX_INTERVALS_PER_DAY} intervals a day are allowed ("{day}").')
    intervals = []
    for pair in value:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise BadRequest(f'Each interval of "{day}" must be a pair such as ["09:00", "17:00"].')
        start, end = _parse_minute(day, pair[0], end=False), _parse_minute(day, pair[1], end=True)
        if end <= start:
            raise BadRequest(f'On "{day}", the interval {pair[0]}-{pair[1]} must end after it starts.')
        intervals.append((start, end))
    intervals.sort()
    for (_, previous_end), (next_start, _) in zip(intervals, intervals[1:]):
        if next_start < previous_end:  # touching (…-12:00, 12:00-…) is fine
            raise BadRequest(f'On "{day}", the intervals overlap.')
    return intervals


def _parse_minute(day: str, value: object, *, end: bool) -> int:
    if end and value == _END_OF_DAY:
        return _MINUTES_PER_DAY
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        allowed = ' (or "24:00" as an end)' if end else ""
        raise BadRequest(f'On "{day}", {value!r} is not a time of the form HH:MM{allowed}.')
    return int(match[1]) * 60 + int(match[2])


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_holidays(value: object) -> frozenset[date]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise BadRequest('The holidays must be a list of dates such as "2026-12-25".')
    if len(value) > MAX_HOLIDAYS:
        raise BadRequest(f"At most {MAX_HOLIDAYS} holidays are allowed.")
    return frozenset(_parse_date(item) for item in value)


def _parse_date(value: object) -> date:
    # The regex first: fromisoformat also takes "20261225" and week dates, which a form never means.
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadRequest(f"{value!r} is not a date of the form YYYY-MM-DD.")


def _as_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"An aware datetime is required, not {at!r}.")
    return at.astimezone(UTC)


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time; a time inside a spring-forward gap is the end of the gap."""
    if minute == _MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant  # exists (an ambiguous fall-back time is its first occurrence, fold=0)
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    # In a gap, fold=0 and fold=1 read the wall time with the offsets before and after the change (PEP 495),
    # which gives two instants around the change; the change itself (on a whole second) is found between
    # them by bisection, so "opens at 02:30" on a night that skips 02:00-03:00 opens at 03:00, not 03:30.
    low, high = sorted(wall.replace(fold=fold).astimezone(UTC) for fold in (0, 1))
    offset_after = high.astimezone(zone).utcoffset()
    low_second, high_second = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset_after:
            high_second = middle
        else:
            low_second = middle
    return datetime.fromtimestamp(high_second, UTC)

