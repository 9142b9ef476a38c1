"""The manager's figures: periods, filters and the formulas of ``docs/metrics.md``.

Pure: no I/O, ``today`` and the time zone are parameters. SQL (``store/stats.py``) hands up counts, sums and
values at given ranks; these functions make the figures from them, so each formula is written (and
unit-tested) once. A figure whose denominator is zero is ``None`` (the page shows "—"), never 0: "no chat was
handed off" is not "nobody abandoned".
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatsvc.errors import BadRequest

# --- periods -----------------------------------------------------------------------------------------------

PERIOD_KEYS = ("today", "7d", "30d", "custom")
DEFAULT_PERIOD = "7d"
_ROLLING_DAYS = {"today": 1, "7d": 7, "30d": 30}
MAX_CUSTOM_DAYS = 366  # a leap year, from/to inclusive
MIN_YEAR, MAX_YEAR = 2000, 2100
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR = timedelta(hours=1)

# Query parameters of the stats API, page and CSV (an allow-list: anything else is refused, SECURITY 13).
STATS_PARAMS = frozenset({"period", "from", "to", "site", "team", "agent"})


class PeriodError(BadRequest):
    """A period the server refuses: ``field`` is the parameter at fault (``period``, ``from`` or ``to``)."""

    code = "invalid_period"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, ref=field)
        self.field = field


class InvalidFilter(BadRequest):
    """An unknown query parameter, or a site, team or agent that does not exist."""

    code = "invalid_filter"
    default_message = "Unknown filter, or no such site, team or agent."


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError saying which name is wrong (checked when the settings load)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as UTC or Europe/Paris") from exc


@dataclasses.dataclass(frozen=True)
class Period:
    """Local days ``first_day``..``last_day`` (inclusive) in ``tz``: instants ``start`` <= t < ``end`` (UTC).

    ``start`` is the local midnight opening the first day and ``end`` the one after the last day, so a day in
    the period is 23, 24 or 25 hours long across a DST change, as the people reading the page live it.
    """

    key: str
    first_day: date
    last_day: date
    tz: ZoneInfo
    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, key: str, first_day: date, last_day: date, tz: ZoneInfo) -> Period:
        after = last_day + timedelta(days=1)
        return cls(key, first_day, last_day, tz, local_midnight(first_day, tz), local_midnight(after, tz))

    @property
    def timezone(self) -> str:
        return self.tz.key

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def to_json(self) -> dict[str, str]:
        return {
            "key": self.key,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) the local day begins. Where midnight does not exist (a DST jump at 00:00), zoneinfo's
    fold=0 reading puts it at the first instant after the gap."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def _parse_day(params: Mapping[str, str], field: str) -> date:
    raw = (params.get(field) or "").strip()
    if not raw:
        raise PeriodError(field, f"A custom period needs '{field}' (YYYY-MM-DD).")
    if not _ISO_DATE.fullmatch(raw):
        raise PeriodError(field, f"'{field}' must be a date written YYYY-MM-DD.")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(field, f"'{field}' is not a real date.") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PeriodError(field, f"'{field}' must be between {MIN_YEAR} and {MAX_YEAR}.")
    return day


def parse_period(params: Mapping[str, str], *, today: date, tz: ZoneInfo | str) -> Period:
    """``period=today|7d|30d`` (the last N local days including ``today``) or ``period=custom&from=&to=``
    (inclusive local days). No ``period`` (or an empty one): ``DEFAULT_PERIOD``. ``from``/``to`` are read only
    for ``custom`` (the page's form always sends them). Raises PeriodError naming the parameter at fault."""
    zone = load_zone(tz) if isinstance(tz, str) else tz
    key = (params.get("period") or "").strip() or DEFAULT_PERIOD
    if key not in PERIOD_KEYS:
        raise PeriodError("period", "The period must be one of today, 7d, 30d or custom.")
    if key != "custom":
        return Period.of_days(key, today - timedelta(days=_ROLLING_DAYS[key] - 1), today, zone)
    first_day = _parse_day(params, "from")
    last_day = _parse_day(params, "to")
    if first_day > last_day:
        raise PeriodError("to", "'to' must not be before 'from'.")
    if (last_day - first_day).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError("to", f"A period is at most {MAX_CUSTOM_DAYS} days long.")
    return Period.of_days(key, first_day, last_day, zone)


def today_period(now: datetime, tz: ZoneInfo) -> Period:
    day = local_today(now, tz)
    return Period.of_days("today", day, day, tz)


def local_hours(period: Period) -> list[datetime]:
    """The hour buckets of the period, in order: each local hour's start as an aware local datetime.

    Bucket k is [start + k h, start + (k+1) h). Counted from the local midnight that opens the period, these
    are exactly the local clock hours in every zone whose offset changes by whole hours (DST included, a
    half-hour zone such as Asia/Kolkata too): 23 buckets on a spring-forward day, 25 on a fall-back day, the
    repeated hour told apart by its offset. ``store/stats.py`` computes k in SQL the same way.
    """
    count = hour_count(period)
    return [(period.start + k * _HOUR).astimezone(period.tz) for k in range(count)]


def hour_count(period: Period) -> int:
    return int((period.end - period.start) // _HOUR)


def local_days(period: Period) -> list[date]:
    return [period.first_day + timedelta(days=i) for i in range(period.days)]


# --- filters -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StatsFilter:
    """Narrow the figures to one site, team and/or agent (ids; None: all). Checked to exist by the service."""

    site_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> StatsFilter:
        def value(name: str) -> str | None:
            raw = (params.get(name) or "").strip()
            return raw or None

        return cls(site_id=value("site"), team_id=value("team"), agent_id=value("agent"))

    def to_json(self) -> dict[str, str | None]:
        return {"site": self.site_id, "team": self.team_id, "agent": self.agent_id}


def check_param_names(names: Iterable[str], allowed: Collection[str] = STATS_PARAMS) -> None:
    """Unknown query parameter names are refused (an allow-list), never ignored."""
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise InvalidFilter("Unknown query parameter.", ref=unknown[0][:40])


# --- formulas ----------------------------------------------------------------------------------------------


def rate(part: float, whole: float) -> float | None:
    """part ÷ whole as a fraction in [0, 1]; None when whole is 0."""
    if not whole:
        return None
    return part / whole


def nearest_rank(n: int, p: float) -> int:
    """The 1-based rank of the p-th percentile of n sorted values: ⌈p/100 × n⌉ (at least 1).

    Nearest rank always answers a value that was observed (no interpolation between two chats' times), and the
    same rule is easy to state, to check by hand and to run in SQL."""
    if n < 1:
        raise ValueError("no values")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    # Fraction of the decimal as written: 0.1 is one tenth, not the binary float just above it.
    exact = Fraction(p) if isinstance(p, int) else Fraction(repr(p))
    return max(1, math.ceil(exact * n / 100))


T = TypeVar("T")


def percentile_nearest_rank(sorted_values: Sequence[T], p: float) -> T | None:
    if not sorted_values:
        return None
    return sorted_values[nearest_rank(len(sorted_values), p) - 1]


def csat_share(satisfied: int, rated: int) -> float | None:
    """Share of ratings 4 or 5 (of 5) among all ratings."""
    return rate(satisfied, rated)


def net_promoter(promoters: int, detractors: int, answered: int) -> float | None:
    """100 × (promoters (9-10) − detractors (0-6)) ÷ answers: from −100 to 100."""
    if not answered:
        return None
    return 100 * (promoters - detractors) / answered


def mean(total: float, count: int) -> float | None:
    if not count:
        return None
    return total / count


# --- unanswered questions ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class QuestionCluster:
    question: str  # the most frequent text of the group (ties: the shortest)
    count: int  # every question of the group
    examples: tuple[str, ...]  # up to 5 other distinct texts, most frequent first
    last_asked: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "count": self.count,
            "examples": list(self.examples),
            "last_asked": self.last_asked.isoformat() if self.last_asked else None,
        }


MAX_EXAMPLES = 5
_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s]+")


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _compared(text: str) -> str:
    """What is compared: casefolded, punctuation as spaces ("password?" is the word "password")."""
    return _normalise(_PUNCTUATION.sub(" ", text.casefold()))


def cluster_questions(
    asked: Iterable[str | tuple[str, datetime | None]], threshold: float = 80
) -> list[QuestionCluster]:
    """Group questions that say the same thing (rapidfuzz ``token_set_ratio`` ≥ ``threshold`` on casefolded
    text, punctuation ignored), largest group first (then the most recently asked, then alphabetically).

    Leader clustering: distinct texts are taken most frequent first (ties: shortest, then alphabetical); each
    joins the group whose representative it is most similar to, if any reaches the threshold, else starts a
    group and represents it. So a representative is its group's most frequent text, and the result does not
    depend on the order the questions came in. ``asked``: texts, or (text, when asked) pairs.
    """
    from rapidfuzz import fuzz, process

    counts: Counter[str] = Counter()  # by casefolded text
    spellings: dict[str, Counter[str]] = {}
    last: dict[str, datetime] = {}
    spelled_last: dict[str, datetime] = {}
    for item in asked:
        text, when = (item, None) if isinstance(item, str) else item
        shown = _normalise(text or "")
        if not shown:
            continue
        key = _compared(shown)
        if not key:
            continue
        counts[key] += 1
        spellings.setdefault(key, Counter())[shown] += 1
        if when is not None and (key not in last or when > last[key]):
            last[key] = when
        if when is not None and (shown not in spelled_last or when > spelled_last[shown]):
            spelled_last[shown] = when
    keys = sorted(counts, key=lambda k: (-counts[k], len(k), k))
    leaders: list[str] = []
    members: dict[str, list[str]] = {}
    for key in keys:
        best = process.extractOne(key, leaders, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
        if best is None:
            leaders.append(key)
            members[key] = [key]
        else:
            members[best[0]].append(key)

    oldest = datetime.min.replace(tzinfo=UTC)

    def spelling(key: str) -> str:
        # The way it was most often written; ties: the most recently asked, then alphabetical order.
        return min(
            spellings[key].items(), key=lambda item: (-item[1], -spelled_last.get(item[0], oldest).timestamp(), item[0])
        )[0]

    clusters = []
    for leader in leaders:
        group = members[leader]
        times = [last[k] for k in group if k in last]
        clusters.append(
            QuestionCluster(
                question=spelling(leader),
                count=sum(counts[k] for k in group),
                examples=tuple(spelling(k) for k in group[1:1 + MAX_EXAMPLES]),
                last_asked=max(times) if times else None,
            )
        )
    clusters.sort(key=lambda c: (-c.count, -(c.last_asked or oldest).timestamp(), c.question))
    return clusters


__all__ = [
    "DEFAULT_PERIOD",
    "MAX_CUSTOM_DAYS",
    "PERIOD_KEYS",
    "STATS_PARAMS",
    "InvalidFilter",
    "Period",
    "PeriodError",
    "QuestionCluster",
    "StatsFilter",
    "check_param_names",
    "cluster_questions",
    "csat_share",
    "hour_count",
    "load_zone",
    "local_days",
    "local_hours",
    "local_midnight",
    "local_today",
    "mean",
    "nearest_rank",
    "net_promoter",
    "parse_period",
    "percentile_nearest_rank",
    "rate",
    "today_period",
]
