"""Mail to visitors, composed without I/O: what a ticket mail says, and the RFC 5322 message that carries it.

Everything a visitor or an agent typed (name, subject, reply) is hostile until shown otherwise:
- in headers it goes through ``safe_header_text``, so CR/LF can never start a header of its own
  (``a\\r\\nBcc: x@evil.test``, SECURITY.md case 15);
- in the HTML body it is escaped by Jinja2's autoescape, so markup arrives as inert text (case 14);
- in the plain-text body it appears literally.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import email.utils
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Literal

from jinja2 import Environment

MailKind = Literal["ticket_created", "ticket_reply", "ticket_resolved"]

SUBJECT_LIMIT = 200  # the whole Subject header; the store's column holds 300
NAME_LIMIT = 120
REPLY_LIMIT = 20_000  # a reply is shown in full; this only bounds a pathological one

# Line and paragraph separators and lone surrogates are not "Cc" but are as unwelcome in a header.
_DROPPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Unquoted characters that would change an address's meaning in a header (lists, comments, quoting, routes).
_ADDRESS_FORBIDDEN = frozenset('"<>,;:()[]\\')


@dataclasses.dataclass(frozen=True)
class ComposedMail:
    to_address: str
    subject: str
    body_text: str
    body_html: str


def safe_header_text(value: str, limit: int) -> str:
    """One line of at most ``limit`` characters: control characters (CR and LF first of all) become spaces,
    runs of whitespace become one space, and a longer text is cut with an ellipsis."""
    cleaned = "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in value)
    text = " ".join(cleaned.split())
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…" if limit > 0 else ""
    return text


def valid_email(value: str) -> bool:
    """A practical check, not RFC 5322's full grammar: what a visitor types into an email field and we can
    safely put in a To header. One @, no whitespace, control or quoting characters, a local part of at most 64
    ASCII characters, a domain with a dot (internationalised domains allowed), 254 characters at most."""
    if not isinstance(value, str) or not value or len(value) > 254 or value.count("@") != 1:
        return False
    if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" or ch in _ADDRESS_FORBIDDEN for ch in value):
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or not local.isascii():
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or any(not label or label.startswith("-") or label.endswith("-") for label in labels):
        return False
    ascii_domain = _ascii_domain(domain)
    return ascii_domain is not None and all(ch.isalnum() or ch in ".-" for ch in ascii_domain)


def _ascii_domain(domain: str) -> str | None:
    """The domain as it travels in SMTP: IDNA for an internationalised one."""
    if domain.isascii():
        return domain.lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


# --- wording ------------------------------------------------------------------------------------------------

_NBSP = "\u00a0"  # French typography: before : ; ? ! and inside « » (as in chatsvc.web.i18n)

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello {name},",
        "hello_anonymous": "Hello,",
        "ticket_created.subject": "[{site}] {subject}",
        "ticket_created.lead": "We received your message “{subject}”. Someone from our team will answer "
        "you soon.",
        "ticket_created.action": "You can follow your request and add to it here:",
        "ticket_reply.subject": "[{site}] Re: {subject}",
        "ticket_reply.lead": "{agent} replied to your request “{subject}”:",
        "ticket_reply.action": "To answer, use this link:",
        "ticket_resolved.subject": "[{site}] Re: {subject}",
        "ticket_resolved.lead": "Your request “{subject}” is resolved. If anything is still wrong, reply "
        "from the link to reopen it.",
        "ticket_resolved.action": "Your request:",
        "our_team": "Our team",
        "keep_private": "This link opens your request: please do not share it.",
        "signature": "The {site} team",
    },
    "fr": {
        "hello": "Bonjour {name},",
        "hello_anonymous": "Bonjour,",
        "ticket_created.subject": "[{site}] {subject}",
        "ticket_created.lead": f"Nous avons bien reçu votre message «{_NBSP}{{subject}}{_NBSP}». "
        "Quelqu'un de notre équipe vous répondra bientôt.",
        "ticket_created.action": f"Vous pouvez suivre votre demande et la compléter ici{_NBSP}:",
        "ticket_reply.subject": "[{site}] Re: {subject}",
        "ticket_reply.lead": f"{{agent}} a répondu à votre demande «{_NBSP}{{subject}}{_NBSP}»{_NBSP}:",
        "ticket_reply.action": f"Pour répondre, utilisez ce lien{_NBSP}:",
        "ticket_resolved.subject": "[{site}] Re: {subject}",
        "ticket_resolved.lead": f"Votre demande «{_NBSP}{{subject}}{_NBSP}» est résolue. Si quelque chose "
        "ne va toujours pas, répondez depuis le lien pour la rouvrir.",
        "ticket_resolved.action": f"Votre demande{_NBSP}:",
        "our_team": "Notre équipe",
        "keep_private": f"Ce lien ouvre votre demande{_NBSP}: merci de ne pas le partager.",
        "signature": "L'équipe {site}",
    },
}

_HTML = Environment(autoescape=True, keep_trailing_newline=True).from_string(
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>{{ greeting }}</p>
<p>{{ lead }}</p>
{% if reply %}<blockquote style="white-space: pre-wrap; margin: 0 0 1em; padding-left: 1em; \
border-left: 3px solid #ccc;">{{ reply }}</blockquote>
{% endif %}<p>{{ action }}<br><a href="{{ link }}">{{ link }}</a></p>
<p style="color: #666; font-size: 0.9em;">{{ keep_private }}</p>
<p>{{ signature }}</p>
</body>
</html>
"""
)


def compose_ticket_mail(
    kind: MailKind,
    *,
    lang: str,
    site_name: str,
    requester_name: str | None,
    requester_email: str,
    subject: str,
    link: str,
    reply_text: str | None = None,
    agent_name: str | None = None,
) -> ComposedMail:
    """The mail a visitor gets when their ticket is created, answered or resolved; French for ``lang``
    starting with "fr", English otherwise. Raises ValueError for an address ``valid_email`` refuses or a
    link that is not http(s) (a ``javascript:`` link must never become a button)."""
    if kind not in ("ticket_created", "ticket_reply", "ticket_resolved"):
        raise ValueError(f"unknown mail kind {kind!r}")
    if not valid_email(requester_email):
        raise ValueError("the requester's email address is not valid")
    if not link.startswith(("https://", "http://")) or safe_header_text(link, 2048) != link:
        raise ValueError("the ticket link must be an http(s) URL on one line")
    lang = "fr" if lang.lower().startswith("fr") else "en"
    words = _WORDS[lang]

    site = safe_header_text(site_name, NAME_LIMIT)
    name = safe_header_text(requester_name or "", NAME_LIMIT)
    ticket_subject = safe_header_text(subject, SUBJECT_LIMIT)
    agent = safe_header_text(agent_name or "", NAME_LIMIT) or words["our_team"]
    # A reply that also resolves the request is quoted in the resolution mail: the visitor reads it there.
    reply = _body_text(reply_text or "") if kind in ("ticket_reply", "ticket_resolved") else ""

    # str.format runs on our templates only; the values are never parsed as templates themselves.
    greeting = words["hello"].format(name=name) if name else words["hello_anonymous"]
    lead = words[f"{kind}.lead"].format(subject=ticket_subject, agent=agent)
    action = words[f"{kind}.action"]
    signature = words["signature"].format(site=site)
    mail_subject = safe_header_text(
        words[f"{kind}.subject"].format(site=site, subject=ticket_subject), SUBJECT_LIMIT
    )

    paragraphs = [greeting, lead]
    if reply:
        paragraphs.append("\n".join("> " + line if line else ">" for line in reply.split("\n")))
    paragraphs += [f"{action}\n{link}", words["keep_private"], signature]
    body_text = "\n\n".join(paragraphs) + "\n"

    body_html = _HTML.render(
        lang=lang,
        subject=mail_subject,
        greeting=greeting,
        lead=lead,
        reply=reply,
        action=action,
        link=link,
        keep_private=words["keep_private"],
        signature=signature,
    )
    return ComposedMail(
        to_address=requester_email, subject=mail_subject, body_text=body_text, body_html=body_html
    )


def _body_text(value: str) -> str:
    """Multi-line text for a body: newlines kept (normalised to LF), other control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    return kept.strip()[:REPLY_LIMIT]


# --- the message --------------------------------------------------------------------------------------------


def build_message(
    mail: ComposedMail, mail_from: str, *, now: datetime.datetime | None = None
) -> EmailMessage:
    """A multipart/alternative (text + HTML) message with From, To, Subject, Date and Message-ID.

    Addresses go through ``email.headerregistry.Address``, so they are encoded, never pasted. CR or LF in an
    address raises ValueError even though composing already refused such addresses: defence in depth.
    """
    for value in (mail.to_address, mail_from):
        if "\r" in value or "\n" in value:
            raise ValueError("an address contains a line break")
    if not valid_email(mail.to_address):
        raise ValueError("the recipient's address is not valid")
    sender = _one_address(mail_from)
    from_domain_ascii = _ascii_domain(sender.domain)
    to_local, to_domain = mail.to_address.rsplit("@", 1)
    to_domain_ascii = _ascii_domain(to_domain)
    if from_domain_ascii is None or to_domain_ascii is None:
        raise ValueError("an address has a domain that cannot be encoded")

    message = EmailMessage()
    message["From"] = Address(
        display_name=safe_header_text(sender.display_name, NAME_LIMIT),
        username=sender.username,
        domain=from_domain_ascii,
    )
    message["To"] = Address(username=to_local, domain=to_domain_ascii)
    message["Subject"] = safe_header_text(mail.subject, SUBJECT_LIMIT)
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    message["Date"] = email.utils.format_datetime(when.astimezone(datetime.UTC))
    # The sender's own domain: make_msgid's default asks the resolver for this host's name, which can block.
    message["Message-ID"] = email.utils.make_msgid(domain=from_domain_ascii)
    # Quoted-printable: 7-bit clean whatever the text, so no relay on the way needs 8BITMIME.
    message.set_content(mail.body_text, cte="quoted-printable")
    message.add_alternative(mail.body_html, subtype="html", cte="quoted-printable")
    return message


def sender_address(mail_from: str) -> str:
    """The bare address of a ``mail_from`` setting such as ``Support <support@example.com>`` (the SMTP
    envelope sender)."""
    sender = _one_address(mail_from)
    domain = _ascii_domain(sender.domain)
    if domain is None:
        raise ValueError("mail_from has a domain that cannot be encoded")
    return f"{sender.username}@{domain}"


def _one_address(value: str) -> Address:
    addresses = email.policy.default.header_factory("from", value).addresses
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        raise ValueError(f"not one address (expected e.g. 'Support <support@example.com>'): {value!r}")
    return addresses[0]


def recipient_domain(address: str) -> str:
    """What a log line may say about a recipient: the domain only, never the full address."""
    domain = address.rsplit("@", 1)[-1] if "@" in address else "?"
    return safe_header_text(domain, 100).lower() or "?"
