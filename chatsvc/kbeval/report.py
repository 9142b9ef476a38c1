"""The evaluation as people read it: a small table of the matcher beside the baseline, for stderr."""

from __future__ import annotations

from chatsvc.kbeval.evaluate import Evaluation, Figures

ROWS = (
    "top1",
    "top3",
    "answered",
    "false_offer_rate",
    "no_answer_recall",
    "human_recall",
    "p50_ms",
    "p99_ms",
    "n",
)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def table(evaluation: Evaluation) -> str:
    matcher: Figures = evaluation.matcher
    baseline: Figures = evaluation.baseline
    t = evaluation.thresholds
    lines = [
        (
            f"thresholds: answer >= {t.answer:.2f}, suggest >= {t.suggest:.2f}; "
            f"index built in {evaluation.build_ms:.1f} ms"
        ),
        f"{'':18}{'matcher':>10}{'baseline':>10}",
    ]
    for row in ROWS:
        lines.append(f"{row:18}{_cell(getattr(matcher, row)):>10}{_cell(getattr(baseline, row)):>10}")
    return "\n".join(lines)
