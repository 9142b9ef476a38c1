"""The agent's one-line browser hint from a User-Agent."""

from __future__ import annotations

import pytest

from chatsvc.services.useragent import describe_browser

CASES = [
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
     "Chrome 131 · Linux"),
    (("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.2903.86"), "Edge 131 · Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 · Windows"),
    (("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
     "Safari/605.1.15"), "Safari 17 · macOS"),
    (("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Mobile/15E148 Safari/604.1"), "Safari 17 · iOS"),
    (("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"), "Chrome 131 · iOS"),
    (("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"), "Samsung Internet 26 · Android"),
    (("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile "
     "Safari/537.36"), "Chrome 131 · Android"),
    (("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
     "OPR/116.0.0.0"), "Opera 116 · Linux"),
    (("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 "
     "Safari/537.36"), "Headless Chrome 131 · Linux"),
    (("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36"), "Chrome 131 · ChromeOS"),
    ("Python/3.11 websockets/15.0", None),
    ("", None),
    (None, None),
    ("<script>alert(1)</script>", None),
]


@pytest.mark.parametrize(("user_agent", "expected"), CASES)
def test_describe_browser(user_agent: str | None, expected: str | None) -> None:
    assert describe_browser(user_agent) == expected


def test_a_huge_header_is_cheap_and_bounded() -> None:
    assert describe_browser("Chrome/1" + "a" * 100_000) == "Chrome 1"
