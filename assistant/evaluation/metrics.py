"""Metric definitions: ranking (Recall@k, MRR, nDCG), answer overlap (SQuAD), abstention, latency.

Pure functions over plain values, so each definition can be checked by hand and against reference
implementations (`tests/evaluation/test_metrics.py` compares the ranking metrics with trec_eval through
ir-measures).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# --- ranking --------------------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant items found in the first k (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """1 / rank of the first relevant item within the first k, else 0."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance: gain 1, discount log2(rank + 1)."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def hit_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """1 when any relevant item is in the first k."""
    return 1.0 if set(ranked[:k]) & relevant else 0.0


def dedupe(ranked: Iterable[str]) -> list[str]:
    """Keep each item's first (best) position: passages of one document become one document ranking."""
    return list(dict.fromkeys(ranked))


# --- answer overlap (SQuAD v1.1 normalisation) ----------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "—", "–", "…"}


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace (as the SQuAD script)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall after normalisation (bag of tokens)."""
    predicted = normalize_answer(prediction).split()
    expected = normalize_answer(reference).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = Counter(predicted) & Counter(expected)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted)
    recall = overlap / len(expected)
    return 2 * precision * recall / (precision + recall)


def token_recall(prediction: str, reference: str) -> float:
    """Share of the reference's tokens the prediction contains (how much of the answer was given)."""
    predicted = Counter(normalize_answer(prediction).split())
    expected = Counter(normalize_answer(reference).split())
    if not expected:
        return 0.0
    return sum((predicted & expected).values()) / sum(expected.values())


def best_over_references(metric, prediction: str, references: Sequence[str]) -> float:  # type: ignore[no-untyped-def]
    """The best score against any of the reference answers (SQuAD scores against every gold answer)."""
    return max((metric(prediction, ref) for ref in references), default=0.0)


# --- abstention -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbstentionScores:
    """'Abstained' judged against 'unanswerable': abstaining is the positive class."""

    precision: float
    recall: float
    f1: float
    false_refusal_rate: float  # answerable questions refused
    accuracy: float
    unanswerable: int
    answerable: int

    def as_dict(self) -> dict[str, float]:
        return {
            "abstention_precision": self.precision,
            "abstention_recall": self.recall,
            "abstention_f1": self.f1,
            "false_refusal_rate": self.false_refusal_rate,
            "decision_accuracy": self.accuracy,
        }


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> AbstentionScores:
    """Precision, recall and F1 of abstaining on the unanswerable questions, and the false refusals.

    Precision is 1 when the system never abstains (no false alarms); recall is 0 then, so F1 is 0.
    """
    pairs = list(zip(abstained, answerable, strict=True))
    true_pos = sum(1 for a, ok in pairs if a and not ok)
    false_pos = sum(1 for a, ok in pairs if a and ok)
    false_neg = sum(1 for a, ok in pairs if not a and not ok)
    n_unanswerable = sum(1 for _, ok in pairs if not ok)
    n_answerable = len(pairs) - n_unanswerable
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if n_unanswerable else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    refused = false_pos / n_answerable if n_answerable else 0.0
    correct = sum(1 for a, ok in pairs if a != ok)
    return AbstentionScores(
        precision, recall, f1, refused, correct / len(pairs) if pairs else 0.0, n_unanswerable, n_answerable
    )


# --- latency --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
