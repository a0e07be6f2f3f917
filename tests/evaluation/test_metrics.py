"""Metric definitions on hand-checked examples, and the ranking metrics against trec_eval (ir-measures)."""

import math
import random

import ir_measures
import pytest
from ir_measures import RR, Qrel, R, ScoredDoc, nDCG

from assistant.evaluation.dataset import EvalCase, GoldSpan
from assistant.evaluation.evaluators import AnswerEvaluator, RetrievalEvaluator
from assistant.evaluation.judges import OverlapJudge
from assistant.evaluation.metrics import (
    abstention_scores,
    dedupe,
    exact_match,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)
from assistant.models import Answer, Citation, Passage


def test_ranking_metrics_by_hand():
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    assert recall_at_k(ranked, relevant, 1) == 0
    assert recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked, relevant) == pytest.approx(1 / 2)
    assert reciprocal_rank(ranked, relevant, k=1) == 0
    # DCG = 1/log2(3) + 1/log2(5); ideal with 3 relevant = 1 + 1/log2(3) + 1/log2(4)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at_k(ranked, relevant) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["b", "d", "z"], relevant) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, set()) == 0
    assert dedupe(["x", "y", "x", "z", "y"]) == ["x", "y", "z"]


def test_ranking_metrics_equal_trec_eval_on_random_runs():
    rng = random.Random(7)
    qrels, run, ours = [], [], {"R@1": [], "R@5": [], "R@10": [], "RR@10": [], "nDCG@10": []}
    for q in range(60):
        pool = [f"d{i}" for i in range(40)]
        relevant = set(rng.sample(pool, rng.randint(1, 6)))
        ranked = rng.sample(pool, rng.randint(5, 30))
        qid = f"q{q}"
        qrels += [Qrel(qid, d, 1) for d in relevant]
        run += [ScoredDoc(qid, d, float(len(ranked) - i)) for i, d in enumerate(ranked)]
        for k in (1, 5, 10):
            ours[f"R@{k}"].append(recall_at_k(ranked, relevant, k))
        ours["RR@10"].append(reciprocal_rank(ranked, relevant, 10))
        ours["nDCG@10"].append(ndcg_at_k(ranked, relevant, 10))
    reference = ir_measures.calc_aggregate([R @ 1, R @ 5, R @ 10, RR @ 10, nDCG @ 10], qrels, run)
    for measure, value in reference.items():
        mine = sum(ours[str(measure)]) / len(ours[str(measure)])
        assert mine == pytest.approx(value, abs=1e-9), measure


def _passage(pid, doc, start, end):
    return Passage(id=pid, doc_id=doc, title=doc, text="x" * (end - start), start=start, end=end)


def test_span_overlap_relevance_agrees_with_trec_eval():
    """A passage is relevant when its span overlaps a gold quote; the evaluator's figures equal trec_eval's
    on the relevant set that definition yields."""
    spans = [GoldSpan(0, "doc", 120, 160), GoldSpan(1, "other", 0, 30)]
    index = {
        "p1": ("doc", 0, 100),
        "p2": ("doc", 90, 130),  # overlaps the first quote
        "p3": ("doc", 150, 260),  # overlaps it too (overlapping chunks)
        "p4": ("other", 30, 80),  # touches the end of the second quote only: no overlap
        "p5": ("other", 0, 50),
        "p6": ("doc", 160, 300),  # starts where the quote ends: no overlap
    }
    relevant = {pid for pid, (d, s, e) in index.items() if any(g.overlaps(d, s, e) for g in spans)}
    assert relevant == {"p2", "p3", "p5"}
    ranked = ["p1", "p3", "p4", "p6", "p5", "p2"]
    passages = [_passage(pid, *index[pid]) for pid in ranked]
    scores = RetrievalEvaluator(ks=(1, 3, 5))(passages, spans, relevant)
    qrels = [Qrel("q", pid, 1) for pid in relevant]
    run = [ScoredDoc("q", pid, float(10 - i)) for i, pid in enumerate(ranked)]
    ref = ir_measures.calc_aggregate([R @ 1, R @ 3, R @ 5, RR @ 10, nDCG @ 10], qrels, run)
    assert scores["recall@1"] == pytest.approx(ref[R @ 1])
    assert scores["recall@3"] == pytest.approx(ref[R @ 3]) == pytest.approx(1 / 3)
    assert scores["recall@5"] == pytest.approx(ref[R @ 5]) == pytest.approx(2 / 3)
    assert scores["mrr@10"] == pytest.approx(ref[RR @ 10]) == pytest.approx(1 / 2)
    assert scores["ndcg@10"] == pytest.approx(ref[nDCG @ 10])
    # evidence recall counts gold items: item 0 is covered from rank 2, item 1 at rank 5
    assert scores["evidence_recall@1"] == 0
    assert scores["evidence_recall@3"] == pytest.approx(0.5)
    assert scores["evidence_recall@5"] == pytest.approx(1.0)


def test_squad_normalisation_f1_and_exact_match():
    assert normalize_answer("The  Quick, brown fox!") == "quick brown fox"
    assert exact_match("the EU AI Act.", "EU AI act") == 1.0
    assert exact_match("EU AI Act 2024", "EU AI Act") == 0.0
    # prediction "above 70 percent by 2027" vs reference "70 percent": 2 common tokens of 5 and 2
    assert token_f1("above 70 percent by 2027", "70 percent") == pytest.approx(2 * 0.4 * 1 / 1.4)
    assert token_f1("x b b", "b b c") == pytest.approx(2 / 3)  # common: b×2 of 3 and 3
    assert token_f1("a b b", "b b c") == pytest.approx(0.8)  # the article is dropped first
    assert token_f1("nothing", "else") == 0.0
    assert token_f1("", "") == 1.0 and token_f1("", "x") == 0.0


def test_abstention_scores_by_hand():
    # 4 unanswerable (abstained on 3), 6 answerable (1 wrongly refused)
    abstained = [True, True, True, False, True, False, False, False, False, False]
    answerable = [False, False, False, False, True, True, True, True, True, True]
    s = abstention_scores(abstained, answerable)
    assert s.precision == pytest.approx(3 / 4)
    assert s.recall == pytest.approx(3 / 4)
    assert s.f1 == pytest.approx(3 / 4)
    assert s.false_refusal_rate == pytest.approx(1 / 6)
    assert s.accuracy == pytest.approx(8 / 10)
    never = abstention_scores([False, False], [False, True])
    assert (never.precision, never.recall, never.f1) == (1.0, 0.0, 0.0)


def test_percentile_matches_linear_interpolation():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([], 50) == 0.0


LIST_TEXT = (
    "Agencies shall procure only models developed in accordance with the following two principles:\n"
    "(a) Truth-seeking. Models shall be truthful in responding to prompts.\n"
    "(b) Ideological Neutrality. Models shall be neutral, nonpartisan tools."
)


def _answer_quoting(text: str) -> Answer:
    passage = Passage(id="p1", doc_id="eo", title="Order", text=LIST_TEXT, start=0, end=len(LIST_TEXT))
    citation = Citation(
        n=1,
        passage_id="p1",
        doc_id="eo",
        title="Order",
        quote=LIST_TEXT,
        start=0,
        end=len(LIST_TEXT),
        score=1.0,
    )
    return Answer(
        question="q",
        standalone_question="q",
        text=text,
        citations=[citation],
        backend="extractive",
        passages=[passage],
    )


def test_a_sentence_is_cited_by_the_next_marker_of_its_paragraph(embedder):
    case = EvalCase(
        id="c",
        question="What must models be?",
        answerable=True,
        reference_answer="Neutral.",
        evidence=[{"doc_id": "eo", "quote": "Models shall be neutral, nonpartisan tools."}],
    )
    evaluate = AnswerEvaluator(OverlapJudge(embedder, "english"))
    # A list item's heading before its sentence: the verifier writes one marker after both, as a reader reads it.
    joined = evaluate(
        case,
        _answer_quoting("(b) Ideological Neutrality. Models shall be neutral, nonpartisan tools. [1]"),
        [],
    )
    assert (joined["claims"], joined["supported"]) == (2, 2)
    # In a paragraph of its own, a sentence without a marker cites nothing.
    alone = evaluate(
        case,
        _answer_quoting("(b) Ideological Neutrality.\n\nModels shall be neutral, nonpartisan tools. [1]"),
        [],
    )
    assert (alone["claims"], alone["supported"]) == (2, 1)
