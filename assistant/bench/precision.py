"""fp32 against int8 (`embedding.precision`): the same chunk texts and questions encoded by both precisions of
the ONNX encoder in one process, interleaved, so that a busy machine slows both alike.

Each repeat encodes all the texts once per precision (the ingest path: one `encode` over many batches, spread
over the cores) in alternating order, then every question once per precision (the one-batch path an asked
question takes), alternating which goes first. Speed-ups are taken within each repeat (fp32 time / int8
time), then given as a figure over the repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Settings
from ..errors import AssistantError
from .stats import figure, percentile

if TYPE_CHECKING:
    from ..index.embedder import Embedder
    from .corpus import BenchCorpus
    from .runner import BenchConfig

PRECISIONS = ("fp32", "int8")


def chunk_texts(
    files: Sequence[Path], settings: Settings, embedder: Embedder, limit: int | None = None
) -> list[str]:
    """The texts an ingest of `files` embeds (chunks with their title and heading prefix); with `limit`, that
    many of them spread evenly over the corpus (so the mix of lengths stays the corpus's)."""
    from ..ingest.chunking import Chunker
    from ..ingest.loaders import load_document

    chunker = Chunker(settings.chunking, embedder)
    texts: list[str] = []
    for path in files:
        try:
            document = load_document(path)
        except AssistantError:
            continue
        texts += [chunker.embedding_text(document.metadata.title, c) for c in chunker.chunk(document)]
    if limit is not None and len(texts) > limit:
        picked = np.linspace(0, len(texts) - 1, limit).round().astype(int)
        texts = [texts[i] for i in dict.fromkeys(picked.tolist())]
    return texts


def compare_precisions(
    settings: Settings,
    texts: Sequence[str],
    questions: Sequence[str],
    *,
    repeats: int = 3,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Per precision: bulk encode seconds and tokens/s over `texts`, question encode p50/p95 (ms); and
    int8 against fp32 within each repeat: time ratios (int8 / fp32) and speed-ups (fp32 / int8), with the
    cosine of each text's int8 vector to its fp32 one."""
    from tokenizers import Tokenizer

    from ..index.embedder import resolve_model
    from ..index.onnx_encoder import OnnxEncoder

    target, _ = resolve_model(settings.embedding.model)
    encoders = {p: OnnxEncoder.load(target, settings.embedding.onnx_cache, p) for p in PRECISIONS}
    batch_size = settings.embedding.batch_size
    texts, questions = list(texts), list(questions)
    counter = Tokenizer.from_str(encoders["fp32"].tokenizer_json)
    counter.no_padding()
    counter.enable_truncation(max_length=encoders["fp32"].max_seq_length)
    tokens = sum(len(e.ids) for e in counter.encode_batch(texts)) if texts else 0
    for encoder in encoders.values():  # sessions and thread pools started before any clock
        encoder.encode(questions[:1] or ["warm up"], 1)
        encoder.encode(texts[: 2 * batch_size] or ["warm up"], batch_size)

    bulk: dict[str, list[float]] = {p: [] for p in PRECISIONS}
    asked: dict[str, list[list[float]]] = {p: [] for p in PRECISIONS}
    vectors: dict[str, np.ndarray] = {}
    question_vectors: dict[str, list[np.ndarray]] = {p: [] for p in PRECISIONS}
    for r in range(repeats):
        order = PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]
        for precision in order:
            started = time.perf_counter()
            vectors[precision] = encoders[precision].encode(texts, batch_size)
            bulk[precision].append(time.perf_counter() - started)
        for precision in PRECISIONS:
            asked[precision].append([])
            question_vectors[precision] = []
        for i, question in enumerate(questions):
            for precision in PRECISIONS if (r + i) % 2 == 0 else PRECISIONS[::-1]:
                started = time.perf_counter()
                question_vectors[precision].append(encoders[precision].encode([question], 1)[0])
                asked[precision][-1].append((time.perf_counter() - started) * 1000.0)
        if say is not None:
            say(
                f"  precision repeat {r + 1}: {len(texts)} texts fp32 {bulk['fp32'][-1]:.1f} s, int8 "
                f"{bulk['int8'][-1]:.1f} s; question p50 fp32 {percentile(asked['fp32'][-1], 50):.1f} ms, "
                f"int8 {percentile(asked['int8'][-1], 50):.1f} ms"
            )

    out: dict[str, Any] = {
        "texts": len(texts),
        "tokens": tokens,
        "questions": len(questions),
        "repeats": repeats,
    }
    for precision in PRECISIONS:
        out[precision] = {
            "bulk_seconds": figure(bulk[precision], "s"),
            "bulk_tokens_per_second": figure([tokens / s for s in bulk[precision] if s > 0], "token/s", 0),
            "bulk_texts_per_second": figure([len(texts) / s for s in bulk[precision] if s > 0], "text/s", 1),
            "question_p50": figure([percentile(a, 50) for a in asked[precision]], "ms", 2),
            "question_p95": figure([percentile(a, 95) for a in asked[precision]], "ms", 2),
        }
    bulk_pairs = list(zip(bulk["fp32"], bulk["int8"], strict=True))
    p50_pairs = [
        (percentile(f, 50), percentile(i, 50)) for f, i in zip(asked["fp32"], asked["int8"], strict=True)
    ]
    out["int8_vs_fp32"] = {
        "bulk_time": figure([i / f for f, i in bulk_pairs if f > 0], "", 3),
        "bulk_speedup": figure([f / i for f, i in bulk_pairs if i > 0], "", 3),
        "question_p50_time": figure([i / f for f, i in p50_pairs if f > 0], "", 3),
        "question_speedup": figure([f / i for f, i in p50_pairs if i > 0], "", 3),
    }
    out["cosine_to_fp32"] = {
        "texts": _cosines(vectors.get("fp32"), vectors.get("int8")),
        "questions": _cosines(
            np.array(question_vectors["fp32"]) if questions else None,
            np.array(question_vectors["int8"]) if questions else None,
        ),
    }
    return out


def _cosines(reference: np.ndarray | None, other: np.ndarray | None) -> dict[str, float] | None:
    """Min, 1st percentile and mean of the per-row cosine (the vectors are unit length)."""
    if reference is None or other is None or not len(reference):
        return None
    cosines = (reference * other).sum(axis=1)
    return {
        "min": round(float(cosines.min()), 4),
        "p1": round(percentile(cosines.tolist(), 1), 4),
        "mean": round(float(cosines.mean()), 4),
    }


def precision_phase(
    config: BenchConfig,
    settings: Settings,
    corpus: BenchCorpus,
    embedder: Embedder,
    results: dict[str, Any],
    say: Callable[[str], None],
) -> None:
    """The benchmark's `precision` phase: `compare_precisions` over the corpus's chunk texts and questions."""
    texts = chunk_texts(corpus.files, settings, embedder, config.precision_texts)
    say(f"  precision: fp32 against int8 over {len(texts)} chunk texts and {len(corpus.questions)} questions")
    results["precision"] = compare_precisions(
        settings, texts, corpus.questions, repeats=config.repeats, say=say
    )
