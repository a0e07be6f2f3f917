"""The dense index: a Chroma collection, embedded (persistent) or on a Chroma server (http)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import StoreSettings
from ..errors import IndexMismatchError, StoreUnavailableError
from ..models import Chunk, Document, Filters, day_key

log = logging.getLogger(__name__)

MODEL_KEY = "embedding_model"
OWNER_KEY = "index_owner"  # the catalog that this collection belongs to


def _ef_search(collection: Any) -> int | None:
    """The collection's HNSW ef_search, as Chroma reports its configuration (None: not reported)."""
    configuration = getattr(collection, "configuration", None) or {}
    hnsw = configuration.get("hnsw") if isinstance(configuration, dict) else None
    return hnsw.get("ef_search") if isinstance(hnsw, dict) else None


@dataclass(frozen=True)
class DenseHit:
    id: str
    similarity: float


def chunk_metadata(document: Document, chunk: Chunk) -> dict[str, Any]:
    """What Chroma stores beside each vector, for filtering (None values are not allowed there)."""
    meta: dict[str, Any] = {"doc_id": document.id, "ordinal": chunk.ordinal}
    if document.metadata.language:
        meta["language"] = document.metadata.language
    if document.metadata.issuing_body:
        meta["issuing_body"] = document.metadata.issuing_body
    if document.metadata.date_key:
        meta["date_key"] = document.metadata.date_key
    if document.metadata.tags:
        meta["tags"] = list(document.metadata.tags)
    return meta


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """Translate filters into a Chroma `where` expression."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.doc_ids:
        clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.issuing_body:
        clauses.append({"issuing_body": {"$in": list(filters.issuing_body)}})
    if filters.language:
        clauses.append({"language": {"$in": [lang.lower() for lang in filters.language]}})
    if filters.tags:
        tag_clauses = [{"tags": {"$contains": tag}} for tag in filters.tags]
        clauses.append(tag_clauses[0] if len(tag_clauses) == 1 else {"$or": tag_clauses})
    if filters.date_from:
        clauses.append({"date_key": {"$gte": day_key(filters.date_from)}})
    if filters.date_to:
        clauses.append({"date_key": {"$lte": day_key(filters.date_to)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """Vectors and filter metadata of every chunk, in one Chroma collection."""

    def __init__(self, settings: StoreSettings, model_name: str, owner: str) -> None:
        self.settings = settings
        self.model_name = model_name
        self.owner = owner
        self._client: Any = None
        self._collection: Any = None
        self._lock = threading.Lock()

    # --- connection -------------------------------------------------------------------------------------

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.mode == "http":
            client = chromadb.HttpClient(
                host=self.settings.host,
                port=self.settings.port,
                ssl=self.settings.ssl,
                settings=chroma_settings,
            )
            _set_http_timeout(client, self.settings.timeout)
            return client
        assert self.settings.path is not None
        self.settings.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.path), settings=chroma_settings)

    @property
    def collection(self) -> Any:
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    self._collection = self._call(self._open)
        return self._collection

    def _open(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        ef_search = self.settings.hnsw_ef_search
        collection = self._client.get_or_create_collection(
            self.settings.collection,
            metadata={"hnsw:space": "cosine", MODEL_KEY: self.model_name, OWNER_KEY: self.owner},
            configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
            embedding_function=None,
        )
        if _ef_search(collection) not in (None, ef_search):
            # A collection made before (or with another setting) keeps its own until modified; ef_search is
            # one of the settings Chroma lets change.
            collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
            collection = self._client.get_collection(self.settings.collection, embedding_function=None)
        metadata = collection.metadata or {}
        if metadata.get(OWNER_KEY) != self.owner:
            raise IndexMismatchError(
                f"the Chroma collection {self.settings.collection!r} belongs to another index "
                f"(not the catalog in this data_dir). Choose another store.collection, or rebuild this index "
                "with `assistant ingest --rebuild` to take the collection over."
            )
        recorded = metadata.get(MODEL_KEY)
        if recorded != self.model_name:
            raise IndexMismatchError(
                f"the collection {self.settings.collection!r} was built with embedding model {recorded!r}, "
                f"but the configured model is {self.model_name!r}. Vectors from different models cannot be "
                "mixed: use another data_dir or collection, or rebuild the index with `assistant ingest --rebuild`."
            )
        return collection

    def ping(self) -> bool:
        """True when the store answers."""
        try:
            self._call(lambda: self.collection.count())
            return True
        except StoreUnavailableError:
            return False

    def reset_connection(self) -> None:
        with self._lock:
            self._client = None
            self._collection = None

    def drop(self) -> None:
        """Delete the whole collection (used by `ingest --rebuild`)."""

        def _drop() -> None:
            if self._client is None:
                self._client = self._connect()
            try:
                self._client.delete_collection(self.settings.collection)
            except Exception as exc:  # missing collection: nothing to drop
                if "does not exist" not in str(exc).lower() and "not found" not in str(exc).lower():
                    raise

        self._call(_drop)
        self._collection = None

    def _call(self, fn: Any) -> Any:
        """Run a Chroma call, turning connection failures into StoreUnavailableError."""
        try:
            return fn()
        except IndexMismatchError:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                self._collection = None
                self._client = None
                where = (
                    f"the Chroma server at {self.settings.host}:{self.settings.port}"
                    if self.settings.mode == "http"
                    else f"the Chroma store at {self.settings.path}"
                )
                raise StoreUnavailableError(f"{where} is unavailable: {exc}") from exc
            raise

    # --- writes -----------------------------------------------------------------------------------------

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        if not ids:
            return
        step = self._max_batch()
        for i in range(0, len(ids), step):
            part = slice(i, i + step)
            self._call(
                lambda part=part: self.collection.upsert(
                    ids=list(ids[part]), embeddings=vectors[part], metadatas=list(metadatas[part])
                )
            )

    def delete_document(self, doc_id: str) -> None:
        self._call(lambda: self.collection.delete(where={"doc_id": doc_id}))

    def delete_ids(self, ids: Sequence[str]) -> None:
        step = self._max_batch()
        for i in range(0, len(ids), step):
            part = list(ids[i : i + step])
            self._call(lambda part=part: self.collection.delete(ids=part))

    def _max_batch(self) -> int:
        try:
            return max(1, min(5000, int(self._client.get_max_batch_size())))
        except Exception:
            return 1000

    # --- reads ------------------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._call(lambda: self.collection.count()))

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        page = 10_000
        offset = 0
        while True:
            batch = self._call(
                lambda offset=offset: self.collection.get(include=[], limit=page, offset=offset)
            )
            ids.update(batch["ids"])
            if len(batch["ids"]) < page:
                return ids
            offset += page

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[DenseHit]:
        """The `n` nearest chunks by cosine similarity."""
        where = where_clause(filters)
        result = self._call(
            lambda: self.collection.query(
                query_embeddings=[vector], n_results=n, where=where, include=["distances"]
            )
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [DenseHit(id=i, similarity=1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        result = self._call(lambda: self.collection.get(ids=list(ids), include=["embeddings"]))
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(result["ids"], result["embeddings"], strict=True)
        }


def _set_http_timeout(client: Any, seconds: float) -> None:
    """Chroma's HTTP client waits forever by default; a hung server must not hang the assistant."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds)


def _is_connection_error(exc: Exception) -> bool:
    import httpx

    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(
        marker in text
        for marker in (
            "could not connect",
            "connection refused",
            "connecterror",
            "failed to connect",
            "timed out",
        )
    )
