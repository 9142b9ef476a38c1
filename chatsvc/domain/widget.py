"""A site's widget settings and the rules for them: its colour, the text colour read on it, greetings, the
pre-chat form and the end-of-chat survey. Pure: no I/O.

Contrast follows WCAG 2.x: the relative luminance of an sRGB colour and the ratio (L1 + 0.05) / (L2 + 0.05).
The widget writes its launcher and header text in ``text_color`` on ``color``; the server picks the text colour
and refuses a main colour on which neither choice reaches AA (4.5:1), so no admin can make the widget
unreadable.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal, get_args

Position = Literal["right", "left"]
Prechat = Literal["off", "optional", "required"]

POSITIONS: tuple[str, ...] = get_args(Position)
PRECHAT_MODES: tuple[str, ...] = get_args(Prechat)

GREETING_MAX = 300
MIN_CONTRAST = 4.5  # WCAG AA for normal-size text
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111111"  # softer than pure black, still far past AA on light colours

_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}\Z")


class InvalidWidgetSetting(ValueError):
    """A value an admin may not store. The message says why in English; ``reason`` and ``values`` let a page
    say it in the admin's language."""

    def __init__(self, message: str, reason: str, **values: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


@dataclasses.dataclass(frozen=True)
class WidgetSettings:
    """What one site's widget looks like and asks. A site nobody configured gets ``DEFAULT_WIDGET``."""

    color: str = "#1f5fd1"
    position: Position = "right"
    greeting_en: str | None = None  # None: the widget says its own greeting
    greeting_fr: str | None = None
    prechat: Prechat = "off"
    survey_csat: bool = True
    survey_nps: bool = False
    survey_ces: bool = False

    @property
    def text_color(self) -> str:
        return text_color_on(self.color)

    def unasked(self, *, csat: bool, nps: bool, ces: bool) -> tuple[str, ...]:
        """Which of the given survey answers (True: given) this site does not ask for, by name."""
        given = (("csat", csat, self.survey_csat), ("nps", nps, self.survey_nps), ("ces", ces, self.survey_ces))
        return tuple(name for name, answered, asked in given if answered and not asked)


DEFAULT_WIDGET = WidgetSettings()
# Every setting, as stored, patched and posted: the dataclass's fields are the one list.
SETTING_NAMES: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(WidgetSettings))


# --- colour ---------------------------------------------------------------------------------------------


def parse_hex(color: str) -> tuple[int, int, int]:
    if not _HEX_COLOR.match(color):
        shown = color[:20]
        raise InvalidWidgetSetting(f"A colour is written #rrggbb, like #1f5fd1 (got {shown!r}).", "not_a_color",
                                   value=shown)
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in parse_hex(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_color_on(color: str) -> str:
    """The text colour (white or near-black) that reads best on ``color``."""
    light, dark = contrast_ratio(color, LIGHT_TEXT), contrast_ratio(color, DARK_TEXT)
    return LIGHT_TEXT if light >= dark else DARK_TEXT


def readable_shade(color: str) -> str:
    """The nearest darker shade of ``color`` on which white text reaches AA (suggested when it does not)."""
    red, green, blue = parse_hex(color)
    for step in range(101):
        factor = 1 - step / 100
        shade = f"#{round(red * factor):02x}{round(green * factor):02x}{round(blue * factor):02x}"
        if contrast_ratio(shade, LIGHT_TEXT) >= MIN_CONTRAST:
            return shade
    return "#000000"


def check_color(raw: str) -> str:
    """A main colour the widget can use: ``#rrggbb`` (stored in lower case) with AA text on it."""
    color = raw.strip().lower()
    parse_hex(color)
    if contrast_ratio(color, text_color_on(color)) < MIN_CONTRAST:
        # Mid-tones (luminance near 0.19) leave both white and dark text below 4.5:1.
        suggestion = readable_shade(color)
        raise InvalidWidgetSetting(
            f"Text on {color} would be hard to read (below the {MIN_CONTRAST}:1 contrast of WCAG AA with white"
            f" or dark text). A darker shade such as {suggestion} works.",
            "unreadable_color", color=color, suggestion=suggestion,
        )
    return color


# --- the other settings ---------------------------------------------------------------------------------


def check_position(value: str) -> Position:
    if value not in POSITIONS:
        raise InvalidWidgetSetting("The position is right or left.", "position")
    return value  # type: ignore[return-value]


def check_prechat(value: str) -> Prechat:
    if value not in PRECHAT_MODES:
        raise InvalidWidgetSetting("The pre-chat form is off, optional or required.", "prechat")
    return value  # type: ignore[return-value]


def check_greeting(value: str | None) -> str | None:
    """Plain text up to ``GREETING_MAX`` characters; blank means "the widget's own greeting". Line breaks are
    kept (the widget shows text as text); other control characters are refused."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > GREETING_MAX:
        raise InvalidWidgetSetting(f"A greeting is at most {GREETING_MAX} characters.", "greeting_too_long",
                                   n=str(GREETING_MAX))
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise InvalidWidgetSetting("A greeting may not contain control characters.", "greeting_control")
    return text


def updated(current: WidgetSettings, **changes: object) -> WidgetSettings:
    """``current`` with ``changes`` checked and applied (every check before anything changes)."""
    checked: dict[str, object] = {}
    for name, value in changes.items():
        if name == "color":
            checked[name] = check_color(str(value))
        elif name == "position":
            checked[name] = check_position(str(value))
        elif name == "prechat":
            checked[name] = check_prechat(str(value))
        elif name in ("greeting_en", "greeting_fr"):
            checked[name] = check_greeting(value if value is None else str(value))
        elif name in ("survey_csat", "survey_nps", "survey_ces"):
            if not isinstance(value, bool):
                raise InvalidWidgetSetting(f"{name} is true or false.", "not_a_switch", name=name)
            checked[name] = value
        else:
            raise InvalidWidgetSetting(f"Unknown widget setting {name[:40]!r}.", "unknown", name=name[:40])
    result = dataclasses.replace(current, **checked)  # type: ignore[arg-type]
    if (result.survey_nps or result.survey_ces) and not result.survey_csat:
        # The NPS and CES questions ride on the end-of-chat survey, which opens with the CSAT rating: without it
        # the widget would show nothing and the switches would promise answers that never come.
        raise InvalidWidgetSetting(
            "NPS and CES are asked within the end-of-chat survey: switch the survey on, or them off.",
            "survey_extras_need_csat",
        )
    return result
