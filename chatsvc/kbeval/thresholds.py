"""Choosing the default thresholds from labelled sets, reproducibly:

    python -m chatsvc.kbeval.thresholds \\
        --set tests/data/stackfaq_kb.jsonl tests/data/stackfaq_queries.jsonl \\
        --set tests/data/banking77_kb.jsonl tests/data/banking77_queries.jsonl \\
        --set tests/data/fr_support_kb.jsonl tests/data/fr_support_queries.jsonl

One pair of thresholds for every set (a per-set value would be tuning to the set):

- ``suggest``, the confidence from which the bot offers anything: the one that maximises ``answered`` averaged
  over the sets, subject to ``false_offer_rate`` averaging at most 0.10 and staying at most 0.125 on every set
  (the bar is 0.15; the margin is for data we do not have); ties go to the higher threshold.
- ``answer``, from which it offers one article instead of suggestions: the lowest at or above ``suggest`` at which
  the top article is the right one for at least 90% of the queries it would be offered for (answerable or not)
  on every set: below that, showing a few suggestions costs the visitor less than a wrong card.

Each query is ranked once; the sweep then only counts. The decision for a threshold pair is exactly what
:func:`chatsvc.domain.matching.decide` does: a person asked for goes to the queue, else the top candidate's
confidence is compared with the thresholds. Prints one JSON object on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from chatsvc.domain import intent
from chatsvc.domain.matching import KbIndex, rank
from chatsvc.kbeval.data import load_kb, load_queries

GRID = [i / 100 for i in range(101)]
MAX_MEAN_FALSE_OFFER = 0.10
MAX_FALSE_OFFER = 0.125  # the bar is 0.15 on every set; keep a margin for data we do not have
ANSWER_PRECISION = 0.90


@dataclasses.dataclass(frozen=True)
class Outcome:
    kind: str  # "answerable", "no_answer", "human"
    confidence: float  # of the top candidate; 0 when routed to a person or nothing matched
    right: bool  # the top candidate is the expected article


def outcomes(kb_path: str, queries_path: str) -> list[Outcome]:
    articles = load_kb(kb_path)
    index = KbIndex(articles)
    result = []
    for item in load_queries(queries_path, {a.id for a in articles}):
        if intent.wants_human(item.query):
            result.append(Outcome(item.kind, 0.0, False))
            continue
        ranked = rank(item.query, index, limit=1)
        top = ranked[0] if ranked else None
        result.append(
            Outcome(item.kind, top.confidence if top else 0.0, bool(top and top.article_id == item.expected))
        )
    return result


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def answered(outs: Sequence[Outcome], t: float) -> float:
    answerable = [o for o in outs if o.kind == "answerable"]
    return _share(sum(o.right and o.confidence >= t for o in answerable), len(answerable))


def false_offers(outs: Sequence[Outcome], t: float) -> float:
    unanswerable = [o for o in outs if o.kind == "no_answer"]
    return _share(sum(o.confidence >= t for o in unanswerable), len(unanswerable))


def precision(outs: Sequence[Outcome], t: float) -> float | None:
    offered = [o for o in outs if o.kind != "human" and o.confidence >= t and o.confidence > 0]
    return _share(sum(o.right for o in offered), len(offered)) if offered else None


def choose(sets: Sequence[Sequence[Outcome]]) -> dict[str, object]:
    feasible = []
    for t in GRID:
        rates = [false_offers(s, t) for s in sets]
        if max(rates) <= MAX_FALSE_OFFER and sum(rates) / len(rates) <= MAX_MEAN_FALSE_OFFER:
            feasible.append((sum(answered(s, t) for s in sets) / len(sets), t))
    if not feasible:
        raise SystemExit("no threshold keeps false offers within bounds on these sets")
    best_answered, suggest = max(feasible)
    answer = 1.0
    for t in GRID:
        if t < suggest:
            continue
        values = [p for p in (precision(s, t) for s in sets) if p is not None]
        if values and min(values) >= ANSWER_PRECISION:
            answer = t
            break
    return {
        "suggest": suggest,
        "answer": answer,
        "mean_answered": round(best_answered, 4),
        "answered": [round(answered(s, suggest), 4) for s in sets],
        "false_offer_rate": [round(false_offers(s, suggest), 4) for s in sets],
        "answer_precision": [None if (p := precision(s, answer)) is None else round(p, 4) for s in sets],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatsvc.kbeval.thresholds", description=__doc__)
    parser.add_argument("--set", nargs=2, action="append", required=True, metavar=("KB", "QUERIES"))
    args = parser.parse_args(argv)
    sets = []
    for kb_path, queries_path in args.set:
        print(f"ranking {queries_path}", file=sys.stderr, flush=True)
        sets.append(outcomes(kb_path, queries_path))
    chosen = choose(sets)
    chosen["sets"] = [queries for _, queries in args.set]
    print(f"suggest >= {chosen['suggest']:.2f}, answer >= {chosen['answer']:.2f}", file=sys.stderr)
    print(json.dumps(chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
