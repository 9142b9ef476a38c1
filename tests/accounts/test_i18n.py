"""The string tables: same keys in every language, every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatsvc.domain.widget import POSITIONS, PRECHAT_MODES
from chatsvc.web.i18n import STRINGS, parse_accept_language

TEMPLATES = Path(__file__).parents[2] / "chatsvc" / "web" / "templates"
PYTHON = Path(__file__).parents[2] / "chatsvc" / "web"


def test_every_language_has_every_key() -> None:
    english = set(STRINGS["en"])
    for lang, table in STRINGS.items():
        assert set(table) == english, lang
        assert all(text.strip() for text in table.values()), lang


def test_every_key_used_exists() -> None:
    sources = [path.read_text() for path in [*TEMPLATES.glob("*.html"), *PYTHON.glob("*.py")]]
    used: set[str] = set()
    for text in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", text))
        used |= set(re.findall(r'"(staff\.link\.[a-z_.]+)"', text))
        # Notices named after a redirect: _done(path, "user_created") and ?done=password_changed.
        used |= {"notice." + name for name in re.findall(r'_done\([^,]+,\s*"([a-z_]+)"', text)}
        used |= {"notice." + name for name in re.findall(r"done=([a-z_]+)", text)}
    assert len(used) > 50, "too few keys found: the patterns are wrong"
    # Keys built in the template (t("role." ~ user.role)) exist for every value they are built from.
    dynamic = {key for key in used if key.endswith(".")}
    assert dynamic == {"role.", "widget.", "widget.position.", "widget.prechat.", "widget.preview.alt.",
                       "console.kbd."}
    used -= dynamic
    used |= {"role." + role for role in ("agent", "manager", "admin")}
    used |= {f"widget.{name}" for name in ("survey_csat", "survey_nps", "survey_ces")}
    used |= {f"widget.position.{value}" for value in POSITIONS} | {f"widget.preview.alt.{v}" for v in POSITIONS}
    used |= {f"widget.prechat.{value}" for value in PRECHAT_MODES}
    used |= {f"console.kbd.{key}" for key in ("alt", "ctrl", "shift", "enter", "tab", "esc")}  # the help overlay
    missing = sorted(key for key in used if key not in STRINGS["en"])
    assert missing == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9", "fr"),
        ("en-GB", "en"),
        ("de,fr;q=0.5,en;q=0.4", "fr"),
        ("en;q=0.1,fr;q=0.2", "fr"),
        ("fr;q=0", None),
        ("de", None),
        ("", None),
        ("fr;q=abc,en", "en"),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert parse_accept_language(header) == expected


def test_plural_keys_come_in_pairs() -> None:
    """``Translator.plural`` (and the scripts' own) pick ``key.one`` or ``key.other``: a key has both or neither."""
    for lang, table in STRINGS.items():
        ones = {key[: -len(".one")] for key in table if key.endswith(".one")}
        ones -= {"manager.period.shown"}  # ".one" there is a period of one day, not a count
        assert sorted(base for base in ones if base + ".other" not in table) == [], lang
    assert STRINGS["fr"]["manager.live.agents_away.one"] == "absent"
    assert STRINGS["fr"]["manager.live.agents_away.other"] == "absents"
