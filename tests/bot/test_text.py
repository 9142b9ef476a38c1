"""Normalisation: what visitors omit (accents, apostrophes, capitals, plurals) is omitted from the KB too."""

from __future__ import annotations

from chatsvc.domain.matching.stem import stem
from chatsvc.domain.matching.text import acronyms, fold, terms, words


def test_fold_removes_case_accents_and_ligatures() -> None:
    assert fold("Élève À L'ÉCOLE, cœur") == "eleve a l'ecole, coeur"
    assert fold("Réinitialiser") == fold("reinitialiser") == fold("REINITIALISER")


def test_typographic_apostrophes_are_plain() -> None:
    assert words("l’adresse") == words("l'adresse") == ["adresse"]


def test_french_elisions_lose_their_clitic() -> None:
    assert words("l'adresse d'expédition") == ["adresse", "expedition"]
    assert words("qu'il s'inscrive jusqu'au lundi") == ["il", "inscrive", "au", "lundi"]
    assert terms("j'ai oublié l'identifiant") == terms("oublie identifiant")


def test_english_contractions_lose_their_tail() -> None:
    assert words("the card's PIN doesn't work") == ["the", "card", "pin", "does", "work"]


def test_plurals_meet_singulars() -> None:
    assert terms("factures") == terms("facture")
    assert terms("cards") == terms("card")
    assert terms("companies") == terms("company")
    assert terms("les nouveaux comptes") == terms("nouveau compte")


def test_inflections_meet() -> None:
    assert stem("activating") == stem("activated") == stem("activate")
    assert stem("changer") == stem("changement") == stem("change") == stem("changez")
    assert stem("cancelled") == stem("cancel")
    assert stem("abonnement") == stem("abonner") == stem("abonne")


def test_short_words_and_digits_are_left_alone() -> None:
    assert stem("pin") == "pin"
    assert stem("2024") == "2024"


def test_english_stop_words_are_dropped() -> None:
    assert terms("How do I reset my password?") == ["reset", "password"]


def test_french_stop_words_are_dropped() -> None:
    assert terms("Comment est-ce que je peux changer mon mot de passe ?") == ["chang", "mot", "pass"]
    assert terms("bonjour, merci beaucoup !") == ["beaucoup"]


def test_informal_french_without_apostrophes() -> None:
    assert terms("jai pas recu le mail") == terms("je n'ai pas reçu le mail")


def test_stop_words_follow_the_language() -> None:
    # "comment" is a French stop word, but an English noun: an English text keeps it.
    assert "comment" in terms("How do I delete a comment?")
    assert "comment" in terms("delete a comment", lang="en")
    assert "comment" not in terms("comment supprimer", lang="fr")


def test_acronyms_of_titles() -> None:
    assert ("mdp", ("mot", "pass")) in acronyms("Changer mon mot de passe", "fr")
    assert ("rib", ("relev", "identit", "bancair")) in acronyms("Relevé d'identité bancaire", "fr")
