"""What staff see of a visitor (the console's visitor panel, the ``visitor`` frame, the conversation API)."""

from __future__ import annotations

from chatsvc.domain import protocol
from chatsvc.services.frames import iso
from chatsvc.services.useragent import describe_browser
from chatsvc.store import records

USER_AGENT_MAX = 512  # what is kept of the handshake's User-Agent header


def visitor_details(visitor: records.Visitor | None) -> protocol.VisitorDetails:
    if visitor is None:
        return protocol.VisitorDetails()
    return protocol.VisitorDetails(
        name=visitor.name,
        email=visitor.email,
        page_url=visitor.page_url,
        page_title=visitor.page_title,
        timezone=visitor.timezone,
        language=visitor.language,
        browser=describe_browser(visitor.user_agent),
        user_agent=visitor.user_agent,
        seen_at=iso(visitor.page_seen_at),
    )


def clean_user_agent(header: str | None) -> str | None:
    """The header as kept: cut to the column's size, control characters dropped (it is shown to staff)."""
    if not header:
        return None
    text = "".join(ch for ch in header[:USER_AGENT_MAX] if ch.isprintable())
    return text.strip() or None
