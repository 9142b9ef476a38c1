"""``chatsvc kb eval`` and ``python -m chatsvc.kbeval``: the evaluation from the shell.

stdout carries exactly one JSON object (the matcher's figures, the baseline's under "baseline"), so that it can be
piped into ``jq`` or compared between runs; progress, the index's build time and a readable table go to stderr.
No database, no server: the KB and the queries are read from the two files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from chatsvc.domain.matching import Thresholds
from chatsvc.domain.matching.decision import DEFAULT_THRESHOLDS
from chatsvc.kbeval.data import DataError, load_kb, load_queries
from chatsvc.kbeval.evaluate import evaluate
from chatsvc.kbeval.report import table

DESCRIPTION = (
    "Measure the bot's KB matching on labelled queries, beside a plain rapidfuzz baseline. Prints one JSON "
    "object on stdout; progress and a table on stderr."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", required=True, help="KB articles, JSON Lines: {id, title, body, alt, lang}")
    parser.add_argument("--queries", required=True, help="labelled queries, JSON Lines: {query, expected}")
    parser.add_argument(
        "--answer", type=float, default=DEFAULT_THRESHOLDS.answer, help="confidence to offer the top article"
    )
    parser.add_argument(
        "--suggest", type=float, default=DEFAULT_THRESHOLDS.suggest, help="confidence to offer suggestions"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress or table on stderr")


def run(args: argparse.Namespace, settings: Any = None) -> int:
    """Handler for ``chatsvc kb eval`` (``settings`` is accepted for the CLI's convention and unused)."""

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        thresholds = Thresholds(answer=args.answer, suggest=args.suggest)
        articles = load_kb(args.kb)
        queries = load_queries(args.queries, {a.id for a in articles})
    except (OSError, ValueError) as error:  # DataError is a ValueError
        kind = "data" if isinstance(error, DataError) else "error"
        print(f"{kind}: {error}", file=sys.stderr)
        return 2
    progress(f"{len(articles)} articles from {args.kb}, {len(queries)} queries from {args.queries}")
    evaluation = evaluate(articles, queries, thresholds, progress)
    progress(table(evaluation))
    sys.stdout.write(json.dumps(evaluation.as_json()) + "\n")
    sys.stdout.flush()
    return 0


def add_kb_eval_command(subparsers: Any) -> None:
    """Register ``eval`` on the ``kb`` command's subparser group (``chatsvc kb eval``)."""
    parser = subparsers.add_parser("eval", help="measure the bot's KB matching", description=DESCRIPTION)
    configure(parser)
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatsvc.kbeval", description=DESCRIPTION)
    configure(parser)
    return run(parser.parse_args(argv))
