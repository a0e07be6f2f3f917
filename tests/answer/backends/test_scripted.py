"""The scripted backend: a chat backend without a model, registrable by name, scored by the evaluation harness."""

from __future__ import annotations

import json

import pytest

from assistant.answer.backends import GenerationRequest, register_backend, unregister_backend
from assistant.answer.backends.scripted import ScriptedBackend, cite_evidence
from assistant.answer.evidence import Evidence
from assistant.errors import BackendError
from assistant.models import ChatMessage, Passage
from tests.support import make_settings, write

PASSAGES = [
    Passage(id="a:1", doc_id="a", title="A", text="First fact here. Second fact.", start=0, end=29),
    Passage(id="b:1", doc_id="b", title="B", text="Other document text.", start=0, end=20),
]
REQUEST = GenerationRequest(question="Which fact?", passages=PASSAGES, evidence=Evidence([]))


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "index")


def test_replies_are_consumed_in_order_and_calls_recorded(settings):
    backend = ScriptedBackend(settings, ["One [1].", ["Two ", "[2]."]], tokenizer="estimate")
    assert list(backend.generate(REQUEST)) == ["One ", "[1]."]
    assert list(backend.generate(REQUEST)) == ["Two ", "[2]."]
    assert "".join(backend.generate(REQUEST)) == "Two [2]."  # the last reply repeats
    call = backend.calls[0]
    assert call.kind == "answer" and call.passages() == {
        1: "First fact here. Second fact.",
        2: "Other document text.",
    }


def test_exceptions_are_raised_and_retried_like_a_real_transport(settings):
    flaky = BackendError("down", kind="connection", retryable=True)
    backend = ScriptedBackend(settings, [flaky, "Recovered [1]."], tokenizer="estimate", backoff_initial=0.0)
    assert "".join(backend.generate(REQUEST)) == "Recovered [1]."
    assert len(backend.calls) == 2


def test_the_deterministic_responder_cites_passage_one_and_condenses_and_judges(settings):
    backend = ScriptedBackend(settings, cite_evidence, tokenizer="estimate")
    assert "".join(backend.generate(REQUEST)) == "First fact here. [1]"
    history = [ChatMessage(role="user", content="Which fact comes first?")]
    assert backend.condense_question("And the second?", history) == "And the second?"
    assert backend.judge_support([("x", "y"), ("z", "w")]) == [True, True]
    assert [c.kind for c in backend.calls] == ["answer", "condense", "judge"]


LIGHTHOUSE = """---
title: Harbour Lighthouse Rules
---
# Harbour Lighthouse Rules

The harbour lighthouse must shine from sunset to sunrise every day of the year. The keeper records each night of
operation in the station logbook.

## Funding

The port authority pays for the lighthouse out of its maintenance budget. The annual budget for the lamp is
12,000 euros.
"""

CASES = [
    {
        "id": "hours",
        "question": "During which hours does the harbour light have to be on?",
        "answerable": True,
        "reference_answer": "From sunset to sunrise every day of the year.",
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
        "id": "budget",
        "question": "How large is the annual budget for the lighthouse lamp?",
        "answerable": True,
        "reference_answer": "12,000 euros.",
        "evidence": [{"doc_id": "lighthouse", "quote": "The annual budget for the lamp is\n12,000 euros."}],
        "tags": ["number"],
        "history": [],
    },
]


def test_the_evaluation_harness_scores_a_scripted_backend_like_the_extractive_one(make_assistant, tmp_path):
    evaluation = pytest.importorskip("assistant.evaluation.runner")
    from assistant.evaluation.dataset import load_jsonl_dataset

    write(tmp_path / "corpus" / "lighthouse.md", LIGHTHOUSE)
    dataset = tmp_path / "lighthouse.jsonl"
    dataset.write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    assistant = make_assistant()
    assistant.ingest([tmp_path / "corpus"])

    made: list[ScriptedBackend] = []

    def factory(settings):
        made.append(ScriptedBackend(settings, cite_evidence, tokenizer="estimate"))
        return made[-1]

    register_backend("scripted", factory)
    try:
        variants = evaluation.variants_for(["hybrid"], ["extractive", "scripted"])
        result = evaluation.Evaluation(assistant, load_jsonl_dataset(dataset), variants=variants).run()
    finally:
        unregister_backend("scripted")
    metrics = result.metrics
    scripted, extractive = metrics["hybrid/scripted"], metrics["hybrid/extractive"]
    assert scripted["questions"] == extractive["questions"] == 2 and scripted["errors"] == 0
    # the generator changed, nothing else: the same passages were retrieved for both
    for key in (k for k in extractive if k.startswith(("recall", "mrr", "ndcg"))):
        assert scripted[key] == extractive[key]
    assert scripted["faithfulness"] == 1.0  # it quotes passage 1, which verification confirms
    assert [call.kind for call in made[0].calls] == ["answer", "answer"]
    records = result.records["hybrid/scripted"]
    assert all(not r["backend_fallback"] and r["citations"] for r in records)
