"""Choosing the abstention threshold from a sweep."""

from assistant.evaluation.calibrate import choose


def row(threshold: float, f1: float, refusals: float) -> dict[str, float]:
    return {"threshold": threshold, "mean_abstention_f1": f1, "mean_false_refusal_rate": refusals}


def test_the_best_f1_within_the_refusal_cap():
    rows = [row(0.3, 0.55, 0.05), row(0.35, 0.62, 0.08), row(0.4, 0.67, 0.14), row(0.45, 0.65, 0.22)]
    assert choose(rows)["threshold"] == 0.4
    assert choose(rows, max_false_refusals=0.10)["threshold"] == 0.35
    assert choose(rows, max_false_refusals=0.01)["threshold"] == 0.3  # none allowed: the least refusing
    ties = [row(0.5, 0.6, 0.1), row(0.4, 0.6, 0.1)]
    assert choose(ties)["threshold"] == 0.4
