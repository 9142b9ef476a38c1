"""Widget settings rules: colours and their contrast (WCAG), greetings, positions, pre-chat modes."""

from __future__ import annotations

import pytest

from chatsvc.domain.widget import (
    DARK_TEXT,
    DEFAULT_WIDGET,
    GREETING_MAX,
    LIGHT_TEXT,
    MIN_CONTRAST,
    InvalidWidgetSetting,
    check_color,
    check_greeting,
    contrast_ratio,
    readable_shade,
    relative_luminance,
    text_color_on,
    updated,
)


def test_luminance_and_contrast_match_the_wcag_reference_values() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    # Known pairs (WebAIM's checker): #767676 on white is the lightest grey that passes AA.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#1f5fd1", "#ffffff") == contrast_ratio("#ffffff", "#1f5fd1")


@pytest.mark.parametrize(
    ("color", "text"),
    [("#1f5fd1", LIGHT_TEXT), ("#000000", LIGHT_TEXT), ("#ffffff", DARK_TEXT), ("#ffd400", DARK_TEXT),
     ("#0a7d32", LIGHT_TEXT), ("#f0f0f0", DARK_TEXT), ("#c0392b", LIGHT_TEXT)],
)
def test_the_text_colour_is_the_one_that_reads_best(color: str, text: str) -> None:
    assert text_color_on(color) == text
    assert contrast_ratio(color, text) >= MIN_CONTRAST


def test_every_accepted_colour_meets_aa() -> None:
    accepted = refused = 0
    for red in range(0, 256, 17):
        for green in range(0, 256, 17):
            for blue in range(0, 256, 17):
                color = f"#{red:02x}{green:02x}{blue:02x}"
                try:
                    check_color(color)
                except InvalidWidgetSetting:
                    refused += 1
                    continue
                accepted += 1
                assert contrast_ratio(color, text_color_on(color)) >= MIN_CONTRAST, color
    assert accepted > refused > 0  # mid-tones exist where neither text colour is readable


def test_a_mid_tone_is_refused_with_a_readable_shade_suggested() -> None:
    with pytest.raises(InvalidWidgetSetting) as refused:
        check_color("#777777")
    suggestion = readable_shade("#777777")
    assert suggestion in str(refused.value)
    assert check_color(suggestion) == suggestion
    assert contrast_ratio(suggestion, LIGHT_TEXT) >= MIN_CONTRAST
    assert readable_shade("#1f5fd1") == "#1f5fd1"  # already readable: no change


@pytest.mark.parametrize("bad", ["1f5fd1", "#1f5fd", "#1f5fd1f", "#ggg000", "blue", "", "#1f5fd1\nx", "rgb(0,0,0)",
                                 "#fff", "url(x)", "#1f5fd1;background:red"])
def test_only_hex_colours_are_accepted(bad: str) -> None:
    with pytest.raises(InvalidWidgetSetting):
        check_color(bad)


def test_colours_are_stored_in_lower_case() -> None:
    assert check_color(" #1F5FD1 ") == "#1f5fd1"


def test_greetings_are_plain_text_within_the_limit() -> None:
    assert check_greeting(None) is None
    assert check_greeting("   ") is None  # blank: the widget's own greeting
    assert check_greeting(" Hi!\r\nAsk away. ") == "Hi!\nAsk away."
    assert check_greeting("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"  # stored as text
    assert check_greeting("x" * GREETING_MAX) == "x" * GREETING_MAX
    for bad in ("x" * (GREETING_MAX + 1), "a\x00b", "bell\x07", "del\x7f"):
        with pytest.raises(InvalidWidgetSetting):
            check_greeting(bad)


def test_updated_checks_every_field_before_changing_any() -> None:
    changed = updated(DEFAULT_WIDGET, color="#0A7D32", position="left", prechat="optional", survey_nps=True)
    assert (changed.color, changed.position, changed.prechat, changed.survey_nps) == ("#0a7d32", "left", "optional",
                                                                                      True)
    assert changed.text_color == LIGHT_TEXT
    assert DEFAULT_WIDGET.color == "#1f5fd1"  # frozen: the default is untouched
    for bad in ({"position": "center"}, {"prechat": "maybe"}, {"survey_csat": "yes"}, {"survey_nps": 1},
                {"color": "#777777"}, {"unknown": 1}):
        with pytest.raises(InvalidWidgetSetting):
            updated(DEFAULT_WIDGET, **bad)


def test_every_refusal_reason_has_its_words_in_every_language() -> None:
    from chatsvc.web.i18n import STRINGS

    reasons = set()
    for attempt in ({"color": "blue"}, {"color": "#777777"}, {"position": "up"}, {"prechat": "x"},
                    {"greeting_en": "x" * 301}, {"greeting_en": "\x01"}, {"survey_ces": "no"}, {"other": 1}):
        with pytest.raises(InvalidWidgetSetting) as refused:
            updated(DEFAULT_WIDGET, **attempt)
        reasons.add(refused.value.reason)
        for table in STRINGS.values():
            table[f"widget.error.{refused.value.reason}"].format(**refused.value.values)
    assert len(reasons) == 8


def test_only_the_survey_questions_a_site_asks_may_be_answered() -> None:
    assert DEFAULT_WIDGET.unasked(csat=True, nps=False, ces=False) == ()
    assert DEFAULT_WIDGET.unasked(csat=True, nps=True, ces=True) == ("nps", "ces")
    everything = updated(DEFAULT_WIDGET, survey_nps=True, survey_ces=True)
    assert everything.unasked(csat=True, nps=True, ces=True) == ()
    silent = updated(DEFAULT_WIDGET, survey_csat=False)
    assert silent.unasked(csat=True, nps=False, ces=False) == ("csat",)
