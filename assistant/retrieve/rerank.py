"""Second-stage reranking: a cross-encoder reads each (question, passage) pair and scores it.

No cross-encoder ships inside a PyPI package (the rerank libraries download their weights from a model
hub at run time, which this deployment cannot do), so `retrieval.rerank.model` names a local folder: a
cross-encoder in the Hugging Face layout (config.json, model.safetensors, tokenizer.json), for example the
one `scripts/train_reranker.py` fine-tunes from the packaged all-MiniLM-L6-v2 weights.

The `onnx` backend exports the model once (full precision) into the cache shared with the embedding
model's export and runs it with ONNX Runtime; `torch` runs it with transformers.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..config import RerankSettings
from ..errors import ConfigError
from ..index.onnx_encoder import default_cache_dir, export_key, write_onnx_export


class Reranker(Protocol):
    """Scores passages for a query; higher is more relevant. Scores are comparable within one call."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


def passage_input(title: str, text: str) -> str:
    """What the cross-encoder reads of a passage: its document title, then its text."""
    return f"{title}\n{text}" if title else text


class TermOverlapReranker:
    """A fake for tests: the share of the query's words found in each passage."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        wanted = set(re.findall(r"\w+", query.lower()))
        if not wanted:
            return [0.0] * len(passages)
        return [len(wanted & set(re.findall(r"\w+", p.lower()))) / len(wanted) for p in passages]


class CrossEncoderReranker:
    """A cross-encoder with one relevance logit, loaded from a local folder on first use."""

    def __init__(self, settings: RerankSettings, cache_dir: Path | None = None) -> None:
        if not settings.model:
            raise ConfigError(
                "retrieval.rerank.enabled needs retrieval.rerank.model: a local cross-encoder folder "
                "(none ships in a package; scripts/train_reranker.py trains one)"
            )
        self.settings = settings
        self.folder = Path(settings.model).expanduser()
        self.cache_dir = cache_dir
        self._runner: Any = None
        self._lock = threading.Lock()

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        runner = self._load()
        size = self.settings.batch_size
        out: list[float] = []
        for start in range(0, len(passages), size):
            out.extend(runner(query, list(passages[start : start + size])))
        return out

    def _load(self) -> Any:
        if self._runner is None:
            with self._lock:
                if self._runner is None:
                    if not (self.folder / "config.json").is_file():
                        raise ConfigError(
                            f"retrieval.rerank.model: {str(self.folder)!r} is not a cross-encoder folder "
                            "(no config.json); weights cannot be downloaded at run time"
                        )
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    try:
                        if self.settings.backend == "onnx":
                            self._runner = _OnnxRunner(self._export(), self.settings.max_length)
                        else:
                            self._runner = _TorchRunner(self.folder, self.settings.max_length)
                    except ConfigError:
                        raise
                    except Exception as exc:  # transformers and onnxruntime raise many kinds
                        raise ConfigError(f"cannot load reranker {str(self.folder)!r}: {exc}") from exc
        return self._runner

    def _export(self) -> Path:
        folder = (self.cache_dir or default_cache_dir()) / f"rerank-{export_key(str(self.folder.resolve()))}"
        if not (folder / "reranker.json").is_file():
            export_cross_encoder(self.folder, folder)
        return folder


class _TorchRunner:
    def __init__(self, folder: Path, max_length: int) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
        self.max_length = max_length

    def __call__(self, query: str, passages: list[str]) -> list[float]:
        features = self.tokenizer(
            [query] * len(passages),
            passages,
            padding=True,
            truncation="only_second",
            max_length=self.max_length,
            return_tensors="pt",
        )
        with self.torch.inference_mode():
            return self.model(**features).logits[:, 0].float().tolist()


class _OnnxRunner:
    def __init__(self, folder: Path, max_length: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        spec = json.loads((folder / "reranker.json").read_text(encoding="utf-8"))
        self.inputs: list[str] = spec["inputs"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length, strategy="only_second")
        self.tokenizer.enable_padding(pad_id=spec["pad_id"], pad_token=spec["pad_token"])
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, query: str, passages: list[str]) -> list[float]:
        encodings = self.tokenizer.encode_batch([(query, p) for p in passages])
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return [float(v) for v in self.session.run(None, feed)[0][:, 0]]


def export_cross_encoder(source: Path, folder: Path) -> None:
    """Export a sequence-classification model (one logit) and its fast tokenizer to `folder`."""
    try:
        import onnx  # noqa: F401 - torch.onnx.export writes through it
        import torch  # noqa: F401 - checked here, used by write_onnx_export
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(f"exporting the reranker to ONNX needs {exc.name}: pip install onnx") from exc
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = AutoModelForSequenceClassification.from_pretrained(str(source)).eval()
    inputs = ["input_ids", "attention_mask"]
    if "token_type_ids" in tokenizer.model_input_names:
        inputs.append("token_type_ids")

    sample = tokenizer(
        ["a question", "another question"],
        ["a passage", "a longer passage"],
        padding=True,
        return_tensors="pt",
    )
    spec = {
        "source": str(source),
        "inputs": inputs,
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
    }
    write_onnx_export(model, tokenizer, sample, inputs, "logits", "logits", spec, folder, "reranker.json")


def build_reranker(settings: RerankSettings) -> Reranker | None:
    """The configured reranker, or None when reranking is off."""
    return CrossEncoderReranker(settings) if settings.enabled else None


def combine(rerank: Sequence[float], fused: Sequence[float], fusion_weight: float) -> list[float]:
    """The order key of reranked candidates: rerank and fused scores, each min-max scaled over the
    candidates, mixed with `fusion_weight` on the fused one (0: the cross-encoder alone decides)."""

    def scaled(values: Sequence[float]) -> np.ndarray:
        array = np.asarray(values, dtype=np.float64)
        spread = float(array.max() - array.min()) if len(array) else 0.0
        return (array - array.min()) / spread if spread > 0 else np.zeros_like(array)

    if fusion_weight <= 0:
        return [float(v) for v in rerank]
    mixed = (1 - fusion_weight) * scaled(rerank) + fusion_weight * scaled(fused)
    return [float(v) for v in mixed]
