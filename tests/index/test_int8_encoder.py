"""embedding.precision int8: the packaged model quantised once from its fp32 export, close to fp32 and never
mixed with it in one index."""

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.config import load_settings
from assistant.errors import ConfigError, IndexMismatchError
from assistant.index.embedder import Embedder
from assistant.index.onnx_encoder import export_key
from tests.support import make_settings, write

SENTENCES = [
    "Providers of high-risk AI systems shall establish a risk management system.",
    "A personal data breach shall be notified to the supervisory authority within 72 hours.",
    "The four functions of the AI RMF core are govern, map, measure and manage.",
    "到2027年，新一代智能终端、智能体等应用普及率超70%。",
    "Federal agencies must publish an annual inventory of their AI use cases.",
    " ".join(["Data centres need energy permits and grid connections to be built quickly."] * 40),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def fp32(cache, tmp_path_factory):
    return Embedder(make_settings(tmp_path_factory.mktemp("a"), embedding={"onnx_cache": cache}).embedding)


@pytest.fixture(scope="module")
def int8(cache, tmp_path_factory):
    settings = make_settings(
        tmp_path_factory.mktemp("b"), embedding={"onnx_cache": cache, "precision": "int8"}
    )
    return Embedder(settings.embedding)


def test_int8_vectors_are_unit_length_and_close_to_fp32(fp32, int8):
    ours = int8.embed_documents(SENTENCES)
    reference = fp32.embed_documents(SENTENCES)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() > 0.97, cosines
    assert cosines.max() < 0.99999, "the int8 model really is another model"
    assert int8.count_tokens(SENTENCES) == fp32.count_tokens(SENTENCES)
    assert int8.dimension == fp32.dimension and int8.max_seq_length == fp32.max_seq_length


def test_int8_ranks_the_relevant_passage_first(int8):
    passages = int8.embed_documents(SENTENCES)
    for question, relevant in (
        ("How fast must a data breach be reported?", 1),
        ("What are the functions of the NIST AI RMF core?", 2),
        ("Which agencies must list their AI use cases?", 4),
    ):
        assert int(np.argmax(passages @ int8.embed_query(question))) == relevant, question


def test_the_int8_model_is_made_once_beside_the_fp32_export(cache, int8):
    int8.embed_query("load")
    target = int8._load_target
    folders = sorted(p.name for p in cache.iterdir())
    assert folders == sorted([export_key(target), export_key(target, "int8")])
    quantised = cache / export_key(target, "int8")
    assert "int8" in quantised.name and int8.model.precision == "int8"
    size = (quantised / "model.onnx").stat().st_size
    assert size < 0.7 * (cache / export_key(target) / "model.onnx").stat().st_size
    stamp = (quantised / "model.onnx").stat().st_mtime_ns
    again = Embedder(int8.settings)
    again.embed_query("load again")
    assert (quantised / "model.onnx").stat().st_mtime_ns == stamp


def test_the_recorded_model_name_changes_with_precision(fp32, int8):
    assert fp32.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert int8.name != fp32.name and "int8" in int8.name


def test_int8_with_the_torch_backend_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="precision int8.*backend: onnx"):
        load_settings(data_dir=tmp_path, embedding={"backend": "torch", "precision": "int8"})
    settings = make_settings(tmp_path).embedding.model_copy(update={"backend": "torch", "precision": "int8"})
    with pytest.raises(ConfigError, match="backend: onnx"):
        Embedder(settings)  # settings built without validation are refused too


def _policy(folder):
    write(
        folder / "breach.md",
        "---\ntitle: Breach rules\n---\n\nA personal data breach shall be notified to the supervisory "
        "authority without undue delay and within 72 hours.\n",
    )
    write(
        folder / "rmf.md",
        "---\ntitle: AI RMF\n---\n\nThe core of the framework has four functions: govern, map, measure and "
        "manage.\n",
    )
    return folder


def test_a_changed_precision_is_refused_then_re_embedded_by_a_rebuild(tmp_path, cache, fp32, int8):
    from assistant.service import Assistant

    docs = _policy(tmp_path / "docs")
    folder = tmp_path / "idx"
    built = Assistant(make_settings(folder, embedding={"onnx_cache": cache}), embedder=fp32)
    built.ingest([docs])
    ids = sorted(built.index.store.all_ids())
    before = built.index.store.collection.get(ids=ids, include=["embeddings"])["embeddings"]
    built.close()

    settings = make_settings(folder, embedding={"onnx_cache": cache, "precision": "int8"})
    with pytest.raises(IndexMismatchError, match="int8"):
        Assistant(settings, embedder=int8)  # never silently mixed
    rebuilt = Assistant(settings, embedder=int8, rebuild=True)
    try:
        report = rebuilt.ingest([docs])
        assert report.summary["chunks_embedded"] == len(ids) and report.summary["added"] == 2
        assert rebuilt.index.catalog.get_meta("embedding_model") == int8.name
        after = rebuilt.index.store.collection.get(ids=ids, include=["embeddings"])["embeddings"]
        cosines = (np.asarray(before) * np.asarray(after)).sum(axis=1)
        assert cosines.min() > 0.97 and cosines.max() < 0.99999  # int8 vectors now, not the fp32 ones
        top = rebuilt.retrieve("How quickly must a data breach be notified?", mode="dense").passages[0]
        assert top.doc_id == "breach"
    finally:
        rebuilt.close()
    with pytest.raises(IndexMismatchError, match="int8"):
        Assistant(make_settings(folder, embedding={"onnx_cache": cache}), embedder=fp32)  # and back


def test_ingest_rebuild_on_the_command_line_takes_another_precision(tmp_path, cache, monkeypatch):
    from assistant.cli import main

    docs = _policy(tmp_path / "docs")
    env = {
        "ASSISTANT_PROFILE": "test",
        "ASSISTANT_DATA_DIR": str(tmp_path / "idx"),
        "ASSISTANT_EMBEDDING__ONNX_CACHE": str(cache),
    }
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(docs)], env=env).exit_code == 0
    env["ASSISTANT_EMBEDDING__PRECISION"] = "int8"
    refused = runner.invoke(main, ["ingest", str(docs)], env=env)
    assert refused.exit_code != 0 and "--rebuild" in refused.output
    rebuilt = runner.invoke(main, ["ingest", "--rebuild", str(docs)], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 added" in rebuilt.output
