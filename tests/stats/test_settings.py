"""CHATSVC_STATS_TIMEZONE: an IANA name, checked when the settings load; the server does not start with a bad one."""

from __future__ import annotations

import pytest

from chatsvc.cli import main
from chatsvc.settings import Settings


def test_the_stats_time_zone_is_checked_at_load() -> None:
    assert Settings().stats_timezone == "UTC"
    assert Settings.from_env({"CHATSVC_STATS_TIMEZONE": "Asia/Kolkata"}).stats_timezone == "Asia/Kolkata"
    for bad in ("Europe/Pariss", "", "../etc/passwd", "UTC+2"):
        with pytest.raises(ValueError, match="CHATSVC_STATS_TIMEZONE: unknown time zone"):
            Settings.from_env({"CHATSVC_STATS_TIMEZONE": bad})


def test_the_server_refuses_to_start_with_a_bad_zone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHATSVC_STATS_TIMEZONE", "Mars/Olympus_Mons")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: CHATSVC_STATS_TIMEZONE: unknown time zone 'Mars/Olympus_Mons'")
    assert "Traceback" not in err
