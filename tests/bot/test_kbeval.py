"""The evaluation on the three labelled sets: the issue's bars, and the command's output contract."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatsvc.domain.matching import DEFAULT_THRESHOLDS
from chatsvc.kbeval import thresholds
from chatsvc.kbeval.cli import add_kb_eval_command
from chatsvc.kbeval.data import DataError, load_kb, load_queries
from chatsvc.kbeval.evaluate import Evaluation, evaluate, percentile

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SETS = ("stackfaq", "banking77", "fr_support")
FIGURES = {
    "top1",
    "top3",
    "answered",
    "false_offer_rate",
    "no_answer_recall",
    "human_recall",
    "p50_ms",
    "p99_ms",
    "n",
}


def paths(name: str) -> tuple[Path, Path]:
    return DATA / f"{name}_kb.jsonl", DATA / f"{name}_queries.jsonl"


@pytest.fixture(scope="module")
def evaluations() -> dict[str, Evaluation]:
    result = {}
    for name in SETS:
        kb, queries = paths(name)
        articles = load_kb(kb)
        result[name] = evaluate(articles, load_queries(queries, {a.id for a in articles}))
    return result


@pytest.mark.parametrize("name", SETS)
def test_matcher_beats_the_baseline_and_meets_the_bars(evaluations: dict[str, Evaluation], name: str) -> None:
    matcher, baseline = evaluations[name].matcher, evaluations[name].baseline
    assert matcher.top1 is not None and baseline.top1 is not None
    assert matcher.top1 >= baseline.top1 + 0.05, (matcher, baseline)
    assert matcher.answered is not None and matcher.answered >= 0.30, matcher
    assert matcher.false_offer_rate is not None and matcher.false_offer_rate <= 0.15, matcher
    assert matcher.top3 is not None and matcher.top3 >= matcher.top1


def test_baseline_figures_are_the_documented_ones(evaluations: dict[str, Evaluation]) -> None:
    # tests/data/README.md: about 0.63, 0.58 and 0.67: the baseline is the one the issue describes.
    expected = {"stackfaq": 0.63, "banking77": 0.58, "fr_support": 0.67}
    for name, top1 in expected.items():
        assert evaluations[name].baseline.top1 == pytest.approx(top1, abs=0.01)


def test_french_requests_for_a_person_go_to_the_queue(evaluations: dict[str, Evaluation]) -> None:
    human_recall = evaluations["fr_support"].matcher.human_recall
    assert human_recall is not None and human_recall >= 0.9
    assert evaluations["stackfaq"].matcher.human_recall is None  # no such query in that set


def test_counts(evaluations: dict[str, Evaluation]) -> None:
    assert [evaluations[name].matcher.n for name in SETS] == [1250, 3080, 158]
    assert evaluations["fr_support"].baseline.n == 158
    for evaluation in evaluations.values():
        m = evaluation.matcher
        assert m.no_answer_recall is not None and m.false_offer_rate is not None
        assert m.no_answer_recall == pytest.approx(1.0 - m.false_offer_rate)
        assert 0.0 < m.p50_ms <= m.p99_ms


def test_default_thresholds_are_the_ones_the_stated_rule_chooses() -> None:
    sets = [thresholds.outcomes(str(kb), str(queries)) for kb, queries in map(paths, SETS)]
    chosen = thresholds.choose(sets)
    assert (chosen["suggest"], chosen["answer"]) == (DEFAULT_THRESHOLDS.suggest, DEFAULT_THRESHOLDS.answer)


def test_command_prints_exactly_one_json_object() -> None:
    kb, queries = paths("fr_support")
    done = subprocess.run(
        [sys.executable, "-m", "chatsvc.kbeval", "--kb", str(kb), "--queries", str(queries)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.endswith("\n") and done.stdout.count("\n") == 1
    report = json.loads(done.stdout)
    assert set(report) == FIGURES | {"baseline"}
    assert set(report["baseline"]) == FIGURES
    assert report["n"] == 158 and report["human_recall"] == 1.0
    assert "matcher" in done.stderr and "baseline" in done.stderr  # progress and table went to stderr


def test_command_reports_bad_data_on_stderr(tmp_path: Path) -> None:
    kb = tmp_path / "kb.jsonl"
    kb.write_text(
        '{"id": "a", "title": "Reset my password"}\n{"id": "a", "title": "again"}\n', encoding="utf-8"
    )
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "password", "expected": "a"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "chatsvc.kbeval", "--kb", str(kb), "--queries", str(queries)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "kb.jsonl:2" in done.stderr and "duplicate" in done.stderr


def test_loaders_point_at_the_bad_line(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"query": "x", "expected": null}\n\n{"query": "y", "expected": "nope"}\n', encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"q.jsonl:3: expected article 'nope'"):
        load_queries(queries, {"a"})
    assert [q.kind for q in load_queries(queries)] == ["no_answer", "answerable"]
    broken = tmp_path / "kb.jsonl"
    broken.write_text('{"id": "a", "title": 3}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"kb.jsonl:1: .*'title' must be a string"):
        load_kb(broken)


def test_eval_registers_under_the_kb_group() -> None:
    parser = argparse.ArgumentParser(prog="chatsvc")
    commands = parser.add_subparsers(dest="command", required=True)
    kb = commands.add_parser("kb").add_subparsers(dest="action", required=True)
    add_kb_eval_command(kb)
    args = parser.parse_args(["kb", "eval", "--kb", "k.jsonl", "--queries", "q.jsonl"])
    assert (args.kb, args.queries, args.answer, args.suggest) == (
        "k.jsonl",
        "q.jsonl",
        DEFAULT_THRESHOLDS.answer,
        DEFAULT_THRESHOLDS.suggest,
    )
    assert callable(args.func)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 99) == 0.0
    assert percentile([5], 50) == 5.0
    assert percentile(list(range(1, 101)), 50) == 50.0
    assert percentile(list(range(1, 101)), 99) == 99.0
