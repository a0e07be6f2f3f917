"""Evaluators: score one question's retrieval and answer against its gold evidence and reference.

Each evaluator is a small callable returning a dict of named metrics (in the spirit of
sentence-transformers' evaluation package); `summarise` aggregates the per-question records of a run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..answer.citations import markers_of, split_claims
from ..language.terms import words
from ..models import Answer, Passage
from .dataset import Dataset, EvalCase, GoldSpan, locate_evidence
from .judges import SupportJudge
from .metrics import (
    abstention_scores,
    best_over_references,
    exact_match,
    mean,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    token_f1,
    token_recall,
)

if TYPE_CHECKING:
    from ..service import Assistant

DEFAULT_KS = (1, 3, 5, 10, 20)
_MARKERS = re.compile(r"\s*\[\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*\]")
STAGES = ("condense", "embed_query", "dense", "bm25", "fusion", "evidence", "generate", "verify", "total")


@dataclass
class Gold:
    """A dataset's gold evidence located in one index: quote spans, and the passages that overlap them."""

    spans: dict[str, list[GoldSpan]]
    relevant: dict[str, set[str]]

    @classmethod
    def build(cls, assistant: Assistant, dataset: Dataset) -> Gold:
        """Locate every gold quote (raising `MissingEvidenceError` for any that is not found) and find the
        indexed passages whose character span overlaps one."""
        catalog = assistant.index.catalog

        def text_of(doc_id: str) -> str | None:
            document = catalog.document(doc_id)
            return document.text if document is not None else None

        spans = locate_evidence(dataset, text_of)
        rows_of: dict[str, list[Any]] = {}
        relevant: dict[str, set[str]] = {}
        for case_id, case_spans in spans.items():
            ids: set[str] = set()
            for span in case_spans:
                if span.doc_id not in rows_of:
                    chunk_ids = catalog.chunk_ids_of(span.doc_id)
                    rows_of[span.doc_id] = list(assistant.index.rows(chunk_ids).values())
                ids.update(r.id for r in rows_of[span.doc_id] if span.overlaps(r.doc_id, r.start, r.end))
            relevant[case_id] = ids
        return cls(spans, relevant)


class RetrievalEvaluator:
    """Recall@k, evidence recall@k, MRR@10 and nDCG@10 of a ranked passage list.

    A passage is relevant when its character span overlaps a gold quote's span. Recall@k is the standard
    share of relevant passages retrieved; evidence recall@k is the share of gold evidence items that some
    passage in the first k covers (a quote repeated in two overlapping chunks counts once).
    """

    primary_metric = "ndcg@10"

    def __init__(self, ks: Sequence[int] = DEFAULT_KS) -> None:
        self.ks = tuple(sorted(set(ks)))

    @property
    def depth(self) -> int:
        return max(max(self.ks), 10)

    def __call__(
        self, passages: Sequence[Passage], spans: list[GoldSpan], relevant: set[str]
    ) -> dict[str, float]:
        ranked = [p.id for p in passages]
        items = {span.item for span in spans}
        out: dict[str, float] = {}
        for k in self.ks:
            out[f"recall@{k}"] = recall_at_k(ranked, relevant, k)
        for k in self.ks:
            covered = {s.item for s in spans for p in passages[:k] if s.overlaps(p.doc_id, p.start, p.end)}
            out[f"evidence_recall@{k}"] = len(covered) / len(items) if items else 0.0
        out["mrr@10"] = reciprocal_rank(ranked, relevant, 10)
        out["ndcg@10"] = ndcg_at_k(ranked, relevant, 10)
        return out


def answer_text(answer: Answer) -> str:
    """The answer without its [n] citation markers (empty when the assistant abstained)."""
    if answer.abstained:
        return ""
    return " ".join(_MARKERS.sub("", answer.text).split())


def is_claim(text: str) -> bool:
    """A sentence that states something (not a fragment, heading or bare marker)."""
    return len(words(text)) >= 3


class AnswerEvaluator:
    """Answer overlap with the reference, citation precision and recall, and faithfulness of one answer.

    - token F1 / exact match: SQuAD normalisation, best over the reference answers; an abstention scores 0.
    - citation precision: share of (sentence, citation) attachments whose quote supports that sentence
      (by the judge) and overlaps gold evidence.
    - citation recall: share of the gold evidence items that some citation overlaps.
    - faithfulness: share of the answer's sentences supported by the passages they cite (by the judge);
      a sentence without a citation of its own is cited by the next marker of its paragraph (as the citation
      verifier reads it), and one with none is unsupported.
    """

    primary_metric = "token_f1"

    def __init__(self, judge: SupportJudge) -> None:
        self.judge = judge

    def __call__(self, case: EvalCase, answer: Answer, spans: list[GoldSpan]) -> dict[str, Any]:
        prediction = answer_text(answer)
        out: dict[str, Any] = {}
        if case.answerable:
            out["token_f1"] = best_over_references(token_f1, prediction, case.references)
            out["exact_match"] = best_over_references(exact_match, prediction, case.references)
            out["token_recall"] = best_over_references(token_recall, prediction, case.references)
        if answer.abstained:
            out.update(citations=[], gold_items=len(case.evidence), gold_cited=0, claims=0, supported=0)
            return out
        by_number = {c.n: c for c in answer.citations}
        passage_text = {p.id: p.text for p in answer.passages}
        checked: list[dict[str, Any]] = []
        claims = supported = 0
        answer_claims = split_claims(answer.text)
        for index, claim in enumerate(answer_claims):
            cited = [by_number[n] for n in claim.markers if n in by_number]
            for citation in cited:
                gold = any(s.overlaps(citation.doc_id, citation.start, citation.end) for s in spans)
                backs = self.judge.supports(claim.text, [citation.quote])
                checked.append({"n": citation.n, "supports": backs, "gold": gold, "precise": backs and gold})
            if not is_claim(claim.text):
                continue
            claims += 1
            # An unmarked sentence is cited by the next marker of its paragraph, as the verifier reads it.
            cited = cited or [by_number[n] for n in markers_of(answer_claims, index) if n in by_number]
            evidence = [passage_text.get(c.passage_id, c.quote) for c in cited]
            if evidence and self.judge.supports(claim.text, list(dict.fromkeys(evidence))):
                supported += 1
        items = {s.item for s in spans if any(s.overlaps(c.doc_id, c.start, c.end) for c in answer.citations)}
        out.update(
            citations=checked,
            gold_items=len(case.evidence),
            gold_cited=len(items),
            claims=claims,
            supported=supported,
        )
        return out


# --- aggregation ----------------------------------------------------------------------------------------


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Aggregate per-question records of one variant into the run's metrics.

    Retrieval metrics and token F1 / exact match are averaged over answerable questions; citation precision,
    citation recall and faithfulness are shares over all attachments, gold items and sentences; abstention
    counts every question; latency percentiles are over every answered or abstained question.
    """
    done = [r for r in records if not r.get("error")]
    out: dict[str, float] = {"questions": float(len(records)), "errors": float(len(records) - len(done))}
    answerable = [r for r in done if r["answerable"]]
    retrieval = [r["retrieval"] for r in answerable if r.get("retrieval")]
    if retrieval:
        for name in retrieval[0]:
            out[name] = mean(x[name] for x in retrieval)
    scores = [r["scores"] for r in answerable]
    for name in ("token_f1", "exact_match", "token_recall"):
        if scores:
            out[name] = mean(s.get(name, 0.0) for s in scores)
    answered_scores = [r["scores"] for r in answerable if not r["abstained"]]
    if answered_scores:
        out["answered_token_f1"] = mean(s.get("token_f1", 0.0) for s in answered_scores)
    attachments = [c for r in done for c in r["scores"].get("citations", [])]
    if attachments:
        out["citation_precision"] = mean(1.0 if c["precise"] else 0.0 for c in attachments)
        out["citation_support"] = mean(1.0 if c["supports"] else 0.0 for c in attachments)
    gold_items = sum(r["scores"].get("gold_items", 0) for r in answerable)
    if gold_items:
        out["citation_recall"] = sum(r["scores"].get("gold_cited", 0) for r in answerable) / gold_items
    claims = sum(r["scores"].get("claims", 0) for r in done)
    if claims:
        out["faithfulness"] = sum(r["scores"].get("supported", 0) for r in done) / claims
    if done:
        abstention = abstention_scores([r["abstained"] for r in done], [r["answerable"] for r in done])
        if abstention.unanswerable:
            out.update(abstention.as_dict())
        else:
            out["false_refusal_rate"] = abstention.false_refusal_rate
            out["decision_accuracy"] = abstention.accuracy
        out["abstained"] = mean(1.0 if r["abstained"] else 0.0 for r in done)
    for stage in STAGES:
        values = [r["timings"].get(stage, 0.0) for r in done if r.get("timings")]
        if values and any(values):
            out[f"latency_{stage}_p50_ms"] = percentile(values, 50)
            out[f"latency_{stage}_p95_ms"] = percentile(values, 95)
    return out


def summarise_by_tag(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """`summarise` over the questions carrying each tag."""
    tags = sorted({t for r in records for t in r.get("tags", [])})
    return {tag: summarise([r for r in records if tag in r.get("tags", [])]) for tag in tags}
