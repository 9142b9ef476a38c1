"""What the bot does with a visitor's message: the one function the server's bot and the evaluation both call.

Order matters: a visitor asking for a person goes to the queue whatever the KB holds; otherwise the best article's
confidence picks between offering it, offering a few suggestions, and saying there is no answer (with a person
offered instead).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from chatsvc.domain import intent
from chatsvc.domain.matching.index import KbIndex
from chatsvc.domain.matching.scoring import DEFAULT_SCORING, Candidate, Scoring, rank

Action = Literal["answer", "suggest", "no_answer", "human"]

# Chosen with `python -m chatsvc.kbeval.thresholds` over the three labelled sets in tests/data (its docstring has
# the rule): `suggest` maximises the share of answerable questions offered their article first, averaged over the
# sets, with false offers at most 0.10 on average and 0.125 on every set; `answer` is the lowest confidence from
# which the top article is right at least 90% of the times it is offered, on every set. The same for every KB.
DEFAULT_ANSWER = 0.67
DEFAULT_SUGGEST = 0.52
MAX_SUGGESTIONS = 3
RANKED = 5  # candidates kept on the decision for logs and evaluation


@dataclasses.dataclass(frozen=True)
class Thresholds:
    answer: float = DEFAULT_ANSWER  # at or above: the bot offers the top article
    suggest: float = DEFAULT_SUGGEST  # at or above (and below answer): up to three suggestions
    max_suggestions: int = MAX_SUGGESTIONS

    def __post_init__(self) -> None:
        if not 0.0 <= self.suggest <= self.answer <= 1.0:
            raise ValueError("thresholds need 0 <= suggest <= answer <= 1")
        if self.max_suggestions < 1:
            raise ValueError("max_suggestions must be at least 1")


DEFAULT_THRESHOLDS = Thresholds()


@dataclasses.dataclass(frozen=True)
class Decision:
    action: Action
    offered: tuple[
        Candidate, ...
    ]  # what the bot shows: one for "answer", one to three for "suggest", else none
    ranked: tuple[Candidate, ...]  # the best candidates, whatever the action (none for "human": not searched)

    @property
    def confidence(self) -> float:
        """The best candidate's confidence; 0 when there is none."""
        return self.ranked[0].confidence if self.ranked else 0.0


def decide(
    query: str,
    index: KbIndex,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    scoring: Scoring = DEFAULT_SCORING,
) -> Decision:
    """The bot's move for one visitor message. Pure: reads the index, changes nothing."""
    if intent.wants_human(query):
        return Decision("human", (), ())
    ranked = tuple(rank(query, index, limit=max(RANKED, thresholds.max_suggestions), scoring=scoring))
    if not ranked or ranked[0].confidence < thresholds.suggest:
        return Decision("no_answer", (), ranked)
    top = ranked[0]
    if top.confidence >= thresholds.answer:
        return Decision("answer", (top,), ranked)
    # Unsure between a few: the top one, and the next ones that match as well on their own even though they
    # split the confidence with it (coverage ignores the other candidates, confidence does not).
    others = [c for c in ranked[1:] if c.coverage >= thresholds.suggest]
    return Decision("suggest", (top, *others[: thresholds.max_suggestions - 1]), ranked)
