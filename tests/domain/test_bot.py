"""The bot's conversation policy, pure: what follows a question, a Yes, a No, a choice."""

from __future__ import annotations

import pytest

from chatsvc.domain.bot import TEXTS, Move, Offer, reply_to_choice, reply_to_feedback, reply_to_question, text


def test_answer_shows_the_top_article_and_keeps_the_rest_for_no() -> None:
    reply = reply_to_question("answer", ["a"], ["b", "c", "d", "e"])
    assert reply.move is Move.ANSWER and reply.shown == ("a",) and reply.remaining == ("b", "c", "d", "e")
    assert reply.ask_feedback


def test_suggest_shows_at_most_three() -> None:
    reply = reply_to_question("suggest", ["a", "b", "c"], ["d"])
    assert reply.move is Move.SUGGEST and reply.shown == ("a", "b", "c") and reply.remaining == ("d",)


@pytest.mark.parametrize("action", ["no_answer", "answer", "suggest"])
def test_nothing_to_show_is_no_answer(action: str) -> None:
    reply = reply_to_question(action, [] if action != "no_answer" else ["a"])
    assert reply.move is Move.NO_ANSWER and not reply.shown and not reply.ask_feedback


def test_asking_for_a_person_hands_off_at_once() -> None:
    reply = reply_to_question("human", ["a"])
    assert reply.move is Move.HANDOFF and reply.reason == "asked"


def test_yes_resolves() -> None:
    offer = Offer(Move.ANSWER, ("a",), ("b",))
    assert reply_to_feedback(True, offer).move is Move.RESOLVED


def test_no_after_an_answer_suggests_the_next_offerable_then_hands_off() -> None:
    offer = Offer(Move.ANSWER, ("a",), ("b", "gone", "c", "d", "e"))
    reply = reply_to_feedback(False, offer, still_offerable=["b", "c", "d", "e"])
    assert reply.move is Move.SUGGEST and reply.shown == ("b", "c", "d")
    after = Offer.from_data(reply.data())
    assert after is not None and reply_to_feedback(False, after).move is Move.HANDOFF
    assert reply_to_feedback(False, Offer(Move.ANSWER, ("a",))).reason == "declined"


def test_feedback_needs_an_offer() -> None:
    with pytest.raises(ValueError):
        reply_to_feedback(True, None)
    with pytest.raises(ValueError):
        reply_to_feedback(True, Offer(Move.NO_ANSWER))


def test_offer_round_trips_through_stored_data() -> None:
    reply = reply_to_question("answer", ["a"], ["b"])
    assert Offer.from_data(reply.data()) == Offer(Move.ANSWER, ("a",), ("b",))
    assert Offer.from_data({"move": "nonsense"}) is None and Offer.from_data(None) is None


def test_choice_answers_with_that_article() -> None:
    assert reply_to_choice("x").shown == ("x",)


def test_every_sentence_exists_in_both_languages() -> None:
    assert set(TEXTS["en"]) == set(TEXTS["fr"])
    assert text("answer", "fr").startswith("Cet article") and text("answer", "de") == TEXTS["en"]["answer"]
