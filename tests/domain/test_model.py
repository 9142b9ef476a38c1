"""The conversation state machine: every legal and every illegal transition."""

from __future__ import annotations

import itertools

import pytest

from chatsvc.domain.model import (
    STAFF_ROLES,
    AgentStatus,
    ConversationStatus,
    EventKind,
    Role,
    can_transition,
    check_transition,
)
from chatsvc.errors import ChatError, InvalidState

S = ConversationStatus

LEGAL = {
    (S.BOT, S.QUEUED),  # the visitor asks for a person
    (S.BOT, S.CLOSED),  # the bot resolved it, or the visitor left
    (S.QUEUED, S.ASSIGNED),  # an agent takes it
    (S.QUEUED, S.CLOSED),  # the visitor gave up waiting
    (S.ASSIGNED, S.QUEUED),  # the agent left or released it
    (S.ASSIGNED, S.ASSIGNED),  # transfer to another agent
    (S.ASSIGNED, S.CLOSED),
}
ALL_PAIRS = list(itertools.product(S, S))


def test_there_are_four_states() -> None:
    assert [s.value for s in S] == ["bot", "queued", "assigned", "closed"]
    assert len(ALL_PAIRS) == 16


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL), ids=lambda s: s.value)
def test_legal_transitions(current: ConversationStatus, target: ConversationStatus) -> None:
    assert can_transition(current, target)
    check_transition(current, target)  # does not raise


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in ALL_PAIRS if pair not in LEGAL], ids=lambda s: s.value
)
def test_illegal_transitions_raise_invalid_state(current: ConversationStatus, target: ConversationStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(InvalidState) as info:
        check_transition(current, target)
    error = info.value
    assert isinstance(error, ChatError)
    assert error.code == "invalid_state" and error.status == 409
    assert current.value in error.message and target.value in error.message


def test_closed_is_final() -> None:
    assert not any(can_transition(S.CLOSED, target) for target in S)


def test_every_state_can_be_closed_except_closed() -> None:
    assert {s for s in S if can_transition(s, S.CLOSED)} == {S.BOT, S.QUEUED, S.ASSIGNED}


def test_nothing_goes_back_to_the_bot() -> None:
    assert not any(can_transition(s, S.BOT) for s in S)


def test_only_a_queued_conversation_can_be_assigned_fresh() -> None:
    # BOT -> ASSIGNED is not allowed: a person is reached only through the queue.
    assert {s for s in S if can_transition(s, S.ASSIGNED)} == {S.QUEUED, S.ASSIGNED}


def test_statuses_accept_their_stored_strings() -> None:
    for status in S:
        assert S(status.value) is status
        assert status == status.value  # str enum: compares with what the store holds
    with pytest.raises(ValueError):
        S("open")


def test_roles() -> None:
    assert {r for r in Role if r.is_staff} == set(STAFF_ROLES) == {Role.AGENT, Role.MANAGER, Role.ADMIN}
    assert not Role.VISITOR.is_staff and not Role.SYSTEM.is_staff


def test_agent_statuses_and_event_kinds_are_the_wire_strings() -> None:
    assert [s.value for s in AgentStatus] == ["online", "away", "offline"]
    assert {k.value for k in EventKind} == {
        "message", "opened", "queued", "assigned", "requeued", "transferred", "closed", "bot", "choice", "feedback",
        "note",
    }
