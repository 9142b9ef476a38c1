"""Run a labelled query set through the bot's own decision code and through the baseline, and count.

Definitions (each a share of the queries of one kind; ``None`` when the set has no query of that kind):

- ``top1`` / ``top3``: answerable queries whose article is ranked first / among the first three, whatever the
  thresholds (a query the bot sends to a person is still ranked, outside the timing, for these two).
- ``answered``: answerable queries for which the bot, at the thresholds given, offers the right article first
  (an answer card, or the first of its suggestions).
- ``false_offer_rate``: queries that no article answers for which the bot still offered one (card or suggestion).
- ``no_answer_recall``: those same queries for which it offered none (it said it had no answer, or put the
  visitor through to a person): ``1 - false_offer_rate``.
- ``human_recall``: queries asking for a person that went straight to the queue.
- ``p50_ms`` / ``p99_ms``: time of one decision (the bot) or one ``extractOne`` (the baseline), per query.
- ``n``: queries evaluated, of every kind. "HUMAN" queries count in neither ``top1`` nor ``false_offer_rate``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

from chatsvc.domain.matching import Article, KbIndex, Thresholds, decide, rank
from chatsvc.domain.matching.decision import DEFAULT_THRESHOLDS
from chatsvc.kbeval.baseline import Baseline
from chatsvc.kbeval.data import LabelledQuery

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Figures:
    top1: float | None
    top3: float | None
    answered: float | None
    false_offer_rate: float | None
    no_answer_recall: float | None
    human_recall: float | None
    p50_ms: float
    p99_ms: float
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Evaluation:
    matcher: Figures
    baseline: Figures
    build_ms: float  # building the matcher's index from the KB
    thresholds: Thresholds

    def as_json(self) -> dict[str, object]:
        """The object ``chatsvc kb eval`` prints: the matcher's figures, and the baseline's under "baseline"."""
        return {**_rounded(self.matcher.as_dict()), "baseline": _rounded(self.baseline.as_dict())}


def _rounded(figures: dict[str, float | int | None]) -> dict[str, float | int | None]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}


@dataclasses.dataclass
class _Tally:
    answerable: int = 0
    no_answer: int = 0
    human: int = 0
    top1: int = 0
    top3: int = 0
    answered: int = 0
    offered_no_answer: int = 0
    human_routed: int = 0
    timings_ns: list[int] = dataclasses.field(default_factory=list)

    def figures(self) -> Figures:
        def share(count: int, total: int) -> float | None:
            return count / total if total else None

        false_offer = share(self.offered_no_answer, self.no_answer)
        return Figures(
            top1=share(self.top1, self.answerable),
            top3=share(self.top3, self.answerable),
            answered=share(self.answered, self.answerable),
            false_offer_rate=false_offer,
            no_answer_recall=None if false_offer is None else 1.0 - false_offer,
            human_recall=share(self.human_routed, self.human),
            p50_ms=percentile(self.timings_ns, 50) / 1e6,
            p99_ms=percentile(self.timings_ns, 99) / 1e6,
            n=self.answerable + self.no_answer + self.human,
        )


def percentile(values: Sequence[int], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p% of the values at or below it)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(p / 100.0 * len(ordered)) - 1)])


def evaluate(
    articles: Sequence[Article],
    queries: Sequence[LabelledQuery],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    progress: Progress | None = None,
) -> Evaluation:
    started = time.perf_counter_ns()
    index = KbIndex(articles)
    build_ms = (time.perf_counter_ns() - started) / 1e6
    if progress:
        progress(f"index: {len(index)} articles, {len(index.vocabulary)} terms, built in {build_ms:.1f} ms")
    matcher = _evaluate_matcher(index, queries, thresholds, progress)
    baseline = _evaluate_baseline(Baseline(articles), queries, progress)
    return Evaluation(matcher, baseline, build_ms, thresholds)


def _report_every(total: int) -> int:
    return max(1, total // 4)


def _evaluate_matcher(
    index: KbIndex, queries: Sequence[LabelledQuery], thresholds: Thresholds, progress: Progress | None
) -> Figures:
    tally = _Tally()
    every = _report_every(len(queries))
    for number, item in enumerate(queries, start=1):
        started = time.perf_counter_ns()
        decision = decide(item.query, index, thresholds)
        tally.timings_ns.append(time.perf_counter_ns() - started)
        offered = bool(decision.offered)
        if item.kind == "human":
            tally.human += 1
            tally.human_routed += decision.action == "human"
        elif item.kind == "no_answer":
            tally.no_answer += 1
            tally.offered_no_answer += offered
        else:
            tally.answerable += 1
            ranked = decision.ranked if decision.action != "human" else tuple(rank(item.query, index))
            ids = [c.article_id for c in ranked]
            tally.top1 += ids[:1] == [item.expected]
            tally.top3 += item.expected in ids[:3]
            tally.answered += offered and decision.offered[0].article_id == item.expected
        if progress and number % every == 0:
            progress(f"matcher: {number}/{len(queries)} queries")
    return tally.figures()


def _evaluate_baseline(
    baseline: Baseline, queries: Sequence[LabelledQuery], progress: Progress | None
) -> Figures:
    tally = _Tally()
    every = _report_every(len(queries))
    for number, item in enumerate(queries, start=1):
        started = time.perf_counter_ns()
        article_id, score = baseline.best(item.query)
        tally.timings_ns.append(time.perf_counter_ns() - started)
        offered = article_id is not None and baseline.offers(score)
        if item.kind == "human":
            tally.human += 1  # the baseline has no notion of asking for a person: never routed
        elif item.kind == "no_answer":
            tally.no_answer += 1
            tally.offered_no_answer += offered
        else:
            tally.answerable += 1
            tally.top1 += article_id == item.expected
            tally.top3 += item.expected in baseline.ranked(item.query)
            tally.answered += offered and article_id == item.expected
        if progress and number % every == 0:
            progress(f"baseline: {number}/{len(queries)} queries")
    return tally.figures()
