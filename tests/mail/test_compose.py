"""Composing mails to visitors: the wording, hostile text kept inert (SECURITY.md case 14) and no header
injection (case 15)."""

from __future__ import annotations

import email.parser
import email.policy
from email.message import EmailMessage
from typing import Any

import pytest

from chatsvc.domain.mail import (
    ComposedMail,
    build_message,
    compose_ticket_mail,
    safe_header_text,
    sender_address,
    valid_email,
)

LINK = "https://help.shop.example/ticket-status/eyJ0IjoiYWJjIn0.c2lnbmF0dXJl"
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "{{constructor.constructor('alert(1)')()}}",
]
INJECTION = "a\r\nBcc: x@evil.test"
EXPECTED_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}


def compose(kind: Any = "ticket_created", **overrides: Any) -> ComposedMail:
    fields: dict[str, Any] = {
        "lang": "en",
        "site_name": "Shop",
        "requester_name": "Ana",
        "requester_email": "ana@example.com",
        "subject": "Where is my order?",
        "link": LINK,
    }
    fields.update(overrides)
    return compose_ticket_mail(kind, **fields)


def parsed(message: EmailMessage) -> EmailMessage:
    """The message as a receiving server would read it back from the wire."""
    raw = message.as_bytes(policy=email.policy.SMTP)
    result = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(result, EmailMessage)
    return result


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


# --- wording ------------------------------------------------------------------------------------------------


def test_english_created_mail() -> None:
    mail = compose()
    assert mail.to_address == "ana@example.com"
    assert mail.subject == "[Shop] Where is my order?"  # the first mail answers nothing yet: no "Re:"
    assert mail.body_text.startswith("Hello Ana,\n")
    assert "We received your message" in mail.body_text and "We received your message" in mail.body_html
    assert LINK in mail.body_text and f'href="{LINK}"' in mail.body_html
    assert "The Shop team" in mail.body_text
    for body in (mail.body_text, mail.body_html):
        assert "{" not in body and "}" not in body  # no placeholder left unfilled


def test_french_mails() -> None:
    created = compose(lang="fr")
    assert "Nous avons bien reçu votre message" in created.body_text
    assert created.body_text.startswith("Bonjour Ana,\n")
    assert 'lang="fr"' in created.body_html
    reply = compose("ticket_reply", lang="fr-CA", reply_text="Votre colis part demain.", agent_name="Léo")
    assert "Léo a répondu à votre demande" in reply.body_text
    assert "> Votre colis part demain." in reply.body_text
    resolved = compose("ticket_resolved", lang="fr")
    assert "est résolue" in resolved.body_text and "rouvrir" in resolved.body_text
    for mail in (created, reply, resolved):
        assert LINK in mail.body_text and LINK in mail.body_html
        assert "\u00a0:" in mail.body_text  # French spacing before a colon, never a line start
        assert "{" not in mail.body_text and "{" not in mail.body_html


def test_english_reply_and_resolved() -> None:
    reply = compose("ticket_reply", reply_text="It ships tomorrow.\nSorry for the wait!", agent_name="Sam")
    assert "Sam replied to your request" in reply.body_text
    assert "> It ships tomorrow.\n> Sorry for the wait!" in reply.body_text
    assert "It ships tomorrow." in reply.body_html
    anonymous = compose("ticket_reply", reply_text="Done.", agent_name=None, requester_name=None)
    assert anonymous.body_text.startswith("Hello,\n")
    assert "Our team replied to your request" in anonymous.body_text
    resolved = compose("ticket_resolved")
    assert "is resolved" in resolved.body_text and "reply from the link to reopen it" in resolved.body_text
    # A reply that resolves the request in the same step is quoted in the resolution mail.
    answered = compose("ticket_resolved", reply_text="Here is your invoice.", agent_name="Sam")
    assert "is resolved" in answered.body_text and "> Here is your invoice." in answered.body_text
    assert "Here is your invoice." in answered.body_html


def test_bad_email_unknown_kind_or_non_http_link_are_refused() -> None:
    with pytest.raises(ValueError):
        compose(requester_email="not-an-address")
    with pytest.raises(ValueError):
        compose(requester_email="ana@example.com" + INJECTION)
    with pytest.raises(ValueError):
        compose("ticket_deleted")
    for link in ("javascript:alert(1)", "https://help.example/x\r\nBcc: x@evil.test", "//evil.test/x"):
        with pytest.raises(ValueError):
            compose(link=link)


# --- hostile text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_escaped_in_html_and_literal_in_text(hostile: str) -> None:
    mail = compose(
        "ticket_reply",
        requester_name=hostile,
        subject=hostile,
        reply_text=hostile,
        agent_name=hostile,
        site_name=hostile,
    )
    assert "<img" not in mail.body_html and "<svg" not in mail.body_html
    assert "onerror=alert(1)>" not in mail.body_html and '"><svg' not in mail.body_html
    if "<" in hostile:
        assert hostile.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in mail.body_html
    assert hostile in mail.body_text  # the text part shows exactly what was typed
    message = parsed(build_message(mail, "Shop Support <support@shop.example>"))
    text, html = parts(message)
    assert hostile in text
    assert "<img" not in html and "<svg" not in html
    assert message["Subject"] == mail.subject


def test_body_text_drops_control_characters_but_keeps_lines() -> None:
    mail = compose("ticket_reply", reply_text="line one\r\nline two\x07\x1b[31m\u2028end")
    assert "> line one\n> line two" in mail.body_text
    assert "\x07" not in mail.body_text and "\x1b" not in mail.body_text and "\u2028" not in mail.body_text


# --- headers ------------------------------------------------------------------------------------------------


def test_safe_header_text() -> None:
    assert safe_header_text(INJECTION, 100) == "a Bcc: x@evil.test"
    assert safe_header_text("  many   \t spaces\u2028and\u0085 more\x00 ", 100) == "many spaces and more"
    assert safe_header_text("x" * 50, 10) == "x" * 9 + "…"
    assert len(safe_header_text("word " * 100, 40)) <= 40


def test_crlf_in_name_and_subject_never_reaches_a_header() -> None:
    mail = compose(requester_name=INJECTION, subject=INJECTION, site_name=INJECTION)
    raw = build_message(mail, "Shop Support <support@shop.example>").as_bytes(policy=email.policy.SMTP)
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in header_block.split(b"\r\n"))
    message = parsed(build_message(mail, "Shop Support <support@shop.example>"))
    assert message["Bcc"] is None
    assert set(message.keys()) == EXPECTED_HEADERS
    assert "\r" not in message["Subject"] and "\n" not in message["Subject"]
    assert message["To"] == "ana@example.com"


@pytest.mark.parametrize(
    "to_address",
    ["ana@example.com" + INJECTION, "ana@example.com\nBcc: x@evil.test", "ana@example.com\r"],
)
def test_build_message_refuses_line_breaks_in_addresses(to_address: str) -> None:
    mail = ComposedMail(to_address=to_address, subject="Hi", body_text="Hi", body_html="<p>Hi</p>")
    with pytest.raises(ValueError):
        build_message(mail, "Shop Support <support@shop.example>")
    good = ComposedMail(to_address="ana@example.com", subject="Hi", body_text="Hi", body_html="<p>Hi</p>")
    with pytest.raises(ValueError):
        build_message(good, "Support <support@shop.example>" + INJECTION)


def test_build_message_shape() -> None:
    message = parsed(build_message(compose(), "Shop Support <support@shop.example>"))
    assert set(message.keys()) == EXPECTED_HEADERS
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"].addresses[0].display_name == "Shop Support"
    assert message["From"].addresses[0].addr_spec == "support@shop.example"
    assert message["Message-ID"].endswith("@shop.example>")
    assert message["Date"].datetime is not None
    text, html = parts(message)
    assert LINK in text and LINK in html


def test_international_domain_travels_as_idna() -> None:
    assert not valid_email("léa@exämple.fr")  # a non-ASCII local part needs SMTPUTF8: refused up front
    message = parsed(build_message(compose(requester_email="lea@exämple.fr"), "Support <support@localhost>"))
    assert message["To"] == "lea@xn--exmple-cua.fr"
    assert sender_address("Support <support@localhost>") == "support@localhost"


# --- valid_email --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "ana@example.com",
        "ana.maria+tickets@mail.example.co.uk",
        "o'brien@example.ie",
        "x@a-b.example",
        "a@exämple.fr",
    ],
)
def test_valid_email_accepts(value: str) -> None:
    assert valid_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@localhost",
        "ana@@example.com",
        "a@b@example.com",
        "ana @example.com",
        "ana@example .com",
        "ana@example.com\r\nBcc: x@evil.test",
        "ana@example.com\n",
        "ana\t@example.com",
        '"ana"@example.com',
        "<ana@example.com>",
        "Ana <ana@example.com>",
        "ana@example.com,eve@evil.test",
        "ana@example..com",
        ".ana@example.com",
        "ana.@example.com",
        "an..a@example.com",
        "ana@-example.com",
        "ana@example.com.",
        "ana@exa_mple.com",
        "léa@example.fr",
        "ana@example.com\x00",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_valid_email_refuses(value: str) -> None:
    assert not valid_email(value)
