"""Visitor tokens: signed (visitor, site, time); anything else, however it fails, reads as Unauthorized."""

from __future__ import annotations

import base64
import json
import string

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from chatsvc.domain import tokens as tokens_module
from chatsvc.domain.tokens import VisitorClaims, VisitorTokens
from chatsvc.errors import Unauthorized

SECRET = "test-secret-" + "k" * 40
TTL = 3600
CLAIMS = VisitorClaims(visitor_id="visitor-123", site_id="site-A")


class Clock:
    """itsdangerous reads the time through TimestampSigner.get_timestamp; tests set it instead of sleeping."""

    def __init__(self, now: int) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(1_700_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: fake.now)
    return fake


@pytest.fixture
def tokens() -> VisitorTokens:
    return VisitorTokens(SECRET, ttl_seconds=TTL)


def unauthorized(tokens: VisitorTokens, token: str, site_id: str | None = None) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        tokens.verify(token, site_id=site_id)
    return info.value


def test_issue_then_verify(tokens: VisitorTokens) -> None:
    token = tokens.issue(CLAIMS)
    assert isinstance(token, str)
    assert tokens.verify(token) == CLAIMS
    assert tokens.verify(token, site_id="site-A") == CLAIMS


def test_a_token_is_url_safe_and_bounded(tokens: VisitorTokens) -> None:
    token = tokens.issue(VisitorClaims(visitor_id="v" * 22, site_id="s" * 22))
    assert set(token) <= set(string.ascii_letters + string.digits + "-_.")
    assert len(token) <= 1024  # fits the hello frame's Token field


def test_two_visitors_get_different_tokens(tokens: VisitorTokens) -> None:
    assert tokens.issue(CLAIMS) != tokens.issue(VisitorClaims("visitor-124", "site-A"))


def test_another_sites_token_is_refused(tokens: VisitorTokens) -> None:
    token = tokens.issue(CLAIMS)
    unauthorized(tokens, token, site_id="site-B")
    unauthorized(tokens, token, site_id="")
    unauthorized(tokens, token, site_id="site-a")  # exact match, not case-insensitive


def test_a_token_signed_with_another_secret_is_refused(tokens: VisitorTokens) -> None:
    other = VisitorTokens(SECRET + "-other", ttl_seconds=TTL)
    unauthorized(tokens, other.issue(CLAIMS))
    unauthorized(other, tokens.issue(CLAIMS))


def test_a_token_signed_with_the_same_secret_for_another_purpose_is_refused(tokens: VisitorTokens) -> None:
    # Same key, different salt (e.g. another feature signing things): not a visitor token.
    foreign = URLSafeTimedSerializer(SECRET, salt="chatsvc.something-else").dumps({"v": "visitor-123", "s": "site-A"})
    unauthorized(tokens, str(foreign))
    unsalted = URLSafeTimedSerializer(SECRET).dumps({"v": "visitor-123", "s": "site-A"})
    unauthorized(tokens, str(unsalted))


def test_expiry(tokens: VisitorTokens, clock: Clock) -> None:
    token = tokens.issue(CLAIMS)
    clock.now += TTL
    assert tokens.verify(token) == CLAIMS  # exactly at the limit: still valid
    clock.now += 1
    unauthorized(tokens, token)
    clock.now += 10 * 365 * 24 * 3600
    unauthorized(tokens, token)


def test_a_token_from_the_future_is_refused(tokens: VisitorTokens, clock: Clock) -> None:
    clock.now += 3600
    token = tokens.issue(CLAIMS)
    clock.now -= 3600
    unauthorized(tokens, token)


def test_a_tiny_ttl_expires_quickly(clock: Clock) -> None:
    short = VisitorTokens(SECRET, ttl_seconds=1)
    token = short.issue(CLAIMS)
    clock.now += 1
    assert short.verify(token) == CLAIMS
    clock.now += 1
    unauthorized(short, token)
    # The same token under a longer TTL is still good: the TTL is the verifier's, not baked in.
    assert VisitorTokens(SECRET, ttl_seconds=TTL).verify(token) == CLAIMS


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_tampered_payload_is_refused(tokens: VisitorTokens) -> None:
    token = tokens.issue(CLAIMS)
    payload, stamp, signature = token.split(".")
    other_visitor = _b64(json.dumps({"v": "visitor-999", "s": "site-A"}, separators=(",", ":")).encode())
    unauthorized(tokens, ".".join([other_visitor, stamp, signature]))
    other_site = _b64(json.dumps({"v": "visitor-123", "s": "site-B"}, separators=(",", ":")).encode())
    unauthorized(tokens, ".".join([other_site, stamp, signature]), site_id="site-B")


def test_a_tampered_timestamp_is_refused(tokens: VisitorTokens, clock: Clock) -> None:
    token = tokens.issue(CLAIMS)
    payload, _stamp, signature = token.split(".")
    clock.now += TTL * 2
    fresh_stamp = tokens.issue(CLAIMS).split(".")[1]
    unauthorized(tokens, ".".join([payload, fresh_stamp, signature]))


def test_mixing_two_valid_tokens_is_refused(tokens: VisitorTokens) -> None:
    first = tokens.issue(CLAIMS).split(".")
    second = tokens.issue(VisitorClaims("visitor-456", "site-A")).split(".")
    unauthorized(tokens, ".".join([second[0], first[1], first[2]]))
    unauthorized(tokens, ".".join([first[0], first[1], second[2]]))


def test_no_single_character_change_yields_other_claims(tokens: VisitorTokens) -> None:
    # Changing any one character either breaks the signature, or (base64's unused low bits in a final
    # character) decodes to the very same bytes: it never yields a different identity.
    token = tokens.issue(CLAIMS)
    alphabet = string.ascii_letters + string.digits + "-_"
    for index, char in enumerate(token):
        for replacement in (alphabet[(alphabet.find(char) + 1) % len(alphabet)], "A", "."):
            if replacement == char:
                continue
            tampered = token[:index] + replacement + token[index + 1:]
            try:
                claims = tokens.verify(tampered)
            except Unauthorized:
                continue
            assert claims == CLAIMS, (index, replacement)


@pytest.mark.parametrize(
    "garbage",
    ["", " ", "x", "a.b", "a.b.c", "a.b.c.d", "....", "ü.ö.ä", "\x00", "null", "{}", "eyJ2IjoxfQ", "x" * 5000,
     "eyJ2IjoidiIsInMiOiJzIn0.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ids=repr,
)
def test_garbage_is_refused(tokens: VisitorTokens, garbage: str) -> None:
    unauthorized(tokens, garbage)


@pytest.mark.parametrize(
    "payload",
    [["visitor-123", "site-A"], "visitor-123", 42, None, {"v": "visitor-123"}, {"s": "site-A"},
     {"v": 123, "s": "site-A"}, {"v": "visitor-123", "s": None}, {"v": ["x"], "s": "site-A"}],
    ids=repr,
)
def test_a_validly_signed_token_with_the_wrong_shape_is_refused(tokens: VisitorTokens, payload: object) -> None:
    forged = URLSafeTimedSerializer(SECRET, salt=tokens_module._SALT).dumps(payload)
    unauthorized(tokens, str(forged))


def test_well_shaped_payload_signed_the_same_way_is_accepted(tokens: VisitorTokens) -> None:
    # The control for the test above: the shape checks, not the signing, made those fail.
    signed = URLSafeTimedSerializer(SECRET, salt=tokens_module._SALT).dumps({"v": "visitor-123", "s": "site-A"})
    assert tokens.verify(str(signed)) == CLAIMS


def test_every_failure_reads_the_same(tokens: VisitorTokens, clock: Clock) -> None:
    token = tokens.issue(CLAIMS)
    failures = [
        unauthorized(tokens, "garbage"),
        unauthorized(tokens, token, site_id="site-B"),
        unauthorized(tokens, VisitorTokens("other", TTL).issue(CLAIMS)),
        unauthorized(tokens, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")),
    ]
    clock.now += TTL + 1
    failures.append(unauthorized(tokens, token))
    assert {(e.code, e.message, e.status, e.close_code) for e in failures} == {
        ("unauthorized", Unauthorized.default_message, 401, 1008)
    }
    assert all(e.__cause__ is None or "itsdangerous" in type(e.__cause__).__module__ for e in failures)
