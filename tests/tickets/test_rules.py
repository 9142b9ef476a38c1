"""Assignment rules (first match wins) and keyword escalation (raises, never lowers, flags)."""

from __future__ import annotations

import pytest

from chatsvc.domain.rules import (
    DEFAULT_ESCALATION,
    Escalation,
    Routing,
    Rule,
    TicketFacts,
    route,
    validate_rule_fields,
    words_of,
)
from chatsvc.domain.tickets import Priority
from chatsvc.errors import BadRequest

NO_ESCALATION = Escalation(words=(), priority=Priority.URGENT)


def rule(
    rule_id: str, *, keywords: tuple[str, ...] = (), topic: str | None = None, site: str | None = None,
    team: str | None = None, agent: str | None = None, priority: Priority | None = None, enabled: bool = True,
) -> Rule:
    return Rule(
        id=rule_id, name=f"Rule {rule_id}", enabled=enabled, keywords=keywords, topic=topic, site_id=site,
        team_id=team, agent_id=agent, priority=priority,
    )


def facts(text: str, *, topic: str | None = None, site: str = "shop") -> TicketFacts:
    return TicketFacts(text=text, topic=topic, site_id=site)


def applied(rules: list[Rule], text: str, **kwargs: str | None) -> str | None:
    return route(rules, facts(text, **kwargs), NO_ESCALATION).rule_id  # type: ignore[arg-type]


# --- rules ------------------------------------------------------------------------------------------------


def test_no_rule_keeps_the_base_priority_and_assigns_nobody() -> None:
    assert route([], facts("hello"), NO_ESCALATION) == Routing(
        team_id=None, agent_id=None, priority=Priority.NORMAL, rule_id=None, flagged=False, matched_words=()
    )
    assert route([], facts("hello"), NO_ESCALATION, base_priority=Priority.HIGH).priority is Priority.HIGH


def test_the_first_matching_rule_applies_even_when_a_later_one_matches_too() -> None:
    rules = [
        rule("billing", keywords=("invoice",), team="t-billing", agent="a-ana", priority=Priority.HIGH),
        rule("sales", keywords=("price", "invoice"), team="t-sales"),
    ]
    routing = route(rules, facts("Where is my invoice and the price?"), NO_ESCALATION)
    assert (routing.rule_id, routing.team_id, routing.agent_id, routing.priority) == (
        "billing", "t-billing", "a-ana", Priority.HIGH
    )
    assert applied(rules, "What is the price?") == "sales"
    assert applied(list(reversed(rules)), "Where is my invoice?") == "sales"


def test_a_rule_sets_only_what_it_has() -> None:
    routing = route([rule("r", keywords=("invoice",), team="t-billing")], facts("invoice"), NO_ESCALATION,
                    base_priority=Priority.LOW)
    assert (routing.team_id, routing.agent_id, routing.priority) == ("t-billing", None, Priority.LOW)


def test_disabled_rules_are_skipped() -> None:
    rules = [rule("off", keywords=("invoice",), team="t-1", enabled=False), rule("on", keywords=("invoice",))]
    assert applied(rules, "invoice") == "on"
    assert applied(rules[:1], "invoice") is None


def test_topic_and_site_conditions() -> None:
    rules = [rule("billing-shop", topic="billing", site="shop"), rule("billing", topic="billing")]
    assert applied(rules, "hi", topic="billing", site="shop") == "billing-shop"
    assert applied(rules, "hi", topic="billing", site="blog") == "billing"
    assert applied(rules, "hi", topic="tech", site="shop") is None
    assert applied(rules, "hi", topic=None, site="shop") is None


def test_every_condition_must_hold() -> None:
    rules = [rule("r", keywords=("invoice",), topic="billing", site="shop")]
    assert applied(rules, "my invoice", topic="billing", site="shop") == "r"
    assert applied(rules, "my order", topic="billing", site="shop") is None
    assert applied(rules, "my invoice", topic="tech", site="shop") is None
    assert applied(rules, "my invoice", topic="billing", site="blog") is None


def test_a_rule_without_conditions_catches_everything_after_the_others() -> None:
    rules = [rule("billing", keywords=("invoice",), team="t-billing"), rule("catch-all", team="t-front")]
    assert applied(rules, "my invoice") == "billing"
    routing = route(rules, facts("anything else", topic=None, site="blog"), NO_ESCALATION)
    assert (routing.rule_id, routing.team_id) == ("catch-all", "t-front")


def test_keywords_match_whole_words_ignoring_case_and_accents() -> None:
    rules = [rule("refund", keywords=("Rembourser", "fraud"))]
    assert applied(rules, "Je veux me faire REMBOURSER") == "refund"
    assert applied(rules, "je veux me faire rembourser.") == "refund"
    assert applied(rules, "je veux être remboursé") is None  # another word once accents are folded
    assert applied(rules, "this is fraudulent") is None
    assert applied(rules, "I was defrauded") is None
    assert applied(rules, "Fraud!") == "refund"
    # Accents folded on both sides.
    assert applied([rule("e", keywords=("échéance",))], "Quelle ECHEANCE ?") == "e"
    assert applied([rule("e", keywords=("echeance",))], "L'échéance approche") == "e"


def test_keyword_phrases_match_consecutive_words() -> None:
    rules = [rule("legal", keywords=("legal action",))]
    assert applied(rules, "We will take LEGAL   action.") == "legal"
    assert applied(rules, "legal-action now") == "legal"
    assert applied(rules, "legal and action") is None
    assert applied(rules, "action legal") is None
    assert applied(rules, "illegal action") is None
    assert applied(rules, "legal") is None


def test_a_keyword_without_letters_never_matches() -> None:
    assert applied([rule("r", keywords=("!!!",))], "!!! help !!!") is None


def test_words_of_normalises() -> None:
    expected = ("je", "veux", "etre", "rembourse", "strasse", "file_2")
    assert words_of("Je veux être REMBOURSÉ, Straße: ﬁle_2") == expected


# --- escalation --------------------------------------------------------------------------------------------


def test_escalation_raises_the_priority_and_flags_with_the_words() -> None:
    routing = route([], facts("I want a refund or I call my lawyer"), DEFAULT_ESCALATION)
    assert routing.priority is Priority.URGENT
    assert routing.flagged
    assert routing.matched_words == ("lawyer", "refund")  # in the configured order


def test_escalation_never_lowers_the_priority() -> None:
    mild = Escalation(words=("refund",), priority=Priority.HIGH)
    assert route([], facts("refund"), mild, base_priority=Priority.URGENT).priority is Priority.URGENT
    assert route([], facts("refund"), mild, base_priority=Priority.LOW).priority is Priority.HIGH
    by_rule = [rule("r", priority=Priority.URGENT)]
    routing = route(by_rule, facts("refund"), mild)
    assert (routing.priority, routing.flagged) == (Priority.URGENT, True)


def test_escalation_applies_after_the_rule() -> None:
    rules = [rule("low", keywords=("invoice",), team="t-billing", priority=Priority.LOW)]
    routing = route(rules, facts("Invoice wrong, chargeback coming"), DEFAULT_ESCALATION)
    assert (routing.rule_id, routing.team_id, routing.priority, routing.flagged, routing.matched_words) == (
        "low", "t-billing", Priority.URGENT, True, ("chargeback",)
    )


def test_escalation_words_are_whole_words_and_phrases() -> None:
    for text in [
        "This is fraudulent", "I was defrauded", "an urgently needed fix", "legal matters, action later",
        "je veux être remboursé",
    ]:
        routing = route([], facts(text), DEFAULT_ESCALATION)
        assert (routing.flagged, routing.priority) == (False, Priority.NORMAL), text
    for text, word in [
        ("FRAUDE !", "fraude"), ("Plainte déposée", "plainte"), ("we take Legal Action", "legal action"),
        ("C'est URGENT", "urgent"), ("Je vais voir un avocat.", "avocat"),
    ]:
        assert route([], facts(text), DEFAULT_ESCALATION).matched_words == (word,), text


def test_escalation_json_round_trips() -> None:
    assert Escalation.parse(DEFAULT_ESCALATION.to_json()) == DEFAULT_ESCALATION
    parsed = Escalation.parse({"words": [" refund ", "Refund", "legal action"], "priority": "high"})
    # Trimmed, and deduplicated by what they match.
    assert parsed == Escalation(words=("refund", "legal action"), priority=Priority.HIGH)
    assert DEFAULT_ESCALATION.priority is Priority.URGENT
    assert "legal action" in DEFAULT_ESCALATION.words and len(DEFAULT_ESCALATION.words) == 11


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["refund"], "must be an object"),
        ({"words": ["refund"]}, "priority"),
        ({"words": ["refund"], "priority": "critical"}, "Unknown priority"),
        ({"words": "refund", "priority": "urgent"}, "must be a list"),
        ({"words": ["x"] * 201, "priority": "urgent"}, "At most 200"),
        ({"words": [""], "priority": "urgent"}, "non-empty"),
        ({"words": ["   "], "priority": "urgent"}, "non-empty"),
        ({"words": [3], "priority": "urgent"}, "non-empty"),
        ({"words": ["x" * 61], "priority": "urgent"}, "longer than 60"),
        ({"words": ["re\x00fund"], "priority": "urgent"}, "control character"),
        ({"words": ["legal\naction"], "priority": "urgent"}, "control character"),
        ({"words": ["!!!"], "priority": "urgent"}, "no letter or digit"),
        ({"words": [], "priority": "urgent", "extra": 1}, "Unknown field"),
    ],
)
def test_bad_escalation_settings_are_refused(value: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        Escalation.parse(value)


def test_escalation_limits_are_inclusive() -> None:
    words = [f"word{i}" for i in range(199)] + ["x" * 60]
    assert len(Escalation.parse({"words": words, "priority": "urgent"}).words) == 200


# --- rule fields -------------------------------------------------------------------------------------------


def test_validate_rule_fields_cleans() -> None:
    assert validate_rule_fields("  Billing  ", [" invoice ", "Invoice", "legal action"], "high") == (
        "Billing", ("invoice", "legal action"), Priority.HIGH
    )
    assert validate_rule_fields("Catch-all", [], None) == ("Catch-all", (), None)
    assert validate_rule_fields("R", (), "")[2] is None
    assert validate_rule_fields("R", ["x"] * 50, Priority.LOW)[2] is Priority.LOW


@pytest.mark.parametrize(
    ("name", "keywords", "priority", "message"),
    [
        ("", [], None, "needs a name"),
        ("   ", [], None, "needs a name"),
        (None, [], None, "needs a name"),
        ("x" * 121, [], None, "longer than 120"),
        ("R", "invoice", None, "must be a list"),
        ("R", [f"k{i}" for i in range(51)], None, "At most 50"),
        ("R", ["x" * 61], None, "longer than 60"),
        ("R", [""], None, "non-empty"),
        ("R", ["in\tvoice"], None, "control character"),
        ("R", ["?"], None, "no letter or digit"),
        ("R", [], "critical", "Unknown priority"),
        ("R", [], 3, "Unknown priority"),
        ("R", [], ["high"], "Unknown priority"),
    ],
)
def test_bad_rule_fields_are_refused(name: object, keywords: object, priority: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        validate_rule_fields(name, keywords, priority)
