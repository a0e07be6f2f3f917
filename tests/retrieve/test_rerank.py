import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.config import RerankSettings, load_settings
from assistant.errors import ConfigError
from assistant.retrieve.rerank import CrossEncoderReranker, TermOverlapReranker, combine, passage_input
from assistant.retrieve.rerank_training import TrainingGroup, fine_tune
from tests.support import write

# No cross-encoder ships in a package. The tests fine-tune a small one from the packaged MiniLM (conftest.py)
# and score with it; the one scripts/train_reranker.py makes from PolicyQA is used too when it is beside the
# checkout, like the shared data.
MODEL = Path(__file__).resolve().parents[3] / "rerank-models" / "policyqa-minilm-l6-ce"
needs_model = pytest.mark.skipif(
    not (MODEL / "config.json").is_file(),
    reason=f"no cross-encoder at {MODEL}: run scripts/train_reranker.py --out {MODEL}",
)

QUESTION = "Does the website share my personal information with advertisers?"
RELEVANT = (
    "We may share personal information such as your email address and browsing history with our "
    "advertising partners so that they can show you ads that match your interests."
)
IRRELEVANT = "Our offices are closed on public holidays; the cafeteria serves lunch from noon until two."


def doc(title: str, body: str) -> str:
    return f'---\ntitle: "{title}"\nlanguage: "en"\n---\n\n{body}\n'


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "c"
    # The lexical and dense retrievers both prefer the first (it repeats the question's words); only the
    # second says what happens.
    write(
        folder / "a.md",
        doc("Advertising", "This section is about personal information and advertisers on the website."),
    )
    write(folder / "b.md", doc("Sharing", RELEVANT))
    write(folder / "c.md", doc("Offices", IRRELEVANT))
    return folder


def test_enabled_without_a_model_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="retrieval.rerank"):
        load_settings(data_dir=tmp_path, retrieval={"rerank": {"enabled": True}})


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    reranker = CrossEncoderReranker(RerankSettings(enabled=True, model=str(tmp_path / "nope")))
    with pytest.raises(ConfigError, match="not a cross-encoder folder"):
        reranker.score("q", ["p"])


def test_combine_mixes_scaled_scores():
    assert combine([3.0, 1.0], [0.1, 0.2], 0.0) == [3.0, 1.0]
    assert combine([3.0, 1.0], [0.1, 0.2], 0.5) == pytest.approx([0.5, 0.5])
    assert combine([3.0, 1.0], [0.1, 0.2], 1.0) == pytest.approx([0.0, 1.0])


def test_disabled_leaves_the_fused_order_unchanged(corpus, make_assistant):
    assistant = make_assistant()
    assistant.ingest([corpus])
    assert assistant.retriever.reranker is None
    retrieval = assistant.retrieve(QUESTION, top_k=3)
    assert "rerank" not in retrieval.timings
    assert all(p.scores.rerank is None for p in retrieval.passages)
    fused = [p.scores.fused for p in retrieval.passages]
    assert fused == sorted(fused, reverse=True)


class PreferWords:
    """A reranker that scores a passage 1 when it has one of the words, else 0."""

    def __init__(self, *words: str) -> None:
        self.words = words

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        return [float(any(w in p for w in self.words)) for p in passages]


def test_rerank_reorders_the_fused_candidates(corpus, make_assistant):
    assistant = make_assistant(retrieval={"rerank": {"candidates": 3}})
    assistant.ingest([corpus])
    fused = [p.doc_id for p in assistant.retrieve(QUESTION, top_k=3).passages]
    assert fused[-1] == "c"
    assistant.retriever.reranker = PreferWords("cafeteria")
    retrieval = assistant.retrieve(QUESTION, top_k=3)
    assert [p.doc_id for p in retrieval.passages] == ["c", *fused[:2]]  # ties keep the fused order
    assert [p.scores.rerank for p in retrieval.passages] == [1.0, 0.0, 0.0]
    assert retrieval.timings["rerank"] >= 0


def test_only_the_first_candidates_are_rescored(corpus, make_assistant):
    assistant = make_assistant(retrieval={"rerank": {"candidates": 2}})
    assistant.ingest([corpus])
    fused = [p.doc_id for p in assistant.retrieve(QUESTION, top_k=3).passages]
    assistant.retriever.reranker = PreferWords("cafeteria", "advertising partners")
    passages = assistant.retrieve(QUESTION, top_k=3).passages
    assert passages[2].doc_id == fused[2] and passages[2].scores.rerank is None
    assert [p.scores.rerank for p in passages[:2]] == sorted(
        (p.scores.rerank for p in passages[:2]), reverse=True
    )


def test_the_package_fake_scores_by_shared_words():
    assert TermOverlapReranker().score("share data", ["we share data", "we share", "nothing"]) == [
        1.0,
        0.5,
        0.0,
    ]


@pytest.fixture(params=["fine-tuned here", "PolicyQA"])
def cross_encoder(request) -> Path:
    """Each real cross-encoder at hand: the one the test run fine-tunes, and the PolicyQA one if trained."""
    if request.param == "PolicyQA":
        if not (MODEL / "config.json").is_file():
            pytest.skip(f"no cross-encoder at {MODEL}: run scripts/train_reranker.py --out {MODEL}")
        return MODEL
    return request.getfixturevalue("fine_tuned_cross_encoder")


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_the_cross_encoder_scores_a_relevant_passage_above_an_irrelevant_one(
    cross_encoder, backend, tmp_path
):
    reranker = CrossEncoderReranker(
        RerankSettings(enabled=True, model=str(cross_encoder), backend=backend), cache_dir=tmp_path
    )
    relevant, irrelevant = reranker.score(
        QUESTION, [passage_input("Sharing", RELEVANT), passage_input("Offices", IRRELEVANT)]
    )
    assert relevant > irrelevant


def test_onnx_and_torch_give_the_same_scores(cross_encoder, tmp_path):
    texts = [passage_input("Sharing", RELEVANT), passage_input("Offices", IRRELEVANT), "short"]
    onnx = CrossEncoderReranker(RerankSettings(enabled=True, model=str(cross_encoder)), cache_dir=tmp_path)
    torch = CrossEncoderReranker(RerankSettings(enabled=True, model=str(cross_encoder), backend="torch"))
    assert onnx.score(QUESTION, texts) == pytest.approx(torch.score(QUESTION, texts), abs=1e-3)


def test_the_fine_tuned_folder_says_how_it_was_made(fine_tuned_cross_encoder):
    record = json.loads((fine_tuned_cross_encoder / "TRAINING.json").read_text(encoding="utf-8"))
    assert record["base"].startswith("sentence-transformers/all-MiniLM-L6-v2") and record["steps"] == 45
    config = json.loads((fine_tuned_cross_encoder / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"] == {"0": "relevance"}


def test_training_groups_of_unequal_size_are_refused():
    with pytest.raises(ValueError, match="same number of negatives"):
        fine_tune([TrainingGroup("q", ("a", "b")), TrainingGroup("q", ("a", "b", "c"))])


def test_the_real_cross_encoder_reorders_retrieval(cross_encoder, corpus, make_assistant, tmp_path):
    settings = {"enabled": True, "model": str(cross_encoder), "candidates": 3}
    assistant = make_assistant(retrieval={"rerank": settings})
    assistant.ingest([corpus])
    retrieval = assistant.retrieve(QUESTION, top_k=3)
    # The off-topic passage goes last, whatever the fused order; each passage carries the model's score.
    assert [p.doc_id for p in retrieval.passages][-1] == "c"
    scores = [p.scores.rerank for p in retrieval.passages]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)
    assert retrieval.timings["rerank"] > 0


@needs_model
def test_the_policyqa_cross_encoder_puts_the_answering_passage_first(corpus, make_assistant):
    assistant = make_assistant(retrieval={"rerank": {"enabled": True, "model": str(MODEL), "candidates": 3}})
    assistant.ingest([corpus])
    retrieval = assistant.retrieve(QUESTION, top_k=3)
    assert [p.doc_id for p in retrieval.passages][0] == "b"
