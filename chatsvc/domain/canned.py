"""Canned responses, pure: shortcuts, placeholder expansion and search.

An agent types ``/`` in the console to search them, or ``/shortcut`` then Tab to insert one. Placeholders such
as ``{visitor_name}`` are filled from the conversation at that moment. Expansion is one pass over the template:
a value is inserted as plain text and never read again, so a visitor who calls themselves ``{agent_name}`` or
``<script>`` gets exactly that text in the message (which the console and widget show as text anyway).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping, Sequence

from chatsvc.errors import BadRequest

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")
MAX_TITLE = 120
MAX_BODY = 4000  # a canned response becomes a chat message: the protocol's limit

# The placeholders we fill, with what each becomes. Anything else in braces is left as written.
PLACEHOLDERS: tuple[str, ...] = ("visitor_name", "visitor_email", "agent_name", "site_name", "date")

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


@dataclasses.dataclass(frozen=True)
class CannedResponse:
    id: str
    owner_id: str | None  # None: shared with every staff member (managed by admins)
    shortcut: str
    title: str
    body: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @property
    def shared(self) -> bool:
        return self.owner_id is None


@dataclasses.dataclass(frozen=True)
class Expansion:
    text: str
    unfilled: tuple[str, ...]  # known placeholders we had no value for (left as written for the agent to edit)


# --- checks ------------------------------------------------------------------------------------------------


def check_shortcut(raw: str) -> str:
    """``/Hello`` and ``hello`` are the same shortcut: the slash is how it is typed, case is not kept."""
    value = raw.strip().lower().removeprefix("/")
    if not SHORTCUT.match(value):
        raise BadRequest(
            "A shortcut is 1 to 40 lower-case letters, digits, '-' or '_', starting with a letter or digit."
        )
    return value


def check_title(raw: str) -> str:
    value = raw.strip()
    if not value or len(value) > MAX_TITLE or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise BadRequest(f"The title must be 1 to {MAX_TITLE} characters on one line.")
    return value


def check_body(raw: str) -> str:
    # Leading and trailing blank lines are noise; indentation inside the text is the author's.
    value = raw.strip("\r\n").rstrip()
    if not value.strip() or len(value) > MAX_BODY:
        raise BadRequest(f"The text must be 1 to {MAX_BODY} characters.")
    if any((ord(c) < 32 and c not in "\n\r\t") or c == "\x7f" for c in value):
        raise BadRequest("The text contains control characters.")
    return value.replace("\r\n", "\n")


# --- expansion ---------------------------------------------------------------------------------------------


def placeholders_in(body: str) -> list[str]:
    """The known placeholders a template uses, in order of first use (escaped braces do not count)."""
    found: list[str] = []
    for kind, value in _scan(body):
        if kind == "name" and value in PLACEHOLDERS and value not in found:
            found.append(value)
    return found


def expand(body: str, values: Mapping[str, str]) -> str:
    """``{name}`` replaced by ``values[name]``; ``{{`` and ``}}`` are literal braces; a placeholder without
    a value, and anything else in braces, stays exactly as written."""
    return expand_checked(body, values).text


def expand_checked(body: str, values: Mapping[str, str]) -> Expansion:
    parts: list[str] = []
    unfilled: list[str] = []
    for kind, value in _scan(body):
        if kind == "text":
            parts.append(value)
        elif value in values:
            parts.append(values[value])
        else:
            if value in PLACEHOLDERS and value not in unfilled:
                unfilled.append(value)
            parts.append("{" + value + "}")
    return Expansion("".join(parts), tuple(unfilled))


def _scan(body: str) -> Iterable[tuple[str, str]]:
    """The template as ("text", literal) and ("name", placeholder) pieces, in one left-to-right pass."""
    literal: list[str] = []
    index = 0
    length = len(body)
    while index < length:
        char = body[index]
        if char in "{}" and body.startswith(char * 2, index):
            literal.append(char)
            index += 2
            continue
        if char == "{":
            match = _NAME.match(body, index + 1)
            if match and body.startswith("}", match.end()):
                if literal:
                    yield "text", "".join(literal)
                    literal = []
                yield "name", match.group()
                index = match.end() + 1
                continue
        literal.append(char)
        index += 1
    if literal:
        yield "text", "".join(literal)


def values_for(
    *,
    agent_name: str,
    today: datetime.date,
    visitor_name: str | None = None,
    visitor_email: str | None = None,
    site_name: str | None = None,
) -> dict[str, str]:
    """The placeholder values we know; an unknown one (no conversation, a visitor who gave no name) is absent,
    so it stays as written and the agent sees what to fill in."""
    values = {"agent_name": agent_name, "date": today.isoformat()}
    for name, value in (("visitor_name", visitor_name), ("visitor_email", visitor_email), ("site_name", site_name)):
        if value:
            values[name] = value
    return values


# --- search ------------------------------------------------------------------------------------------------


def search(responses: Sequence[CannedResponse], query: str) -> list[CannedResponse]:
    """What ``/query`` offers: shortcuts equal to the query, then starting with it, then titles containing it,
    then texts containing it. Within a rank: by shortcut, a personal one before a shared one with the same
    shortcut (it is the one ``/shortcut`` + Tab inserts). An empty query lists everything."""
    needle = query.strip().lower().removeprefix("/").strip()
    ranked: list[tuple[int, str, bool, CannedResponse]] = []
    for response in responses:
        rank = _rank(response, needle)
        if rank is not None:
            ranked.append((rank, response.shortcut, response.shared, response))
    ranked.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in ranked]


def _rank(response: CannedResponse, needle: str) -> int | None:
    if not needle or response.shortcut == needle:
        return 0
    if response.shortcut.startswith(needle):
        return 1
    if needle in response.title.lower():
        return 2
    if needle in response.body.lower():
        return 3
    return None


def pick(responses: Sequence[CannedResponse], key: str) -> CannedResponse | None:
    """The response an agent means by ``key``: its id, else its shortcut (their own before a shared one)."""
    for response in responses:
        if response.id == key:
            return response
    try:
        shortcut = check_shortcut(key)
    except BadRequest:
        return None
    matches = [response for response in responses if response.shortcut == shortcut]
    matches.sort(key=lambda response: response.shared)
    return matches[0] if matches else None
