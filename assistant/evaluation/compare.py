"""Compare two runs: metric deltas per variant and the questions that got worse."""

from __future__ import annotations

from typing import Any

from .report import case_quality, format_value, ordered_metrics, outcome, shorten

EPSILON = 1e-9


def metric_deltas(a: dict[str, Any], b: dict[str, Any]) -> list[list[str]]:
    """Rows `variant, metric, A, B, delta` for the variants (or modes) both runs have."""
    rows = [["variant", "metric", "A", "B", "delta"]]
    for variant in [v for v in a["metrics"] if v in b["metrics"]]:
        ma, mb = a["metrics"][variant], b["metrics"][variant]
        for name in ordered_metrics({"a": ma, "b": mb}):
            va, vb = ma.get(name), mb.get(name)
            delta = "" if va is None or vb is None else _signed(name, vb - va)
            rows.append([variant, name, format_value(name, va), format_value(name, vb), delta])
    return rows


def _signed(name: str, value: float) -> str:
    text = format_value(name, abs(value))
    if abs(value) < EPSILON:
        return "0"
    return ("+" if value > 0 else "-") + text


def worse_questions(a: dict[str, Any], b: dict[str, Any]) -> list[list[str]]:
    """Questions whose outcome in B is worse than in A (a wrong decision, lower F1, recall or citations)."""
    rows = [["variant", "id", "A", "B", "what got worse"]]
    for variant in [v for v in a["records"] if v in b["records"]]:
        before = {r.get("id", r.get("query_id")): r for r in a["records"][variant]}
        for record in b["records"][variant]:
            key = record.get("id", record.get("query_id"))
            old = before.get(key)
            if old is None:
                continue
            if "query_id" in record:  # a retrieval run
                if record["ndcg@10"] < old["ndcg@10"] - EPSILON:
                    rows.append(
                        [variant, key, f"{old['ndcg@10']:.3f}", f"{record['ndcg@10']:.3f}", "nDCG@10"]
                    )
                continue
            if case_quality(record) >= case_quality(old) - EPSILON:
                continue
            rows.append([variant, key, outcome(old), outcome(record), _what_got_worse(old, record)])
    return rows


def _what_got_worse(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = []
    if outcome(old) != outcome(new):
        parts.append(f"{outcome(old)} → {outcome(new)}")
    for label, get in (
        ("F1", lambda r: (r.get("scores") or {}).get("token_f1")),
        ("evidence recall@5", lambda r: (r.get("retrieval") or {}).get("evidence_recall@5")),
        ("gold cited", lambda r: (r.get("scores") or {}).get("gold_cited")),
    ):
        va, vb = get(old), get(new)
        if va is not None and vb is not None and vb < va - EPSILON:
            parts.append(f"{label} {va:.2f} → {vb:.2f}")
    if new.get("answer") and new.get("answer") != old.get("answer"):
        parts.append(f"now: {shorten(new['answer'], 90)}")
    return "; ".join(parts) or "lower overall"
