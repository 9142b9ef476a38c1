"""A short, human description of a browser from its User-Agent ("Chrome 131 · Linux"), for the agent's visitor
panel. Pure and deliberately small: the agent needs a hint, not a device database, so anything not recognised
is left out rather than guessed."""

from __future__ import annotations

import re

# Order matters: Edge, Opera and Samsung Internet also say "Chrome/", Chrome also says "Safari/".
_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"\bOPR/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Headless Chrome", re.compile(r"\bHeadlessChrome/(\d+)")),
    ("Chromium", re.compile(r"\bChromium/(\d+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+)(?:\.\d+)*(?: Mobile/\S+)? Safari/")),
)
# iOS and Android before macOS and Linux: their User-Agents also say "Mac OS X" and "Linux".
_SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Windows", re.compile(r"\bWindows NT\b|\bWindows\b")),
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod)\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b|\bX11\b")),
)
_MAX_INPUT = 512  # what the store keeps; also bounds the regex work


def describe_browser(user_agent: str | None) -> str | None:
    """"Firefox 133 · Windows", "Safari 17 · iOS", "Chrome 131", "Linux"; None when nothing is recognised.

    A middle dot rather than a word such as "on": the console shows it on English and French pages alike."""
    if not user_agent:
        return None
    text = user_agent[:_MAX_INPUT]
    browser = next((f"{name} {m.group(1)}" for name, rx in _BROWSERS if (m := rx.search(text))), None)
    system = next((name for name, rx in _SYSTEMS if rx.search(text)), None)
    if browser and system:
        return f"{browser} · {system}"
    return browser or system
