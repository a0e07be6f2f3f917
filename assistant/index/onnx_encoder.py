"""The embedding model run by ONNX Runtime: the same weights, tokenizer, pooling and normalisation as
sentence-transformers, without PyTorch's per-operation overhead (about twice as fast on a small CPU).

The model is exported once from its sentence-transformers folder (full precision, so its vectors match the
PyTorch ones to about 1e-7 in cosine) into a cache folder keyed by the model files; later loads read the
export and need neither PyTorch nor sentence-transformers.

With `embedding.precision: int8` the encoder runs an int8 copy of that export (ONNX Runtime dynamic
quantisation, `quantize_int8`), made once from it and cached in its own folder beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError

EXPORT_VERSION = "1"
OPSET = 17
_POOLINGS = ("mean", "cls", "max")
PRECISIONS = ("fp32", "int8")
# The int8 recipe (quantize_int8); a change of it is a new cache folder.
QUANTIZE_VERSION = "1"


def default_cache_dir() -> Path:
    """~/.cache/policy-assistant/onnx (XDG_CACHE_HOME respected), or a temporary folder when that is not
    writable (a locked-down service account)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "policy-assistant" / "onnx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "policy-assistant-onnx"


def export_key(target: str, precision: str = "fp32") -> str:
    """A folder name that changes when the model files change (or the export recipe does); the int8 model
    has its own folder (`<name>-int8-<digest>`)."""
    path = Path(target)
    parts = [EXPORT_VERSION, str(OPSET), target]
    if precision != "fp32":
        parts.append(f"{precision}:{QUANTIZE_VERSION}")
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if file.is_file() and file.suffix in (".json", ".safetensors", ".bin", ".txt"):
                stat = file.stat()
                parts.append(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}")
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
    precision_tag = "" if precision == "fp32" else f"-{precision}"
    return f"{path.name or 'model'}{precision_tag}-{digest}"


class OnnxEncoder:
    """Encodes texts with an exported sentence-transformers model in an ONNX Runtime session."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        spec = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.max_seq_length: int = spec["max_seq_length"]
        self.dimension: int = spec["dimension"]
        self.pooling: str = spec["pooling"]
        self.precision: str = spec.get("precision", "fp32")
        self.inputs: list[str] = spec["inputs"]
        self.tokenizer_json = (folder / "tokenizer.json").read_text(encoding="utf-8")
        self._tokenizer = Tokenizer.from_str(self.tokenizer_json)
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        self._tokenizer.enable_padding(pad_id=spec["pad_id"], pad_token=spec["pad_token"])
        # Two sessions over the same model. An encode of several batches (an ingest) gives the cores whole
        # batches: `encode` runs up to `threads` of them at once, each on a one-thread session (sessions are
        # thread-safe), which measured 12% faster than splitting every batch's operators over the cores. An
        # encode of one batch (a question, a passage's sentences) has nothing to spread, so its operators
        # are split instead: a question's encode takes 5 ms instead of 7, 16 sentences 45 ms instead of 80.
        self.threads = max(1, threads or len(os.sched_getaffinity(0)))
        self._session = self._open_session(ort, folder, 1)
        self._parallel_session = (
            self._open_session(ort, folder, self.threads) if self.threads > 1 else self._session
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @staticmethod
    def _open_session(ort: Any, folder: Path, threads: int) -> Any:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    @classmethod
    def load(cls, target: str, cache_dir: Path | None = None, precision: str = "fp32") -> OnnxEncoder:
        """The export of the model at `target` (a folder or a model name), made first if missing; for
        precision 'int8', its quantised copy (made once from the fp32 export and cached beside it)."""
        if precision not in PRECISIONS:
            raise ConfigError(
                f"unknown embedding precision {precision!r}; use one of {', '.join(PRECISIONS)}"
            )
        cache = cache_dir or default_cache_dir()
        folder = cache / export_key(target)
        if not (folder / "encoder.json").is_file():
            export(target, folder)
        if precision == "int8":
            source, folder = folder, cache / export_key(target, precision)
            if not (folder / "encoder.json").is_file():
                quantize_int8(source, folder)
        return cls(folder)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Vectors in input order; texts are sorted by length into batches so padding stays small."""
        # sentence-transformers strips texts before tokenizing; so must we, for identical vectors.
        stripped = [t.strip() for t in texts]
        order = np.argsort([-len(t) for t in stripped], kind="stable")
        out = np.empty((len(stripped), self.dimension), dtype=np.float32)
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(chosen: np.ndarray) -> None:
            out[chosen] = self._encode_batch([stripped[i] for i in chosen], self._session)

        if len(batches) == 1:
            out[batches[0]] = self._encode_batch([stripped[i] for i in batches[0]], self._parallel_session)
        elif self.threads == 1:
            for chosen in batches:
                run(chosen)
        else:
            list(self._workers().map(run, batches))  # list() re-raises a batch's error here
        return out

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx-encode")
            return self._pool

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors of `texts` and, out of the same forward pass, a vector for each character span of each
        text (`spans[i]` into `texts[i]`): the mean of the token vectors inside the span, normalised. A span
        past the model's token limit, or with no token inside, gets a zero vector."""
        stripped = [t.strip() for t in texts]
        leads = [len(t) - len(t.lstrip()) for t in texts]
        order = np.argsort([-len(t) for t in stripped], kind="stable")
        out = np.empty((len(stripped), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(chosen: np.ndarray, session: Any) -> None:
            encodings, hidden, mask = self._forward([stripped[i] for i in chosen], session)
            out[chosen] = self._pooled(hidden, mask)
            for row, i in enumerate(chosen):
                shifted = [(s - leads[i], e - leads[i]) for s, e in spans[i]]
                pooled[i] = span_vectors(encodings[row], hidden[row], shifted)

        if len(batches) <= 1 or self.threads == 1:
            for chosen in batches:
                run(chosen, self._parallel_session if len(batches) == 1 else self._session)
        else:
            list(self._workers().map(lambda chosen: run(chosen, self._session), batches))
        return out, pooled

    def _forward(self, texts: list[str], session: Any) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """The tokenised batch, its token vectors and its attention mask."""
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return encodings, session.run(None, feed)[0], mask

    def _encode_batch(self, texts: list[str], session: Any) -> np.ndarray:
        _, hidden, mask = self._forward(texts, session)
        return self._pooled(hidden, mask)

    def _pooled(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        elif self.pooling == "max":
            pooled = np.where(mask[..., None] > 0, hidden, -1e9).max(axis=1)
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        # Always unit length: the assistant compares vectors by cosine (as sentence-transformers does when
        # asked to normalise).
        pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32, copy=False)


def span_vectors(encoding: Any, hidden: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each character span, the normalised mean of the token vectors whose characters lie inside it
    (special tokens excluded; a span with no such token, as past the token limit, gets zeros)."""
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    real = (np.array(encoding.special_tokens_mask) == 0) & (np.array(encoding.attention_mask) == 1)
    out = np.zeros((len(spans), hidden.shape[-1]), dtype=np.float32)
    for k, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end) & (offsets[:, 1] > offsets[:, 0])
        if inside.any():
            vector = hidden[inside].mean(axis=0)
            out[k] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return out


def export(target: str, folder: Path) -> None:
    """Export a sentence-transformers model (Transformer, Pooling and optional Normalize) to `folder`."""
    try:
        import onnx  # noqa: F401 - torch.onnx.export writes through it
        import torch  # noqa: F401 - checked here, used by write_onnx_export
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"exporting the embedding model to ONNX needs {exc.name}: pip install onnx"
        ) from exc
    model = SentenceTransformer(target, device="cpu")
    spec = _spec(model, target)
    transformer = model[0].auto_model.eval()
    tokenizer = model.tokenizer
    inputs = ["input_ids", "attention_mask"]
    if "token_type_ids" in tokenizer.model_input_names:
        inputs.append("token_type_ids")
    spec.update(
        inputs=inputs,
        pad_id=int(tokenizer.pad_token_id or 0),
        pad_token=str(tokenizer.pad_token or "[PAD]"),
    )

    sample = tokenizer(
        ["an example sentence", "another, longer example sentence"], padding=True, return_tensors="pt"
    )
    write_onnx_export(
        transformer,
        tokenizer,
        sample,
        inputs,
        "last_hidden_state",
        "token_embeddings",
        spec,
        folder,
        "encoder.json",
    )


def write_onnx_export(
    model: Any,
    tokenizer: Any,
    sample: Any,
    inputs: list[str],
    attribute: str,
    output: str,
    spec: dict[str, Any],
    folder: Path,
    spec_name: str,
) -> None:
    """Export `model` (its output `attribute` as `output`, batch and token axes dynamic) with its fast
    tokenizer and `spec` into `folder`, atomically: built in a staging folder beside it, then renamed, so a
    reader never sees half an export and two processes exporting at once both end with a whole one."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return getattr(self.inner(**dict(zip(inputs, args, strict=True))), attribute)

    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "tokens"} for name in inputs}
    axes[output] = {0: "batch"} if attribute == "logits" else {0: "batch", 1: "tokens"}
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper(model),
                tuple(sample[name] for name in inputs),
                str(staging / "model.onnx"),
                input_names=inputs,
                output_names=[output],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        (staging / "tokenizer.json").write_text(tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
        (staging / spec_name).write_text(json.dumps(spec, indent=2), encoding="utf-8")
        try:
            os.replace(staging, folder)
        except OSError:
            if not (folder / spec_name).is_file():  # not merely another process exporting it first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def quantize_int8(source: Path, folder: Path) -> None:
    """The fp32 export in `source` quantised to int8 into `folder`, atomically (as `write_onnx_export`).

    ONNX Runtime dynamic quantisation of the MatMuls with weights: weights int8, symmetric, one scale per
    output channel; activations quantised to uint8 per batch at run time (u8 x s8 is the AVX-512 VNNI and
    AVX2 fast path). Chosen against the alternatives on the project's 2-core CPU (2026-12-03): one scale
    per tensor loses too much (cosine to fp32 0.948 on average per chunk, against 0.995), uint8 weights
    encode a question slower (1.4x faster than fp32 instead of 1.9x), reduce_range (7-bit weights) loses the
    most (0.83), and ORT's transformer optimizer first fuses no attention in this export and gains nothing.
    The word-embedding table (a Gather) stays fp32: there is no time to gain there.
    """
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ConfigError(
            f"quantising the embedding model to int8 needs {exc.name}: pip install onnx"
        ) from exc
    recipe = {
        "method": "onnxruntime.quantization.quantize_dynamic",
        "op_types": ["MatMul"],
        "weight_type": "QInt8",
        "per_channel": True,
        "reduce_range": False,
        "version": QUANTIZE_VERSION,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".quantize-", dir=folder.parent))
    root = logging.getLogger()  # where quantize_dynamic logs its advice to pre-process (not needed here)
    root.addFilter(_no_preprocessing_advice)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(source / "model.onnx"),
                str(staging / "model.onnx"),
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                reduce_range=False,
                weight_type=QuantType.QInt8,
            )
        shutil.copyfile(source / "tokenizer.json", staging / "tokenizer.json")
        spec = json.loads((source / "encoder.json").read_text(encoding="utf-8"))
        spec.update(precision="int8", quantization=recipe)
        (staging / "encoder.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
        try:
            os.replace(staging, folder)
        except OSError:
            if not (folder / "encoder.json").is_file():  # not merely another process quantising it first
                raise
    finally:
        root.removeFilter(_no_preprocessing_advice)
        shutil.rmtree(staging, ignore_errors=True)


def _no_preprocessing_advice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Please consider")


def _spec(model: Any, target: str) -> dict[str, Any]:
    """What the ONNX side must reproduce; refuses models with modules it cannot run."""
    names = [type(module).__name__ for module in model]
    if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
        raise ConfigError(
            f"the onnx embedding backend runs Transformer + Pooling (+ Normalize) models; {target!r} has "
            f"{' + '.join(names)}. Use embedding.backend: torch for it."
        )
    config = model[1].get_config_dict()
    pooling = config.get("pooling_mode") or ("cls" if config.get("pooling_mode_cls_token") else "mean")
    if pooling not in _POOLINGS or getattr(model[0], "do_lower_case", False):
        raise ConfigError(
            f"the onnx embedding backend does not support {target!r} (pooling {pooling!r}); use embedding.backend: torch"
        )
    return {
        "source": target,
        "max_seq_length": int(model.max_seq_length),
        "dimension": int(config.get("embedding_dimension") or model.get_sentence_embedding_dimension()),
        "pooling": pooling,
    }
