"""The passage index: catalog (truth) + Chroma (vectors) + BM25 (terms), kept consistent with each other.

Writing a document follows a fixed order so that a run killed at any point can be repaired by the next one:
1. the catalog marks the document `pending`;
2. Chroma drops every vector of that document, then receives the new ones;
3. one catalog transaction replaces the document's chunks and marks it `committed`.
`reconcile()` (run at the start of every ingest) deletes vectors that no committed chunk owns and sends
documents whose vectors are missing back to `pending`; the BM25 index is rebuilt from the catalog whenever
the catalog's generation moved.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import Settings
from ..errors import IndexMismatchError
from ..language.terms import terms
from ..models import Chunk, Document, DocumentMetadata, Filters
from .catalog import Catalog, ChunkRow
from .embedder import Embedder
from .lexical import LexicalIndex
from .sentence_vectors import SentenceVectorStore
from .vector_store import ChromaStore, DenseHit, chunk_metadata

log = logging.getLogger(__name__)


@dataclass
class _LexicalView:
    """A BM25 index with the per-row document index used to apply filters."""

    index: LexicalIndex
    row_doc: np.ndarray  # row -> position in `doc_ids`
    doc_ids: list[str]
    doc_meta: list[DocumentMetadata]
    masks: dict[str, np.ndarray] = field(default_factory=dict)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        key = filters.model_dump_json()
        cached = self.masks.get(key)
        if cached is None:
            allowed = np.array(
                [filters.matches(d, m) for d, m in zip(self.doc_ids, self.doc_meta, strict=True)], dtype=bool
            )
            cached = allowed[self.row_doc] if len(self.row_doc) else np.zeros(0, dtype=bool)
            if len(self.masks) > 256:
                self.masks.clear()
            self.masks[key] = cached
        return cached


class PassageIndex:
    """Everything stored about passages, behind one object."""

    def __init__(self, settings: Settings, embedder: Embedder, *, rebuild: bool = False) -> None:
        self.settings = settings
        self.embedder = embedder
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(settings.data_dir / "catalog.sqlite3")
        if not rebuild:  # a rebuild opens an index of any model (or precision): reset() must follow
            self._check_model()
        owner = self.catalog.get_meta("owner")
        if owner is None:
            owner = uuid.uuid4().hex
            self.catalog.set_meta("owner", owner)
        self.store = ChromaStore(settings.store, embedder.name, owner)
        self._lexical_dir = settings.data_dir / "bm25"
        self._lexical: _LexicalView | None = None
        self._lexical_lock = threading.Lock()
        # Sentence vectors computed at ingest (ingest.sentence_vectors), of the configured kind only.
        self.sentences: SentenceVectorStore | None = None
        if settings.ingest.sentence_vectors != "off":
            self.sentences = SentenceVectorStore(
                settings.data_dir / "sentences.sqlite3", settings.ingest.sentence_vectors
            )
            embedder.add_vector_source(self.sentences)

    def _check_model(self) -> None:
        recorded = self.catalog.get_meta("embedding_model")
        if recorded is None:
            self.catalog.set_meta("embedding_model", self.embedder.name)
        elif recorded != self.embedder.name:
            raise IndexMismatchError(
                f"the index in {self.settings.data_dir} was built with embedding model {recorded!r}, "
                f"but the configured model is {self.embedder.name!r}. Use another data_dir, or rebuild "
                "the index with `assistant ingest --rebuild`."
            )

    def close(self) -> None:
        """Close the catalog and the sentence vectors (which stop serving the shared embedder)."""
        if self.sentences is not None:
            self.embedder.remove_vector_source(self.sentences)
            self.sentences.close()
        self.catalog.close()

    def check_dimension(self) -> None:
        """Record the model's vector size with the index; refuse a model with another size later."""
        dimension = self.embedder.dimension
        recorded = self.catalog.get_meta("embedding_dim")
        if recorded is None:
            self.catalog.set_meta("embedding_dim", str(dimension))
        elif int(recorded) != dimension:
            raise IndexMismatchError(
                f"the index holds {recorded}-dimensional vectors; the model makes {dimension}"
            )

    # --- writes -----------------------------------------------------------------------------------------

    def write_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        terms: Sequence[list[str]],
        pipeline: str,
    ) -> None:
        """Replace everything stored for `document` with these chunks (crash-safe, see module docstring)."""
        self.catalog.mark_pending(document, pipeline)
        self.store.delete_document(document.id)
        self.store.add([c.id for c in chunks], vectors, [chunk_metadata(document, c) for c in chunks])
        self.catalog.commit_document(document, chunks, terms, pipeline)

    def remove_document(self, doc_id: str) -> None:
        """Delete a document's vectors, chunks and record."""
        self.catalog.mark_pending_id(doc_id)
        self.store.delete_document(doc_id)
        self.catalog.delete_document(doc_id)
        if self.sentences is not None:
            self.sentences.remove_document(doc_id)

    def reset(self) -> None:
        """Drop the collection and forget every document (for a full rebuild)."""
        self.store.drop()
        if self.sentences is not None:
            self.sentences.clear()
        for doc_id in list(self.catalog.states()):
            self.catalog.delete_document(doc_id)
        self.catalog.set_meta("embedding_model", self.embedder.name)
        self.catalog.delete_meta("embedding_dim")

    def reconcile(self) -> set[str]:
        """Repair what an interrupted run left behind; returns ids of documents that must be re-ingested."""
        states = self.catalog.states()
        pending = {doc_id for doc_id, s in states.items() if s.status == "pending"}
        committed = self.catalog.committed_chunk_ids()
        stored = self.store.all_ids()
        orphans = stored - committed
        if orphans:
            log.info("removing %d vectors that no committed chunk owns", len(orphans))
            self.store.delete_ids(sorted(orphans))
        missing = committed - stored
        broken = {chunk_id.split(":", 1)[0] for chunk_id in missing} if missing else set()
        broken = {doc_id for doc_id in broken if doc_id in states}
        for doc_id in broken:
            log.info("document %s lost vectors; it will be re-ingested", doc_id)
            self.catalog.mark_pending_id(doc_id)
        return pending | broken

    # --- lexical ----------------------------------------------------------------------------------------

    def lexical(self) -> _LexicalView:
        """The BM25 view matching the catalog's current generation (loaded or rebuilt on demand)."""
        generation = self.catalog.generation
        view = self._lexical
        if view is not None and view.index.generation == generation:
            return view
        with self._lexical_lock:
            view = self._lexical
            if view is not None and view.index.generation == generation:
                return view
            index = LexicalIndex.load(self._lexical_dir)
            params = {"k1": self.settings.retrieval.bm25.k1, "b": self.settings.retrieval.bm25.b}
            if index is None or index.generation != generation or index.params != params:
                ids, terms = self.catalog.lexical_terms()
                index = LexicalIndex.build(ids, terms, generation, self.settings.retrieval.bm25)
                index.save(self._lexical_dir)
            self._lexical = self._view(index)
            return self._lexical

    def _view(self, index: LexicalIndex) -> _LexicalView:
        owners = self.catalog.chunk_owners()
        if [chunk_id for chunk_id, _ in owners] != index.ids:  # the catalog moved on while we read it
            ids, terms = self.catalog.lexical_terms()
            index = LexicalIndex.build(ids, terms, self.catalog.generation, self.settings.retrieval.bm25)
            index.save(self._lexical_dir)
            owners = self.catalog.chunk_owners()
        metadata = self.catalog.document_metadata()
        doc_ids = list(dict.fromkeys(doc_id for _, doc_id in owners))
        position = {doc_id: i for i, doc_id in enumerate(doc_ids)}
        row_doc = np.array([position[doc_id] for _, doc_id in owners], dtype=np.int64)
        doc_meta = [metadata[doc_id] for doc_id in doc_ids]
        return _LexicalView(index=index, row_doc=row_doc, doc_ids=doc_ids, doc_meta=doc_meta)

    def refresh_lexical(self) -> None:
        """Bring the BM25 index up to date now (after an ingest) instead of at the next query."""
        self.lexical()

    # --- reads ------------------------------------------------------------------------------------------

    def dense_search(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[DenseHit]:
        return self.store.query(vector, n, filters)

    def lexical_search(
        self, query_terms: list[str], n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        view = self.lexical()
        hits = view.index.search(query_terms, n, view.mask(filters))
        return [(view.index.ids[i], score) for i, score in hits]

    def lexical_search_alternatives(
        self, groups: list[list[list[str]]], n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """BM25 search where each part of the query has alternative renderings (LexicalIndex.search_alternatives)."""
        view = self.lexical()
        hits = view.index.search_alternatives(groups, n, view.mask(filters))
        return [(view.index.ids[i], score) for i, score in hits]

    def knows(self, text: str) -> bool:
        """Whether every index term of `text` occurs in some indexed passage (a name no document uses: no)."""
        found = terms(text, self.settings.retrieval.bm25.stemmer)
        index = self.lexical().index
        return all(index.has_term(term) for term in found)

    def chunks_under(self, doc_id: str, heading: re.Pattern[str], n: int) -> list[str]:
        """The first `n` chunks of a document under a heading that opens with `heading` ("Chapter 2 Basic
        Policies ..." for "Chapter 2"), in document order."""
        found = [
            chunk_id
            for chunk_id, path in self.catalog.chunk_headings(doc_id)
            if any(heading.match(part) for part in path)
        ]
        return found[:n]

    def rows(self, ids: Sequence[str]) -> dict[str, ChunkRow]:
        return {row.id: row for row in self.catalog.chunk_rows(ids)}

    def count(self) -> int:
        return self.catalog.count_chunks()
