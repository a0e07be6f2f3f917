"""The runner through the real service (real model, real Chroma): scoring, variants, judges, resume, reports."""

import json

import pytest

from assistant.answer.backends.base import register_backend, unregister_backend
from assistant.errors import ConfigError
from assistant.evaluation.compare import metric_deltas, worse_questions
from assistant.evaluation.dataset import load_jsonl_dataset
from assistant.evaluation.judges import LLMJudge
from assistant.evaluation.report import write_answer_report
from assistant.evaluation.runner import Evaluation, Variant, variants_for
from assistant.evaluation.runs import RunFolder
from tests.support import write

LIGHTHOUSE = """---
title: Harbour Lighthouse Rules
---
# Harbour Lighthouse Rules

## Operation

The harbour lighthouse must shine from sunset to sunrise every day of the year. The keeper records each night of
operation in the station logbook. Inspections of the lamp take place every six months.

## Funding

The port authority pays for the lighthouse out of its maintenance budget. The annual budget for the lamp is
12,000 euros.
"""

ORCHARD = """---
title: Community Orchard Charter
---
# Community Orchard Charter

Members of the orchard may pick up to five kilograms of apples per week. The orchard committee meets on the first
Monday of each month. Pesticides are not allowed anywhere in the orchard.
"""

CASES = [
    {
        "id": "hours",
        "question": "During which hours does the harbour light have to be on?",
        "answerable": True,
        "reference_answer": "From sunset to sunrise every day.",
        "evidence": [
            {
                "doc_id": "lighthouse",
                "quote": "The harbour lighthouse must shine from sunset to sunrise every day of the year.",
            }
        ],
        "tags": ["fact"],
        "history": [],
    },
    {
        "id": "apples",
        "question": "How many kilograms of apples can a member take each week?",
        "answerable": True,
        "reference_answer": "Up to five kilograms.",
        "evidence": [
            {
                "doc_id": "orchard",
                "quote": "Members of the orchard may pick up to five kilograms of apples per week.",
            }
        ],
        "tags": ["number"],
        "history": [],
    },
    {
        "id": "budget-follow-up",
        "question": "And how much is its yearly lamp budget?",
        "answerable": True,
        "reference_answer": "12,000 euros a year.",
        "evidence": [{"doc_id": "lighthouse", "quote": "The annual budget for the lamp is\n12,000 euros."}],
        "tags": ["number", "follow-up"],
        "history": [
            {"role": "user", "content": "Who pays for the harbour lighthouse?"},
            {"role": "assistant", "content": "The port authority pays for it."},
        ],
    },
    {
        "id": "volcano",
        "question": "What is the evacuation plan for the volcano observatory staff?",
        "answerable": False,
        "reference_answer": "",
        "evidence": [],
        "tags": ["unanswerable"],
        "history": [],
    },
]


@pytest.fixture
def small_corpus(tmp_path):
    folder = tmp_path / "corpus"
    write(folder / "lighthouse.md", LIGHTHOUSE)
    write(folder / "orchard.md", ORCHARD)
    dataset = tmp_path / "small.jsonl"
    dataset.write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    return folder, dataset


@pytest.fixture
def small_assistant(make_assistant, small_corpus):
    assistant = make_assistant()
    assistant.ingest([small_corpus[0]])
    return assistant


def test_a_run_scores_retrieval_answers_citations_and_abstention(small_assistant, small_corpus):
    data = load_jsonl_dataset(small_corpus[1])
    result = Evaluation(small_assistant, data, ks=(1, 3)).run()
    records = {r["id"]: r for r in result.records["hybrid/extractive"]}
    hours = records["hours"]
    assert hours["retrieval"]["evidence_recall@3"] == 1.0
    assert not hours["abstained"] and hours["scores"]["gold_cited"] == 1
    assert hours["scores"]["token_f1"] > 0.3
    assert all(c["supports"] for c in hours["scores"]["citations"])
    assert (
        records["budget-follow-up"]["standalone_question"] != CASES[2]["question"]
    )  # condensed with history
    assert records["volcano"]["retrieval"] is None
    metrics = result.metrics["hybrid/extractive"]
    assert metrics["questions"] == 4 and metrics["errors"] == 0
    assert metrics["faithfulness"] == 1.0  # extractive answers quote their passages
    assert 0 <= metrics["citation_precision"] <= 1 and metrics["citation_recall"] > 0
    assert "abstention_f1" in metrics and "latency_total_p95_ms" in metrics
    assert set(result.by_tag["hybrid/extractive"]) == {"fact", "number", "follow-up", "unanswerable"}


def test_variants_compare_modes_and_any_registered_backend(small_assistant, small_corpus):
    class Inventing:
        name = "inventing"

        def __init__(self, settings):
            pass

        def generate(self, request):
            yield "The lighthouse is painted purple by volunteers every spring [1]."

    register_backend("inventing", Inventing)
    try:
        data = load_jsonl_dataset(small_corpus[1]).limited(2)
        variants = variants_for(["bm25", "dense"], ["extractive", "inventing"])
        assert [v.name for v in variants] == [
            "bm25/extractive",
            "dense/extractive",
            "bm25/inventing",
            "dense/inventing",
        ]
        result = Evaluation(small_assistant, data, variants=variants).run()
    finally:
        unregister_backend("inventing")
    metrics = result.metrics
    assert set(metrics) == {v.name for v in variants}
    with pytest.raises(ConfigError, match="unknown answer backend 'nope'"):
        Evaluation(small_assistant, data, variants=[Variant("hybrid", "nope")])
    with pytest.raises(ConfigError, match="unknown retrieval mode"):
        Evaluation(small_assistant, data, variants=[Variant("sparse", "extractive")])
    assert metrics["bm25/inventing"].get("token_f1", 0) < metrics["bm25/extractive"]["token_f1"]
    assert metrics["bm25/inventing"].get("faithfulness", 0.0) < metrics["bm25/extractive"]["faithfulness"]


def test_an_llm_judge_is_asked_through_a_backend(small_assistant, small_corpus):
    verdicts = []

    class Judge:
        name = "judge"

        def __init__(self, settings):
            pass

        def generate(self, request):
            verdicts.append(request.question)
            yield "NO, the statement is not backed."

    data = load_jsonl_dataset(small_corpus[1]).limited(1)
    result = Evaluation(small_assistant, data, judge=LLMJudge(Judge(None))).run()
    assert verdicts and "Statement:" in verdicts[0]
    assert result.metrics["hybrid/extractive"]["faithfulness"] == 0.0
    with pytest.raises(Exception, match="cannot judge"):
        LLMJudge(small_assistant._backend("extractive"))


def test_an_interrupted_run_resumes_without_asking_again(small_assistant, small_corpus, tmp_path):
    data = load_jsonl_dataset(small_corpus[1])
    folder = RunFolder.create(tmp_path / "runs", "small")
    seen = []

    def stop_after_two(record):
        folder.append(record)
        seen.append(record["id"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    evaluation = Evaluation(small_assistant, data)
    with pytest.raises(KeyboardInterrupt):
        evaluation.run(sink=stop_after_two)
    saved = folder.records()
    assert [r["id"] for r in saved] == ["hours", "apples"]
    with folder.records_path.open("a") as out:
        out.write('{"variant": "hybrid/extr')  # a record cut short by a kill is ignored
    asked = []
    result = Evaluation(small_assistant, data).run(
        done=folder.records(), sink=lambda r: asked.append(r["id"])
    )
    assert asked == ["budget-follow-up", "volcano"]
    assert [r["id"] for r in result.records["hybrid/extractive"]] == [c["id"] for c in CASES]
    assert result.records["hybrid/extractive"][0] == saved[0]


def test_reports_and_comparison(small_assistant, small_corpus, tmp_path):
    data = load_jsonl_dataset(small_corpus[1])
    result = Evaluation(small_assistant, data).run()
    run = {
        "dataset": {"name": data.name, "source": data.source, "cases": len(data)},
        "metrics": result.metrics,
        "by_tag": result.by_tag,
        "records": result.records,
    }
    write_answer_report(tmp_path, run)
    markdown = (tmp_path / "report.md").read_text()
    assert "| token_f1 |" in markdown and "hours" in markdown
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 3  # recall curve, tag bars, latency histogram
    assert (tmp_path / "plots" / "recall_at_k.png").stat().st_size > 1000

    worse = json.loads(json.dumps(run))
    hours = worse["records"]["hybrid/extractive"][0]
    hours.update(abstained=True, answer="The indexed documents do not answer this question.")
    hours["scores"]["token_f1"] = 0.0
    worse["metrics"]["hybrid/extractive"]["token_f1"] -= 0.25
    deltas = metric_deltas(run, worse)
    assert deltas[[r[1] for r in deltas].index("token_f1")][:2] == ["hybrid/extractive", "token_f1"]
    assert any(r[1] == "token_f1" and r[4] == "-0.250" for r in deltas)
    rows = worse_questions(run, worse)
    assert [r[1] for r in rows[1:]] == ["hours"] and "answered → wrongly refused" in rows[1][4]
    assert Variant.parse("dense/extractive") == Variant("dense", "extractive")
