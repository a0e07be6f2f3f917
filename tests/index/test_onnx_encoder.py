"""The ONNX Runtime backend: the same model exported once, giving the vectors PyTorch gives."""

import numpy as np
import pytest

from assistant.index.embedder import Embedder
from assistant.index.onnx_encoder import OnnxEncoder, export_key
from tests.support import make_settings

TEXTS = [
    "The provider shall establish a risk management system for high-risk AI systems.",
    "  Leading and trailing spaces are stripped, as sentence-transformers does.  ",
    "到2027年，新一代智能终端、智能体等应用普及率超70%。",
    "x",
    " ".join(["A very long passage about data centres and energy permits."] * 60),  # truncated at 256 tokens
]


@pytest.fixture(scope="module")
def onnx_settings(tmp_path_factory):
    cache = tmp_path_factory.mktemp("onnx-cache")
    return make_settings(tmp_path_factory.mktemp("idx"), embedding={"backend": "onnx", "onnx_cache": cache})


@pytest.fixture(scope="module")
def onnx_embedder(onnx_settings):
    return Embedder(onnx_settings.embedding)


def test_vectors_and_token_counts_match_pytorch(onnx_embedder, embedder):
    ours = onnx_embedder.embed_documents(TEXTS, batch_size=2)
    reference = embedder.embed_documents(TEXTS)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * reference).sum(axis=1).min() > 0.9999
    assert onnx_embedder.count_tokens(TEXTS) == embedder.count_tokens(TEXTS)
    assert (onnx_embedder.dimension, onnx_embedder.max_seq_length, onnx_embedder.special_tokens) == (
        embedder.dimension,
        embedder.max_seq_length,
        embedder.special_tokens,
    )
    assert np.allclose(onnx_embedder.embed_query(TEXTS[0]), reference[0], atol=1e-4)


def test_batches_run_on_several_threads_keep_the_input_order(onnx_settings, onnx_embedder):
    onnx_embedder.embed_query("load")
    folder = onnx_settings.embedding.onnx_cache / export_key(onnx_embedder._load_target)
    encoder = OnnxEncoder(folder, threads=3)  # 3 even on a small machine: the batches overlap
    many = [f"{i}: {text}" for i, text in enumerate(TEXTS * 6)]
    together = encoder.encode(many, batch_size=2)
    alone = np.stack([encoder.encode([text], batch_size=1)[0] for text in many])
    assert together.shape == (len(many), encoder.dimension)
    assert np.allclose(together, alone, atol=1e-5)
    assert (together @ alone.T).argmax(axis=1).tolist() == list(range(len(many)))


def test_the_export_is_made_once_and_reused(onnx_settings, onnx_embedder):
    onnx_embedder.embed_query("load")
    cache = onnx_settings.embedding.onnx_cache
    exports = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in exports] == [export_key(onnx_embedder._load_target)]
    stamp = (exports[0] / "model.onnx").stat().st_mtime_ns
    again = Embedder(onnx_settings.embedding)
    again.embed_query("load again")
    assert (exports[0] / "model.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in cache.iterdir() if p.name.startswith(".export-")], "no staging folder left behind"


def test_an_assistant_on_onnx_finds_what_pytorch_finds(
    tmp_path, onnx_settings, onnx_embedder, make_assistant
):
    from assistant.service import Assistant
    from tests.support import CORPUS

    torch_assistant = make_assistant()
    torch_assistant.ingest([CORPUS])
    settings = make_settings(tmp_path / "onnx-index", embedding=onnx_settings.embedding.model_dump())
    onnx_assistant = Assistant(settings, embedder=onnx_embedder)
    try:
        onnx_assistant.ingest([CORPUS])
        for question in ("What does the AI Act prohibit?", "What are the functions of the NIST AI RMF core?"):
            ours = [p.id for p in onnx_assistant.retrieve(question, mode="dense").passages]
            theirs = [p.id for p in torch_assistant.retrieve(question, mode="dense").passages]
            assert ours == theirs
    finally:
        onnx_assistant.close()


def test_a_gpu_device_is_refused_clearly(tmp_path):
    from assistant.errors import ConfigError

    settings = make_settings(
        tmp_path, embedding={"backend": "onnx", "device": "cuda", "onnx_cache": tmp_path}
    )
    with pytest.raises(ConfigError, match="CPU"):
        Embedder(settings.embedding).embed_query("x")
