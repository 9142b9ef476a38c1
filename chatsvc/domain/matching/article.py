"""A knowledge-base article as the matcher sees it: an id, a title, alternative phrasings and a body."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str = ""
    alt: tuple[str, ...] = ()  # other ways visitors ask the same question
    lang: str | None = None  # "fr", "en", ...; picks the stop-word list, guessed from the words when absent

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Article:
        """From a KB line ``{"id", "title", "body", "alt": [...], "lang"}``; ``body``, ``alt``, ``lang`` optional.

        Raises TypeError for a field of the wrong type, ValueError for a missing id.
        """
        article_id = data.get("id")
        title = data.get("title")
        if not isinstance(article_id, str) or not article_id:
            raise ValueError("an article needs a non-empty string 'id'")
        if not isinstance(title, str):
            raise TypeError(f"article {article_id!r}: 'title' must be a string")
        body = data.get("body") or ""
        alt = data.get("alt") or ()
        lang = data.get("lang") or None
        if not isinstance(body, str):
            raise TypeError(f"article {article_id!r}: 'body' must be a string")
        if not isinstance(alt, (list, tuple)) or not all(isinstance(a, str) for a in alt):
            raise TypeError(f"article {article_id!r}: 'alt' must be a list of strings")
        if lang is not None and not isinstance(lang, str):
            raise TypeError(f"article {article_id!r}: 'lang' must be a string")
        return cls(id=article_id, title=title, body=body, alt=tuple(alt), lang=lang)
