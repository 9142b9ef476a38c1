"""The manager page's charts as server-rendered SVG: pure functions from the report's series to markup.

No script draws them (the CSP and the page work without JavaScript), so each chart is one ``<svg>`` with a
``<title>`` and ``<desc>`` (``role="img"``: a screen reader reads those) followed by a visually hidden
``<table>`` of the same figures. Every piece of text that reaches the markup goes through ``escape``; only the
markup built here is wrapped in ``Markup``.

Buckets over long periods (the report always has every local hour and every local day):
- up to 7 days, one bar per local hour, with gaps between bars, for the conversations and the average wait
  alike (an hour in which nobody waited has no bar: it has no average, which is not an average of 0 s);
- 8 to 60 days, conversations still get one bar per local hour, drawn thin and touching, so the daily rhythm
  (the quiet nights) stays visible, and the hidden table lists days (720 rows of hours would help nobody); the
  average wait becomes one point per day (the waits of the day averaged together): a line through hundreds of
  hourly averages of one or two waits each is noise;
- over 60 days, conversations get one bar per local day too: hours would be narrower than a pixel.
Labels along the bottom sit under what they name (a day's name in the middle of its hours, with a small tick at
each midnight), and one that would crowd the label before it is left out (``place_labels``).
Hours and days are the keys the report gives (local time in ``CHATSVC_STATS_TIMEZONE``), so the labels are the
zone's clock and calendar, not the server's or the reader's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from markupsafe import Markup, escape

from chatsvc.web import figures

# The drawing's own units (the SVG scales to its box; text stays readable from ~400 to ~700 px wide).
WIDTH = 520
HEIGHT = 220
LEFT = 52
RIGHT = 14
TOP = 14
BOTTOM = 30
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
HOURLY_DAYS_MAX = 60  # past this, hours are summed into days
THIN_AFTER_DAYS = 7  # past this, hourly bars touch
DOTS_MAX = 62  # points on a line get a marker (and a tooltip) up to this many
X_LABELS_MAX = 8
LABEL_CHAR_WIDTH = 6.6  # a tick label's width per character at 11 units (an estimate that errs wide)
LABEL_GAP = 10.0  # the least room between two labels along the bottom; a label that would come closer is left out
LABELS_LEFT = LEFT - 8  # how far along the bottom labels may reach (under the y-axis' figures, which sit higher)
LABELS_RIGHT = WIDTH - 2
DAY_TICKS_MAX = 31  # over several days of hours, a small tick marks each midnight up to this many days

Row = Mapping[str, Any]


class Text(Protocol):
    """What the charts need of a translator (``web.i18n.Translator``)."""

    lang: str

    def __call__(self, key: str, **values: object) -> str: ...


@dataclass(frozen=True)
class Bucket:
    key: str  # an hour key ("2026-11-27T14:00:00+01:00") or a day ("2026-11-27")
    label: str  # what a tooltip and the hidden table say
    value: float | None
    extra: tuple[str, ...] = ()  # other columns of the hidden table, already formatted


@dataclass(frozen=True)
class Chart:
    name: str  # its data-chart attribute
    title: str  # the caption above it (also the SVG's <title> and the hidden table's <caption>)
    markup: Markup


@dataclass(frozen=True)
class Label:
    """A label along the bottom, placed: ``x`` and ``anchor`` as SVG's text wants them, ``left`` and ``right`` the
    room it takes (estimated from its length)."""

    x: float
    anchor: str  # "start", "middle" or "end"
    text: str
    left: float
    right: float


@dataclass(frozen=True)
class Scale:
    top: float
    ticks: tuple[float, ...]


# --- scales ----------------------------------------------------------------------------------------------


def count_scale(highest: float) -> Scale:
    """0 to a round number at or above the highest value, with at most five ticks (whole numbers)."""
    if highest <= 0:
        return Scale(4, (0, 1, 2, 3, 4))
    raw = highest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, step)
    top = step * math.ceil(highest / step)
    return Scale(top, tuple(step * i for i in range(round(top / step) + 1)))


_DURATION_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400)


def duration_scale(highest: float) -> Scale:
    """0 to a round duration (seconds, minutes, hours) with at most five ticks."""
    if highest <= 0:
        return Scale(60, (0, 15, 30, 45, 60))
    step = next((s for s in _DURATION_STEPS if s * 4 >= highest), 86400 * math.ceil(highest / 4 / 86400))
    top = step * math.ceil(highest / step)
    return Scale(top, tuple(step * i for i in range(round(top / step) + 1)))


RATE_SCALE = Scale(1.0, (0.0, 0.25, 0.5, 0.75, 1.0))


# --- buckets from the report ---------------------------------------------------------------------------------


def _days_in(hourly: Sequence[Row]) -> list[str]:
    days: list[str] = []
    for row in hourly:
        day = str(row["hour"])[:10]
        if not days or days[-1] != day:
            days.append(day)
    return days


def hourly_is_daily(hourly: Sequence[Row]) -> bool:
    return len(_days_in(hourly)) > HOURLY_DAYS_MAX


def _by_day(hourly: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    groups: list[tuple[str, list[Row]]] = []
    for row in hourly:
        day = str(row["hour"])[:10]
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(row)
    return groups


def _day_wait(rows: Sequence[Row]) -> tuple[float | None, int]:
    """A day's average wait from its hours' averages, weighted by how many chats waited in each hour."""
    waits = sum(int(r.get("waits") or 0) for r in rows)
    if not waits:
        return None, 0
    total = sum(float(r["wait_average_seconds"]) * int(r["waits"]) for r in rows if r.get("waits"))
    return total / waits, waits


# --- drawing ---------------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _y(value: float, scale: Scale) -> float:
    return TOP + PLOT_H - (value / scale.top) * PLOT_H if scale.top else TOP + PLOT_H


def _x_center(index: int, n: int) -> float:
    return LEFT + (index + 0.5) * PLOT_W / max(1, n)


def _grid(scale: Scale, tick_label: Callable[[float], str]) -> list[str]:
    parts = ['<g class="mg-grid" aria-hidden="true">']
    for tick in scale.ticks:
        y = _num(_y(tick, scale))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
    parts.append("</g>")
    parts.append('<g class="mg-tick mg-tick-y" aria-hidden="true">')
    for tick in scale.ticks:
        parts.append(
            f'<text x="{LEFT - 6}" y="{_num(_y(tick, scale) + 4)}" text-anchor="end">{escape(tick_label(tick))}</text>'
        )
    parts.append("</g>")
    return parts


def label_width(text: str) -> float:
    return LABEL_CHAR_WIDTH * len(text)


def place_labels(wanted: Sequence[tuple[float, str]]) -> list[Label]:
    """Labels centred under the points they name (left to right), pulled back inside the drawing at either end; a
    label that would overlap the one before it, or come closer than ``LABEL_GAP``, is skipped (the next one will
    do), so no two labels ever touch, whatever the language, the period or the width of the words."""
    placed: list[Label] = []
    for x, text in wanted:
        width = label_width(text)
        left, anchor = x - width / 2, "middle"
        if left < LABELS_LEFT:
            left, x, anchor = LABELS_LEFT, LABELS_LEFT, "start"
        elif left + width > LABELS_RIGHT:
            left, x, anchor = LABELS_RIGHT - width, LABELS_RIGHT, "end"
        if placed and left < placed[-1].right + LABEL_GAP:
            continue
        placed.append(Label(x, anchor, text, left, left + width))
    return placed


def _x_labels(buckets: Sequence[Bucket], hourly: bool, lang: str) -> list[str]:
    """A few labels along the bottom: every 3 hours within a day; over several days of hours, a day's name in the
    middle of its hours (every n-th day) and a small tick at each midnight; days (every n-th) under their bars."""
    n = len(buckets)
    band = PLOT_W / max(1, n)
    wanted: list[tuple[float, str]] = []
    midnights: list[int] = []
    if hourly:
        midnights = [i for i, b in enumerate(buckets) if i == 0 or b.key[:10] != buckets[i - 1].key[:10]]
        if len(midnights) <= 1:
            wanted = [(_x_center(i, n), figures.hour_label(b.key)) for i, b in enumerate(buckets)
                      if int(b.key[11:13]) % 3 == 0]
        else:
            stride = max(1, math.ceil(len(midnights) / X_LABELS_MAX))
            ends = [*midnights[1:], n]
            wanted = [(LEFT + (start + end) / 2 * band, figures.day_label(buckets[start].key, lang))
                      for start, end in list(zip(midnights, ends, strict=True))[::stride]]
    else:
        stride = max(1, math.ceil(n / X_LABELS_MAX))
        wanted = [(_x_center(i, n), figures.day_label(b.key, lang)) for i, b in enumerate(buckets)][::stride]
    parts = ['<g class="mg-tick mg-tick-x" aria-hidden="true">']
    for label in place_labels(wanted):
        parts.append(
            f'<text x="{_num(label.x)}" y="{HEIGHT - 10}" text-anchor="{label.anchor}">{escape(label.text)}</text>'
        )
    parts.append("</g>")
    base = TOP + PLOT_H
    if 1 < len(midnights) <= DAY_TICKS_MAX:
        parts.append('<g class="mg-day-ticks" aria-hidden="true">')
        for index in midnights[1:]:
            x = _num(LEFT + index * band)
            parts.append(f'<line x1="{x}" x2="{x}" y1="{base}" y2="{base + 5}"/>')
        parts.append("</g>")
    parts.append(f'<line class="mg-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')
    return parts


def _empty_note(t: Text) -> str:
    return (
        f'<text class="mg-empty" x="{LEFT + PLOT_W / 2:.0f}" y="{TOP + PLOT_H / 2:.0f}" text-anchor="middle">'
        f"{escape(t('chart.empty'))}</text>"
    )


def _svg(name: str, title: str, desc: str, body: list[str]) -> str:
    ident = f"mg-chart-{name}"
    return (
        f'<svg class="mg-svg" data-chart="{escape(name)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" focusable="false" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f"<td>{escape(c)}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    return (
        # Hidden by its wrapper: a table is never narrower than its content, whatever width a class gives it.
        f'<div class="visually-hidden"><table class="mg-chart-table"><caption>{escape(title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _bars(buckets: Sequence[Bucket], scale: Scale, t: Text, thin: bool,
          show: Callable[[float], str] | None = None, kind: str = "") -> list[str]:
    """A bar per bucket with a value. Counts (``kind`` empty) draw nothing for 0; a measure (``kind`` names it, as
    the average wait) draws nothing only where there is no value (no wait that hour, which is not a wait of 0 s),
    and a value that rounds to no height still gets a sliver, so the two never look alike."""
    n = len(buckets)
    band = PLOT_W / max(1, n)
    gap = 0.0 if thin or band < 4 else band * 0.18
    parts = [f'<g class="mg-bars mg-bars-{kind}">' if kind else '<g class="mg-bars">']
    for index, bucket in enumerate(buckets):
        if bucket.value is None or (not kind and not bucket.value):
            continue  # nothing to draw; the hidden table still lists the bucket
        top = min(_y(bucket.value, scale), TOP + PLOT_H - 1.0) if kind else _y(bucket.value, scale)
        width = max(0.6, band - 2 * gap)
        value = show(bucket.value) if show else figures.count(int(bucket.value), t.lang)
        tip = t("chart.tip", when=bucket.label, value=value)
        parts.append(
            f'<rect x="{_num(LEFT + index * band + gap)}" y="{_num(top)}" width="{_num(width)}" '
            f'height="{_num(TOP + PLOT_H - top)}"><title>{escape(tip)}</title></rect>'
        )
    parts.append("</g>")
    return parts


def _line(buckets: Sequence[Bucket], scale: Scale, t: Text, show: Callable[[float], str], kind: str) -> list[str]:
    """A line through the buckets that have a value; a bucket without one (no rating that day) breaks it."""
    n = len(buckets)
    segments: list[list[int]] = [[]]
    for index, bucket in enumerate(buckets):
        if bucket.value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(index)

    def point(index: int) -> tuple[str, str]:
        return _num(_x_center(index, n)), _num(_y(buckets[index].value or 0, scale))

    parts = [f'<g class="mg-line mg-line-{kind}">']
    for indexes in segments:
        if len(indexes) > 1:
            parts.append('<polyline points="' + " ".join(",".join(point(i)) for i in indexes) + '"/>')
    valued = [i for s in segments for i in s]
    # Markers carry the tooltips; on a long line only a point alone between gaps gets one (else it is invisible).
    marked = valued if len(valued) <= DOTS_MAX else [s[0] for s in segments if len(s) == 1]
    for index in marked:
        x, y = point(index)
        tip = t("chart.tip", when=buckets[index].label, value=show(buckets[index].value or 0))
        parts.append(f'<circle cx="{x}" cy="{y}" r="3"><title>{escape(tip)}</title></circle>')
    parts.append("</g>")
    return parts


def _peak_desc(buckets: Sequence[Bucket], t: Text, show: Callable[[float], str], total: str | None) -> str:
    valued = [b for b in buckets if b.value is not None]
    if not valued or (total is not None and not any(b.value for b in valued)):
        return t("chart.empty")
    peak = max(valued, key=lambda b: b.value or 0)
    low = min(valued, key=lambda b: b.value or 0)
    if total is not None:
        return t("chart.desc.total", total=total, value=show(peak.value or 0), when=peak.label)
    return t("chart.desc.range", low=show(low.value or 0), low_when=low.label, value=show(peak.value or 0),
             when=peak.label)


def _wrap(name: str, title: str, svg: str, table: str) -> Chart:
    # The drawing scrolls inside its own box on a narrow screen rather than shrinking its text to nothing.
    markup = Markup(f'<div class="mg-chart-plot">{svg}</div>{table}')  # built here, every text escaped
    return Chart(name, title, markup)


# --- the four charts ---------------------------------------------------------------------------------------------


def _hour_label(key: str, several_days: bool, lang: str) -> str:
    return figures.day_hour_label(key, lang) if several_days else figures.hour_label(key)


def conversations_hourly(hourly: Sequence[Row], t: Text) -> Chart:
    lang = t.lang
    several = len(_days_in(hourly)) > 1
    if hourly_is_daily(hourly):
        buckets = [
            Bucket(day, figures.day_label(day, lang), float(sum(int(r["conversations"]) for r in rows)))
            for day, rows in _by_day(hourly)
        ]
        table_rows = [(b.label, figures.count(int(b.value or 0), lang)) for b in buckets]
        title, hourly_buckets, bucket_header = t("chart.conversations.daily"), False, t("chart.col.day")
    else:
        buckets = [
            Bucket(str(r["hour"]), _hour_label(str(r["hour"]), several, lang), float(r["conversations"]))
            for r in hourly
        ]
        hourly_buckets = True
        title = t("chart.conversations.hourly")
        if len(_days_in(hourly)) > THIN_AFTER_DAYS:
            table_rows = [
                (figures.day_label(day, lang), figures.count(sum(int(r["conversations"]) for r in rows), lang))
                for day, rows in _by_day(hourly)
            ]
            bucket_header = t("chart.col.day")
        else:
            table_rows = [(b.label, figures.count(int(b.value or 0), lang)) for b in buckets]
            bucket_header = t("chart.col.hour")
    scale = count_scale(max((b.value or 0 for b in buckets), default=0))
    total = sum(int(b.value or 0) for b in buckets)

    def show(value: float) -> str:
        return figures.count(int(value), lang)

    body = _grid(scale, show)
    body += _bars(buckets, scale, t, thin=len(_days_in(hourly)) > THIN_AFTER_DAYS)
    body += _x_labels(buckets, hourly_buckets, lang)
    if not total:
        body.append(_empty_note(t))
    desc = _peak_desc(buckets, t, show, figures.count(total, lang))
    svg = _svg("conversations-hourly", title, desc, body)
    return _wrap("conversations-hourly", title, svg, _table(title, (bucket_header, t("chart.col.conversations")), table_rows))


def wait_hourly(hourly: Sequence[Row], t: Text) -> Chart:
    lang = t.lang
    several = len(_days_in(hourly)) > 1

    def wait_of(row: Row) -> float | None:
        value = row.get("wait_average_seconds")
        return None if value is None or not row.get("waits") else float(value)

    day_rows = []
    for day, rows in _by_day(hourly):
        average, waits = _day_wait(rows)
        day_rows.append(Bucket(day, figures.day_label(day, lang), average,
                               (figures.count(waits, lang),)))
    if len(_days_in(hourly)) > THIN_AFTER_DAYS:
        # A line through 720 hourly averages is noise (most hours have one wait or none): days, past a week.
        buckets, hourly_buckets = day_rows, False
        title, bucket_header, table_buckets = t("chart.wait.daily"), t("chart.col.day"), day_rows
    else:
        buckets = [
            Bucket(str(r["hour"]), _hour_label(str(r["hour"]), several, lang), wait_of(r),
                   (figures.count(int(r.get("waits") or 0), lang),))
            for r in hourly
        ]
        hourly_buckets = True
        title, bucket_header, table_buckets = t("chart.wait.hourly"), t("chart.col.hour"), buckets
    scale = duration_scale(max((b.value or 0 for b in buckets), default=0))

    def show(value: float) -> str:
        return figures.duration(value, lang)

    body = _grid(scale, lambda v: figures.short_duration(v, lang))
    if hourly_buckets:
        # Bars, as for the conversations above it: an hour without a wait has no bar (it has no average, which is
        # not an average of 0), where a line would break into dashes and lone dots.
        body += _bars(buckets, scale, t, thin=False, show=show, kind="wait")
    else:
        body += _line(buckets, scale, t, show, "wait")
    body += _x_labels(buckets, hourly_buckets, lang)
    if all(b.value is None for b in buckets):
        body.append(_empty_note(t))
    desc = _peak_desc(buckets, t, show, None)
    svg = _svg("wait-hourly", title, desc, body)
    table_rows = [(b.label, figures.duration(b.value, lang), *b.extra) for b in table_buckets]
    headers = (bucket_header, t("chart.col.wait"), t("chart.col.waits"))
    return _wrap("wait-hourly", title, svg, _table(title, headers, table_rows))


def _daily_rate(
    daily: Sequence[Row], t: Text, *, name: str, field: str, title: str, kind: str,
    columns: Sequence[tuple[str, str]],
) -> Chart:
    lang = t.lang
    buckets = [
        Bucket(
            str(r["day"]),
            figures.day_label(str(r["day"]), lang),
            None if r.get(field) is None else float(r[field]),
            tuple(figures.count(int(r.get(column) or 0), lang) for column, _header in columns),
        )
        for r in daily
    ]

    def show(value: float) -> str:
        return figures.percent(value, lang)

    body = _grid(RATE_SCALE, lambda v: figures.percent(v, lang, digits=0))
    body += _line(buckets, RATE_SCALE, t, show, kind)
    body += _x_labels(buckets, False, lang)
    if all(b.value is None for b in buckets):
        body.append(_empty_note(t))
    desc = _peak_desc(buckets, t, show, None)
    svg = _svg(name, title, desc, body)
    headers = (t("chart.col.day"), t(f"chart.col.{field}"), *(header for _column, header in columns))
    rows = [(b.label, figures.percent(b.value, lang), *b.extra) for b in buckets]
    return _wrap(name, title, svg, _table(title, headers, rows))


def deflection_daily(daily: Sequence[Row], t: Text) -> Chart:
    return _daily_rate(
        daily, t, name="deflection-daily", field="deflection_rate", title=t("chart.deflection.daily"),
        kind="deflection",
        columns=(("bot_resolved", t("chart.col.bot_resolved")), ("conversations", t("chart.col.conversations"))),
    )


def csat_daily(daily: Sequence[Row], t: Text) -> Chart:
    return _daily_rate(
        daily, t, name="csat-daily", field="csat", title=t("chart.csat.daily"), kind="csat",
        columns=(("csat_responses", t("chart.col.csat_responses")),),
    )


def all_charts(report: Mapping[str, Any], t: Text) -> list[Chart]:
    """The four charts of a report, in the page's order."""
    hourly = report.get("hourly") or []
    daily = report.get("daily") or []
    return [conversations_hourly(hourly, t), wait_hourly(hourly, t), deflection_daily(daily, t), csat_daily(daily, t)]
