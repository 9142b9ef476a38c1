"""The ticket vocabulary: states and their legal transitions, priorities, sources, thread entry kinds.

Pure: no I/O. The state machine is the only place that decides whether a status change is legal.
"""

from __future__ import annotations

import enum

from chatsvc.errors import InvalidState


class TicketStatus(str, enum.Enum):
    NEW = "new"  # nobody has taken it yet
    OPEN = "open"  # assigned and acknowledged: someone is on it
    PENDING = "pending"  # waiting on the visitor
    RESOLVED = "resolved"  # answered; reopens if the visitor writes again before it closes
    CLOSED = "closed"  # final


# new → open → pending → resolved → closed, with the ways back a helpdesk needs: a visitor's answer turns a
# pending or resolved ticket open again; a new ticket may be resolved at once (spam, duplicate, answered
# by the first reply). Closing only follows resolution, so nothing is closed that nobody resolved.
_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED}),
    TicketStatus.OPEN: frozenset({TicketStatus.NEW, TicketStatus.PENDING, TicketStatus.RESOLVED}),
    TicketStatus.PENDING: frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}

# "New" means nobody has it: a ticket goes back there only by itself (released by its assignee, or the visitor
# writes again while nobody holds it), never because someone picked "new" in a status control.
BY_ITSELF_ONLY = frozenset({TicketStatus.NEW})

# Statuses in which the SLA clocks run and the ticket counts as someone's work.
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    return target in _TRANSITIONS[current]


def allowed_targets(current: TicketStatus) -> list[TicketStatus]:
    """The statuses a person may move a ticket to next, in lifecycle order (for the status control)."""
    return [s for s in TicketStatus if s in _TRANSITIONS[current] and s not in BY_ITSELF_ONLY]


def check_chosen(current: TicketStatus, target: TicketStatus) -> None:
    """A status a person chose: a legal transition, and not one that only happens by itself."""
    check_transition(current, target)
    if target in BY_ITSELF_ONLY:
        raise InvalidState(f"A ticket becomes {target.value} again only when nobody has it: release it instead.")


def reopened_status(has_assignee: bool) -> TicketStatus:
    """Where a pending or resolved ticket goes when the visitor writes again."""
    return TicketStatus.OPEN if has_assignee else TicketStatus.NEW


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if current is target:
        raise InvalidState(f"The ticket is already {current.value}.")
    if not can_transition(current, target):
        raise InvalidState(f"A {current.value} ticket cannot become {target.value}.")


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Priority) -> Priority:
        """The higher of the two (escalation only ever raises a priority)."""
        return self if self.rank >= other.rank else other


_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Source(str, enum.Enum):
    CHAT = "chat"  # an agent converted a chat
    FORM = "form"  # the widget's leave-a-message form
    ABANDONED = "abandoned"  # the visitor left the queue before anyone answered, having given an email
    API = "api"  # POST /api/tickets, for other channels


class EntryKind(str, enum.Enum):
    MESSAGE = "message"  # a reply by staff (mailed to the visitor) or an answer by the visitor
    NOTE = "note"  # internal: staff only, never mailed, never on the status page
    CHANGE = "change"  # status, assignee, team or priority changed; data says from what to what


class WebhookEvent(str, enum.Enum):
    CREATED = "ticket.created"
    UPDATED = "ticket.updated"
    RESOLVED = "ticket.resolved"
