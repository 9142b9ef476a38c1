"""KB matching for the bot, pure: normalise text, index articles, rank them for a query, decide what to offer.

The server builds one :class:`KbIndex` from its articles, keeps it current with ``add`` / ``update`` / ``remove``
as articles change, and calls :func:`decide` for each visitor message.
"""

from __future__ import annotations

from chatsvc.domain.matching.article import Article
from chatsvc.domain.matching.decision import (
    DEFAULT_THRESHOLDS,
    Action,
    Decision,
    Thresholds,
    decide,
)
from chatsvc.domain.matching.index import KbIndex
from chatsvc.domain.matching.scoring import DEFAULT_SCORING, Candidate, Scoring, rank

__all__ = [
    "DEFAULT_SCORING",
    "DEFAULT_THRESHOLDS",
    "Action",
    "Article",
    "Candidate",
    "Decision",
    "KbIndex",
    "Scoring",
    "Thresholds",
    "decide",
    "rank",
]
