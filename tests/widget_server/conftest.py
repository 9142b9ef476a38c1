from __future__ import annotations

from pathlib import Path

import pytest

from chatsvc.web import widget_script

SCRIPT = "(function(){var greeting='hello';" + "/* padding so gzip has something to do */" * 40 + "})();\n"


@pytest.fixture
def built_widget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in built widget, so these tests neither depend on nor write the real built file (the widget's
    own build makes that one)."""
    path = tmp_path / "widget.js"
    path.write_text(SCRIPT)
    monkeypatch.setattr(widget_script, "SCRIPT_PATH", path)
    return path
