"""The index: term rarity, typo tolerance, acronyms, and changes applied in place, one article at a time."""

from __future__ import annotations

import random

from chatsvc.domain.matching import Article, KbIndex, rank
from chatsvc.domain.matching.stopwords import lexicon


def kb() -> list[Article]:
    return [
        Article("pw", "Reset my password", "Open Account > Security and choose Reset.", (), "en"),
        Article("email", "Change the email of my account", "Open Account > Profile and edit it.", (), "en"),
        Article("close", "Close my account", "Write to us from your account page.", (), "en"),
        Article(
            "bill", "Download invoices from my account", "Invoices are under Account > Billing.", (), "en"
        ),
        Article("mdp", "Changer mon mot de passe", "Allez dans Mon compte > Sécurité.", (), "fr"),
    ]


def ids(query: str, index: KbIndex) -> list[str]:
    return [c.article_id for c in rank(query, index)]


def test_a_rare_word_outweighs_a_common_one() -> None:
    index = KbIndex(kb())
    assert index.idf("password") > index.idf("account")
    # "account" appears in four articles, "password" in one: the one with the rare word wins, even though the
    # other articles repeat the common word in their titles and bodies.
    assert ids("account password", index)[0] == "pw"
    assert ids("my account email", index)[0] == "email"


def test_confidence_is_in_unit_interval() -> None:
    index = KbIndex(kb())
    for query in ("reset password", "account", "zzz qqq", "the", "changer mot de passe compte"):
        for candidate in rank(query, index):
            assert 0.0 <= candidate.confidence <= 1.0
            assert 0.0 <= candidate.coverage <= 1.0


def test_typos_are_tolerated() -> None:
    index = KbIndex(kb())
    assert ids("pasword reset", index)[0] == "pw"
    assert ids("resset my passwrd", index)[0] == "pw"
    assert ids("changer mot de pase", index)[0] == "mdp"
    assert ids("invoises", index)[0] == "bill"


def test_accents_and_elisions_do_not_matter() -> None:
    index = KbIndex(kb())
    assert ids("CHANGER MON MOT DE PASSE", index)[0] == "mdp"
    assert ids("securite du compte", index)[0] == "mdp"


def test_an_acronym_stands_for_the_words_of_a_title() -> None:
    index = KbIndex(kb())
    assert ids("changer mdp", index)[0] == "mdp"


def test_a_word_the_kb_lacks_matches_nothing() -> None:
    assert rank("weather tomorrow", KbIndex(kb())) == []
    assert rank("", KbIndex(kb())) == []
    assert rank("password", KbIndex()) == []


def test_adding_one_article_updates_the_index_in_place() -> None:
    index = KbIndex(kb())
    before = {a.id: index.units_of(a.id) for a in index}
    assert ids("refund order", index) == []
    index.add(
        Article("refund", "Get a refund for an order", "Refunds take five days.", ("money back",), "en")
    )
    assert ids("refund order", index)[0] == "refund"
    assert ids("money back", index)[0] == "refund"
    # The other articles were not re-indexed: their units are the very same ones.
    assert {a.id: index.units_of(a.id) for a in index if a.id != "refund"} == before
    assert len(index) == 6


def test_editing_one_article_replaces_only_its_own_entries() -> None:
    index = KbIndex(kb())
    others = {a.id: index.units_of(a.id) for a in index if a.id != "close"}
    index.update(Article("close", "Delete my profile", "Write to us to delete your profile.", (), "en"))
    assert ids("delete profile", index)[0] == "close"
    assert "close" not in ids("close account", index)[:1]
    assert {a.id: index.units_of(a.id) for a in index if a.id != "close"} == others
    edited = index.get("close")
    assert edited is not None and edited.title == "Delete my profile"


def test_removing_one_article_forgets_its_words() -> None:
    index = KbIndex(kb())
    assert "invoic" in index.vocabulary
    assert index.remove("bill") is True
    assert "bill" not in index and len(index) == 4
    assert "bill" not in ids("download invoices", index)
    assert "invoic" not in index.vocabulary  # no other article used it
    assert index.remove("bill") is False
    # Rarity follows: "account" is now in three articles of four.
    assert index.vocabulary.df("account") == 3


def test_removing_then_adding_back_gives_the_same_ranking() -> None:
    index = KbIndex(kb())
    queries = ("account password", "close account", "invoices", "changer mot de passe")
    before = [[(c.article_id, round(c.confidence, 9)) for c in rank(q, index)] for q in queries]
    article = index.get("email")
    assert article is not None
    index.remove("email")
    index.add(article)
    after = [[(c.article_id, round(c.confidence, 9)) for c in rank(q, index)] for q in queries]
    assert after == before


def test_churn_in_place_ranks_as_a_fresh_build() -> None:
    # Many edits in place (ids and array slots get reused) must leave the index as if built from scratch.
    rng = random.Random(3)
    words = sorted(
        lexicon("password email account invoice card refund order delivery app login profile security")
    )

    def article(number: int) -> Article:
        title = " ".join(rng.sample(words, 3))
        return Article(
            f"a{number}", title, " ".join(rng.choices(words, k=12)), (" ".join(rng.sample(words, 2)),), "en"
        )

    index = KbIndex()
    live: dict[str, Article] = {}
    for _ in range(300):
        number = rng.randrange(40)
        if f"a{number}" in live and rng.random() < 0.4:
            index.remove(f"a{number}")
            del live[f"a{number}"]
        else:
            live[f"a{number}"] = article(number)
            index.update(live[f"a{number}"])
    fresh = KbIndex(sorted(live.values(), key=lambda a: a.id))
    assert len(index) == len(fresh) == len(live)
    for query in ("password email", "refund order", "card app login", "security", "invoice delivery profile"):
        churned = [(c.article_id, round(c.confidence, 9), round(c.score, 9)) for c in rank(query, index)]
        built = [(c.article_id, round(c.confidence, 9), round(c.score, 9)) for c in rank(query, fresh)]
        assert churned == built, query
    assert index.unit_capacity <= 4 * 40  # freed unit ids were reused, not leaked
