"""Speed of the bot's KB decision on synthetic KBs of 1,000 and 10,000 articles, beside the rapidfuzz baseline.

    .venv/bin/python -m bench.matcher                  # 1,000 and 10,000 articles, 2,000 queries each
    .venv/bin/python -m bench.matcher --sizes 1000 --queries 500

The KBs are made from the real articles' vocabulary (the three labelled sets in tests/data): words are drawn with
their frequency in those articles, so common words have the long posting lists they would have in a real KB,
plus a pool of made-up rare words ("product names") that grows with the KB, as vocabularies do. Titles have 4-10
words, each article 0-3 alternative phrasings of 5-12 words and a body of 40-120 words. The queries are the real
visitors' queries of the three sets, so typos and unknown words take the fuzzy path they take in production.

What is timed, per query, on one core (the process pins itself to one CPU where the OS allows it):
- chatsvc: ``decide(query, index)``, the function the bot calls (intent check, ranking, thresholds);
- baseline: ``rapidfuzz.process.extractOne`` with ``token_set_ratio`` over every title and phrasing.
Also the index's build time, and the time to update one article in place (what an edit in the admin costs).
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bench.stats import percentile
from chatsvc.domain.matching import Article, KbIndex, decide
from chatsvc.domain.matching.text import words

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = ("stackfaq", "banking77", "fr_support")
TARGET_P99_MS = {1_000: 2.0, 10_000: 20.0}  # the budget, for the table's last column


def _read(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def real_vocabulary(data: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for name in SETS:
        for row in _read(data / f"{name}_kb.jsonl"):
            alt = row.get("alt") or []
            assert isinstance(alt, list)
            for text in (row["title"], row.get("body") or "", *alt):
                counts.update(words(str(text)))
    return counts


def real_queries(data: Path, count: int, rng: random.Random) -> list[str]:
    queries = [str(row["query"]) for name in SETS for row in _read(data / f"{name}_queries.jsonl")]
    rng.shuffle(queries)
    return (queries * (count // len(queries) + 1))[:count]


class Generator:
    def __init__(self, vocabulary: Counter[str], size: int, rng: random.Random) -> None:
        self._words = list(vocabulary)
        self._weights = [float(c) for c in vocabulary.values()]
        self._rng = rng
        long_words = [w for w in self._words if len(w) >= 5]
        # Made-up rare words, two halves of real ones: about one per two articles, each used by a few articles.
        self._rare = sorted(
            {rng.choice(long_words)[:4] + rng.choice(long_words)[-4:] for _ in range(max(10, size // 2))}
        )

    def _text(self, low: int, high: int, rare: Sequence[str]) -> str:
        drawn = self._rng.choices(self._words, weights=self._weights, k=self._rng.randint(low, high))
        for word in rare:
            drawn.insert(self._rng.randrange(len(drawn) + 1), word)
        return " ".join(drawn)

    def article(self, number: int) -> Article:
        rng = self._rng
        topic = rng.sample(self._rare, k=min(2, len(self._rare)))
        return Article(
            id=f"syn-{number:05d}",
            title=self._text(4, 10, topic[:1]),
            alt=tuple(self._text(5, 12, topic[:1]) for _ in range(rng.randint(0, 3))),
            body=self._text(40, 120, topic),
            lang=rng.choice(("en", "en", "fr")),
        )


def pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity here)"


def run_size(size: int, queries: Sequence[str], vocabulary: Counter[str], seed: int) -> dict[str, float]:
    rng = random.Random(seed + size)
    generator = Generator(vocabulary, size, rng)
    articles = [generator.article(i) for i in range(size)]

    started = time.perf_counter()
    index = KbIndex(articles)
    build_s = time.perf_counter() - started

    # One article edited in place, as an admin would: cost of the update, and what a rebuild would have cost.
    edited = generator.article(0)
    started = time.perf_counter()
    index.update(Article(articles[0].id, edited.title, edited.body, edited.alt, edited.lang))
    update_ms = (time.perf_counter() - started) * 1000

    for query in queries[:50]:  # warm-up: first-call costs (imports, caches) are not the steady state
        decide(query, index)
    timings: list[float] = []
    for number, query in enumerate(queries, start=1):
        started = time.perf_counter()
        decide(query, index)
        timings.append((time.perf_counter() - started) * 1000)
        if number % 500 == 0:
            print(f"  {size} articles: chatsvc {number}/{len(queries)}", file=sys.stderr, flush=True)

    choices = [text for a in articles for text in (a.title, *a.alt)]
    baseline: list[float] = []
    for query in queries:
        started = time.perf_counter()
        process.extractOne(query, choices, scorer=fuzz.token_set_ratio, processor=utils.default_process)
        baseline.append((time.perf_counter() - started) * 1000)

    return {
        "articles": size,
        "terms": len(index.vocabulary),
        "build_s": build_s,
        "update_ms": update_ms,
        "p50_ms": percentile(timings, 50),
        "p99_ms": percentile(timings, 99),
        "baseline_p50_ms": percentile(baseline, 50),
        "baseline_p99_ms": percentile(baseline, 99),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000], help="KB sizes (articles)")
    parser.add_argument("--queries", type=int, default=2_000, help="queries timed per size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the labelled sets")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)

    print(f"bench.matcher: {pin_one_core()}, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    vocabulary = real_vocabulary(args.data)
    queries = real_queries(args.data, args.queries, random.Random(args.seed))
    results = []
    for size in args.sizes:
        print(f"  {size} articles: generating and indexing", file=sys.stderr, flush=True)
        results.append(run_size(size, queries, vocabulary, args.seed))
    print(f"bench.matcher: done, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)

    if args.json:
        print(json.dumps({"queries": args.queries, "results": results}))
        return 0
    print(f"{len(queries)} real queries per KB; times per query in ms, one core")
    header = (
        f"{'articles':>9} {'terms':>7} {'build s':>8} {'update ms':>10} {'p50':>7} {'p99':>7} "
        f"{'budget':>7} {'base p50':>9} {'base p99':>9}"
    )
    print(header)
    for r in results:
        budget = TARGET_P99_MS.get(int(r["articles"]))
        print(
            f"{int(r['articles']):>9} {int(r['terms']):>7} {r['build_s']:>8.2f} {r['update_ms']:>10.2f} "
            f"{r['p50_ms']:>7.3f} {r['p99_ms']:>7.3f} {(f'{budget:.0f}' if budget else '-'):>7} "
            f"{r['baseline_p50_ms']:>9.3f} {r['baseline_p99_ms']:>9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
