"""Figures as a person reads them, in the page's language: counts, rates, durations, scores, local hours and days.

The JSON API and the CSV keep raw values (seconds, fractions); only pages go through here. Every function takes
``None`` ("no denominator", see docs/metrics.md) and shows it as a dash.
"""

from __future__ import annotations

import math

NONE = "—"
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"  # French thousands separator and the space before "%"

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}


def _decimal(value: float, digits: int, lang: str) -> str:
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        return text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def count(value: int | None, lang: str) -> str:
    return NONE if value is None else _decimal(value, 0, lang)


def percent(fraction: float | None, lang: str, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: "42.5%", "42,5 %" in French (a space no line break separates)."""
    if fraction is None:
        return NONE
    number = _decimal(fraction * 100, digits, lang)
    if digits and number.endswith(("." + "0" * digits, "," + "0" * digits)):
        number = number[: -digits - 1]  # "50%" rather than "50.0%"
    return number + (NARROW_NBSP + "%" if lang == "fr" else "%")


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    return NONE if value is None else _decimal(value, digits, lang)


def signed(value: float | None, lang: str) -> str:
    """An NPS: a whole number with its sign ("+12", "−8" with a real minus sign, "0")."""
    if value is None:
        return NONE
    rounded = round(value)
    if rounded == 0:
        return "0"
    return ("+" if rounded > 0 else "\u2212") + _decimal(abs(rounded), 0, lang)


def duration(seconds: float | None, lang: str) -> str:
    """Seconds as "42 s", "3 min 05 s", "1 h 05 min" (the same units in English and French)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return NONE
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}{NBSP}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}{NBSP}min{NBSP}{secs:02d}{NBSP}s" if secs else f"{minutes}{NBSP}min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}{NBSP}h{NBSP}{minutes:02d}{NBSP}min" if minutes else f"{hours}{NBSP}h"
    days, hours = divmod(hours, 24)
    word = "d" if lang == "en" else "j"
    return f"{days}{NBSP}{word}{NBSP}{hours}{NBSP}h" if hours else f"{days}{NBSP}{word}"


def short_duration(seconds: float, lang: str) -> str:
    """An axis tick: one unit only ("45 s", "3 min", "2 h")."""
    total = max(0, round(seconds))
    if total < 120:
        return f"{total}{NBSP}s"
    if total < 7200:
        return f"{_decimal(total / 60, 0 if total % 60 == 0 else 1, lang)}{NBSP}min"
    return f"{_decimal(total / 3600, 0 if total % 3600 == 0 else 1, lang)}{NBSP}h"


def hour_label(key: str) -> str:
    """A local hour bucket ("2026-11-27T14:00:00+01:00") as "14:00": the key already carries local time."""
    return key[11:16]


def day_label(key: str, lang: str) -> str:
    """A local day ("2026-11-27" or an hour key) as "Nov 27" / "27 nov."."""
    month = MONTHS.get(lang, MONTHS["en"])[int(key[5:7]) - 1]
    day = int(key[8:10])
    return f"{day}{NBSP}{month}" if lang == "fr" else f"{month}{NBSP}{day}"


def day_hour_label(key: str, lang: str) -> str:
    """An hour with its day, for tooltips over several days: "Nov 27, 14:00" / "27 nov. 14:00"."""
    return f"{day_label(key, lang)}{',' if lang == 'en' else ''} {hour_label(key)}"
