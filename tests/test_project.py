"""The README stays true: every setting is documented, and CI runs exactly the README's test command."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from chatsvc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(CHATSVC_[A-Z_]+)` \| (.*?) \|", README, flags=re.M))
    for field in dataclasses.fields(Settings):
        name = "CHATSVC_" + field.name.upper()
        assert name in rows, f"{name} is missing from the README's configuration table"
        default = field.default
        shown = rows[name].strip("`")
        if isinstance(default, tuple):
            assert shown == (",".join(default) or "empty"), name
        elif isinstance(default, bool):
            assert shown == str(default).lower(), name
        elif isinstance(default, float) and default.is_integer():
            assert shown == str(int(default)), name
        elif isinstance(default, Path):
            assert shown in (f"./{default}", str(default)), name
        else:
            assert shown == (str(default) or "empty"), name
    assert set(rows) == {"CHATSVC_" + f.name.upper() for f in dataclasses.fields(Settings)}


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README and "make run" in README
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands[-1] == "make test"
    assert "CHATSVC_REQUIRE_SERVICES=1" in ci


def test_procfile_serves_on_port() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: chatsvc serve --host 0.0.0.0 --port $PORT"


def test_bot_threshold_settings_default_to_the_evaluated_thresholds() -> None:
    from chatsvc.domain.matching import DEFAULT_THRESHOLDS

    settings = Settings()
    assert settings.bot_answer_threshold == DEFAULT_THRESHOLDS.answer
    assert settings.bot_suggest_threshold == DEFAULT_THRESHOLDS.suggest
