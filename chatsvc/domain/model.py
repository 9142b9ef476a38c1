"""The vocabulary: roles, states and event kinds, with the legal conversation transitions."""

from __future__ import annotations

import enum
import re

from chatsvc.errors import InvalidState


class Role(str, enum.Enum):
    VISITOR = "visitor"
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"
    SYSTEM = "system"

    @property
    def is_staff(self) -> bool:
        return self in (Role.AGENT, Role.MANAGER, Role.ADMIN)


STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)

# A site's public key (it goes in the embed tag and URLs): short, lower case, nothing to escape. \Z, not $:
# $ also matches before a trailing newline.
SITE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")


class AgentStatus(str, enum.Enum):
    ONLINE = "online"  # receives new chats while below capacity
    AWAY = "away"  # keeps current chats, receives no new ones
    OFFLINE = "offline"  # current chats go back to the queue


class ConversationStatus(str, enum.Enum):
    BOT = "bot"  # no person involved yet (the bot's turn)
    QUEUED = "queued"  # waiting for a person
    ASSIGNED = "assigned"  # an agent holds it
    CLOSED = "closed"


# Legal transitions. An illegal one raises: the state machine is the only place that decides.
_TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.BOT: frozenset({ConversationStatus.QUEUED, ConversationStatus.CLOSED}),
    ConversationStatus.QUEUED: frozenset({ConversationStatus.ASSIGNED, ConversationStatus.CLOSED}),
    ConversationStatus.ASSIGNED: frozenset(
        {ConversationStatus.QUEUED, ConversationStatus.ASSIGNED, ConversationStatus.CLOSED}
    ),
    ConversationStatus.CLOSED: frozenset(),
}


def can_transition(current: ConversationStatus, target: ConversationStatus) -> bool:
    return target in _TRANSITIONS[current]


def check_transition(current: ConversationStatus, target: ConversationStatus) -> None:
    if not can_transition(current, target):
        raise InvalidState(f"A {current.value} conversation cannot become {target.value}.")


class EventKind(str, enum.Enum):
    """What a conversation's numbered history is made of."""

    MESSAGE = "message"
    OPENED = "opened"  # the visitor started the conversation
    QUEUED = "queued"  # asked for a person
    ASSIGNED = "assigned"  # an agent joined (automatic assignment or pick)
    REQUEUED = "requeued"  # the agent left (offline, disconnected past grace, released it)
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    BOT = "bot"  # the bot's turn: an answer card, suggestions, a menu, or "no answer"
    CHOICE = "choice"  # the visitor pressed a quick-reply button or opened a suggested article
    FEEDBACK = "feedback"  # the visitor's Yes / No to "Did this solve it?"
    NOTE = "note"  # an internal note between staff: never shown or sent to the visitor


# Kinds the visitor never receives: their seqs are gaps the visitor's socket steps over.
STAFF_ONLY_KINDS = frozenset({EventKind.NOTE.value})


# Priorities order the queue (higher first); FIFO within one priority.
PRIORITY_LOW = 0
PRIORITY_NORMAL = 1
PRIORITY_HIGH = 2
PRIORITY_URGENT = 3
