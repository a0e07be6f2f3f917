"""Abstention calibration: sweep the evidence threshold over runs made without one, and pick the best.

The runs are made with `answer.abstain_threshold = 0`, so every question's evidence score is known and only
the backend's own refusals abstain; abstaining at threshold t is then `evidence score < t` or such a
refusal. Criterion: the highest mean abstention F1 over the datasets that have unanswerable questions; ties
go to the fewer wrongly refused answerable questions, then to the lower threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .metrics import abstention_scores, mean

Record = dict[str, Any]


def default_thresholds(step: float = 0.01) -> list[float]:
    return [round(i * step, 4) for i in range(int(round(1 / step)) + 1)]


def sweep(runs: dict[str, Sequence[Record]], thresholds: Sequence[float]) -> list[dict[str, float]]:
    """Abstention precision, recall, F1 and false refusals per dataset, and their means, at each threshold."""
    rows = []
    usable = {name: [r for r in records if not r.get("error")] for name, records in runs.items()}
    for threshold in thresholds:
        row: dict[str, float] = {"threshold": threshold}
        f1s, refusals = [], []
        for name, records in usable.items():
            abstained = [bool(r["abstained"]) or r["evidence_score"] < threshold for r in records]
            scores = abstention_scores(abstained, [r["answerable"] for r in records])
            row[f"{name}:false_refusal_rate"] = scores.false_refusal_rate
            refusals.append(scores.false_refusal_rate)
            if scores.unanswerable:
                row[f"{name}:abstention_precision"] = scores.precision
                row[f"{name}:abstention_recall"] = scores.recall
                row[f"{name}:abstention_f1"] = scores.f1
                f1s.append(scores.f1)
        row["mean_abstention_f1"] = mean(f1s)
        row["mean_false_refusal_rate"] = mean(refusals)
        rows.append(row)
    return rows


def choose(rows: Sequence[dict[str, float]], max_false_refusals: float | None = None) -> dict[str, float]:
    """The row with the best mean abstention F1 (then fewer false refusals, then the lower threshold), among
    those whose mean false refusal rate is at most `max_false_refusals` (the least refusing row when none is)."""
    allowed = [
        r for r in rows if max_false_refusals is None or r["mean_false_refusal_rate"] <= max_false_refusals
    ]
    if not allowed:
        return min(
            rows, key=lambda r: (r["mean_false_refusal_rate"], -r["mean_abstention_f1"], r["threshold"])
        )
    return min(
        allowed,
        key=lambda r: (-round(r["mean_abstention_f1"], 6), r["mean_false_refusal_rate"], r["threshold"]),
    )
