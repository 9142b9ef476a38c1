"""The manager page's SVG charts and figure formats, as pure functions: buckets for short and long periods, gaps
in lines, scales, labels escaped, well-formed SVG with a title and a hidden table, and the formats in EN and FR."""

from __future__ import annotations

import datetime
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
