"""Incremental ingest: files -> documents -> chunks -> vectors and terms, skipping what has not changed."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import DocumentError
from ..index.catalog import ChunkRow
from ..index.embedder import Embedder
from ..index.passage_index import PassageIndex
from ..index.sentence_vectors import answer_sentence_spans, answer_sentence_texts
from ..language.terms import TERMS_VERSION, terms_batch
from ..models import Chunk, Document, IngestItem, IngestReport
from .chunking import Chunker
from .loaders import LOADER_VERSION, LOADERS, document_id_for, load_bytes, load_document

log = logging.getLogger(__name__)

# 2: noise (page furniture, tables of contents) left out of vectors and terms; 3: tables of contents without page
# numbers too; 4: a heading line is a sentence of its own, not the start of the sentence under it; 5: a heading
# inside a table of contents opens no section, and a line ending in an address ends its sentence; 6: a stack of
# short lines opening a sentence (a cover page, a navigation list) is cut off line by line; 7: each chunk keeps
# where its line noise is, so that a quoted sentence stops at a running header or page number; 8: a bracketed
# banner repeated through a document ("[Provisional translation]") is a running header without page breaks too;
# 9: a short line before a lower-case one belongs to such a stack when a later line of it ends before a capital.
CHUNKER_VERSION = "9"
EMBED_BATCH_CHUNKS = 512  # chunks gathered across small documents before one encode call


@dataclass
class _Prepared:
    document: Document
    chunks: list[Chunk]
    status: str  # "added" or "updated"
    reuse: bool = False  # its committed vectors came from this same pipeline: unchanged chunks keep theirs
    reused: int = 0


def index_terms(document: Document, chunks: list[Chunk], stemmer: str | None) -> list[list[str]]:
    """The BM25 terms of each chunk: its document's title, its heading path and its text without noise."""
    return terms_batch([f"{document.metadata.title}\n{c.heading}\n{c.index_text}" for c in chunks], stemmer)


def discover(
    paths: Iterable[Path], extensions: Iterable[str]
) -> tuple[list[Path], list[Path], list[IngestItem]]:
    """Files to ingest, the folders they came from, and items for paths that cannot be used."""
    suffixes = {e.lower() for e in extensions}
    files: dict[Path, None] = {}
    roots: list[Path] = []
    problems: list[IngestItem] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            roots.append(path.resolve())
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if found.is_file() and found.suffix.lower() in suffixes and found.name.lower() != "readme.md":
                    files.setdefault(found.resolve(), None)
        elif path.is_file():
            if path.suffix.lower() not in LOADERS:
                problems.append(
                    IngestItem(
                        source=str(path), status="skipped", message=f"unsupported file type {path.suffix!r}"
                    )
                )
                continue
            files.setdefault(path.resolve(), None)
        else:
            problems.append(IngestItem(source=str(path), status="failed", message="no such file or folder"))
    return list(files), roots, problems


class IngestPipeline:
    """Brings the index in line with a set of files."""

    def __init__(self, settings: Settings, embedder: Embedder, index: PassageIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self._chunker: Chunker | None = None

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            self._chunker = Chunker(self.settings.chunking, self.embedder)
        return self._chunker

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same file would produce different chunks, vectors or terms."""
        recipe = {
            "loader": LOADER_VERSION,
            "chunker": CHUNKER_VERSION,
            "terms": TERMS_VERSION,
            "chunking": self.settings.chunking.model_dump(),
            "model": self.embedder.name,
            "stemmer": self.settings.retrieval.bm25.stemmer,
            "sentence_vectors": self.settings.ingest.sentence_vectors,
        }
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]

    # --- entry points -----------------------------------------------------------------------------------

    def run(self, paths: Iterable[Path], *, progress: bool = False, prune: bool = True) -> IngestReport:
        """Ingest files and folders; with `prune`, documents deleted from an ingested folder are removed."""
        started = time.perf_counter()
        files, roots, items = discover(paths, self.settings.ingest.extensions)
        forced = self.index.reconcile()
        documents = self._load_all(files, items)
        self._ingest_documents(documents, forced, items, progress)
        if prune:
            self._prune(roots, {str(f) for f in files}, items)
        return self._finish(items, started)

    def run_bytes(self, data: bytes, filename: str, *, source: str | None = None) -> IngestReport:
        """Ingest one uploaded file through the same steps as a file on disk."""
        started = time.perf_counter()
        items: list[IngestItem] = []
        forced = self.index.reconcile()
        try:
            document = load_bytes(data, filename, source=source or filename)
        except DocumentError as exc:
            items.append(IngestItem(source=source or filename, status="failed", message=str(exc)))
            return self._finish(items, started)
        self._ingest_documents([document], forced, items, progress=False)
        return self._finish(items, started)

    def remove(self, doc_id: str) -> None:
        self.index.remove_document(doc_id)
        self.index.refresh_lexical()

    def _finish(self, items: list[IngestItem], started: float) -> IngestReport:
        self.index.refresh_lexical()
        return IngestReport(
            items=items, chunks_total=self.index.count(), seconds=time.perf_counter() - started
        )

    # --- steps ------------------------------------------------------------------------------------------

    def _load_all(self, files: list[Path], items: list[IngestItem]) -> list[Document]:
        max_bytes = int(self.settings.ingest.max_file_mb * 1024 * 1024)
        documents: list[Document] = []
        taken: dict[str, str] = {}
        states = self.index.catalog.states()
        for path in files:
            try:
                document = load_document(path, max_bytes=max_bytes)
            except DocumentError as exc:
                items.append(
                    IngestItem(
                        source=str(path), doc_id=document_id_for(path), status="failed", message=str(exc)
                    )
                )
                continue
            document = self._unique_id(document, taken, states)
            taken[document.id] = document.source
            documents.append(document)
        return documents

    def _unique_id(self, document: Document, taken: dict[str, str], states: dict) -> Document:  # type: ignore[type-arg]
        """Keep ids unique when two files share a name: the second gets a suffix from its path."""
        owner = taken.get(document.id)
        if owner is None:
            state = states.get(document.id)
            if state is None or state.source == document.source or not Path(state.source).exists():
                return document
        suffix = hashlib.sha1(document.source.encode("utf-8")).hexdigest()[:8]
        return document.model_copy(update={"id": f"{document.id}-{suffix}"})

    def _ingest_documents(
        self, documents: list[Document], forced: set[str], items: list[IngestItem], progress: bool
    ) -> None:
        pipeline = self.fingerprint
        states = self.index.catalog.states()
        todo: list[_Prepared] = []
        seen_hashes: dict[str, str] = {}
        for document in documents:
            state = states.get(document.id)
            twin = seen_hashes.get(document.content_hash) or self._committed_twin(document, states)
            if twin is not None and twin != document.id:
                items.append(
                    IngestItem(
                        source=document.source,
                        doc_id=document.id,
                        status="skipped",
                        message=f"same content as document {twin!r}; not indexed twice",
                    )
                )
                continue
            seen_hashes[document.content_hash] = document.id
            unchanged = (
                state is not None
                and state.status == "committed"
                and state.content_hash == document.content_hash
                and state.pipeline == pipeline
                and document.id not in forced
            )
            if unchanged:
                if state is not None and state.source != document.source:
                    self.index.catalog.update_source(document.id, document.source)
                items.append(
                    IngestItem(
                        source=document.source, doc_id=document.id, status="unchanged", chunks=state.n_chunks
                    )  # type: ignore[union-attr]
                )
                continue
            status = "updated" if state is not None and state.status == "committed" else "added"
            if state is not None and state.status == "pending" and state.content_hash:
                status = "updated"
            reuse = state is not None and state.status == "committed" and state.pipeline == pipeline
            todo.append(_Prepared(document, [], status, reuse=reuse))
        if todo:
            self._embed_and_write(todo, items, pipeline, progress)

    def _committed_twin(self, document: Document, states: dict) -> str | None:  # type: ignore[type-arg]
        twin = self.index.catalog.find_by_hash(document.content_hash)
        if twin is None or twin == document.id:
            return None
        source = states[twin].source if twin in states else None
        return twin if source and Path(source).exists() else None

    def _embed_and_write(
        self, todo: list[_Prepared], items: list[IngestItem], pipeline: str, progress: bool
    ) -> None:
        self.index.check_dimension()
        bar = _progress_bar(progress)
        for batch in self._batches(todo, items):
            texts = [
                self.chunker.embedding_text(p.document.metadata.title, c) for p in batch for c in p.chunks
            ]
            spans = self._pooling_spans(batch, texts)
            vectors, pooled = self._vectors(batch, texts, spans)
            sentences = self._sentence_vectors(batch, pooled)
            offset = 0
            for prepared in batch:
                n = len(prepared.chunks)
                document = prepared.document
                terms = index_terms(document, prepared.chunks, self.settings.retrieval.bm25.stemmer)
                self.index.write_document(
                    document, prepared.chunks, vectors[offset : offset + n], terms, pipeline
                )
                if sentences is not None and self.index.sentences is not None:
                    texts_of, vector_of = sentences
                    own = texts_of[document.id]
                    self.index.sentences.replace_document(
                        document.id, own, np.stack([vector_of[t] for t in own]) if own else np.zeros((0, 0))
                    )
                offset += n
                message = (
                    f"{prepared.reused} of {n} chunks unchanged (their vectors were kept)"
                    if prepared.reused
                    else None
                )
                items.append(
                    IngestItem(
                        source=document.source,
                        doc_id=document.id,
                        status=prepared.status,  # type: ignore[arg-type]
                        chunks=n,
                        message=message,
                    )
                )
                if bar is not None:
                    bar.update(n)
        if bar is not None:
            bar.close()

    def _pooling_spans(
        self, batch: list[_Prepared], texts: list[str]
    ) -> list[list[tuple[str, int, int]]] | None:
        """With ingest.sentence_vectors 'pooled': per chunk, the answerer's sentence texts and their spans in
        the chunk's embedding text."""
        if self.settings.ingest.sentence_vectors != "pooled" or self.index.sentences is None:
            return None
        evidence = self.settings.answer.evidence
        chunks = [c for p in batch for c in p.chunks]
        return [answer_sentence_spans(c, t, evidence) for c, t in zip(chunks, texts, strict=True)]

    def _vectors(
        self, batch: list[_Prepared], texts: list[str], spans: list[list[tuple[str, int, int]]] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Vectors for the batch's chunks: kept from the store for unchanged chunks of updated documents, so
        that an edit to a long document re-embeds only the chunks it touched; encoded for the rest. With
        `spans`, also the pooled vector of each sentence of the encoded chunks (a sentence in two chunks'
        overlap: the mean of both)."""
        kept = self._kept_vectors(batch, texts)
        missing = [i for i in range(len(texts)) if i not in kept]
        fresh: np.ndarray | None = None
        pooled: dict[str, np.ndarray] = {}
        if missing and spans is not None:
            fresh, by_span = self.embedder.embed_documents_with_spans(
                [texts[i] for i in missing], [[(a, b) for _, a, b in spans[i]] for i in missing]
            )
            pooled = _pooled_sentences([spans[i] for i in missing], by_span)
        elif missing:
            fresh = self.embedder.embed_documents([texts[i] for i in missing])
        if fresh is not None and not kept:
            return fresh, pooled
        vectors = np.empty((len(texts), self.embedder.dimension), dtype=np.float32)
        for i, vector in kept.items():
            vectors[i] = vector
        if fresh is not None:
            vectors[missing] = fresh
        return vectors, pooled

    def _sentence_vectors(
        self, batch: list[_Prepared], pooled: dict[str, np.ndarray]
    ) -> tuple[dict[str, list[str]], dict[str, np.ndarray]] | None:
        """With ingest.sentence_vectors on: each document's answer sentence texts, and the vector of every one
        of them: pooled out of the chunks' forward pass just made, else taken from the store when it is
        already there (an edit re-embeds only new sentences), else encoded alone."""
        store = self.index.sentences
        if self.settings.ingest.sentence_vectors == "off" or store is None:
            return None
        evidence = self.settings.answer.evidence
        texts_of = {
            p.document.id: list(
                dict.fromkeys(t for c in p.chunks for t in answer_sentence_texts(c, evidence))
            )
            for p in batch
        }
        wanted = list(dict.fromkeys(t for texts in texts_of.values() for t in texts))
        vectors = {t: pooled[t] for t in wanted if t in pooled}
        vectors.update(store.lookup([t for t in wanted if t not in vectors]))
        missing = [t for t in wanted if t not in vectors]
        if missing:
            vectors.update(zip(missing, self.embedder.embed_documents(missing), strict=True))
        return texts_of, vectors

    def _kept_vectors(self, batch: list[_Prepared], texts: list[str]) -> dict[int, np.ndarray]:
        """Stored vectors of chunks whose embedding text is exactly the one they were embedded from.

        A chunk id is its document id plus a hash of its text; the title and heading path embedded with it
        are compared too, through the catalog row of the committed chunk with the same id.
        """
        wanted: dict[str, int] = {}
        offset = 0
        for prepared in batch:
            if prepared.reuse:
                for i, chunk in enumerate(prepared.chunks):
                    wanted[chunk.id] = offset + i
            offset += len(prepared.chunks)
        if not wanted:
            return {}
        rows = self.index.rows(list(wanted))
        same = [
            chunk_id
            for chunk_id, row in rows.items()
            if self.chunker.embedding_text(row.title, _stored_chunk(row)) == texts[wanted[chunk_id]]
        ]
        stored = self.index.store.vectors(same) if same else {}
        kept = {wanted[chunk_id]: vector for chunk_id, vector in stored.items()}
        offset = 0
        for prepared in batch:
            prepared.reused = sum(1 for i in range(offset, offset + len(prepared.chunks)) if i in kept)
            offset += len(prepared.chunks)
        return kept

    def _batches(self, todo: list[_Prepared], items: list[IngestItem]) -> Iterator[list[_Prepared]]:
        """Chunk documents and group them so that small ones share an encode call."""
        batch: list[_Prepared] = []
        size = 0
        for prepared in todo:
            try:
                prepared.chunks = self.chunker.chunk(prepared.document)
            except Exception as exc:  # a chunker bug must not stop the run
                log.exception("chunking failed for %s", prepared.document.source)
                items.append(
                    IngestItem(
                        source=prepared.document.source,
                        doc_id=prepared.document.id,
                        status="failed",
                        message=f"could not be chunked: {exc}",
                    )
                )
                continue
            if not prepared.chunks:
                items.append(
                    IngestItem(
                        source=prepared.document.source,
                        doc_id=prepared.document.id,
                        status="failed",
                        message="no text to index",
                    )
                )
                continue
            batch.append(prepared)
            size += len(prepared.chunks)
            if size >= EMBED_BATCH_CHUNKS:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _prune(self, roots: list[Path], seen: set[str], items: list[IngestItem]) -> None:
        """Remove documents that came from an ingested folder but are no longer in it."""
        if not roots:
            return
        for doc_id, state in self.index.catalog.states().items():
            source = Path(state.source)
            if state.source in seen or not any(_is_under(source, root) for root in roots):
                continue
            if source.exists() and source.suffix.lower() in self.settings.ingest.extensions:
                continue
            self.index.remove_document(doc_id)
            items.append(
                IngestItem(source=state.source, doc_id=doc_id, status="removed", chunks=state.n_chunks)
            )


def _stored_chunk(row: ChunkRow) -> Chunk:
    """A catalog row as a chunk, enough to rebuild the text it was embedded from."""
    return Chunk(
        id=row.id,
        doc_id=row.doc_id,
        ordinal=row.ordinal,
        text=row.text,
        start=row.start,
        end=row.end,
        heading_path=row.heading,
        noise=list(row.noise),
    )


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit="chunk", desc="embedding", disable=None, leave=False)


def _pooled_sentences(
    spans: list[list[tuple[str, int, int]]], vectors: list[np.ndarray] | None
) -> dict[str, np.ndarray]:
    """Sentence text -> its pooled vector (normalised mean over the chunks it was pooled in; spans that got
    no tokens, as past the model's limit, left out)."""
    if vectors is None:
        return {}
    sums: dict[str, np.ndarray] = {}
    for chunk_spans, chunk_vectors in zip(spans, vectors, strict=True):
        for (text, _, _), vector in zip(chunk_spans, chunk_vectors, strict=True):
            if not vector.any():
                continue
            sums[text] = sums[text] + vector if text in sums else vector.copy()
    return {t: v / max(float(np.linalg.norm(v)), 1e-12) for t, v in sums.items()}
