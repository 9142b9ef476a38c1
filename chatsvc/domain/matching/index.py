"""The KB index: each article cut into units (its title, each alternative phrasing, its body), an inverted index
from term to units, and the statistics scoring needs (article frequency of each term, average unit lengths).

Built once from the KB and then kept current one article at a time: ``add``, ``update`` and ``remove`` touch only
that article's units and counts, and every statistic is a running total, so no change ever rebuilds the rest and no
query ever rebuilds anything.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np

from chatsvc.domain.matching.article import Article
from chatsvc.domain.matching.postings import FieldPostings, Ints, Slots
from chatsvc.domain.matching.text import acronyms, terms
from chatsvc.domain.matching.vocabulary import Expansion, Vocabulary

PHRASE = "phrase"  # the title and each alternative phrasing: short, each a whole question
BODY = "body"  # the answer: long, mentions the question's words among many others


@dataclasses.dataclass(frozen=True)
class Unit:
    """One searchable piece of an article."""

    article_id: str
    field: str  # PHRASE or BODY
    tf: dict[str, int]  # term -> count in this unit
    length: int  # number of terms


class KbIndex:
    """Mutable, in-memory index of a KB. Not thread-safe: one writer, or a copy per reader."""

    def __init__(self, articles: Iterable[Article] = ()) -> None:
        self._articles: dict[str, Article] = {}
        self._units: dict[int, Unit] = {}
        self._article_units: dict[str, tuple[int, ...]] = {}
        self._article_terms: dict[str, frozenset[str]] = {}
        self._article_acronyms: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self._acronyms: dict[str, Counter[tuple[str, ...]]] = {}  # acronym -> spelled-out terms -> articles
        # Postings per field: phrasings by unit id, bodies (one per article) by article slot. Ids and slots are
        # small integers, reused once freed, so that a query's scores fit in arrays of the KB's size.
        self.phrases = FieldPostings()
        self.bodies = FieldPostings()
        self.slots = Slots()  # article id <-> slot
        self._free_units: list[int] = []
        self._unit_slot: Ints = np.zeros(64, dtype=np.int64)  # phrasing unit id -> its article's slot
        self._field_length: Counter[str] = Counter()  # sum of unit lengths per field
        self._field_units: Counter[str] = Counter()  # number of non-empty units per field
        self._next_unit = 0  # one more than the highest unit id ever handed out
        self.vocabulary = Vocabulary()
        # Caches of values derived from the counts, filled by queries and emptied by any change (every IDF moves
        # when the number of articles does): a change costs their refill, never a pass over the KB.
        self._idf: dict[str, float] = {}
        self._weight: dict[int, float] = {}
        for article in articles:
            self.add(article)

    # -- reading --------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def __iter__(self) -> Iterator[Article]:
        return iter(self._articles.values())

    def get(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def unit(self, unit_id: int) -> Unit:
        return self._units[unit_id]

    def units_of(self, article_id: str) -> tuple[int, ...]:
        return self._article_units.get(article_id, ())

    @property
    def unit_capacity(self) -> int:
        """Size of an array indexed by phrasing unit id."""
        return self._next_unit

    @property
    def unit_slots(self) -> Ints:
        """Phrasing unit id -> its article's slot (entries of freed ids are stale: index only live ones)."""
        return self._unit_slot

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency over articles: rare terms weigh more, never below zero."""
        value = self._idf.get(term)
        if value is None:
            n = len(self._articles)
            df = self.vocabulary.df(term)
            value = self._idf[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return value

    def weight(self, unit_id: int) -> float:
        """Sum of the IDF of a unit's terms (with repeats): the denominator of how much of it a query covers."""
        value = self._weight.get(unit_id)
        if value is None:
            idf = self.idf
            value = self._weight[unit_id] = sum(idf(t) * n for t, n in self._units[unit_id].tf.items())
        return value

    def average_length(self, field: str) -> float:
        units = self._field_units[field]
        return self._field_length[field] / units if units else 1.0

    def expand(self, term: str) -> Expansion:
        return self.vocabulary.expand(term)

    def spell_out(self, acronym: str, limit: int = 3) -> tuple[tuple[str, ...], ...]:
        """What an acronym of the KB's titles and phrasings may stand for ("mdp" -> (mot, pass)), most used first.

        Acronyms collide ("mdp": "mot de passe", "moyens de paiement"), so all spellings come back, up to
        ``limit``; the query's other words decide between them.
        """
        spellings = self._acronyms.get(acronym)
        if not spellings:
            return ()
        ordered = sorted(spellings.items(), key=lambda item: (-item[1], item[0]))
        return tuple(spelled for spelled, _ in ordered[:limit])

    # -- changing -------------------------------------------------------------------------------------------

    def add(self, article: Article) -> None:
        """Index a new article; an article with the same id is replaced (see :meth:`update`)."""
        if article.id in self._articles:
            self.remove(article.id)
        self._changed()
        slot = self.slots.take(article.id)
        texts = [(PHRASE, article.title), *((PHRASE, alt) for alt in article.alt), (BODY, article.body)]
        unit_ids: list[int] = []
        all_terms: set[str] = set()
        for field, text in texts:
            unit_terms = terms(text, article.lang)
            if not unit_terms:
                continue
            unit_id = self._new_unit()
            tf = Counter(unit_terms)
            self._units[unit_id] = Unit(article.id, field, dict(tf), len(unit_terms))
            if field == BODY:
                self.bodies.add(slot, tf, len(unit_terms))
            else:
                self.phrases.add(unit_id, tf, len(unit_terms))
                self._unit_slot[unit_id] = slot
            self._field_length[field] += len(unit_terms)
            self._field_units[field] += 1
            unit_ids.append(unit_id)
            all_terms.update(tf)
        found = {pair for text in (article.title, *article.alt) for pair in acronyms(text, article.lang)}
        for acronym, spelled in found:
            self._acronyms.setdefault(acronym, Counter())[spelled] += 1
        self._article_acronyms[article.id] = tuple(found)
        self._articles[article.id] = article
        self._article_units[article.id] = tuple(unit_ids)
        self._article_terms[article.id] = frozenset(all_terms)
        self.vocabulary.add(all_terms)

    def _new_unit(self) -> int:
        if self._free_units:
            return self._free_units.pop()
        unit_id = self._next_unit
        self._next_unit += 1
        if unit_id >= len(self._unit_slot):  # grow by doubling: amortised O(1) per unit
            self._unit_slot = np.concatenate(
                [self._unit_slot, np.zeros(len(self._unit_slot), dtype=np.int64)]
            )
        return unit_id

    def _changed(self) -> None:
        if self._idf:
            self._idf = {}
        if self._weight:
            self._weight = {}

    def update(self, article: Article) -> None:
        """Replace the article with the same id (or add it): only its own units are re-indexed."""
        self.add(article)

    def remove(self, article_id: str) -> bool:
        """Drop an article; False when there was none with that id."""
        if article_id not in self._articles:
            return False
        self._changed()
        slot = self.slots.slot(article_id)
        for unit_id in self._article_units.pop(article_id):
            unit = self._units.pop(unit_id)
            if unit.field == BODY:
                self.bodies.remove(slot, unit.tf)
            else:
                self.phrases.remove(unit_id, unit.tf)
            self._free_units.append(unit_id)
            self._field_length[unit.field] -= unit.length
            self._field_units[unit.field] -= 1
        self.vocabulary.remove(self._article_terms.pop(article_id))
        for acronym, spelled in self._article_acronyms.pop(article_id):
            spellings = self._acronyms[acronym]
            spellings[spelled] -= 1
            if spellings[spelled] <= 0:
                del spellings[spelled]
            if not spellings:
                del self._acronyms[acronym]
        del self._articles[article_id]
        self.slots.release(article_id)
        return True
