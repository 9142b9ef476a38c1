"""Does the visitor ask for a person? French and English, with or without accents, typos tolerated.

The bot calls this before looking at the KB: someone who writes "un humain svp" or "talk to someone" wants the
queue, not the article that best matches "talk". Three shapes are recognised, each common in support chats:

- the message is only a person, give or take politeness: "agent", "un vrai humain svp", "a real person please";
- a verb of talking or of being put through, followed closely by a person: "je veux parler à un conseiller",
  "can I speak with someone", "passez-moi quelqu'un", "connect me to an agent";
- a fixed request: to be called ("appelez-moi", "rappelez-moi", "call me back", "être rappelé"), to be put in
  touch ("mettez-moi en relation"), for a real or live person ("une vraie personne", "a live agent").

Mentioning people is not enough ("How do I add a user?", "tu es un robot ?", "personne ne répond"): a person noun
must be what the message asks for. Typos are tolerated with rapidfuzz on words of five letters or more, where one
slip cannot turn a word into another of these.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from chatsvc.domain.matching.stopwords import lexicon
from chatsvc.domain.matching.text import fold

# Who a visitor may ask for. "support" and "service client" only count after a verb of talking: "contacter le
# support par écrit" is a question the KB may answer.
PEOPLE = lexicon(
    """
    humain humains humaine human humans person personne persone someone somebody quelquun qqn qqun
    conseiller conseillere conseillers conseilleur advisor adviser agent agents operateur operatrice operator
    representative rep technicien technicienne technician interlocuteur vendeur vendeuse employe staff
    responsable manager superviseur supervisor
    """
)
TEAMS = lexicon("support service client clientele customer sav hotline helpdesk")
# Verbs after which a person is what is asked for: talking, being put through, having, wanting.
TALK = lexicon(
    """
    parler parle parlez parles discuter discute echanger talk talking speak speaking spoke chat chatting
    """
)
REACH = lexicon(
    """
    avoir passer passez passe mettre mettez mets joindre contacter contacte transferer transferez transfere
    connect connecte connecter put transfer reach get give need want veux voudrais voudrait aimerais souhaite
    faut besoin demande
    """
)
# Words that may sit between the verb and the person, or around a lone person, without changing the request.
FILLER = lexicon(
    """
    a au aux avec un une des du de la le les l d me moi m je j nous on vous tu te
    to with a an the some someone me i my please pls plz now right just can could you your real live actual
    vrai vraie vrais veritable en chair os direct directement svp stp plait sil merci bonjour salut hello hi hey
    ok oui yes mais but juste seulement please thanks thank through over
    """
)
REAL = lexicon("vrai vraie vrais vraies veritable real live actual")
# Fixed requests, matched on folded text with flexible spacing and hyphens. Not "au téléphone" or "callback":
# "personne ne répond au téléphone", "a callback URL" are not requests.
PHRASES = (
    r"\b(?:r?appell?ez|r?appelle|r?appeler|rappel+e|rappelez)[- ]+(?:moi|nous)\b",
    r"\b(?:me|nous) (?:r?appell?er|r?appeler|rappeler|r?appelle[rz]?)\b",
    r"\betre r?appell?ee?s?\b",
    r"\bdemande de rappel\b",
    r"\b(?:en|la) relation avec\b",
    r"\bmettre en relation\b",
    r"\bmise en relation\b",
    r"\b(?:mettez|mets|mettre)[- ](?:moi|nous) en relation\b",
    r"\bcall (?:me|us)\b",
    r"\bgive (?:me|us) a (?:call|ring)\b",
)
_PHRASES = re.compile("|".join(PHRASES))
_QUELQUUN = re.compile(r"\bquelqu(?:'| )?un\b|\bqq ?1\b")
_WORD = re.compile(r"[a-z0-9]+")
REACH_WINDOW = 5  # at most this many words between the verb and the person
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 80.0


@lru_cache(maxsize=4096)
def _is(word: str, lexicon: frozenset[str]) -> bool:
    if word in lexicon:
        return True
    if len(word) < FUZZY_MIN_LENGTH:
        return False
    # A slip keeps the length within one letter: "conseillé" is "conseiller", "personal" is not "person".
    candidates = [w for w in lexicon if len(w) >= FUZZY_MIN_LENGTH and abs(len(w) - len(word)) <= 1]
    return process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF) is not None


def _tokens(text: str) -> list[str]:
    return _WORD.findall(_QUELQUUN.sub("quelquun", fold(text)))


def wants_human(text: str) -> bool:
    """True when the message asks to be put through to a person."""
    tokens = _tokens(text)
    if not tokens:
        return False
    if _PHRASES.search(" ".join(tokens)):
        return True
    people = [i for i, t in enumerate(tokens) if _is(t, PEOPLE)]
    if not people and not any(t in TEAMS for t in tokens):
        return False
    # Only a person, and words that do not change the request: "agent", "un vrai humain svp".
    if people and all(i in people or tokens[i] in FILLER for i in range(len(tokens))):
        return True
    for i, token in enumerate(tokens):
        talk = _is(token, TALK)
        if not talk and not _is(token, REACH):
            continue
        for j in range(i + 1, min(len(tokens), i + 2 + REACH_WINDOW)):
            if j in people or (talk and tokens[j] in TEAMS):
                if not talk and j + 1 < len(tokens) and tokens[j + 1] == "to":
                    break  # "I need someone to check my transfer": a task, not a person to talk to
                if all(tokens[k] in FILLER or tokens[k] in REAL for k in range(i + 1, j)):
                    return True
    # "une vraie personne", "a live agent": a real person, wherever it is asked for.
    return any(tokens[i - 1] in REAL for i in people if i > 0)
