"""Ranking a query against the index, and a confidence in [0, 1] for each candidate article.

Two stages, so that a query costs the postings of its own terms and not the size of the KB:

1. Retrieval: BM25 over every unit (title, each alternative phrasing, body) through the inverted index. Each query
   term counts once per unit, through the best of the KB terms it may stand for (itself, a prefix relative, a typo
   neighbour), weighted by that term's rarity across articles, so "password" outweighs "my". An article scores the
   best of its phrasings plus a fraction of its body's score: a visitor's question is usually a rephrasing of one
   of the article's questions, and the body only confirms it.
2. Confidence, for the few best articles only, the product of
   - coverage: the geometric mean of the article's retrieval score over the score the query would get against
     itself (how much of the query's weight it matched, BM25-saturated) and the best IDF-weighted F-measure between
     the query and one of the article's units (which also asks how much of that unit the query covers);
   - share: the article's share of a softmax over the candidates' normalised scores, or over their coverages,
     whichever is smaller. A query that half-matches several articles equally is not a confident match for any.
   Both factors are ratios, so the confidence means the same on a KB of 30 articles and of 10,000. The candidates
   come back ordered by confidence, the order the bot offers them in.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np
import numpy.typing as npt

from chatsvc.domain.matching.index import BODY, PHRASE, KbIndex
from chatsvc.domain.matching.text import terms

ACRONYM_CLOSENESS = 0.9
# Terms in more than a quarter of the articles, and in more than a hundred, are not looked up in bodies: there they
# say little (BM25's IDF is at most ln 4) and theirs are the longest posting lists, most of the cost of a query on
# a large KB. Small KBs (up to 400 articles) are always scored in full.
COMMON_IN_BODIES = 0.25
COMMON_MIN_ARTICLES = 100


@dataclasses.dataclass(frozen=True)
class Scoring:
    """The matcher's fixed knobs: textbook BM25 values and a few ratios, none fitted to a particular KB."""

    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation
    body_weight: float = 0.3  # a body match counts this much of a phrasing match when ranking
    body_similarity: float = 0.7  # and a body covering the query is worth this much of a phrasing covering it
    rerank: int = 8  # articles whose confidence is worked out; the softmax runs over these
    # Temperature of the softmaxes behind the share (over scores / the query's own score, and over coverages).
    temperature: float = 0.1


DEFAULT_SCORING = Scoring()


@dataclasses.dataclass(frozen=True)
class Candidate:
    article_id: str
    confidence: float  # in [0, 1]: coverage x share, what the decision thresholds compare
    coverage: float  # in [0, 1]: how well the article and the query cover each other, ignoring other articles
    share: float  # in [0, 1]: how clearly it beats the other candidates
    score: float  # retrieval score (BM25): the first stage keeps the best few by it


@dataclasses.dataclass(frozen=True)
class QueryTerm:
    term: str
    count: int
    # IDF of the best KB term it stands for; a word the KB lacks weighs as a word no article has.
    weight: float
    expansion: tuple[tuple[str, float], ...]  # (KB term, closeness in (0, 1])


def query_terms(query: str, index: KbIndex) -> list[QueryTerm]:
    """The query's terms with what each may stand for in the KB."""
    counts = Counter(terms(query))
    closeness_of: dict[str, float] = {}  # terms that come from spelling out an acronym, and how surely
    for term in list(counts):
        if term in index.vocabulary or not 3 <= len(term) <= 4 or not term.isalpha() or index.expand(term):
            continue
        spellings = index.spell_out(term)
        if not spellings:
            continue
        count = counts.pop(term)  # an acronym: the words it may stand for replace it
        for spelled in spellings:
            for word in spelled:
                counts[word] += count
                closeness_of[word] = max(closeness_of.get(word, 0.0), ACRONYM_CLOSENESS / len(spellings))
    result = []
    for term, count in counts.items():
        expansion = index.expand(term)
        scale = closeness_of.get(term, 1.0)
        if scale < 1.0:
            expansion = tuple((kb_term, closeness * scale) for kb_term, closeness in expansion)
        if expansion:
            weight = max(index.idf(kb_term) * closeness for kb_term, closeness in expansion)
        else:
            # Unknown to the KB: it still counts in the query's weight, so a question whose main words the KB
            # lacks does not look well covered by an article sharing its minor ones.
            weight = index.idf(term)
        result.append(QueryTerm(term, count, weight, expansion))
    return result


def rank(query: str, index: KbIndex, limit: int = 5, scoring: Scoring = DEFAULT_SCORING) -> list[Candidate]:
    """The best ``limit`` articles for ``query``, best first; empty when no word of it is in the KB."""
    qterms = query_terms(query, index)
    if not qterms or len(index) == 0:
        return []
    # The best few, ties broken by id so that the ranking does not depend on the order articles were added in.
    top = _retrieve(qterms, index, scoring, max(limit, scoring.rerank))
    if not top:
        return []
    self_score = _self_score(qterms, index, scoring)
    coverages = [
        math.sqrt(min(1.0, score / self_score) * _similarity(qterms, article_id, index, scoring))
        for article_id, score in top
    ]

    def softmax(keys: list[float]) -> list[float]:
        best = max(keys)
        weights = [math.exp((key - best) / scoring.temperature) for key in keys]
        total = sum(weights)
        return [w / total for w in weights]

    # Clearly ahead only if ahead on both: BM25 alone rewards the shortest title sharing one common word
    # ("account" -> "Close my account"), coverage alone ignores how the rare words are spread.
    by_score = softmax([score / self_score for _, score in top])
    by_coverage = softmax(coverages)
    shares = [min(a, b) for a, b in zip(by_score, by_coverage, strict=True)]
    candidates = [
        Candidate(article_id, min(1.0, coverage * share), coverage, share, score)
        for (article_id, score), coverage, share in zip(top, coverages, shares, strict=True)
    ]
    candidates.sort(key=lambda c: (-c.confidence, -c.score, c.article_id))
    return candidates[:limit]


def _retrieve(
    qterms: list[QueryTerm], index: KbIndex, scoring: Scoring, count: int
) -> list[tuple[str, float]]:
    """The ``count`` best (article id, score): best phrasing's BM25 + body_weight x body's BM25; ties by id."""
    k1, b = scoring.k1, scoring.b
    phrase = np.zeros(index.unit_capacity)  # by phrasing unit id
    body = np.zeros(len(index.slots))  # by article slot
    common = max(len(index) * COMMON_IN_BODIES, COMMON_MIN_ARTICLES)
    for postings, scores, field in ((index.phrases, phrase, PHRASE), (index.bodies, body, BODY)):
        base, per_length = k1 * (1.0 - b), k1 * b / index.average_length(field)
        for qterm in qterms:
            if field == BODY and all(index.vocabulary.df(t) > common for t, _ in qterm.expansion):
                continue
            # Per unit, the query term counts once, through the best KB term it stands for.
            best: npt.NDArray[np.float64] | None = None
            for kb_term, closeness in qterm.expansion:
                found = postings.arrays(kb_term)
                if found is None:
                    continue
                factor = index.idf(kb_term) * closeness * (k1 + 1.0)
                values = factor * found.counts / (found.counts + base + per_length * found.lengths)
                if len(qterm.expansion) == 1:
                    scores[found.positions] += values  # positions are distinct within one term's list
                    break
                if best is None:
                    best = np.zeros(len(scores))
                best[found.positions] = np.maximum(best[found.positions], values)
            if best is not None:
                scores += best
    articles = np.zeros(len(index.slots))
    hit = np.flatnonzero(phrase)
    np.maximum.at(articles, index.unit_slots[hit], phrase[hit])
    articles += scoring.body_weight * body
    candidates = np.flatnonzero(articles)
    if not len(candidates):
        return []
    values = articles[candidates]
    if len(candidates) > count:
        floor = np.partition(values, len(values) - count)[len(values) - count]
        keep = values >= floor  # all those tied with the last one kept, so that ids decide between them
        candidates, values = candidates[keep], values[keep]
    slot_key = index.slots.key
    found_scores = [
        (slot_key(int(slot)), float(value)) for slot, value in zip(candidates, values, strict=True)
    ]
    return sorted(found_scores, key=lambda item: (-item[1], item[0]))[:count]


def _self_score(qterms: list[QueryTerm], index: KbIndex, scoring: Scoring) -> float:
    """The retrieval score the query would get against a phrasing identical to it: the scale of its scores."""
    k1, b = scoring.k1, scoring.b
    length = sum(q.count for q in qterms)
    norm = k1 * (1.0 - b + b * length / index.average_length(PHRASE))
    total = sum(q.weight * q.count * (k1 + 1.0) / (q.count + norm) for q in qterms)
    return total if total > 0 else 1.0


def _similarity(qterms: list[QueryTerm], article_id: str, index: KbIndex, scoring: Scoring) -> float:
    """Best IDF-weighted F-measure between the query and one unit of the article (a body: query coverage only)."""
    query_total = sum(q.weight for q in qterms)
    if not query_total:
        return 0.0
    best = 0.0
    for unit_id in index.units_of(article_id):
        unit = index.unit(unit_id)
        tf = unit.tf
        covered = 0.0
        hit = 0.0
        for qterm in qterms:
            closeness = 0.0
            for kb_term, c in qterm.expansion:
                if kb_term in tf:
                    closeness = max(closeness, c)
            covered += qterm.weight * closeness
        recall = covered / query_total
        if unit.field == BODY:
            value = scoring.body_similarity * recall
        else:
            matched = {kb_term for q in qterms for kb_term, _ in q.expansion if kb_term in tf}
            hit = sum(index.idf(t) * tf[t] for t in matched)
            total = index.weight(unit_id)
            precision = hit / total if total else 0.0
            value = 2.0 * recall * precision / (recall + precision) if recall + precision else 0.0
        best = max(best, value)
    return best
