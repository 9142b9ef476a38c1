"""decide(): the bot's move, the same function the server calls. One test per path."""

from __future__ import annotations

import pytest

from chatsvc.domain.matching import DEFAULT_THRESHOLDS, Article, KbIndex, Thresholds, decide

ARTICLES = [
    Article(
        "pw",
        "Reset my password",
        "Open Account > Security and choose Reset.",
        ("I forgot my password",),
        "en",
    ),
    Article("email", "Change the email of my account", "Open Account > Profile and edit it.", (), "en"),
    Article("close", "Close my account", "Write to us from your account page.", (), "en"),
    Article("bill", "Download invoices from my account", "Invoices are under Account > Billing.", (), "en"),
    Article(
        "card", "Activate my card", "Open the app and tap Activate.", ("My new card does not work",), "en"
    ),
    Article(
        "lost",
        "Report a lost card",
        "Freeze the card in the app, then order a new one.",
        ("I lost my card",),
        "en",
    ),
    Article(
        "mdp", "Changer mon mot de passe", "Allez dans Mon compte > Sécurité.", ("Mot de passe oublié",), "fr"
    ),
    Article("liv", "Délais de livraison", "Les commandes sont livrées en 3 à 5 jours ouvrés.", (), "fr"),
]


@pytest.fixture(scope="module")
def index() -> KbIndex:
    return KbIndex(ARTICLES)


def test_default_thresholds_are_ordered() -> None:
    assert 0.0 < DEFAULT_THRESHOLDS.suggest < DEFAULT_THRESHOLDS.answer < 1.0


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError):
        Thresholds(answer=0.3, suggest=0.6)
    with pytest.raises(ValueError):
        Thresholds(answer=1.2, suggest=0.5)


@pytest.mark.parametrize(
    ("query", "article_id"),
    [
        ("How do I reset my password?", "pw"),
        ("i forgot my pasword", "pw"),
        ("j'ai oublié mon mot de passe", "mdp"),
        ("delais de livraison", "liv"),
        ("les délais de livraisons ?", "liv"),
    ],
)
def test_answer(index: KbIndex, query: str, article_id: str) -> None:
    decision = decide(query, index)
    assert decision.action == "answer"
    assert [c.article_id for c in decision.offered] == [article_id]
    assert decision.confidence >= DEFAULT_THRESHOLDS.answer
    assert decision.ranked[0] == decision.offered[0]


def test_suggest_when_unsure_between_a_few(index: KbIndex) -> None:
    # "new card" fits "Activate my card" ("My new card does not work") and "Report a lost card" ("order a new
    # one"): likely, not certain, so both are offered.
    decision = decide("new card", index)
    assert decision.action == "suggest"
    assert 1 <= len(decision.offered) <= 3
    assert DEFAULT_THRESHOLDS.suggest <= decision.confidence < DEFAULT_THRESHOLDS.answer
    assert [c.article_id for c in decision.offered] == ["card", "lost"]


def test_a_word_shared_by_several_articles_is_not_an_answer(index: KbIndex) -> None:
    # "account" is in four articles equally: the confidence is split between them.
    decision = decide("account", index)
    assert decision.action != "answer"
    assert decision.ranked[0].coverage > 0.5 > decision.confidence


def test_suggest_offers_at_most_the_maximum(index: KbIndex) -> None:
    permissive = Thresholds(answer=1.0, suggest=0.0)
    decision = decide("account card password email", index, permissive)
    assert decision.action == "suggest"
    assert len(decision.offered) == 3
    assert [c.article_id for c in decision.offered] == [c.article_id for c in decision.ranked[:3]]
    assert (
        len(decide("account card password email", index, Thresholds(1.0, 0.0, max_suggestions=2)).offered)
        == 2
    )


@pytest.mark.parametrize(
    "query",
    [
        "quel temps fait-il à Lyon demain",
        "recipe for pancakes",
        "merci beaucoup, bonne journée",
        "ok",
        "",
        "asdfgh",
    ],
)
def test_no_answer(index: KbIndex, query: str) -> None:
    decision = decide(query, index)
    assert decision.action == "no_answer"
    assert decision.offered == ()


def test_no_answer_below_suggest(index: KbIndex) -> None:
    strict = Thresholds(answer=1.0, suggest=1.0)
    decision = decide("reset my password", index, strict)
    # Confidence 1.0 exactly is allowed; anything short of it is not offered.
    assert decision.action in ("answer", "no_answer")
    assert decide("password account", index, strict).action == "no_answer"


@pytest.mark.parametrize(
    "query",
    [
        "je veux parler à un conseiller",
        "je veux parler a un conseiller",
        "un vrai humain svp",
        "un vrai humin",
        "Talk to someone",
        "I want a real person",
        "agent",
    ],
)
def test_human_goes_straight_to_the_queue(index: KbIndex, query: str) -> None:
    decision = decide(query, index)
    assert decision.action == "human"
    assert decision.offered == () and decision.ranked == ()


def test_human_comes_first_even_when_an_article_matches(index: KbIndex) -> None:
    assert decide("I lost my card, I want to talk to a human", index).action == "human"


def test_decide_does_not_change_the_index(index: KbIndex) -> None:
    vocabulary = len(index.vocabulary)
    units = {a.id: index.units_of(a.id) for a in index}
    decide("resset pasword", index)
    assert len(index.vocabulary) == vocabulary
    assert {a.id: index.units_of(a.id) for a in index} == units


def test_the_bot_sees_an_edit_at_once(index: KbIndex) -> None:
    local = KbIndex(ARTICLES)
    assert decide("gift card balance", local).action != "answer"
    local.add(Article("gift", "Gift card balance", "Your gift card balance is on the card's page.", (), "en"))
    decision = decide("gift card balance", local)
    assert decision.action == "answer" and decision.offered[0].article_id == "gift"
    local.remove("gift")
    assert all(c.article_id != "gift" for c in decide("gift card balance", local).ranked)
