"""Asking for a person, in French and English, with and without accents, with typos: straight to the queue."""

from __future__ import annotations

import pytest

from chatsvc.domain.intent import wants_human

ASKS = [
    # French
    "humain",
    "un humain svp",
    "un vrai humain",
    "un vrai humain s'il vous plaît",
    "conseiller",
    "je veux parler à un conseiller",
    "je veux parler a un conseiller",
    "Je voudrais parler à quelqu'un",
    "parler a quelqu un",
    "je peux parler à une vraie personne ?",
    "passez-moi un conseiller",
    "est-ce que je peux avoir quelqu'un au téléphone",
    "appelez-moi s'il vous plaît",
    "rappelez moi svp",
    "je voudrais être rappelé par un technicien",
    "mettez-moi en relation avec le service client",
    "je veux parler au service client",
    "agent",
    # English
    "human",
    "agent please",
    "talk to someone",
    "I want to talk to someone",
    "a real person",
    "Can I speak with a human?",
    "let me talk to a real person please",
    "connect me to an agent",
    "transfer me to an operator",
    "I need a human",
    "call me back",
    "can you call me",
    "talk to customer service",
]

TYPOS = [
    "je veux parlé a un conseillé",
    "je veux parler a un conseiler",
    "un vrai humin",
    "can i talk to a humann",
    "speak to a represenative",
]

NOT_ASKS = [
    "tu es un robot ?",
    "personne ne répond au téléphone de la boutique",
    "How do I add a user to my account?",
    "Any way to contact a user on Github?",
    "Can someone assist me with activating my card?",
    "I want to change my personal details.",
    "I need someone to check why my transfer is pending",
    "contacter le support par écrit",
    "comment changer mon mot de passe",
    "agenda partagé",
    "How do I set a callback URL?",
    "I missed a phone call from you",
    "",
]


@pytest.mark.parametrize("text", ASKS)
def test_asking_for_a_person(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", TYPOS)
def test_asking_for_a_person_with_typos(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", NOT_ASKS)
def test_mentioning_people_is_not_asking_for_one(text: str) -> None:
    assert not wants_human(text)


def test_accents_and_case_do_not_matter() -> None:
    assert wants_human("PARLER À UN CONSEILLER") and wants_human("parler a un conseiller")
    assert wants_human("Un Humain") and wants_human("un humain")
