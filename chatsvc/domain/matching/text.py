"""Text normalization shared by the index and the queries: fold, split, drop stop words, stem lightly.

Both sides go through the same function, so whatever visitors omit (accents, apostrophes, capitals, plural
endings) is omitted from the KB too and the two meet in the middle. Nothing here knows any KB's vocabulary.
"""

from __future__ import annotations

import re
import unicodedata

from chatsvc.domain.matching.stem import stem
from chatsvc.domain.matching.stopwords import ENGLISH, FRENCH

# Ligatures that NFKD leaves whole.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_APOSTROPHES = re.compile(r"[’‘`´ʼ′]")
# French elisions ("l'adresse", "qu'il", "jusqu'au") lose their clitic: it is a stop word, and "l'adresse" must
# meet "adresse". English contractions lose their tail for the same reason ("card's" meets "card").
_ELISION = re.compile(r"\b(?:l|d|j|m|t|s|c|n|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=\w)")
_CONTRACTION = re.compile(r"(?<=\w)(?:n't|'s|'re|'ve|'ll|'d|'m)\b")
_TOKEN = re.compile(r"[a-z0-9]+")
ACRONYM_WORDS = (3, 4)  # two-letter acronyms would collide with too many pairs of words


def fold(text: str) -> str:
    """Lower case, no accents, typographic apostrophes made plain: the form every comparison uses."""
    text = _APOSTROPHES.sub("'", text.translate(_LIGATURES))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words with elisions and contractions removed, punctuation dropped; stop words kept."""
    folded = _CONTRACTION.sub("", _ELISION.sub("", fold(text)))
    return _TOKEN.findall(folded)


def stop_words_for(lang: str | None, tokens: list[str]) -> frozenset[str]:
    """The stop list for a text's language; guessed from the words when the language is not given.

    The lists overlap with content words of the other language ("comment", "car", "son"), so a text is filtered
    with its own language's list only; when the guess is a tie, with both.
    """
    if lang:
        code = lang.lower()[:2]
        if code == "fr":
            return FRENCH
        if code == "en":
            return ENGLISH
    french = sum(1 for t in tokens if t in FRENCH and t not in ENGLISH)
    english = sum(1 for t in tokens if t in ENGLISH and t not in FRENCH)
    if french > english:
        return FRENCH
    if english > french:
        return ENGLISH
    return FRENCH | ENGLISH


def terms(text: str, lang: str | None = None) -> list[str]:
    """Index terms of ``text``, in order: words minus stop words and one-letter words, lightly stemmed."""
    tokens = words(text)
    stops = stop_words_for(lang, tokens)
    return [stem(t) for t in tokens if t not in stops and (len(t) > 1 or t.isdigit())]


def acronyms(text: str, lang: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(acronym, index terms) for each run of three or four words that starts and ends with a content word.

    "Changer mon mot de passe" gives ("mdp", ("mot", "pass")) among others: visitors write "mdp", "cb", "2fa"
    for what articles spell out, and an acronym is only ever looked up for a word the KB does not have.
    """
    tokens = words(text)
    stops = stop_words_for(lang, tokens)
    found: list[tuple[str, tuple[str, ...]]] = []
    for start, first in enumerate(tokens):
        if first in stops or not first.isalpha():
            continue
        for size in ACRONYM_WORDS:
            window = tokens[start : start + size]
            if len(window) < size or window[-1] in stops or not all(w.isalpha() for w in window):
                continue
            content = tuple(stem(w) for w in window if w not in stops and len(w) > 1)
            found.append(("".join(w[0] for w in window), content))
    return found
