"""Reading a KB and a labelled query set from JSON Lines files.

KB lines are ``{"id", "title", "body", "alt": [...], "lang"}``; query lines ``{"query", "expected"}`` where
``expected`` is an article id, ``null`` (no article answers it) or ``"HUMAN"`` (the visitor asks for a person).
A malformed line stops the load with its file and line number rather than being skipped: a silently smaller set
would give figures that look fine and mean something else.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatsvc.domain.matching import Article

HUMAN = "HUMAN"


@dataclasses.dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected: str | None  # an article id, None when no article answers it, or HUMAN

    @property
    def kind(self) -> str:
        """ "answerable", "no_answer" or "human"."""
        if self.expected is None:
            return "no_answer"
        return "human" if self.expected == HUMAN else "answerable"


class DataError(ValueError):
    """A KB or query file that cannot be evaluated, with the place of the problem in the message."""


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(data, dict):
                raise DataError(f"{path}:{number}: expected a JSON object")
            yield number, data


def load_kb(path: str | Path) -> list[Article]:
    path = Path(path)
    articles: list[Article] = []
    seen: set[str] = set()
    for number, data in _lines(path):
        try:
            article = Article.from_mapping(data)
        except (TypeError, ValueError) as error:
            raise DataError(f"{path}:{number}: {error}") from None
        if article.id in seen:
            raise DataError(f"{path}:{number}: duplicate article id {article.id!r}")
        seen.add(article.id)
        articles.append(article)
    return articles


def load_queries(path: str | Path, article_ids: set[str] | None = None) -> list[LabelledQuery]:
    """The labelled queries; with ``article_ids``, every expected id must be one of them."""
    path = Path(path)
    queries: list[LabelledQuery] = []
    for number, data in _lines(path):
        query, expected = data.get("query"), data.get("expected")
        if not isinstance(query, str):
            raise DataError(f"{path}:{number}: 'query' must be a string")
        if "expected" not in data or not (expected is None or isinstance(expected, str)):
            raise DataError(f"{path}:{number}: 'expected' must be an article id, null or \"HUMAN\"")
        if article_ids is not None and expected not in (None, HUMAN) and expected not in article_ids:
            raise DataError(f"{path}:{number}: expected article {expected!r} is not in the KB")
        queries.append(LabelledQuery(query, expected))
    return queries
