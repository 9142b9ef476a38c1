"""Origin checks are exact: scheme, host and port equal to an allow-list entry, nothing else."""

from __future__ import annotations

import pytest

from chatsvc.domain.origins import normalize_origin, origin_allowed, origin_of

ALLOWED = ["https://site.example"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.test",
        "null",
        "https://site.example.evil.test",  # the allowed name as a prefix
        "https://evilsite.example",  # the allowed name as a suffix
        "https://evil-site.example",
        "https://sub.site.example",  # subdomains are other origins
        "https://site.example.",  # trailing dot: a different string, refused rather than guessed
        "http://site.example",  # scheme differs
        "https://site.example:8443",  # port differs
        "https://site.example:80",
        "wss://site.example",
        "ftp://site.example",
        "https://site.example/path",  # an Origin never has a path
        "https://site.example//",
        "https://site.example?x=1",
        "https://site.example/?x=1",
        "https://site.example#frag",
        "https://user@site.example",
        "https://user:pass@site.example",
        "https://site.example@evil.test",
        "https://evil.test@site.example",
        "https://site.example\\@evil.test",
        "https://site.example:abc",
        "https://site.example:99999",
        "https://site.example:-1",
        "//site.example",
        "site.example",
        "https://",
        "",
        " ",
        "*",
        "https://*.example",
        "https://site.example%2e",
        "https://xn--site-9la.example",
    ],
)
def test_refused(origin: str) -> None:
    assert not origin_allowed(origin, ALLOWED)


@pytest.mark.parametrize(
    "origin",
    [
        "https://site.example",
        "https://site.example/",  # a bare trailing slash is the same origin
        "https://site.example:443",  # the default port is the same origin
        "https://site.example:443/",
        "HTTPS://SITE.EXAMPLE",  # scheme and host are case-insensitive
        "https://Site.Example",
    ],
)
def test_allowed(origin: str) -> None:
    assert origin_allowed(origin, ALLOWED)


def test_a_missing_origin_is_not_allowed() -> None:
    assert not origin_allowed(None, ALLOWED)


def test_an_empty_allow_list_allows_nothing() -> None:
    assert not origin_allowed("https://site.example", [])


def test_allow_list_entries_are_normalised_too() -> None:
    assert origin_allowed("https://site.example", ["HTTPS://Site.Example:443/"])
    assert origin_allowed("http://localhost:8000", ["http://localhost:8000/"])
    assert not origin_allowed("http://localhost:8001", ["http://localhost:8000"])
    assert origin_allowed("http://site.example", ["http://site.example:80"])


def test_pattern_like_allow_list_entries_match_only_themselves() -> None:
    # No wildcard meaning anywhere: "*" is not an origin, "*.site.example" is a literal host.
    assert not origin_allowed("https://site.example", ["*"])
    assert not origin_allowed("https://a.site.example", ["https://*.site.example"])
    assert not origin_allowed("null", ["null"])  # "null" is never an allowed origin, even when listed
    assert not origin_allowed("https://site.example", ["site.example"])


def test_any_of_several_entries() -> None:
    allowed = ["https://a.example", "invalid entry", "https://b.example:8443"]
    assert origin_allowed("https://b.example:8443", allowed)
    assert origin_allowed("https://a.example", allowed)
    assert not origin_allowed("https://b.example", allowed)


def test_allowed_may_be_any_iterable() -> None:
    assert origin_allowed("https://site.example", (o for o in ALLOWED))
    assert origin_allowed("https://site.example", ("https://site.example",))


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("https://site.example", "https://site.example"),
        ("https://SITE.example:443", "https://site.example"),
        ("http://site.example:80", "http://site.example"),
        ("http://site.example:443", "http://site.example:443"),
        ("https://site.example:80", "https://site.example:80"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[::1]:80", "http://[::1]"),
        ("http://[::1]", "http://[::1]"),
        ("  https://site.example/  ", "https://site.example"),
        ("https://site.example/x", None),
        ("https://site.example?q", None),
        ("https://u@site.example", None),
        ("null", None),
        ("", None),
        ("ws://site.example", None),
        ("https://site.example:0x1bb", None),
    ],
)
def test_normalize_origin(value: str, normal: str | None) -> None:
    assert normalize_origin(value) == normal


def test_ipv6_origins_compare_exactly() -> None:
    assert origin_allowed("http://[::1]:8000", ["http://[::1]:8000"])
    assert not origin_allowed("http://[::1]:8000", ["http://[::2]:8000"])
    assert not origin_allowed("http://[::1]:8000", ["http://127.0.0.1:8000"])


def test_port_zero_is_not_an_origin() -> None:
    assert normalize_origin("https://site.example:0") is None
    assert not origin_allowed("https://site.example:0", ["https://site.example"])


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://chat.example.com", "https://chat.example.com"),
        ("https://Chat.Example.com:443/support/", "https://chat.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://chat.example.com/a?b=c", "https://chat.example.com"),
        ("ftp://chat.example.com", None),
        ("/support", None),
        ("", None),
        ("https://[::1", None),
    ],
)
def test_the_origin_of_a_url_with_a_path(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin
