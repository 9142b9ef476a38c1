"""The pure part of webhooks: signatures a receiver can check, the URL rules, the retry schedule."""

from __future__ import annotations

import datetime
import hashlib
import hmac

import pytest

from chatsvc.domain import webhooks as rules
from chatsvc.errors import BadRequest

SECRET = "s3cret-key"
BODY = b'{"event":"ticket.created","data":{"subject":"H\xc3\xa9llo"}}'


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert rules.sign(SECRET, 1700000000, BODY) == "sha256=" + expected


def test_verify_accepts_the_signature_within_the_tolerance() -> None:
    signature = rules.sign(SECRET, 1700000000, BODY)
    assert rules.verify(SECRET, 1700000000, BODY, signature, now=1700000000)
    assert rules.verify(SECRET, "1700000000", BODY, signature, now=1700000000 + 300)
    moment = datetime.datetime.fromtimestamp(1700000010, datetime.timezone.utc)
    assert rules.verify(SECRET, 1700000000, BODY, signature, now=moment)


@pytest.mark.parametrize(
    "change",
    ["secret", "body", "timestamp", "old", "future", "prefix", "empty", "garbage_timestamp", "long"],
)
def test_verify_refuses_anything_else(change: str) -> None:
    stamp, secret, body = 1700000000, SECRET, BODY
    signature = rules.sign(SECRET, stamp, BODY)
    now: float = stamp
    if change == "secret":
        secret = "other"
    elif change == "body":
        body = BODY + b" "
    elif change == "timestamp":
        stamp += 1  # a replay with a fresh timestamp: the signature covers the timestamp
    elif change == "old":
        now = stamp + 301
    elif change == "future":
        now = stamp - 301
    elif change == "prefix":
        signature = signature.removeprefix("sha256=")
    elif change == "empty":
        signature = ""
    elif change == "garbage_timestamp":
        assert not rules.verify(secret, "17e8", body, signature, now=now)
        return
    elif change == "long":
        signature = signature + "0" * 500
    assert not rules.verify(secret, stamp, body, signature, now=now)


def test_backoff_is_base_times_four_capped_at_six_hours() -> None:
    assert [rules.backoff_seconds(n, 30) for n in (1, 2, 3, 4)] == [30, 120, 480, 1920]
    assert rules.backoff_seconds(0, 30) == 30
    assert rules.backoff_seconds(8, 30) == 6 * 3600
    assert rules.backoff_seconds(10_000, 30) == 6 * 3600


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/chatsvc",
        "http://93.184.216.34:8080/in?token=abc",
        "https://[2606:4700::1111]/hook",
        "HTTPS://Hooks.Example.com",
        "http://2130706433/",  # numeric forms are syntactically fine: what they resolve to is checked later
        "http://0177.0.0.1/",
    ],
)
def test_valid_urls(url: str) -> None:
    assert rules.validate_url(url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "empty"),
        ("ftp://hooks.example.com/", "http"),
        ("file:///etc/passwd", "http"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "http"),
        ("javascript:alert(1)", "http"),
        ("//hooks.example.com/x", "http"),
        ("https:///path", "host"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("https://hooks.example.com@127.0.0.1/", "user name"),
        ("https://hooks.example.com/#frag", "fragment"),
        ("https://hooks.example.com/" + "a" * 2000, "2000"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/\r\nX-Evil: 1", "control"),
        ("https://hooké.example/", "non-ASCII"),
        ("https://hooks.example.com:99999/", "not valid"),
        ("https://hooks.example.com:0/", "port"),
        ("https://[fe80::1%25eth0]/", "IPv6"),
        ("https://hooks..example.com/", "host name"),
        ("https://-bad.example/", "host name"),
        ("http://a\\@127.0.0.1/", "backslash"),
    ],
)
def test_invalid_urls_say_why(url: str, says: str) -> None:
    with pytest.raises(BadRequest) as refused:
        rules.validate_url(url)
    assert says.lower() in refused.value.message.lower()
    assert refused.value.code == "bad_request"


def test_target_keeps_the_host_for_the_host_header() -> None:
    target = rules.parse_target("https://Hooks.Example.com/in?x=1")
    parts = (target.scheme, target.host, target.port, target.path)
    assert parts == ("https", "hooks.example.com", 443, "/in?x=1")
    assert target.host_header == "hooks.example.com" and not target.is_ip_literal
    assert rules.parse_target("http://127.0.0.1:8080").host_header == "127.0.0.1:8080"
    assert rules.parse_target("http://127.0.0.1:8080").path == "/"
    v6 = rules.parse_target("http://[::1]:81/x")
    assert v6.host == "::1" and v6.host_header == "[::1]:81" and v6.is_ip_literal
