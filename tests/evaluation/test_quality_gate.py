"""The quality gate: the development set through the real service must meet configs/quality-gate.yaml."""

import pytest

from assistant.errors import ConfigError
from assistant.evaluation.dataset import load_jsonl_dataset
from assistant.evaluation.gate import Gate, check_gate, gate_paths, load_gate
from assistant.evaluation.runner import Evaluation, Variant
from assistant.service import Assistant
from tests.support import ROOT, make_settings, shared_data


def test_gate_bounds_and_missing_metrics():
    gate = Gate(dataset="x.jsonl", min={"token_f1": 0.3, "ndcg@10": 0.5}, max={"false_refusal_rate": 0.1})
    assert check_gate(gate, {"token_f1": 0.3, "ndcg@10": 0.9, "false_refusal_rate": 0.1}).passed
    verdict = check_gate(gate, {"token_f1": 0.29, "false_refusal_rate": 0.2})
    assert verdict.failures == [
        "token_f1 = 0.2900 is below the minimum 0.3",
        "ndcg@10 = missing is below the minimum 0.5",
        "false_refusal_rate = 0.2000 is above the maximum 0.1",
    ]


def test_a_broken_gate_file_is_a_clear_error(tmp_path):
    path = tmp_path / "gate.yaml"
    path.write_text("dataset: x\nminimum: {}\n")
    with pytest.raises(ConfigError, match="minimum"):
        load_gate(path)
    with pytest.raises(ConfigError, match="not found"):
        load_gate(tmp_path / "none.yaml")


@pytest.fixture(scope="module")
def policy_corpus_assistant(tmp_path_factory, embedder):
    """The 27 real documents of ../shared/data/policy-corpus, ingested once (skips when absent)."""
    folder = shared_data("policy-corpus")
    assistant = Assistant(make_settings(tmp_path_factory.mktemp("policy-corpus-index")), embedder=embedder)
    report = assistant.ingest([folder])
    assert report.count("failed") == 0, report.items
    yield assistant
    assistant.close()


def test_every_gate_file_is_valid():
    paths = gate_paths()
    assert {p.name for p in paths} >= {
        "quality-gate.yaml",
        "quality-gate-policy-corpus.yaml",
        "quality-gate-cross-lingual.yaml",
    }
    for path in paths:
        gate = load_gate(path)
        assert gate.min and gate.max and (ROOT / gate.dataset).is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["quality-gate.yaml", "quality-gate-policy-corpus.yaml", "quality-gate-cross-lingual.yaml"]
)
def test_the_evaluation_sets_meet_their_quality_gates(name, request):
    gate = load_gate(ROOT / "configs" / name)
    fixture = "policy_corpus_assistant" if gate.corpus else "corpus_assistant"
    assistant = request.getfixturevalue(fixture)
    data = load_jsonl_dataset(ROOT / gate.dataset).half(gate.half)
    result = Evaluation(assistant, data, variants=[Variant.parse(gate.variant)]).run()
    metrics = result.metrics[gate.variant]
    verdict = check_gate(gate, metrics)
    shown = ", ".join(f"{name}={metrics.get(name, float('nan')):.4f}" for name in verdict.checked)
    assert verdict.passed, "\n".join(verdict.failures) + f"\nmeasured: {shown}"
