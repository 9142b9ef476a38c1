"""The reference the matcher is measured against, in the same run: one rapidfuzz call per query.

``rapidfuzz.process.extractOne`` with ``fuzz.token_set_ratio`` and ``utils.default_process`` over every title and
alternative phrasing; the bot would offer the best one's article when its score is at least 70.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

from chatsvc.domain.matching import Article

OFFER_AT = 70.0


class Baseline:
    def __init__(self, articles: Sequence[Article]) -> None:
        self._choices: list[str] = []
        self._owners: list[str] = []
        for article in articles:
            for text in (article.title, *article.alt):
                self._choices.append(text)
                self._owners.append(article.id)

    def best(self, query: str) -> tuple[str | None, float]:
        """The best phrasing's article and its score (0-100); (None, 0) for an empty KB or query."""
        found = process.extractOne(
            query, self._choices, scorer=fuzz.token_set_ratio, processor=utils.default_process
        )
        if found is None:
            return None, 0.0
        _, score, position = found
        return self._owners[position], float(score)

    def offers(self, score: float) -> bool:
        return score >= OFFER_AT

    def ranked(self, query: str, limit: int = 3) -> list[str]:
        """Distinct articles of the best-scoring phrasings, best first (for top-3; not timed)."""
        found = process.extract(
            query, self._choices, scorer=fuzz.token_set_ratio, processor=utils.default_process, limit=None
        )
        articles: list[str] = []
        for _, _, position in found:
            owner = self._owners[position]
            if owner not in articles:
                articles.append(owner)
                if len(articles) == limit:
                    break
        return articles
