"""The KB's vocabulary: how many articles use each term, and which KB terms a query term may stand for.

A visitor's word meets the KB's words in three ways, strongest first: the same term; a term that one of them
starts ("confirm" / "confirmat", what the light stemmer left apart); a term within a small edit distance
("pasword" / "password", the typos). Only the last two need a search through the vocabulary; their results are
cached per term until the vocabulary changes, so a word costs its search once, not once per query.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from rapidfuzz import fuzz, process

Expansion = tuple[tuple[str, float], ...]  # (KB term, how surely the query term means it, in (0, 1])

PREFIX_MIN = 5  # a shared start shorter than this says little ("card" / "cardigan")
PREFIX_MIN_SHARE = 0.5  # and the shorter term must be at least half of the longer
PREFIX_LIMIT = 16  # longer words starting with a query term, at most: keeps one lookup bounded
FUZZY_MIN_LENGTH = 4  # a typo in a three-letter word makes another word
FUZZY_CUTOFF = 80.0  # fuzz.ratio: one edit in a five-letter word (80), not in a four-letter one (75)
FUZZY_LIMIT = 3
CACHE_SIZE = 50_000  # cached expansions; cleared whole when full (a query's words repeat far less than that)


class Vocabulary:
    """Document frequencies over articles, kept up to date one article at a time."""

    def __init__(self) -> None:
        self._df: dict[str, int] = {}
        self._sorted: list[str] = []  # for prefix lookups (bisect) and as rapidfuzz's choice list
        self._cache: dict[str, Expansion] = {}

    def __len__(self) -> int:
        return len(self._df)

    def __contains__(self, term: object) -> bool:
        return term in self._df

    def df(self, term: str) -> int:
        return self._df.get(term, 0)

    def add(self, terms: Iterable[str]) -> None:
        """Count one more article using each of ``terms`` (distinct terms of that article)."""
        for term in terms:
            count = self._df.get(term, 0)
            self._df[term] = count + 1
            if count == 0:
                bisect.insort(self._sorted, term)
                self._cache.clear()

    def remove(self, terms: Iterable[str]) -> None:
        """Count one article fewer using each of ``terms``, as given to :meth:`add` for that article."""
        for term in terms:
            count = self._df[term] - 1
            if count:
                self._df[term] = count
            else:
                del self._df[term]
                del self._sorted[bisect.bisect_left(self._sorted, term)]
                self._cache.clear()

    def expand(self, term: str) -> Expansion:
        """KB terms ``term`` may stand for, each with a weight; empty when it matches nothing in the KB."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if term in self._df:
            found[term] = 1.0
        if len(term) >= PREFIX_MIN and term.isalpha():
            self._prefix_matches(term, found)
        if term not in self._df and len(term) >= FUZZY_MIN_LENGTH and term.isalpha():
            for choice, score, _ in process.extract(
                term, self._sorted, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT
            ):
                found[choice] = max(found.get(choice, 0.0), score / 100.0)
        expansion = tuple(sorted(found.items(), key=lambda item: -item[1]))
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[term] = expansion
        return expansion

    def _prefix_matches(self, term: str, found: dict[str, float]) -> None:
        # KB terms that this term starts, and KB terms that start this term, weighted by how much they share.
        start = bisect.bisect_left(self._sorted, term)
        for other in self._sorted[start : start + PREFIX_LIMIT]:
            if not other.startswith(term):
                break
            share = len(term) / len(other)
            if other != term and share >= PREFIX_MIN_SHARE:
                found[other] = max(found.get(other, 0.0), share)
        for end in range(PREFIX_MIN, len(term)):
            head = term[:end]
            share = end / len(term)
            if head in self._df and share >= PREFIX_MIN_SHARE:
                found[head] = max(found.get(head, 0.0), share)
