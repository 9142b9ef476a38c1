"""The manager page's SVG charts and figure formats, as pure functions: buckets for short and long periods, gaps
in lines, scales, labels escaped, well-formed SVG with a title and a hidden table, and the formats in EN and FR."""

from __future__ import annotations

import datetime
import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from chatsvc.web import charts, figures
from chatsvc.web.i18n import Translator

SVG = "{http://www.w3.org/2000/svg}"


def hourly(days: int, per_hour: Any = lambda d, h: (h % 5), first: str = "2026-11-01") -> list[dict[str, Any]]:
    start = datetime.date.fromisoformat(first)
    rows = []
    for d in range(days):
        day = (start + datetime.timedelta(days=d)).isoformat()
        for h in range(24):
            n = per_hour(d, h)
            rows.append({"hour": f"{day}T{h:02d}:00:00+01:00", "conversations": n,
                         "wait_average_seconds": 30.0 * (h % 3 + 1) if n else None, "waits": 1 if n else 0})
    return rows


def daily(days: int, value: Any = lambda d: 0.5) -> list[dict[str, Any]]:
    start = datetime.date(2026, 11, 1)
    return [{"day": (start + datetime.timedelta(days=d)).isoformat(), "conversations": 10, "bot_resolved": 4,
             "deflection_rate": value(d), "csat": value(d), "csat_responses": 3 if value(d) is not None else 0}
            for d in range(days)]


def svg_of(chart: charts.Chart) -> ET.Element:
    markup = str(chart.markup)
    svg = markup[markup.index("<svg"):markup.index("</svg>") + len("</svg>")]
    return ET.fromstring(svg)  # well-formed, or this raises


def text_of(svg: ET.Element, tag: str) -> str:
    found = svg.find(f"{SVG}{tag}")
    assert found is not None and found.text is not None, tag
    return found.text


def table_rows(chart: charts.Chart) -> list[str]:
    body = str(chart.markup).split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<th scope="row">([^<]*)</th>', body)


def test_one_day_has_a_bar_per_busy_hour_and_labels_every_three_hours() -> None:
    t = Translator("en")
    chart = charts.conversations_hourly(hourly(1), t)
    svg = svg_of(chart)
    assert svg.get("data-chart") == "conversations-hourly" and svg.get("role") == "img"
    assert text_of(svg, "title") == "Conversations per hour" == chart.title
    bars = svg.findall(f".//{SVG}g[@class='mg-bars']/{SVG}rect")
    assert len(bars) == sum(1 for h in range(24) if h % 5)
    assert all(rect.find(f"{SVG}title") is not None for rect in bars)  # a tooltip each
    labels = [text.text for text in svg.findall(f".//{SVG}g[@class='mg-tick mg-tick-x']/{SVG}text")]
    assert labels == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    assert table_rows(chart) == [f"{h:02d}:00" for h in range(24)]
    assert '<div class="visually-hidden"><table' in str(chart.markup)
    desc = text_of(svg, "desc")
    assert desc.startswith(str(sum(h % 5 for h in range(24))) + " in all")


def test_a_month_draws_thin_hourly_bars_a_table_of_days_and_the_wait_per_day() -> None:
    t = Translator("en")
    rows = hourly(30)
    chart = charts.conversations_hourly(rows, t)
    bars = svg_of(chart).findall(f".//{SVG}g[@class='mg-bars']/{SVG}rect")
    band = charts.PLOT_W / (30 * 24)
    assert len(bars) == 30 * sum(1 for h in range(24) if h % 5)
    assert all(abs(float(b.get("width") or 0) - max(0.6, band)) < 0.01 for b in bars)  # touching, no gap
    assert table_rows(chart)[:2] == ["Nov\u00a01", "Nov\u00a02"] and len(table_rows(chart)) == 30
    wait = charts.wait_hourly(rows, t)
    assert wait.title == "Average wait per day" and len(table_rows(wait)) == 30
    # A week is still drawn by the hour.
    week = charts.wait_hourly(hourly(7), t)
    assert week.title == "Average wait per hour" and len(table_rows(week)) == 7 * 24


def test_past_sixty_days_conversations_are_summed_per_day() -> None:
    t = Translator("fr")
    chart = charts.conversations_hourly(hourly(90, per_hour=lambda d, h: 1), t)
    assert chart.title == "Conversations par jour"
    bars = svg_of(chart).findall(f".//{SVG}g[@class='mg-bars']/{SVG}rect")
    assert len(bars) == 90
    assert "1\u00a0nov.\u00a0: 24" in str(chart.markup)  # the tooltip of a day, in French, its 24 hours summed
    labels = svg_of(chart).findall(f".//{SVG}g[@class='mg-tick mg-tick-x']/{SVG}text")
    assert 2 <= len(labels) <= charts.X_LABELS_MAX


def test_the_wait_of_a_day_is_weighted_by_the_waits_of_its_hours() -> None:
    rows: list[dict[str, Any]] = [{"hour": f"2026-11-01T{h:02d}:00:00+00:00", "conversations": 1,
                                   "wait_average_seconds": None, "waits": 0} for h in range(24)]
    rows[9] |= {"wait_average_seconds": 10.0, "waits": 3}
    rows[10] |= {"wait_average_seconds": 50.0, "waits": 1}
    assert charts._day_wait(rows) == (20.0, 4)  # (30 + 50) / 4, not (10 + 50) / 2
    assert charts._day_wait(rows[:9]) == (None, 0)


def test_a_line_breaks_where_there_is_no_value_and_a_lone_point_is_drawn() -> None:
    values = [0.5, 0.6, None, 0.7, None, 0.2, 0.3, 0.4]
    chart = charts.csat_daily(daily(len(values), value=lambda d: values[d]), Translator("en"))
    svg = svg_of(chart)
    assert len(svg.findall(f".//{SVG}polyline")) == 2  # [0.5, 0.6] and [0.2, 0.3, 0.4]; 0.7 stands alone
    assert len(svg.findall(f".//{SVG}circle")) == 6
    assert table_rows(chart)[2] == "Nov\u00a03" and "<td>—</td>" in str(chart.markup)
    # Long lines keep markers only for lone points.
    many = [None if d % 3 == 0 else 0.5 for d in range(120)]
    svg = svg_of(charts.deflection_daily(daily(120, value=lambda d: many[d]), Translator("en")))
    assert svg.findall(f".//{SVG}circle") == [] and len(svg.findall(f".//{SVG}polyline")) == 40


def test_an_empty_period_says_so() -> None:
    t = Translator("en")
    for chart in charts.all_charts({"hourly": hourly(1, per_hour=lambda d, h: 0), "daily": daily(1, lambda d: None)},
                                   t):
        svg = svg_of(chart)
        assert text_of(svg, "desc") == "Nothing to show in this period."
        assert any(text.text == "Nothing to show in this period." for text in svg.iter(f"{SVG}text"))


class HostileText:
    """A translator whose every string is markup: what the charts write must come out as text."""

    lang = "en"

    def __call__(self, key: str, **values: object) -> str:
        return f"<script>alert('{key}')</script>&" + " ".join(str(v) for v in values.values())


def test_every_label_is_escaped() -> None:
    report = {"hourly": hourly(2), "daily": daily(3, value=lambda d: 0.5)}
    for chart in charts.all_charts(report, HostileText()):
        markup = str(chart.markup)
        assert "<script" not in markup and "&lt;script&gt;" in markup
        svg_of(chart)  # still well-formed
        assert re.search(r"&(?!lt;|gt;|amp;|#39;|#34;|quot;)", markup) is None


def test_scales_end_on_round_numbers() -> None:
    assert charts.count_scale(0).ticks == (0, 1, 2, 3, 4)
    assert charts.count_scale(7) == charts.Scale(8, (0, 2, 4, 6, 8))
    assert charts.count_scale(9).top == 10 and charts.count_scale(130).top == 150
    assert charts.duration_scale(150) == charts.Scale(180, (0, 60, 120, 180))
    assert charts.duration_scale(40).top == 40 and charts.duration_scale(5000).top == 5400
    assert charts.RATE_SCALE.ticks == (0.0, 0.25, 0.5, 0.75, 1.0)


@pytest.mark.parametrize(
    ("function", "value", "en", "fr"),
    [
        (figures.count, 12345, "12,345", "12\u202f345"),
        (figures.count, None, "—", "—"),
        (figures.percent, 0.5, "50%", "50\u202f%"),
        (figures.percent, 0.4255, "42.5%", "42,5\u202f%"),
        (figures.percent, None, "—", "—"),
        (figures.duration, 42.4, "42\u00a0s", "42\u00a0s"),
        (figures.duration, 65, "1\u00a0min\u00a005\u00a0s", "1\u00a0min\u00a005\u00a0s"),
        (figures.duration, 3725, "1\u00a0h\u00a002\u00a0min", "1\u00a0h\u00a002\u00a0min"),
        (figures.duration, 3 * 86400 + 3600, "3\u00a0d\u00a01\u00a0h", "3\u00a0j\u00a01\u00a0h"),
        (figures.signed, -8.4, "\u22128", "\u22128"),
        (figures.signed, 35.0, "+35", "+35"),
        (figures.signed, 0.2, "0", "0"),
        (figures.decimal, 5.25, "5.2", "5,2"),
    ],
)
def test_figures_in_each_language(function: Any, value: Any, en: str, fr: str) -> None:
    assert function(value, "en") == en
    assert function(value, "fr") == fr


def test_local_labels_come_from_the_keys() -> None:
    assert figures.hour_label("2026-03-29T03:00:00+02:00") == "03:00"
    assert figures.day_label("2026-03-29", "en") == "Mar\u00a029"
    assert figures.day_label("2026-03-29T03:00:00+02:00", "fr") == "29\u00a0mars"
    assert figures.day_hour_label("2026-11-27T14:00:00+01:00", "en") == "Nov\u00a027, 14:00"


# --- labels along the bottom ---------------------------------------------------------------------------------------


def x_labels(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f".//{SVG}g[@class='mg-tick mg-tick-x']/{SVG}text")


def extents(label: ET.Element) -> tuple[float, float]:
    """Where a drawn label reaches, from its anchor and the charts' own width estimate."""
    x, width = float(label.get("x") or 0), charts.label_width(label.text or "")
    anchor = label.get("text-anchor")
    left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return left, left + width


def test_a_label_that_would_crowd_the_one_before_it_is_left_out() -> None:
    width = charts.label_width("Nov 21")
    first = charts.LEFT + 40
    wanted = [(first, "Nov 21"), (first + width + charts.LABEL_GAP - 1, "Nov 22"),  # 1 unit too close
              (first + width + charts.LABEL_GAP + 1, "Nov 23"), (first + 2 * width + 2 * charts.LABEL_GAP, "Nov 24")]
    placed = charts.place_labels(wanted)
    assert [label.text for label in placed] == ["Nov 21", "Nov 23"]  # 22 crowds 21; 24 then crowds 23
    # At either end a label is pulled inside the drawing, and then measured from where it is drawn.
    placed = charts.place_labels([(charts.LEFT - 30, "21 nov."), (charts.LEFT + 20, "22 nov."),
                                  (charts.WIDTH - 5, "27 nov.")])
    assert placed[0].anchor == "start" and placed[0].left == charts.LABELS_LEFT
    assert [label.text for label in placed] == ["21 nov.", "27 nov."]
    assert placed[-1].anchor == "end" and placed[-1].right == charts.LABELS_RIGHT
    assert charts.place_labels([]) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("days", [1, 2, 3, 7, 8, 14, 30, 31, 45, 60, 61, 90, 366])
def test_labels_never_overlap_and_stay_in_the_drawing(lang: str, days: int) -> None:
    t = Translator(lang)
    report = {"hourly": hourly(days, first="2026-12-28"), "daily": daily(days)}  # across a new year, long months
    for chart in charts.all_charts(report, t):
        labels = x_labels(svg_of(chart))
        assert labels, (chart.name, days)
        spans = [extents(label) for label in labels]
        for (_left, right), (left, _right) in itertools.pairwise(spans):
            assert left - right >= charts.LABEL_GAP, (chart.name, days, [label.text for label in labels])
        assert spans[0][0] >= charts.LABELS_LEFT and spans[-1][1] <= charts.LABELS_RIGHT, (chart.name, days)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_week_of_hours_names_every_day_in_the_middle_of_its_hours(lang: str) -> None:
    t = Translator(lang)
    rows = hourly(7, first="2026-11-21")
    for chart in (charts.conversations_hourly(rows, t), charts.wait_hourly(rows, t)):
        svg = svg_of(chart)
        labels = x_labels(svg)
        assert [label.text for label in labels] == [figures.day_label(f"2026-11-{d}", lang) for d in range(21, 28)]
        band = charts.PLOT_W / (7 * 24)
        assert all(label.get("text-anchor") == "middle" for label in labels)
        assert [float(label.get("x") or 0) for label in labels] == pytest.approx(
            [charts.LEFT + (24 * d + 12) * band for d in range(7)], abs=0.01)
        # A small tick at each of the six midnights inside the week.
        assert len(svg.findall(f".//{SVG}g[@class='mg-day-ticks']/{SVG}line")) == 6


def test_a_day_across_a_clock_change_is_named_in_the_middle_of_its_own_hours() -> None:
    rows = hourly(3, first="2026-10-24")
    del rows[24 + 2]  # 25 October has 23 hours here (a spring-like gap, as the report gives it)
    labels = x_labels(svg_of(charts.conversations_hourly(rows, Translator("en"))))
    band = charts.PLOT_W / len(rows)
    assert float(labels[1].get("x") or 0) == pytest.approx(charts.LEFT + (24 + 23 / 2) * band, abs=0.01)


# --- the average wait ------------------------------------------------------------------------------------------------


def test_the_wait_per_hour_is_bars_with_none_where_nobody_waited() -> None:
    rows = hourly(2, per_hour=lambda d, h: 1 if h in (9, 10, 14) else 0)
    rows[10] |= {"wait_average_seconds": 0.0, "waits": 2}  # two chats that did not wait: a wait of 0 s
    svg = svg_of(charts.wait_hourly(rows, Translator("en")))
    assert svg.findall(f".//{SVG}polyline") == [] and svg.findall(f".//{SVG}circle") == []
    bars = svg.findall(f".//{SVG}g[@class='mg-bars mg-bars-wait']/{SVG}rect")
    assert len(bars) == 6  # the hours with waits, and no bar (no fake 0) for the 42 without
    titles = [bar.find(f"{SVG}title") for bar in bars]
    assert all(title is not None and title.text for title in titles)
    zero = [bar for bar, title in zip(bars, titles, strict=True)
            if title is not None and re.search(r"[^0-9]0\u00a0s$", title.text or "")]
    assert len(zero) == 1 and float(zero[0].get("height") or 0) >= 1  # a measured 0 s still shows, as a sliver
    # Past a week the wait is one point per day, on a line.
    svg = svg_of(charts.wait_hourly(hourly(10), Translator("en")))
    assert svg.findall(f".//{SVG}g[@class='mg-bars mg-bars-wait']") == [] and svg.findall(f".//{SVG}polyline")
