"""Ticket links (SECURITY.md case 10): unforgeable, and every bad token reads like a missing ticket."""

from __future__ import annotations

import secrets

import pytest
from itsdangerous import URLSafeSerializer

from chatsvc.domain.links import TicketLinks
from chatsvc.domain.tokens import VisitorClaims, VisitorTokens
from chatsvc.errors import NotFound

SECRET = "s3cret-for-tests-only-0123456789abcdef"


def test_round_trip_and_url() -> None:
    links = TicketLinks(SECRET)
    token = links.token("tkt_A1b2C3")
    assert links.ticket_id(token) == "tkt_A1b2C3"
    url = links.url("https://help.example/", "tkt_A1b2C3")
    assert url == f"https://help.example/ticket-status/{token}"
    assert all(ch.isalnum() or ch in "-_." for ch in token)  # URL-safe: no escaping needed in a path


def test_tampered_token_is_not_found() -> None:
    links = TicketLinks(SECRET)
    token = links.token("tkt_A1b2C3")
    for index in range(len(token)):
        changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
        with pytest.raises(NotFound):
            links.ticket_id(changed)


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_truncated_token_is_not_found(cut: int) -> None:
    links = TicketLinks(SECRET)
    token = links.token("tkt_A1b2C3")
    with pytest.raises(NotFound):
        links.ticket_id(token[:-cut])


def test_token_signed_with_another_secret_is_not_found() -> None:
    foreign = TicketLinks("another-secret-entirely").token("tkt_A1b2C3")
    with pytest.raises(NotFound):
        TicketLinks(SECRET).ticket_id(foreign)


def test_token_for_ticket_a_cannot_give_ticket_b() -> None:
    links = TicketLinks(SECRET)
    token_a, token_b = links.token("ticket-a"), links.token("ticket-b")
    assert links.ticket_id(token_a) == "ticket-a"
    # B's payload under A's signature, and the other way round.
    payload_a, signature_a = token_a.rsplit(".", 1)
    payload_b, signature_b = token_b.rsplit(".", 1)
    for forged in (f"{payload_b}.{signature_a}", f"{payload_a}.{signature_b}"):
        with pytest.raises(NotFound):
            links.ticket_id(forged)


def test_other_signed_things_are_not_ticket_links() -> None:
    links = TicketLinks(SECRET)
    visitor_token = VisitorTokens(SECRET, 3600).issue(VisitorClaims(visitor_id="v1", site_id="s1"))
    with pytest.raises(NotFound):
        links.ticket_id(visitor_token)  # same secret, other salt
    # Same secret and salt but not a string payload: refused like the rest.
    for payload in ({"id": "x"}, ["x"], 42, None, ""):
        token = str(URLSafeSerializer(SECRET, salt="chatsvc.ticket-link.v1").dumps(payload))
        with pytest.raises(NotFound):
            links.ticket_id(token)


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "abc", "abc.def", "not a token at all", "é.à", "\x00\r\n", "A" * 301, "x." * 5000],
)
def test_garbage_and_huge_tokens_are_not_found(garbage: str) -> None:
    with pytest.raises(NotFound):
        TicketLinks(SECRET).ticket_id(garbage)


def test_a_long_ticket_id_past_the_length_cap_is_refused_not_crashing() -> None:
    links = TicketLinks(SECRET)
    token = links.token(secrets.token_hex(200))  # random: compression cannot shorten it
    assert len(token) > 300
    with pytest.raises(NotFound):
        links.ticket_id(token)
