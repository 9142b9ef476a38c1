"""A light stemmer for folded French and English words: plural and common inflection endings only.

Queries do not say their language, so one set of rules serves both; it is deliberately timid (it only removes an
ending when a stem of at least three or four letters remains) because a wrong conflation costs more than a missed
one: what it misses, the index's prefix and fuzzy term matching still catches ("confirmation" / "confirm").
"""

from __future__ import annotations

# Endings tried in this order, each with the shortest stem it may leave. French infinitives and participles
# ("changer", "changez", "livree"), English participles ("activating", "activated"), adverbs of manner
# ("changement", "statement"), nominalisations ("activation", "transaction").
_ENDINGS: tuple[tuple[str, int], ...] = (
    ("ement", 4),
    ("ment", 4),
    ("ion", 4),
    ("ing", 3),
    ("ed", 3),
    ("ee", 4),
    ("er", 4),
    ("ez", 4),
)
_VOWELS = frozenset("aeiouy")


def _undouble(word: str) -> str:
    """ "cancell(ed)" -> "cancel", "transferr(ed)" -> "transfer"; short stems keep theirs ("bill", "pass")."""
    if len(word) >= 5 and word[-1] == word[-2] and word[-1] not in _VOWELS and word[-1] != "s":
        return word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("eaux"):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stem(word: str) -> str:
    """Stem of a folded word; digits and words of three letters or fewer are returned as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = _plural(word)
    for ending, shortest in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= shortest:
            if ending == "ed" and word.endswith("eed"):
                break  # "speed", "need": not a participle
            word = word[: -len(ending)]
            if ending in (
                "ing",
                "ed",
            ):  # English doubles a consonant before these; French keeps "abonn-" whole
                word = _undouble(word)
                if word.endswith("er") and len(word) - 2 >= 4:
                    word = word[:-2]  # "transferred" -> "transfer" -> "transf", as "transfer" itself
            break
    if word.endswith("e") and len(word) - 1 >= 3:
        word = word[:-1]  # "activate" / "activat(ed)", "commande" / "command", "livre(e)" / "livr(er)"
    return word
